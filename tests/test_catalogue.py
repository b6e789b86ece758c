"""The Atlaas catalogue: French full-text search, facets, suggestions, bad input.

The relevance golden set runs on the database of the run: PostgreSQL (``french_unaccent``) in
full mode, SQLite FTS5 with the same Snowball stemmer in embedded mode.
"""

import datetime
import threading

import psycopg
import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlaas import catalogue, francais
from atlaas.models import Collectivite, FicheAction, FicheRecherche
from atlaas.workflow import revision_for_edit, set_fiche_state
from outbox.models import Envoi
from tests.factories import (
    CategorieFactory,
    CommuneFactory,
    DepartementFactory,
    EnjeuFactory,
    EpciFactory,
    FicheFactory,
    RegionFactory,
    ServiceFactory,
)
from tests.worker import database_url

pytestmark = pytest.mark.django_db

State = FicheAction.State
URL = reverse("atlaas:catalogue")


def publiee(titre, description="Une action de la collectivité.", **kwargs):
    kwargs.setdefault("published_at", timezone.now())
    return FicheFactory(titre=titre, description=description, state=State.PUBLIEE, **kwargs)


def titres(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return [fiche.titre for fiche in response.context["resultats"].fiches]


@pytest.fixture
def atlaas():
    """A small Atlaas written for the golden set: each fiche answers one kind of query."""
    vivre = CategorieFactory(nom="Vivre ensemble", slug="vivre-ensemble")
    mediation = EnjeuFactory(nom="Médiation", slug="mediation", categorie=vivre)
    democratie = EnjeuFactory(nom="Démocratie locale", slug="democratie-locale")
    inclusion = ServiceFactory(nom="Inclusion et médiation numérique", slug="inclusion", enjeu=mediation)
    participation = ServiceFactory(nom="Participation citoyenne", slug="participation", enjeu=democratie)
    occitanie = RegionFactory(code="76", nom="Occitanie")
    herault = DepartementFactory(code="34", nom="Hérault", region=occitanie)
    montreuil = CommuneFactory(nom="Montreuil", code="93048", population=111_000)
    village = CommuneFactory(nom="Saint-Jean-de-Védas", code="34270", departement=herault, population=2_400)
    village.niveau = 4
    village.save()
    fiches = {
        "seniors_titre": publiee(
            "Médiation numérique pour les seniors",
            "Des ateliers chaque semaine à la médiathèque.",
            services=[inclusion],
            collectivite=village,
            date_debut=datetime.date(2024, 3, 1),
        ),
        "seniors_corps": publiee(
            "Ateliers à la médiathèque",
            "Des séances d'initiation pour les seniors du quartier, avec une médiatrice.",
            services=[inclusion],
            date_debut=datetime.date(2023, 5, 1),
        ),
        "budget": publiee(
            "Budget participatif en ligne",
            "Les habitants proposent et votent pour les projets de leur quartier.",
            services=[participation],
            collectivite=montreuil,
        ),
        "budget_separe": publiee(
            "Conseil participatif des jeunes",
            "Un budget de cinq mille euros finance les idées du conseil.",
            services=[participation],
        ),
        "ecoles": publiee(
            "Écoles numériques : des tablettes pour les élèves",
            "Chaque classe de CM2 reçoit un équipement numérique.",
            services=[inclusion],
        ),
        "fibre": publiee("Fibre optique dans les hameaux", "Le très haut débit pour tous les foyers."),
        "wifi": publiee("Wifi public sur la place du marché", "Un accès libre et gratuit."),
    }
    # Never public, whatever the query: a draft, a fiche sent back, one waiting for moderation.
    FicheFactory(titre="Médiation numérique brouillon", state=State.BROUILLON, services=[inclusion])
    FicheFactory(titre="Médiation numérique à corriger", state=State.A_CORRIGER, services=[inclusion])
    FicheFactory(titre="Médiation numérique soumise", state=State.SOUMISE, services=[inclusion])
    return fiches


# --- Relevance golden set ----------------------------------------------------------------


def test_search_ignores_accents_and_case(client, atlaas):
    assert titres(client, q="mediation")[0] == "Médiation numérique pour les seniors"
    assert titres(client, q="MÉDIATION") == titres(client, q="mediation")


def test_search_matches_inflections(client, atlaas):
    assert set(titres(client, q="senior")) == {
        "Médiation numérique pour les seniors",
        "Ateliers à la médiathèque",
    }
    assert titres(client, q="seniors") == titres(client, q="senior")
    # « école numérique » finds « Écoles numériques » (plural, accent, capital).
    assert titres(client, q="école numérique")[0] == "Écoles numériques : des tablettes pour les élèves"


def test_search_ranks_the_title_above_the_body(client, atlaas):
    assert titres(client, q="seniors") == [
        "Médiation numérique pour les seniors",
        "Ateliers à la médiathèque",
    ]


def test_search_several_words_must_all_match(client, atlaas):
    assert titres(client, q="médiation numérique seniors") == ["Médiation numérique pour les seniors"]


def test_search_quoted_phrase_needs_the_words_together(client, atlaas):
    assert set(titres(client, q="budget participatif")) == {
        "Budget participatif en ligne",
        "Conseil participatif des jeunes",
    }
    assert titres(client, q='"budget participatif"') == ["Budget participatif en ligne"]


def test_search_minus_excludes_a_word(client, atlaas):
    found = titres(client, q="numérique -école")
    assert "Médiation numérique pour les seniors" in found
    assert "Écoles numériques : des tablettes pour les élèves" not in found


def test_search_or_accepts_either_word(client, atlaas):
    assert set(titres(client, q="wifi OR fibre")) == {
        "Fibre optique dans les hameaux",
        "Wifi public sur la place du marché",
    }


def test_search_reads_and_before_or_as_postgresql_does(client, atlaas):
    """« wifi public OR fibre optique » is (wifi and public) or (fibre and optique), in both
    modes (PostgreSQL's websearch_to_tsquery; SQLite and the engine read it the same way)."""
    assert set(titres(client, q="wifi public OR fibre optique")) == {
        "Fibre optique dans les hameaux",
        "Wifi public sur la place du marché",
    }
    assert titres(client, q="wifi OR fibre -hameaux") == ["Wifi public sur la place du marché"]
    assert titres(client, q="wifi OR") == []  # « or » last is a word: found nowhere
    assert titres(client, q="wifi --public") == ["Wifi public sur la place du marché"]  # not not
    # Kept by the alternative of an excluded word only: listed too, after those ranked.
    resultats = client.get(URL, {"q": "budget OR -wifi"}).context["resultats"]
    assert len(resultats.fiches) == resultats.total == 6


@pytest.mark.parametrize(
    ("q", "lu"),
    [
        ("données ouvertes OR open data", [["donne", "ouvert"], ["open", "dat"]]),
        ("wifi OR fibre -ville", [["wif"], ["fibr", "-vill"]]),
        ("budget OR", [["budget", "or"]]),
        ("OR budget", [["or", "budget"]]),
        ("budget OR OR cantine", [["budget"], ["or", "cantin"]]),
        ("le OR budget", [["budget"]]),
        ("- budget cantine", [["-budget", "cantin"]]),
        ("-OR budget", [["-or", "budget"]]),
        ('"école de musique"', [["ecol musiqu"]]),
    ],
)
def test_the_query_is_read_as_websearch_to_tsquery(q, lu):
    """The reading of ``analyser``, checked against PostgreSQL's in full mode below."""
    termes = [
        [("-" if t.exclu else "") + " ".join(t.stems) for t in alternative]
        for alternative in catalogue.analyser(q)
    ]
    assert termes == lu
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT websearch_to_tsquery('french_unaccent', %s)::text", [q])
            attendu = cursor.fetchone()[0]

        def phrase(terme):  # PostgreSQL's <N>: the words N places apart (<-> for 1)
            suite = [f"'{terme.stems[0]}'"]
            places = zip(terme.positions, terme.positions[1:], terme.stems[1:], strict=False)
            for avant, apres, stem in places:
                suite.append(f"<{apres - avant}>" if apres - avant > 1 else "<->")
                suite.append(f"'{stem}'")
            return " ".join(suite)

        alternatives = [
            " & ".join(("!" if t.exclu else "") + phrase(t) for t in alternative)
            for alternative in catalogue.analyser(q)
        ]
        assert " | ".join(alternatives) == attendu


def test_search_finds_the_collectivite_by_name(client, atlaas):
    assert titres(client, q="montreuil") == ["Budget participatif en ligne"]
    assert "Médiation numérique pour les seniors" in titres(client, q="saint jean de vedas")


def test_search_finds_the_collectivite_typed_with_oe_without_accents_or_with_st(client, atlaas):
    publiee("Portail citoyen", collectivite=CommuneFactory(nom="Vandœuvre-lès-Nancy", code="54547"))
    publiee("Conseil de quartier en ligne", collectivite=CommuneFactory(nom="Marcq-en-Barœul", code="59378"))
    for q in ["Vandœuvre-lès-Nancy", "vandoeuvre", "Vandoeuvre les Nancy", "VANDŒUVRE"]:
        assert titres(client, q=q) == ["Portail citoyen"], q
    for q in ["marcq en baroeul", "Marcq-en-Barœul", "baroeul"]:
        assert titres(client, q=q) == ["Conseil de quartier en ligne"], q
    assert "Médiation numérique pour les seniors" in titres(client, q="St Jean de Vedas")


def test_facet_only_search(client, atlaas):
    assert set(titres(client, enjeu="mediation")) == {
        "Médiation numérique pour les seniors",
        "Ateliers à la médiathèque",
        "Écoles numériques : des tablettes pour les élèves",
    }
    assert titres(client, enjeu="mediation", region="76") == ["Médiation numérique pour les seniors"]


def test_unpublished_fiches_never_appear(client, atlaas):
    response = client.get(URL, {"q": "médiation numérique"})
    page = response.content.decode()
    assert "brouillon" not in page and "à corriger" not in page and "soumise" not in page
    total = response.context["resultats"].total
    assert total == 1  # only the published one, in the results and in every count
    for facette in response.context["resultats"].facettes.values():
        assert all(valeur.nombre <= total for valeur in facette)


def test_a_revision_under_moderation_stays_out_until_published(client, atlaas, django_user_model):
    fiche = atlaas["wifi"]
    revision = revision_for_edit(fiche, by=None)
    revision.titre = "Wifi public et bornes de recharge"
    revision.save()
    set_fiche_state(revision, State.SOUMISE, by=None)
    assert titres(client, q="recharge") == []
    set_fiche_state(revision, State.PUBLIEE, by=None)
    assert titres(client, q="recharge") == ["Wifi public et bornes de recharge"]


def test_a_fiche_published_by_staff_is_found_at_once(client, atlaas):
    assert titres(client, q="médiation") == ["Médiation numérique pour les seniors"]  # now in the cache
    fiche = FicheFactory(titre="Médiation en mairie", state=State.SOUMISE)
    set_fiche_state(fiche, State.PUBLIEE, by=None)
    assert set(titres(client, q="médiation")) == {
        "Médiation numérique pour les seniors",
        "Médiation en mairie",
    }


# --- Facets, order, pagination -----------------------------------------------------------


def test_facets_count_the_matching_fiches(client, atlaas):
    facettes = client.get(URL, {"q": "médiation OR seniors OR budget"}).context["resultats"].facettes
    counts = {name: {v.valeur: v.nombre for v in valeurs} for name, valeurs in facettes.items()}
    # Two fiches on médiation or seniors, two with « budget » (one in its description).
    assert counts["enjeu"] == {"mediation": 2, "democratie-locale": 2}
    assert counts["categorie"]["vivre-ensemble"] == 2
    assert counts["service"] == {"inclusion": 2, "participation": 2}
    assert counts["type"] == {"village": 3, "ville": 1}
    assert counts["strate"] == {"moins-3000": 3, "plus-100000": 1}
    assert counts["niveau"] == {"4": 1}
    assert counts["departement"] == {"34": 1, "47": 3}
    assert counts["region"] == {"76": 1, "75": 3}
    assert counts["annee"] == {"2024": 1, "2023": 1, "2025": 2}


def test_facets_combine(client, atlaas):
    params = {
        "service": "inclusion",
        "type": "village",
        "niveau": "4",
        "annee": "2024",
        "strate": "moins-3000",
    }
    assert titres(client, **params) == ["Médiation numérique pour les seniors"]
    assert titres(client, service="inclusion", type="territoire") == []


@pytest.mark.parametrize("liste_max", [catalogue.recherche.LISTE_MAX, 0])
def test_collectivite_filters_as_a_list_or_a_join_find_the_same(client, atlaas, monkeypatch, liste_max):
    """A type or a stratum naming few collectivités is read as their list, with the région's,
    département's or level's conditions; naming more than ``LISTE_MAX``, or villages, through the
    join, and the région, département or level as a list of their own: the same fiches either
    way, other filters kept."""
    monkeypatch.setattr(catalogue.recherche, "LISTE_MAX", liste_max)
    seniors = ["Médiation numérique pour les seniors"]
    assert (
        titres(client, region="76", enjeu="mediation")
        == titres(client, departement="34", niveau="4")
        == seniors
    )
    assert (
        titres(client, region="76", type="village")
        == titres(client, region="76", strate="moins-3000")
        == seniors
    )
    assert titres(client, region="76", type="ville") == titres(client, departement="34", niveau="3") == []
    assert titres(client, type="village", strate="moins-3000", niveau="4", service="inclusion") == [
        "Médiation numérique pour les seniors"
    ]
    assert titres(client, q="seniors", type="ville") == titres(client, q="seniors", strate="plus-100000")
    assert titres(client, strate="plus-100000") == titres(client, type="ville") != []
    assert titres(client, type="territoire", region="76") == []
    # Both bound the population: a ville under 3,000 inhabitants, or a village of 3,000 and more, is none.
    assert titres(client, type="ville", strate="moins-3000") == []
    assert titres(client, type="village", strate="3000-20000") == []


def test_a_territoire_is_its_own_type(client, atlaas):
    publiee("Covoiturage intercommunal", collectivite=EpciFactory(population=45_000))
    assert titres(client, type="territoire") == ["Covoiturage intercommunal"]
    assert titres(client, type="territoire", strate="20000-100000") == ["Covoiturage intercommunal"]


def test_village_facet_says_its_threshold_the_portal_s(client, atlaas):
    """The Atlaas knows no edition: its villages are the communes under settings.SEUIL_VILLAGE,
    and the facet's label says so."""
    page = client.get(URL, {"q": "seniors"}).content.decode().replace("\xa0", " ")
    assert "Village (moins de 3 000 habitants)" in page
    with override_settings(SEUIL_VILLAGE=2_000):  # Saint-Jean-de-Védas has 2,400 inhabitants
        response = client.get(URL, {"q": "seniors"})
        counts = {v.valeur: v.nombre for v in response.context["resultats"].facettes["type"]}
        assert counts == {"village": 1, "ville": 1}
        assert "Village (moins de 2 000 habitants)" in response.content.decode().replace("\xa0", " ")
        assert titres(client, q="seniors", type="village") == ["Ateliers à la médiathèque"]
        assert titres(client, q="seniors", type="ville") == ["Médiation numérique pour les seniors"]


def test_facet_links_toggle_their_value_and_keep_the_rest(client, atlaas):
    response = client.get(URL, {"q": "seniors", "page": "1"})
    enjeux = next(f for f in response.context["facettes"]() if f["nom"] == "enjeu")
    assert enjeux["lignes"][0]["url"] == "?q=seniors&enjeu=mediation"
    chosen = client.get(URL, {"q": "seniors", "enjeu": "mediation"})
    enjeux = next(f for f in chosen.context["facettes"]() if f["nom"] == "enjeu")
    assert enjeux["lignes"][0] == {
        "libelle": "Médiation",
        "nombre": 2,
        "unite": "actions",
        "actif": True,
        "url": "?q=seniors",
    }
    assert chosen.context["actifs"]() == [{"titre": "Enjeu", "libelle": "Médiation", "url": "?q=seniors"}]


def test_sort_by_date_puts_the_newest_first(client, atlaas):
    old = atlaas["seniors_titre"]
    FicheAction.objects.filter(pk=old.pk).update(published_at=timezone.now() - datetime.timedelta(days=400))
    catalogue.invalider()
    assert titres(client, q="seniors") == [
        "Médiation numérique pour les seniors",
        "Ateliers à la médiathèque",
    ]
    assert titres(client, q="seniors", tri="date") == [
        "Ateliers à la médiathèque",
        "Médiation numérique pour les seniors",
    ]


def test_pages_hold_twenty_results_and_a_page_too_far_shows_the_last(client):
    service = ServiceFactory()
    for n in range(45):
        publiee(
            f"Action {n:02}", services=[service], published_at=timezone.now() - datetime.timedelta(hours=n)
        )
    first = client.get(URL)
    assert first.context["resultats"].total == 45 and len(first.context["resultats"].fiches) == 20
    last = client.get(URL, {"page": "999999"})
    assert last.context["resultats"].page == 3
    assert [f.titre for f in last.context["resultats"].fiches] == [f"Action {n}" for n in range(40, 45)]
    assert 'rel="prev"' in last.content.decode()


def test_pages_beyond_the_cached_ids_are_read_from_the_database(client, settings, monkeypatch):
    monkeypatch.setattr(catalogue.recherche, "EN_CACHE", 20)
    for n in range(45):
        publiee(f"Action {n:02}", published_at=timezone.now() - datetime.timedelta(hours=n))
    assert titres(client, page="3") == [f"Action {n}" for n in range(40, 45)]


def test_a_search_weighs_its_plafond_most_recent_fiches_and_says_so(client, atlaas, monkeypatch):
    monkeypatch.setattr(catalogue.facettes, "PLAFOND", 3)
    monkeypatch.setattr(catalogue.recherche, "EN_CACHE", 1)  # the second page is read past the cached ids
    recentes = ["Wifi public sur la place du marché", "Fibre optique dans les hameaux"]
    recentes.append("Écoles numériques : des tablettes pour les élèves")

    response = client.get(URL)
    resultats = response.context["resultats"]
    assert resultats.plafonne and resultats.total == 3
    assert sum(resultats.comptes["annee"].values()) == 3
    assert sum(v.nombre for v in resultats.facettes["type"]) == 3
    page = response.content.decode()
    assert "Au moins 3 actions trouvées" in page
    assert "Seules les 3 actions publiées le plus récemment sont comptées et classées" in page
    assert [f.titre for f in resultats.fiches] == recentes

    api = client.get(reverse("atlaas:api_fiches"), {"par_page": 2, "page": 2}).json()
    assert (api["total"], api["total_exact"], api["pages"]) == (3, False, 2)
    assert [f["titre"] for f in api["resultats"]] == recentes[2:]
    assert client.get(reverse("atlaas:api_fiches"), {"par_page": 2, "page": 3}).status_code == 404

    catalogue.export.exporter()
    export = client.get(reverse("atlaas:catalogue_csv"))  # the full file
    assert b"".join(export.streaming_content).decode().count("\n") == 1 + 7  # every match


def test_pages_past_the_cached_ids_of_a_capped_search_keep_its_filters(client, atlaas, monkeypatch):
    monkeypatch.setattr(catalogue.facettes, "PLAFOND", 2)
    monkeypatch.setattr(catalogue.recherche, "EN_CACHE", 1)
    params = {"enjeu": "mediation", "par_page": 1}
    api = client.get(reverse("atlaas:api_fiches"), {**params, "page": 2}).json()
    assert (api["total"], api["total_exact"]) == (2, False)
    assert [f["titre"] for f in api["resultats"]] == ["Ateliers à la médiathèque"]  # the 2nd newest


def test_a_facet_no_collectivite_meets_finds_nothing(client, atlaas):
    assert not FicheAction.objects.filter(collectivite__nature="epci").exists()
    for params in [{"type": "territoire"}, {"type": "territoire", "q": "médiation"}]:
        response = client.get(URL, params)
        assert response.status_code == 200
        assert response.context["resultats"].total == 0
        assert "Aucune action trouvée" in response.content.decode()
        assert client.get(reverse("atlaas:api_fiches"), params).json()["total"] == 0


def test_a_search_under_its_plafond_is_exact(client, atlaas, monkeypatch):
    monkeypatch.setattr(catalogue.facettes, "PLAFOND", 3)
    response = client.get(URL, {"q": "médiathèque"})
    assert not response.context["resultats"].plafonne
    assert "2 actions trouvées" in response.content.decode()
    assert "publiées le plus récemment" not in response.content.decode()
    assert client.get(reverse("atlaas:api_fiches"), {"q": "médiathèque"}).json()["total_exact"] is True


# --- The taxonomy's counts (PostgreSQL: each fiche's codes, migration 0004) ------------------

POSTGRESQL = pytest.mark.skipif(connection.vendor != "postgresql", reason="the codes are PostgreSQL's")


def comptes(client, **params):
    """{facet: {value: count}} of the page."""
    facettes = client.get(URL, params).context["resultats"].facettes
    return {name: {v.valeur: v.nombre for v in valeurs} for name, valeurs in facettes.items()}


def codes(fiche):
    """The services, enjeux and catégories the fiche's row holds for the facets (PostgreSQL), or
    None when it holds nothing."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {catalogue.TAXONOMIE} FROM atlaas_ficheaction WHERE id = %s", [fiche.pk])
        valeurs = cursor.fetchone()[0]
    if valeurs is None:
        return None
    assert valeurs == sorted(set(valeurs))
    genres = {1: "services", 2: "enjeux", 3: "categories"}
    resultat = {genre: set() for genre in genres.values()}
    for code in valeurs:
        resultat[genres[code % 4]].add(code // 4)
    return resultat


def ids_de(*objets):
    return {objet.pk for objet in objets}


@pytest.fixture
def taxonomie():
    """Three services, two of them in the same enjeu, their two enjeux in the same catégorie, and
    another catégorie, empty."""
    vivre = CategorieFactory(nom="Vivre ensemble", slug="vivre-ensemble")
    territoire = CategorieFactory(nom="Territoire", slug="territoire")
    mediation = EnjeuFactory(nom="Médiation", slug="mediation", categorie=vivre)
    lien = EnjeuFactory(nom="Lien social", slug="lien-social", categorie=vivre)
    return {
        "vivre": vivre,
        "territoire": territoire,
        "mediation": mediation,
        "lien": lien,
        "ateliers": ServiceFactory(nom="Ateliers", slug="ateliers", enjeu=mediation),
        "conseillers": ServiceFactory(nom="Conseillers numériques", slug="conseillers", enjeu=mediation),
        "cafe": ServiceFactory(nom="Café numérique", slug="cafe", enjeu=lien),
    }


def test_a_fiche_counts_once_per_enjeu_and_categorie_whatever_its_services(client, taxonomie):
    t = taxonomie
    publiee("Médiation tout en un", services=[t["ateliers"], t["conseillers"], t["cafe"]])
    publiee("Médiation en ateliers", services=[t["ateliers"]])
    publiee("Médiation sans service", services=[])
    for params in ({}, {"q": "médiation"}, {"q": "médiation", "tri": "date"}, {"type": "village"}):
        counts = comptes(client, **params)
        assert counts["service"] == {"ateliers": 2, "conseillers": 1, "cafe": 1}, params
        assert counts["enjeu"] == {"mediation": 2, "lien-social": 1}, params
        assert counts["categorie"] == {"vivre-ensemble": 2}, params
    assert comptes(client, enjeu="lien-social")["enjeu"] == {"mediation": 1, "lien-social": 1}


@POSTGRESQL
def test_the_codes_are_written_at_publication_and_with_a_revision(taxonomie):
    t = taxonomie
    fiche = FicheFactory(titre="Café et ateliers", state=State.SOUMISE, services=[t["ateliers"], t["cafe"]])
    assert codes(fiche) is None  # not published: nothing to count
    fiche = set_fiche_state(fiche, State.PUBLIEE, by=None)
    assert codes(fiche) == {
        "services": ids_de(t["ateliers"], t["cafe"]),
        "enjeux": ids_de(t["mediation"], t["lien"]),
        "categories": ids_de(t["vivre"]),
    }
    revision = revision_for_edit(fiche, by=None)
    revision.services.set([t["conseillers"]])
    set_fiche_state(revision, State.SOUMISE, by=None)
    assert codes(revision) is None and codes(fiche)["services"] == ids_de(t["ateliers"], t["cafe"])
    set_fiche_state(revision, State.PUBLIEE, by=None)
    assert codes(fiche) == {
        "services": ids_de(t["conseillers"]),
        "enjeux": ids_de(t["mediation"]),
        "categories": ids_de(t["vivre"]),
    }


def page_enjeu(enjeu, categorie, services):
    """The admin page of an enjeu, posted as it stands but for its catégorie, with its services inline."""
    data = {
        "categorie": categorie.pk,
        "nom": enjeu.nom,
        "slug": enjeu.slug,
        "ordre": 0,
        "services-TOTAL_FORMS": len(services),
        "services-INITIAL_FORMS": len(services),
        "services-MIN_NUM_FORMS": 0,
        "services-MAX_NUM_FORMS": 1000,
    }
    for n, service in enumerate(services):
        data |= {
            f"services-{n}-id": service.pk,
            f"services-{n}-enjeu": enjeu.pk,
            f"services-{n}-nom": service.nom,
            f"services-{n}-slug": service.slug,
            f"services-{n}-ordre": 0,
            f"services-{n}-actif": "on",
        }
    return data


def test_moving_a_service_or_an_enjeu_in_the_admin_moves_its_fiches_counts(client, admin_client, taxonomie):
    t = taxonomie
    both = publiee("Café et ateliers", services=[t["ateliers"], t["cafe"]])
    publiee("Café seul", services=[t["cafe"]])
    assert comptes(client)["enjeu"] == {"mediation": 1, "lien-social": 2}

    cafe = t["cafe"]  # Lien social → Médiation: « Café et ateliers » now has one enjeu
    response = admin_client.post(
        reverse("admin:atlaas_service_change", args=[cafe.pk]),
        {"nom": cafe.nom, "slug": cafe.slug, "enjeu": t["mediation"].pk, "ordre": 0, "actif": "on"},
    )
    assert response.status_code == 302
    counts = comptes(client)
    assert counts["enjeu"] == {"mediation": 2}
    assert counts["categorie"] == {"vivre-ensemble": 2}
    assert counts["service"] == {"ateliers": 1, "cafe": 2}
    if connection.vendor == "postgresql":
        assert codes(both)["enjeux"] == ids_de(t["mediation"])

    mediation = t["mediation"]  # Vivre ensemble → Territoire, with its services unchanged
    services = list(mediation.services.order_by("pk"))
    data = page_enjeu(mediation, t["territoire"], services)
    response = admin_client.post(reverse("admin:atlaas_enjeu_change", args=[mediation.pk]), data)
    assert response.status_code == 302
    assert comptes(client)["categorie"] == {"territoire": 2}
    assert comptes(client, categorie="territoire")["service"] == {"ateliers": 1, "cafe": 2}
    if connection.vendor == "postgresql":
        assert codes(both)["categories"] == ids_de(t["territoire"])


def test_a_service_deleted_from_its_enjeu_page_leaves_the_counts(client, admin_client, taxonomie):
    t = taxonomie
    both = publiee("Café et ateliers", services=[t["ateliers"], t["cafe"]])
    publiee("Conseillers", services=[t["conseillers"]])
    assert comptes(client)["enjeu"] == {"mediation": 2, "lien-social": 1}
    mediation = t["mediation"]
    data = page_enjeu(mediation, t["vivre"], [t["ateliers"], t["conseillers"]])
    data["services-0-DELETE"] = "on"  # « Ateliers », in an inline: saved after the enjeu itself
    response = admin_client.post(reverse("admin:atlaas_enjeu_change", args=[mediation.pk]), data)
    assert response.status_code == 302
    counts = comptes(client)
    assert counts["service"] == {"cafe": 1, "conseillers": 1}
    assert counts["enjeu"] == {"mediation": 1, "lien-social": 1}
    if connection.vendor == "postgresql":
        assert codes(both) == {
            "services": ids_de(t["cafe"]),
            "enjeux": ids_de(t["lien"]),
            "categories": ids_de(t["vivre"]),
        }


@POSTGRESQL
def test_the_index_command_rebuilds_the_codes(client, taxonomie):
    from django.core.management import call_command

    t = taxonomie
    fiche = publiee("Café et ateliers", services=[t["ateliers"], t["cafe"]])
    attendu = codes(fiche)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE atlaas_ficheaction SET {catalogue.TAXONOMIE} = NULL")
    call_command("index_atlaas", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert codes(fiche) == attendu
    assert comptes(client)["enjeu"] == {"mediation": 1, "lien-social": 1}


def test_the_first_ids_follow_the_order_of_the_results(client, taxonomie):
    """PostgreSQL reads them with the counts (from the index on the publication date for the
    whole Atlaas); they must be those of ``ids_ordonnes``, ties on the date by id."""
    t = taxonomie
    now = timezone.now()
    for n in range(30):
        publiee(
            f"Médiation {n}",
            services=[t["ateliers"] if n % 2 else t["cafe"]],
            published_at=now - datetime.timedelta(hours=n // 3),  # three by three at the same time
        )
    for filtres in ({}, {"q": "médiation"}, {"q": "médiation", "tri": "date"}, {"enjeu": t["lien"]}):
        attendu = catalogue.ids_ordonnes(catalogue.filtrer(filtres), filtres)
        cache.clear()
        assert [f.pk for f in catalogue.rechercher(filtres).fiches] == attendu[:20], filtres
        deuxieme = catalogue.rechercher(filtres, page=2)  # the last page when there is no second
        debut = (deuxieme.page - 1) * catalogue.PAR_PAGE
        assert [f.pk for f in deuxieme.fiches] == attendu[debut : debut + catalogue.PAR_PAGE], filtres


# --- Excerpts and suggestions ------------------------------------------------------------


def test_excerpts_highlight_the_words_searched_and_escape_the_rest(client):
    publiee("Des ateliers <script>", "Pour les seniors & leurs familles, à la médiathèque.")
    page = client.get(URL, {"q": "senior"}).content.decode()
    assert "Pour les <mark>seniors</mark> &amp; leurs familles" in page
    assert "<script>" not in page.split("<main", 1)[1].split("</main>", 1)[0]


def test_long_descriptions_are_cut_around_the_first_word_found():
    fiche = FicheAction(
        titre="Action", description=("Début du texte. " * 40) + "La fibre arrive. " + "Fin. " * 40
    )
    extrait = catalogue.extrait(fiche, "fibre")
    assert extrait.startswith("…") and extrait.endswith("…")
    assert "<mark>fibre</mark>" in extrait
    assert len(extrait) < catalogue.EXTRAIT + 40


@pytest.fixture
def mots(atlaas):
    """The golden set's words for the suggestions, as the beat's run builds them."""
    catalogue.vocabulaire(reconstruire=True)
    return atlaas


def test_a_query_that_finds_nothing_suggests_close_words(client, mots):
    response = client.get(URL, {"q": "mediaton numerik"})
    assert response.context["resultats"].total == 0
    assert response.context["suggestion"] == "médiation numérique"
    assert "Vouliez-vous dire" in response.content.decode()
    assert response.context["lien_suggestion"] == "?q=m%C3%A9diation+num%C3%A9rique"


def test_no_suggestion_when_nothing_close_is_known(client, mots):
    response = client.get(URL, {"q": "zzqxw"})
    assert response.context["suggestion"] is None
    assert "Aucune action ne correspond" in response.content.decode()


def test_a_search_never_reads_the_spelling_words_it_owes_a_worker_their_building_once(
    client, atlaas, monkeypatch
):
    """The words missing from the cache (Redis restarted): the searches answer without a
    suggestion and without reading the whole Atlaas; one owes a worker their building (the
    outbox: handed to the broker when it answers); the first search after its run suggests."""
    from atlaas import tasks
    from atlaas.catalogue import suggestions

    monkeypatch.setattr(suggestions, "_mots_publies", lambda using: pytest.fail("mots lus par une recherche"))
    for q in ("mediaton numerik", "mediaton numerik", "numerik"):
        response = client.get(URL, {"q": q})
        assert response.status_code == 200 and response.context["suggestion"] is None
    assert Envoi.objects.filter(task=suggestions.TACHE).count() == 1

    monkeypatch.undo()
    tasks.construire_vocabulaire()  # the worker's run
    assert client.get(URL, {"q": "mediaton numerik"}).context["suggestion"] == "médiation numérique"


# --- Bad input -----------------------------------------------------------------------------

BAD_QUERIES = [
    "",
    "a" * 10_000,
    "mot " * 3_000,
    "'; DROP TABLE atlaas_ficheaction; --",
    "1' OR '1'='1",
    "médiation & | ! ( ) <-> :* \\",
    'budget "participatif',
    '"""',
    "-",
    "- - -",
    "OR",
    "or or or",
    "NEAR(a b)",
    "titre:seniors",
    "*",
    "^seniors",
    "le la les de",
    "\x00\x01\x7f",
    "ǅ ﬁ 𝔪 🙂 中文",
    "%_%",
]


