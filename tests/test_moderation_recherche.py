"""The staff's moderation queue searched, filtered and sorted (atlaas.selectors.file_de_moderation
and the queue's form in atlaas/views/moderation.py): without JavaScript, kept across pages, in a
number of queries that does not grow with the queue."""

import datetime

import pytest
from django.utils import timezone

from atlaas.models import FicheAction, FicheTransition
from tests.factories import (
    CommuneFactory,
    DepartementFactory,
    EpciFactory,
    FicheFactory,
    MembershipFactory,
    RegionFactory,
    ServiceFactory,
)
from tests.test_fiches import text
from tests.test_moderation import QUEUE, days_ago, submit

pytestmark = pytest.mark.django_db

State = FicheAction.State


@pytest.fixture
def equipe(client, staff):
    client.force_login(staff)
    return staff


@pytest.fixture
def file_variee():
    """Four submitted fiches in two régions, of a village, a ville and a territoire."""
    bretagne = RegionFactory(code="53", nom="Bretagne")
    finistere = DepartementFactory(code="29", nom="Finistère", region=bretagne)
    lot_et_garonne = DepartementFactory(code="47", nom="Lot-et-Garonne")
    plouguerneau = CommuneFactory(nom="Plouguerneau", code="29195", departement=finistere, population=2_500)
    agen = CommuneFactory(nom="Agen", code="47001", departement=lot_et_garonne, population=32_801)
    agglo = EpciFactory(nom="Agglomération d'Agen", code="200035459", departement=lot_et_garonne)
    fiches = {
        "mediation": submit(
            FicheFactory(collectivite=plouguerneau, titre="Médiation numérique au bourg"), at=days_ago(10)
        ),
        "wifi": submit(FicheFactory(collectivite=agen, titre="Wifi public en centre-ville"), at=days_ago(2)),
        "budget": submit(FicheFactory(collectivite=agen, titre="Budget participatif"), at=days_ago(30)),
        "donnees": submit(FicheFactory(collectivite=agglo, titre="Données ouvertes"), at=days_ago(5)),
    }
    FicheFactory(collectivite=agen, titre="Médiation en brouillon")  # never in the queue
    return fiches


def titres(client, **params):
    response = client.get(QUEUE, params)
    assert response.status_code == 200
    return [fiche.titre for fiche in response.context["page"]]


def test_queue_search_finds_words_of_the_title_or_of_the_collectivites_name(client, equipe, file_variee):
    assert titres(client, q="mediation") == ["Médiation numérique au bourg"]
    assert titres(client, q="MÉDIATION bourg") == ["Médiation numérique au bourg"]
    assert titres(client, q="agen") == [
        "Budget participatif",
        "Données ouvertes",
        "Wifi public en centre-ville",
    ]
    assert titres(client, q="agen wifi") == ["Wifi public en centre-ville"]  # every word must match
    assert titres(client, q="plouguernéau") == ["Médiation numérique au bourg"]  # names without accents
    assert titres(client, q="Paris") == []
    page = text(client.get(QUEUE, {"q": "Paris"}))
    assert "Aucune fiche à modérer ne correspond à cette recherche." in page
    assert 'value="Paris"' in page  # what was typed stays in the box


def test_queue_filters_by_region_departement_type_and_date(client, equipe, file_variee):
    assert titres(client, region="53") == ["Médiation numérique au bourg"]
    assert titres(client, region="75") == [
        "Budget participatif",
        "Données ouvertes",
        "Wifi public en centre-ville",
    ]
    assert titres(client, departement="29") == ["Médiation numérique au bourg"]
    assert titres(client, type_collectivite="village") == ["Médiation numérique au bourg"]
    assert titres(client, type_collectivite="ville") == ["Budget participatif", "Wifi public en centre-ville"]
    assert titres(client, type_collectivite="territoire") == ["Données ouvertes"]
    depuis = timezone.localdate(days_ago(5)).isoformat()
    assert titres(client, depuis=depuis) == ["Données ouvertes", "Wifi public en centre-ville"]
    assert titres(client, departement="47", type_collectivite="ville", q="wifi", depuis=depuis) == [
        "Wifi public en centre-ville"
    ]
    page = text(client.get(QUEUE, {"region": "53", "depuis": depuis}))
    assert '<option value="53" selected>Bretagne</option>' in page
    assert f'type="date" name="depuis" value="{depuis}"' in page


