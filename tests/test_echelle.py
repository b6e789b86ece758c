"""Public pages whose cost does not grow with the Atlaas: each query of the page, read through
PostgreSQL's ``EXPLAIN ANALYZE``, reads about as many rows with ten times more fiches. Rows
read and removed by a filter, not timings."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atlaas import catalogue
from atlaas.models import FicheAction
from label import palmares, publication
from label.models import Edition, Resultat
from tests.factories import CandidatureFactory, CommuneFactory, EditionFactory, FicheFactory, UserFactory

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


def lectures(client, url, froid=None):
    """{query: rows read} of the page's second visit (what the caches of its parts keep is
    kept). ``client``: a signed-in member, who gets the live page (anonymous visitors get the
    whole page from the cache: no query, see tests/test_pages_cache.py). ``froid``: called before
    the measure, e.g. ``catalogue.invalider`` for the page as its first visitor after a
    publication gets it (its searches, counts and figures computed again)."""
    assert client.get(url).status_code == 200
    if froid:
        froid()
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
            lu[forme(sql)] = max(lu.get(forme(sql), 0), lignes_lues(resultat[0]["Plan"]))
    return lu


def forme(sql):
    """The query without its values: the same query at both sizes, whatever ids it names."""
    return re.sub(r"\((?:\?, )*\?\)", "(…)", re.sub(r"\b\d+\b", "?", sql))


def ajouter_fiches(n, collectivites, services=()):
    """``n`` published fiches spread over ``collectivites``, in one insert, each with one of
    ``services`` (in turn) and in the search index when they have one."""
    debut = timezone.now() - datetime.timedelta(days=400)
    fiches = FicheAction.objects.bulk_create(
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
    services = list(services)
    if services:
        liens = FicheAction.services.through
        liens.objects.bulk_create(
            liens(ficheaction_id=fiche.pk, service_id=services[i % len(services)].pk)
            for i, fiche in enumerate(fiches)
        )
        catalogue.indexer([fiche.pk for fiche in fiches])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE atlaas_ficheaction")
        cursor.execute("ANALYZE atlaas_ficheaction_services")
        cursor.execute("ANALYZE atlaas_ficherecherche")


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


def assert_constant(client, url, autres, services=(), froid=None):
    """Each query of the page at 6,600 fiches reads at most twice the rows it read at 600 (or
    200, whatever it read before). ``froid``: what moves the caches on before the measure."""
    ajouter_fiches(600, autres, services)
    petit = lectures(client, url, froid)
    ajouter_fiches(6_000, autres, services)
    grand = lectures(client, url, froid)
    for sql, lues in grand.items():
        avant = petit.get(sql, 0)
        assert lues <= max(2 * avant, 200), f"{lues} lignes lues (contre {avant}) : {sql}"


@pytest.fixture
def membre(client):
    """A signed-in member: the live page, built for them (not the anonymous visitors' copy)."""
    client.force_login(UserFactory())
    return client


@pytest.fixture
def plafond(monkeypatch):
    """A search weighs its ``PLAFOND`` most recent matches at most (20,000): lowered under the
    tests' sizes, so that what it bounds shows."""
    monkeypatch.setattr(catalogue.facettes, "PLAFOND", 1_000)


def test_home_page_reads_as_many_rows_with_ten_times_more_fiches(membre):
    """Warm only: the number of published fiches is counted over all of them, once per version
    of the catalogue (``selectors.key_figures``), by the first visitor after a publication."""
    assert_constant(membre, reverse("home"), CommuneFactory.create_batch(20))


def test_atlaas_landing_reads_as_many_rows_with_ten_times_more_fiches(membre, la_fiche, plafond):
    """Cold too: the landing's counts are over the ``PLAFOND`` most recent fiches."""
    services = list(la_fiche.services.all())
    assert_constant(membre, reverse("atlaas:catalogue"), CommuneFactory.create_batch(20), services)
    assert_constant(
        membre, reverse("atlaas:catalogue"), CommuneFactory.create_batch(20), services, catalogue.invalider
    )


def test_atlaas_search_with_a_word_reads_as_many_rows_with_ten_times_more_fiches(membre, la_fiche, plafond):
    """Warm: a search's counts and first ids are in the cache until the next publication; its
    pages read their twenty fiches by primary key. Cold: its counts are over its ``PLAFOND``
    most recent matches, here found walking the fiches newest first. Not bounded by this test:
    a word whose matches PostgreSQL finds through the full-text index (rarer words, larger
    Atlaas) reads every match before keeping the ``PLAFOND`` most recent."""
    url = reverse("atlaas:catalogue") + "?q=ateliers"
    services = list(la_fiche.services.all())
    assert_constant(membre, url, CommuneFactory.create_batch(20), services)
    assert_constant(membre, url, CommuneFactory.create_batch(20), services, catalogue.invalider)


def test_atlaas_search_with_a_filter_reads_as_many_rows_with_ten_times_more_fiches(membre, la_fiche, plafond):
    """As a search with a word: the same bounds, the same limit (a service's fiches found
    through the index of the taxonomy's codes are read all)."""
    service = la_fiche.services.first()
    url = reverse("atlaas:catalogue") + f"?service={service.slug}"
    assert_constant(membre, url, CommuneFactory.create_batch(20), [service])
    assert_constant(membre, url, CommuneFactory.create_batch(20), [service], catalogue.invalider)


def test_fiche_page_reads_as_many_rows_with_ten_times_more_fiches(membre, la_fiche):
    """The whole page, its similar fiches included: the added fiches share its services."""
    url = reverse("atlaas:fiche_publique", args=[la_fiche.pk])
    assert_constant(membre, url, CommuneFactory.create_batch(20), la_fiche.services.all())


def test_similar_fiches_read_a_bounded_number_of_rows(la_fiche):
    autres = CommuneFactory.create_batch(20)
    services = list(la_fiche.services.all())
    ajouter_fiches(6_600, autres, services)
    with CaptureQueriesContext(connection) as requetes:
        similaires = catalogue.similaires(la_fiche, [s.pk for s in services])
    assert len(similaires) == 4 and len(requetes) == 2
    with connection.cursor() as cursor:
        for requete in requetes.captured_queries:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {requete['sql']}")
            [[resultat]] = cursor.fetchall()
            lues = lignes_lues(resultat[0]["Plan"])
            assert lues <= 2 * catalogue.similarite.CANDIDATS * len(services), requete["sql"]


def test_collectivite_page_reads_as_many_rows_with_ten_times_more_fiches(membre, la_fiche):
    """Warm and cold: nothing of it is in the cache but the page itself."""
    url = reverse("atlaas:collectivite", args=[la_fiche.collectivite.code])
    assert_constant(membre, url, CommuneFactory.create_batch(20), la_fiche.services.all())


def test_palmares_page_reads_as_many_rows_with_ten_times_more_fiches(
    membre, la_fiche, django_capture_on_commit_callbacks
):
    """Cold too (the palmarès' data built again): its count of fiches is its laureates'."""
    edition = EditionFactory(
        annee=2026, state=Edition.State.CLOSE, cloture=timezone.now() - datetime.timedelta(days=60)
    )
    candidature = CandidatureFactory(edition=edition, state="deposee", collectivite=la_fiche.collectivite)
    candidature.fiches.add(la_fiche)
    Resultat.objects.create(candidature=candidature, niveau=4)
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        publication.publier(edition)
    url = reverse("label:palmares", args=[2026])
    autres = CommuneFactory.create_batch(20)
    assert_constant(membre, url, autres, la_fiche.services.all(), palmares.invalider_historique)


def test_api_fiches_reads_as_many_rows_with_ten_times_more_fiches(client, la_fiche, plafond):
    """The API's list is the landing's search: cold too, over the ``PLAFOND`` most recent."""
    url = reverse("atlaas:api_fiches")
    services = la_fiche.services.all()
    assert_constant(client, url, CommuneFactory.create_batch(20), services, catalogue.invalider)


def test_api_fiche_reads_as_many_rows_with_ten_times_more_fiches(client, la_fiche):
    url = reverse("atlaas:api_fiche", args=[la_fiche.pk])
    assert_constant(client, url, CommuneFactory.create_batch(20), la_fiche.services.all())


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