@pytest.mark.parametrize("q", BAD_QUERIES)
def test_any_query_string_gives_a_normal_page(client, atlaas, q):
    response = client.get(URL, {"q": q})
    assert response.status_code == 200


def test_unknown_facet_values_are_ignored_with_a_message(client, atlaas):
    response = client.get(
        URL,
        {
            "q": "seniors",
            "region": "99",
            "enjeu": "nope",
            "niveau": "9",
            "annee": "abc",
            "page": "x",
            "tri": "?",
        },
    )
    assert response.status_code == 200
    assert response.context["resultats"].total == 2
    assert "Filtre inconnu, ignoré" in response.content.decode()


def test_a_long_query_is_cut_and_says_so(client, atlaas):
    response = client.get(URL, {"q": "seniors " * 100})
    assert "200 premiers caractères" in response.content.decode()


def test_only_stop_words_shows_everything_and_says_why(client, atlaas):
    response = client.get(URL, {"q": "le la de"})
    assert response.context["resultats"].total == 7
    assert "trop courants" in response.content.decode()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=300), page=st.text(max_size=8), region=st.text(max_size=4))
def test_arbitrary_strings_never_break_the_search(client, atlaas, q, page, region):
    response = client.get(URL, {"q": q, "page": page, "region": region})
    assert response.status_code == 200


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_the_query_parser_only_emits_word_stems(q):
    for groupe in catalogue.analyser(q):
        for terme in groupe:
            assert terme.stems and all(francais.WORD.fullmatch(stem) for stem in terme.stems)