def test_queue_sorts_oldest_or_newest_submission_first_or_by_collectivite(client, equipe, file_variee):
    oldest_first = [
        "Budget participatif",
        "Médiation numérique au bourg",
        "Données ouvertes",
        "Wifi public en centre-ville",
    ]
    assert titres(client) == oldest_first
    assert titres(client, tri="anciennes") == oldest_first
    assert titres(client, tri="recentes") == oldest_first[::-1]
    # Agen (oldest first), Agglomération d'Agen, Plouguerneau
    assert titres(client, tri="collectivite") == [
        "Budget participatif",
        "Wifi public en centre-ville",
        "Données ouvertes",
        "Médiation numérique au bourg",
    ]
    assert '<option value="recentes" selected>' in text(client.get(QUEUE, {"tri": "recentes"}))


def test_queue_says_a_bad_value_next_to_its_field_and_applies_the_others(client, equipe, file_variee):
    response = client.get(
        QUEUE, {"depuis": "31/02/2026", "departement": "99", "q": "agen", "tri": "recentes"}
    )
    page = text(response)
    assert "Saisissez une date valide." in page
    assert "Sélectionnez un choix valide." in page
    assert 'value="31/02/2026"' in page  # nothing typed is lost
    assert [fiche.titre for fiche in response.context["page"]] == [
        "Wifi public en centre-ville",
        "Données ouvertes",
        "Budget participatif",
    ]


def test_queue_pages_keep_the_search_filters_and_order(client, equipe):
    agen = CommuneFactory(nom="Agen", code="47001")
    service = ServiceFactory()
    for numero in range(51):
        FicheFactory(collectivite=agen, titre=f"Atelier {numero}", state=State.SOUMISE, services=[service])
    FicheFactory(titre="Autre chose", state=State.SOUMISE, services=[service])
    first = client.get(QUEUE, {"q": "atelier", "departement": "47", "tri": "recentes"})
    assert len(first.context["page"].object_list) == 50
    assert "51 fiches à modérer" in text(first)
    assert "?q=atelier&departement=47&tri=recentes&page=2" in text(first)
    second = client.get(QUEUE, {"q": "atelier", "departement": "47", "tri": "recentes", "page": 2})
    assert len(second.context["page"].object_list) == 1


def test_queue_search_and_filters_query_count_does_not_grow_with_fiches(
    client, equipe, django_assert_num_queries
):
    agen = CommuneFactory(nom="Agen", code="47001", population=32_801)
    depuis = timezone.localdate(days_ago(3)).isoformat()
    params = {
        "q": "atelier agen",
        "type": "nouvelles",
        "region": "75",
        "departement": "47",
        "type_collectivite": "ville",
        "depuis": depuis,
        "tri": "collectivite",
    }

    def add(count):
        for _ in range(count):
            membership = MembershipFactory(collectivite=agen)
            submit(FicheFactory(collectivite=agen, titre="Atelier"), by=membership.user, at=days_ago(1))

    add(1)
    # user, authenticator, the région and département asked for, count, page, submitters, the
    # régions and départements of the filters (the session comes from the cache)
    with django_assert_num_queries(9):
        assert len(client.get(QUEUE, params).context["page"].object_list) == 1
    add(29)
    with django_assert_num_queries(9):
        response = client.get(QUEUE, params)
    assert len(response.context["page"].object_list) == 30


def test_queue_search_reads_the_latest_submission(client, equipe):
    fiche = submit(FicheFactory(titre="Open data"), at=days_ago(30))
    fiche.state = State.A_CORRIGER
    fiche.save()
    submit(fiche, at=days_ago(1))
    assert FicheTransition.objects.filter(fiche=fiche, to_state=State.SOUMISE).count() == 2
    since = timezone.localdate(days_ago(2)).isoformat()
    assert titres(client, depuis=since) == ["Open data"]
    assert titres(client, depuis=(datetime.date.today() + datetime.timedelta(days=1)).isoformat()) == []
