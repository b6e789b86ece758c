"""Public pages whose cost does not grow with the Atlaas: each query of the page, read through
PostgreSQL's ``EXPLAIN ANALYZE``, reads about as many rows with ten times more fiches. Rows
read and removed by a filter, not timings."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atlaas.models import FicheAction
from tests.factories import CommuneFactory, FicheFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN ANALYZE de PostgreSQL"),
]

SCANS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan"}


def lignes_lues(plan):
    """Rows a plan's scans read: those they return and those their filters removed."""
    lues = 0
    if plan["Node Type"] in SCANS:
        lues += (plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0)) * plan["Actual Loops"]
    return lues + sum(lignes_lues(enfant) for enfant in plan.get("Plans", []))


def lectures(client, url):
    """{query: rows read} of the page's second visit (what the cache keeps is kept)."""
    client.get(url)
    with CaptureQueriesContext(connection) as requetes:
        assert client.get(url).status_code == 200
    lu = {}
    with connection.cursor() as cursor:
        for requete in requetes.captured_queries:
            sql = requete["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            [[resultat]] = cursor.fetchall()
            lu[sql] = lignes_lues(resultat[0]["Plan"])
    return lu


def ajouter_fiches(n, collectivites):
    """``n`` published fiches spread over ``collectivites``, in one insert."""
    debut = timezone.now() - datetime.timedelta(days=400)
    FicheAction.objects.bulk_create(
        FicheAction(
            collectivite=collectivites[i % len(collectivites)],
            titre=f"Action {i}",
            description="Ateliers numériques.",
            date_debut=datetime.date(2024, 1, 1),
            state=FicheAction.State.PUBLIEE,
            published_at=debut + datetime.timedelta(minutes=i),
        )
        for i in range(n)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE atlaas_ficheaction")


@pytest.fixture
def la_fiche():
    """A published fiche of a collectivité with a few other published actions."""
    fiche = FicheFactory(state=FicheAction.State.PUBLIEE, published_at=timezone.now())
    for _ in range(7):
        FicheFactory(
            collectivite=fiche.collectivite,
            state=FicheAction.State.PUBLIEE,
            published_at=timezone.now() - datetime.timedelta(days=3),
            services=[],
        )
    return fiche


def assert_constant(client, url, autres):
    ajouter_fiches(600, autres)
    petit = lectures(client, url)
    ajouter_fiches(6_000, autres)
    grand = lectures(client, url)
    for sql, lues in grand.items():
        avant = petit.get(sql, 0)
        assert lues <= max(2 * avant, 200), f"{lues} lignes lues (contre {avant}) : {sql}"


def test_home_page_reads_as_many_rows_with_ten_times_more_fiches(client):
    assert_constant(client, reverse("home"), CommuneFactory.create_batch(20))


def test_other_actions_of_a_fiche_read_the_collectivites_own_fiches(client, la_fiche):
    from atlaas.views.publication import _autres_actions

    autres = CommuneFactory.create_batch(20)
    ajouter_fiches(600, autres)
    ajouter_fiches(6_000, autres)
    with CaptureQueriesContext(connection) as requetes:
        actions = _autres_actions(la_fiche)
    assert len(actions) == 6 and actions[0].total == 7
    [requete] = requetes.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {requete['sql']}")
        [[resultat]] = cursor.fetchall()
    assert lignes_lues(resultat[0]["Plan"]) <= 20  # its 8 fiches, not the Atlaas' 6,600


def test_home_figures_follow_a_publication(client):
    FicheFactory(state=FicheAction.State.PUBLIEE, published_at=timezone.now())
    assert "<strong>1</strong> actions numériques publiées" in client.get(reverse("home")).content.decode()
    FicheFactory(state=FicheAction.State.PUBLIEE, published_at=timezone.now())  # indexed: a new version
    assert "<strong>2</strong> actions numériques publiées" in client.get(reverse("home")).content.decode()