# --- Speed guards --------------------------------------------------------------------------


def _queries(client, params):
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, params).status_code == 200
    return len(queries)


GUARDED = [
    {},
    {"q": "médiation"},
    {"q": "médiation", "enjeu": "mediation", "type": "village"},
    {"tri": "date"},
]


def test_the_catalogue_runs_the_same_queries_for_1_and_15000_fiches(client):
    enjeu = EnjeuFactory(nom="Médiation", slug="mediation")
    service = ServiceFactory(enjeu=enjeu)
    village = CommuneFactory(population=800)
    publiee("Médiation numérique", services=[service], collectivite=village)
    one = [_queries(client, params) for params in GUARDED]

    now = timezone.now()
    fiches = FicheAction.objects.bulk_create(
        FicheAction(
            collectivite=village,
            titre=f"Médiation numérique n° {n}",
            description="Ateliers pour les habitants.",
            date_debut=datetime.date(2020 + n % 6, 1, 1),
            state=State.PUBLIEE,
            published_at=now,
        )
        for n in range(15_000)
    )
    FicheAction.services.through.objects.bulk_create(
        FicheAction.services.through(ficheaction_id=f.pk, service_id=service.pk) for f in fiches
    )
    catalogue.indexer()
    many = [_queries(client, params) for params in GUARDED]
    assert many == one
    assert max(one) <= 11  # a type's or a stratum's filter: one query lists its collectivités


@pytest.mark.parametrize("filtres", [{}, {"region": "76", "enjeu": "mediation"}])
def test_a_cached_search_costs_two_queries_per_page(client, atlaas, filtres):
    client.get(URL, {"q": "médiation OR budget", **filtres})
    with CaptureQueriesContext(connection) as queries:
        client.get(URL, {"q": "médiation OR budget", "page": "1", **filtres})
    # The page's fiches and their services, after the form's reading of each facet's value.
    assert len(queries) == 2 + len(filtres)


def test_all_the_actions_of_one_collectivite(client, atlaas):
    response = client.get(URL, {"collectivite": "93048"})
    assert [f.titre for f in response.context["resultats"].fiches] == ["Budget participatif en ligne"]
    assert response.context["actifs"]()[0]["libelle"] == "Montreuil (47)"
    assert "Collectivité\u00a0: Montreuil" in response.content.decode()


def test_the_index_command_rebuilds_the_search_index(client, atlaas):
    from django.core.management import call_command

    FicheAction.objects.update(titre="Renommée hors index")
    call_command("index_atlaas", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(titres(client, q="renommée")) == 7


def test_facet_names_follow_the_visitors_language(client, atlaas):
    client.get(URL)  # the referential's names are now in the cache
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    facettes = client.get(URL).context["resultats"].facettes
    assert [v.libelle for v in facettes["type"]] == ["Village (fewer than 3,000 inhabitants)", "Town"]
    assert facettes["strate"][0].libelle == "Under 3,000 inhabitants"
    assert facettes["niveau"][0].libelle == "@@@@ (level 4)"


def test_cached_facets_follow_a_publication(client, atlaas):
    assert "Cartographie" not in client.get(URL, {"q": "fibre"}).content.decode()
    fiche = FicheFactory(
        titre="Fibre et cartographie", state=State.SOUMISE, services=[ServiceFactory(nom="Cartographie")]
    )
    set_fiche_state(fiche, State.PUBLIEE, by=None)
    assert "Cartographie" in client.get(URL, {"q": "fibre"}).content.decode()


def test_links_never_carry_an_ignored_value(client, atlaas):
    first = client.get(URL, {"q": "seniors", "region": "zz", "junk": "1"}).content.decode()
    again = client.get(URL, {"q": "seniors"}).content.decode()
    for page in (first, again):
        catalogue_links = page.split('id="catalogue"', 1)[1].split("</main>", 1)[0]
        assert "region=zz" not in catalogue_links and "junk" not in catalogue_links


def test_a_publication_prepares_the_landing_page(client, atlaas, django_capture_on_commit_callbacks):
    fiche = FicheFactory(titre="Tiers-lieu numérique", state=State.SOUMISE)
    cache.delete("atlaas:preparer")  # the fixture's publications, a minute ago
    with django_capture_on_commit_callbacks(execute=True):
        set_fiche_state(fiche, State.PUBLIEE, by=None)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).context["resultats"].total == 8
    assert len(queries) == 2  # counts and ids were ready: only the page's fiches are read


def test_the_spelling_words_are_rebuilt_by_the_beat_task(atlaas):
    from atlaas.tasks import construire_vocabulaire

    assert "hameaux" in catalogue.vocabulaire()
    publiee("Visioconférence municipale")
    assert "visioconference" not in catalogue.vocabulaire()  # still the cached words
    construire_vocabulaire.delay()
    assert catalogue.vocabulaire()["visioconference"] == ("visioconférence", 1)


def test_staff_deleting_a_fiche_or_renaming_a_service_shows_at_once(client, atlaas, admin_client):
    assert client.get(URL).context["resultats"].total == 7
    fibre = atlaas["fibre"]
    assert (
        admin_client.post(
            reverse("admin:atlaas_ficheaction_delete", args=[fibre.pk]), {"post": "yes"}
        ).status_code
        == 302
    )
    assert client.get(URL).context["resultats"].total == 6

    inclusion = atlaas["seniors_titre"].services.get()
    response = admin_client.post(
        reverse("admin:atlaas_service_change", args=[inclusion.pk]),
        {
            "nom": "Inclusion numérique",
            "slug": inclusion.slug,
            "enjeu": inclusion.enjeu_id,
            "ordre": 0,
            "actif": "on",
        },
    )
    assert response.status_code == 302
    assert "Inclusion numérique" in [
        v.libelle for v in client.get(URL).context["resultats"].facettes["service"]
    ]


def test_words_with_accents_are_not_stop_words(client, atlaas):
    publiee("Animations numériques de l'été", "Chaque été, la même équipe anime la médiathèque.")
    assert titres(client, q="été") == ["Animations numériques de l'été"]
    assert titres(client, q="ete") == ["Animations numériques de l'été"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares with PostgreSQL's french_unaccent")
def test_python_and_postgresql_agree_on_stop_words_and_stems():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_tsvector('french_unaccent', %s)::text", [" ".join(sorted(francais.STOP_WORDS))]
        )
        assert cursor.fetchone()[0] == ""
        phrase = "Médiation numérique : écoles, élèves et seniors de l'été"
        cursor.execute(
            "SELECT array_agg(lexeme ORDER BY lexeme) FROM unnest(to_tsvector('french_unaccent', %s))",
            [phrase],
        )
        assert cursor.fetchone()[0] == sorted(set(francais.stems(phrase)))


def test_htmx_gets_only_the_results_with_their_title(client, atlaas):
    response = client.get(URL, {"q": "seniors"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "<html" not in page and 'id="catalogue"' in page
    assert "«\u00a0seniors\u00a0» dans l'Atlaas" in page
    assert "HX-Request" in response["Vary"]
    assert "<html" in client.get(URL, {"q": "seniors"}).content.decode()


def test_the_index_holds_exactly_the_published_fiches(atlaas):
    """The index's SQL and its copy's trigger repeat the rule of ``published()``: they must agree."""
    catalogue.indexer()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT id FROM atlaas_ficherecherche")  # what the search reads
        else:
            cursor.execute("SELECT rowid FROM atlaas_fiche_fts")
        indexed = {pk for (pk,) in cursor.fetchall()}
    assert indexed == set(FicheAction.objects.published().values_list("pk", flat=True))
    assert len(indexed) == 7


def copie_de_recherche():
    """The rows of the copy the search reads, and the same columns of the published fiches and
    of their collectivités."""
    colonnes = f"id, collectivite_id, published_at, date_debut, search_vector::text, {catalogue.TAXONOMIE}"
    fiche = ", ".join(f"f.{colonne}" for colonne in colonnes.split(", "))
    collectivite = "nature, population, niveau, departement_id, region_id"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {colonnes}, {collectivite} FROM atlaas_ficherecherche ORDER BY id")
        copie = cursor.fetchall()
        cursor.execute(
            f"SELECT {fiche}, {', '.join(f'c.{colonne}' for colonne in collectivite.split(', '))} "
            "FROM atlaas_ficheaction AS f JOIN atlaas_collectivite AS c ON c.id = f.collectivite_id "
            "WHERE f.state = 'publiee' AND f.revision_of_id IS NULL ORDER BY f.id"
        )
        return copie, cursor.fetchall()


@POSTGRESQL
def test_the_copy_the_search_reads_follows_every_write_of_the_fiches(client, atlaas, admin_client):
    def conforme():
        copie, publiees = copie_de_recherche()
        assert copie == publiees
        return {pk for pk, *_colonnes in copie}

    assert conforme() == ids_de(*atlaas.values())
    # Deleted: out of the copy, found no more.
    atlaas["wifi"].delete()
    assert atlaas["wifi"].pk not in conforme() and titres(client, q="wifi") == []
    # A revision published: the fiche's new words; the revision itself never enters the copy.
    revision = revision_for_edit(atlaas["fibre"], by=None)
    revision.titre = "Fibre optique et wifi dans les hameaux"
    revision.save()
    set_fiche_state(revision, State.SOUMISE, by=None)
    assert revision.pk not in conforme()
    set_fiche_state(revision, State.PUBLIEE, by=None)
    conforme()
    assert titres(client, q="wifi") == ["Fibre optique et wifi dans les hameaux"]
    # Moved to another collectivité, from an instance read before its indexing (its words unknown,
    # written empty): it keeps its row, listed, and is found again once indexed. Then unpublished
    # by a bulk update, and deleted in the admin.
    fiche = atlaas["budget"]
    fiche.collectivite = atlaas["seniors_titre"].collectivite
    fiche.save()
    assert fiche.pk in conforme() and "Budget participatif en ligne" in titres(client, type="village")
    catalogue.indexer([fiche.pk])
    assert titres(client, q="budget en ligne") == ["Budget participatif en ligne"]
    FicheAction.objects.filter(pk=atlaas["ecoles"].pk).update(state=State.BROUILLON)
    assert (
        admin_client.post(
            reverse("admin:atlaas_ficheaction_delete", args=[atlaas["seniors_corps"].pk]), {"post": "yes"}
        ).status_code
        == 302
    )
    assert conforme() == ids_de(
        atlaas["seniors_titre"], atlaas["budget"], atlaas["budget_separe"], atlaas["fibre"]
    )
    # Its collectivité's level, population and département changed by a bulk update (a palmarès'
    # publication, the yearly referential): its fiches' rows follow, and so do the counts.
    village = atlaas["seniors_titre"].collectivite
    avant = comptes(client)
    autre = DepartementFactory(code="2A", nom="Corse-du-Sud", region=village.region)
    Collectivite.objects.filter(pk=village.pk).update(niveau=5, population=3_100, departement=autre)
    conforme()
    catalogue.invalider(referentiel=True)  # a new département's name
    apres = comptes(client)
    assert apres["niveau"]["5"] == 2 and "4" not in apres["niveau"]
    assert apres["departement"]["2A"] == 2
    assert apres["type"].get("village", 0) == avant["type"]["village"] - 2
    assert apres["type"].get("ville", 0) == avant["type"].get("ville", 0) + 2
    # A save that changes none of the copied columns leaves its row as it was (a rewritten row
    # would have a new place, ctid, even within this test's transaction).
    with connection.cursor() as cursor:
        cursor.execute("SELECT ctid::text FROM atlaas_ficherecherche WHERE id = %s", [fiche.pk])
        avant = cursor.fetchone()
        FicheAction.objects.get(pk=fiche.pk).save()
        cursor.execute("SELECT ctid::text FROM atlaas_ficherecherche WHERE id = %s", [fiche.pk])
        assert cursor.fetchone() == avant
        catalogue.indexer([fiche.pk])
        cursor.execute("SELECT ctid::text FROM atlaas_ficherecherche WHERE id = %s", [fiche.pk])
        assert cursor.fetchone() == avant  # indexed again, the same words and codes


@POSTGRESQL
def test_the_index_command_repairs_the_copy_the_search_reads(atlaas):
    from django.core.management import call_command

    with connection.cursor() as cursor:  # as after a restore with the trigger disabled
        cursor.execute("DELETE FROM atlaas_ficherecherche WHERE id = %s", [atlaas["wifi"].pk])
        cursor.execute(
            "INSERT INTO atlaas_ficherecherche (id, collectivite_id, published_at, date_debut) "
            "SELECT id, collectivite_id, now(), date_debut FROM atlaas_ficheaction WHERE state <> 'publiee'"
        )
    call_command("index_atlaas", stdout=open("/dev/null", "w"))  # noqa: SIM115
    copie, publiees = copie_de_recherche()
    assert copie == publiees and len(copie) == 7


@POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_fiches_written_while_their_collectivite_changes_get_its_new_columns(atlaas):
    """A fiche written (or published) while its collectivité's change is not committed yet waits
    for it, then copies the new columns: not the old ones over the change's, not a row it missed."""
    fiche = atlaas["budget"]
    collectivite = fiche.collectivite

    def ecrire():
        try:
            FicheAction.objects.filter(pk=fiche.pk).update(date_debut=datetime.date(2023, 1, 1))
            publiee("Nouvelle action", collectivite=collectivite)
        finally:
            connections.close_all()

    with psycopg.connect(database_url()) as changement:
        changement.execute(
            "UPDATE atlaas_collectivite SET population = 123456 WHERE id = %s", [collectivite.pk]
        )
        ecrivain = threading.Thread(target=ecrire)
        ecrivain.start()
        ecrivain.join(timeout=1)
        assert ecrivain.is_alive()  # waits for the collectivité's change
        changement.commit()
    ecrivain.join(timeout=10)
    assert not ecrivain.is_alive()
    copie, publiees = copie_de_recherche()
    assert copie == publiees
    populations = FicheRecherche.objects.filter(collectivite=collectivite).values_list(
        "population", flat=True
    )
    assert set(populations) == {123456}
    assert len(populations) == FicheAction.objects.published().filter(collectivite=collectivite).count() > 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's settings")
@pytest.mark.django_db(transaction=True)
def test_the_facet_query_settings_last_for_its_own_transaction_only(atlaas):
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        avant = cursor.fetchone()
        with CaptureQueriesContext(connection) as requetes:
            catalogue.rechercher({"q": "médiation"})
        assert any("set_config" in requete["sql"] for requete in requetes.captured_queries)
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone() == avant


def test_long_facets_show_their_first_values_and_a_link_to_all(client):
    region = RegionFactory(code="84", nom="Auvergne-Rhône-Alpes")
    for n in range(12):
        departement = DepartementFactory(code=f"{n + 1:02}", nom=f"Département {n + 1}", region=region)
        for _ in range(n + 1):
            publiee(f"Action {n}", collectivite=CommuneFactory(departement=departement))

    def departements(**params):
        response = client.get(URL, params)
        bloc = next(f for f in response.context["facettes"]() if f["nom"] == "departement")
        return [ligne["libelle"] for ligne in bloc["lignes"]], bloc["toutes"]

    shown, toutes = departements()
    assert toutes == 12 and len(shown) == 8 and shown[0] == "Département 5 (05)"  # the 8 largest
    assert "Département 1 (01)" not in shown
    assert departements(voir="departement") == ([f"Département {n} ({n:02})" for n in range(1, 13)], 0)
    shown, _ = departements(departement="01")
    assert shown == ["Département 1 (01)"]  # the only one left, chosen
    page = client.get(URL).content.decode()
    assert 'href="?voir=departement#facette-departement"' in page
