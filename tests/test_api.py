"""The Atlaas's read-only JSON API (atlaas/views/api.py, atlaas/middleware.py) and its OpenAPI
document (atlaas/openapi.py); tests/test_openapi.py runs Schemathesis against the two."""

import datetime
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from atlaas import catalogue, forms
from atlaas import urls as atlaas_urls
from atlaas.forms import RechercheForm
from atlaas.models import Collectivite, FicheAction
from atlaas.openapi import document
from tests.factories import (
    CommuneFactory,
    DepartementFactory,
    EpciFactory,
    FicheFactory,
    RegionFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

State = FicheAction.State
SITE = "http://testserver"  # the links follow the request (Django's test client asks testserver)
DEBUT = timezone.make_aware(datetime.datetime(2026, 1, 10, 9, 0))


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://label.villes-internet.net"  # for e-mails and files, not the API


@pytest.fixture
def services(taxonomie):
    return taxonomie


@pytest.fixture
def agen():
    region = RegionFactory(code="75", nom="Nouvelle-Aquitaine")
    departement = DepartementFactory(code="47", nom="Lot-et-Garonne", region=region)
    return CommuneFactory(
        nom="Agen",
        code="47001",
        siren="214700015",
        codes_postaux="47000",
        population=32_801,
        departement=departement,
        niveau=4,
        niveau_millesime=2026,
    )


def publiee(jours=0, **kwargs):
    """A published fiche, ``jours`` days after DEBUT."""
    return FicheFactory(state=State.PUBLIEE, published_at=DEBUT + datetime.timedelta(days=jours), **kwargs)


def get_json(client, name, *args, **params):
    response = client.get(reverse(f"atlaas:{name}", args=args), params)
    return response, response.json()


# --- JSON API: fiches -----------------------------------------------------------------------------


def test_api_fiches_lists_results_with_their_collectivite_and_services(client, agen, services):
    fiche = publiee(
        collectivite=agen,
        titre="Démarches en ligne",
        sous_titre="Un guichet numérique",
        services=[services["demarches"]],
    )
    response, data = get_json(client, "api_fiches")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "Démarches" in response.content.decode()  # accents are not \u-escaped
    assert {k: data[k] for k in ("total", "page", "pages", "par_page", "suivante", "precedente")} == {
        "total": 1,
        "page": 1,
        "pages": 1,
        "par_page": 20,
        "suivante": None,
        "precedente": None,
    }
    assert data["resultats"] == [
        {
            "id": fiche.pk,
            "url": f"{SITE}/atlaas/fiches/{fiche.pk}/",
            "api_url": f"{SITE}/api/fiches/{fiche.pk}/",
            "titre": "Démarches en ligne",
            "resume": "Un guichet numérique",
            "collectivite": {
                "code": "47001",
                "nom": "Agen",
                "type": "ville",
                "departement": {"code": "47", "nom": "Lot-et-Garonne"},
                "region": {"code": "75", "nom": "Nouvelle-Aquitaine"},
                "niveau": 4,
                "url": f"{SITE}/collectivites/47001/",
                "api_url": f"{SITE}/api/collectivites/47001/",
            },
            "services": [
                {
                    "slug": "demarches",
                    "nom": "Dématérialisation des démarches",
                    "enjeu": {"slug": "services-publics", "nom": "Services publics"},
                    "categorie": {"slug": "democratie", "nom": "Démocratie et services publics"},
                }
            ],
            "date_debut": "2025-03-01",
            "date_fin": None,
            "en_cours": True,
            "publiee_le": fiche.published_at.astimezone(datetime.UTC).isoformat(),
        }
    ]


def test_api_fiches_filters_by_text_and_facets(client, agen, services):
    village = CommuneFactory(nom="Boé", population=900)
    publiee(collectivite=agen, titre="Guichet de démarches", services=[services["demarches"]])
    publiee(jours=1, collectivite=agen, titre="Ateliers seniors", services=[services["inclusion"]])
    publiee(jours=2, collectivite=village, titre="Démarches au village", services=[services["demarches"]])

    def titres(**params):
        response, data = get_json(client, "api_fiches", **params)
        assert response.status_code == 200, data
        return [r["titre"] for r in data["resultats"]]

    assert titres(q="guichet") == ["Guichet de démarches"]
    assert titres(service="demarches") == ["Démarches au village", "Guichet de démarches"]
    assert titres(service="demarches", type="ville") == ["Guichet de démarches"]
    assert titres(categorie="vivre-ensemble", departement="47") == ["Ateliers seniors"]
    assert titres(niveau="4", tri="date") == ["Ateliers seniors", "Guichet de démarches"]


def test_api_fiches_paginates_with_absolute_links(client, agen):
    for jours in range(5):
        publiee(jours=jours, collectivite=agen, titre=f"Action {jours}")
    _response, data = get_json(client, "api_fiches", par_page=2, page=2, tri="date")
    assert (data["total"], data["page"], data["pages"], data["par_page"]) == (5, 2, 3, 2)
    assert [r["titre"] for r in data["resultats"]] == ["Action 2", "Action 1"]
    assert data["suivante"] == f"{SITE}/api/fiches/?par_page=2&page=3&tri=date"
    assert data["precedente"] == f"{SITE}/api/fiches/?par_page=2&page=1&tri=date"
    _response, derniere = get_json(client, "api_fiches", par_page=2, page=3, tri="date")
    assert [r["titre"] for r in derniere["resultats"]] == ["Action 0"]
    assert derniere["suivante"] is None


@pytest.mark.parametrize(
    ("requete", "adresse"),
    [
        ({"HTTP_HOST": "127.0.0.1:8001"}, "http://127.0.0.1:8001"),  # embedded mode on another port
        ({"HTTP_HOST": "localhost:8000"}, "http://localhost:8000"),
        ({"HTTP_HOST": "label.villes-internet.net", "secure": True}, "https://label.villes-internet.net"),
        # Behind the TLS proxy of docs/deployment.md, which says https in X-Forwarded-Proto.
        (
            {"HTTP_HOST": "label.villes-internet.net", "HTTP_X_FORWARDED_PROTO": "https"},
            "https://label.villes-internet.net",
        ),
    ],
)
def test_api_links_follow_the_host_and_port_of_the_request(client, agen, settings, requete, adresse):
    """Not SITE_URL (http://127.0.0.1:8000 by default in embedded mode): the address the client
    reached, which ALLOWED_HOSTS vouches for."""
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "label.villes-internet.net"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    for jours in range(3):
        publiee(jours=jours, collectivite=agen)
    CommuneFactory(nom="Boé")
    data = client.get(reverse("atlaas:api_fiches"), {"par_page": 1, "page": 2}, **requete).json()
    assert data["suivante"] == f"{adresse}/api/fiches/?par_page=1&page=3"
    assert data["precedente"] == f"{adresse}/api/fiches/?par_page=1&page=1"
    fiche = data["resultats"][0]
    assert fiche["api_url"] == f"{adresse}/api/fiches/{fiche['id']}/"
    assert fiche["collectivite"]["url"] == f"{adresse}/collectivites/47001/"
    data = client.get(reverse("atlaas:api_collectivites"), {"par_page": 1}, **requete).json()
    assert data["suivante"] == f"{adresse}/api/collectivites/?par_page=1&page=2"
    assert client.get(reverse("atlaas:api_openapi"), **requete).json()["servers"] == [{"url": adresse}]


def test_api_refuses_a_host_outside_allowed_hosts_in_json(client, settings):
    """No link is ever built on a host the settings do not allow: 400 before any view."""
    settings.ALLOWED_HOSTS = ["label.villes-internet.net"]
    response = client.get(reverse("atlaas:api_fiches"), HTTP_HOST="pirate.example")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"erreur": "Requête invalide."}


@pytest.mark.parametrize(
    ("params", "nom", "message"),
    [
        ({"service": "inconnu"}, "service", "Sélectionnez un choix valide"),
        ({"type": "metropole"}, "type", "Sélectionnez un choix valide"),
        ({"page": "abc"}, "page", "Saisissez un nombre entier."),
        ({"page": "0"}, "page", "supérieure ou égale à 1"),
        ({"par_page": "1000"}, "par_page", "inférieure ou égale à 100"),
        ({"par_page": "0"}, "par_page", "supérieure ou égale à 1"),
        ({"annee": "abc"}, "annee", "Saisissez un nombre entier."),
        ({"niveau": "6"}, "niveau", "Sélectionnez un choix valide"),
    ],
)
def test_api_fiches_refuses_invalid_parameters_in_french(client, agen, params, nom, message):
    publiee(collectivite=agen)
    response, data = get_json(client, "api_fiches", **params)
    assert response.status_code == 400
    assert list(data) == ["erreurs"]
    assert list(data["erreurs"]) == [nom]
    assert message in data["erreurs"][nom][0]


def test_api_fiches_page_beyond_the_last_is_a_404(client, agen):
    """A valid number (the document cannot know how many pages there are) of a page that is not
    there: 404, as for a fiche; 400 is for what the document refuses."""
    for jours in range(3):
        publiee(jours=jours, collectivite=agen)
    response, data = get_json(client, "api_fiches", par_page=2, page=3)
    assert response.status_code == 404
    assert data == {"erreur": "La page 3 n'existe pas\u00a0: il y a 2 pages en tout."}
    response, data = get_json(client, "api_fiches", q="introuvable", page=2)
    assert data == {"erreur": "La page 2 n'existe pas\u00a0: il y a 1 page en tout."}
    response, data = get_json(client, "api_fiches", page=10**30)  # never sent to the database
    assert (response.status_code, data["erreur"]) == (
        404,
        f"La page {10**30} n'existe pas\u00a0: il y a 1 page en tout.",
    )


def test_api_fiches_empty_values_are_no_filter(client, agen, services):
    """What an HTML form sends for its fields left empty: the same answer as without them."""
    publiee(collectivite=agen, services=[services["demarches"]])
    vides = dict.fromkeys(forms.FichesForm.base_fields, "")
    response, data = get_json(client, "api_fiches", **vides)
    assert response.status_code == 200, data
    assert data["total"] == 1
    response, data = get_json(
        client, "api_collectivites", **dict.fromkeys(forms.CollectivitesForm.base_fields, "")
    )
    assert response.status_code == 200, data
    assert [c["code"] for c in data["resultats"]] == ["47001"]


def test_api_fiches_of_a_collectivite_unknown_is_a_404_and_of_a_malformed_code_a_400(client, agen):
    publiee(collectivite=agen, titre="À Agen")
    _response, data = get_json(client, "api_fiches", collectivite="47001")
    assert [r["titre"] for r in data["resultats"]] == ["À Agen"]
    response, data = get_json(client, "api_fiches", collectivite="47002")
    assert response.status_code == 404
    assert data == {"erreur": "Aucune collectivité ne porte ce code INSEE ou ce SIREN."}
    response, data = get_json(client, "api_fiches", collectivite=" 47001")
    assert response.status_code == 400
    assert data == {
        "erreurs": {"collectivite": ["Saisissez un code INSEE (5 caractères) ou un SIREN (9 chiffres)."]}
    }


def test_api_fiche_gives_public_fields_without_email_addresses(client, agen, services):
    fiche = publiee(
        collectivite=agen,
        titre="Espace public numérique",
        synthese="Un lieu ouvert à tous.",
        liens="https://www.agen.fr/epn\n\n  https://atlaas.fr/fiche  \n",
        public_cible="Tous publics",
        budget=12_000,
        services=[services["inclusion"]],
    )
    response, data = get_json(client, "api_fiche", fiche.pk)
    assert response.status_code == 200
    assert data["id"] == fiche.pk
    assert data["collectivite"]["nom"] == "Agen"
    assert data["services"][0]["slug"] == "inclusion"
    assert data["synthese"] == "Un lieu ouvert à tous."
    assert data["liens"] == ["https://www.agen.fr/epn", "https://atlaas.fr/fiche"]
    assert (data["public_cible"], data["budget"]) == ("Tous publics", 12_000)
    assert data["contacts"] == [{"nom": "Camille Martin", "fonction": "Chargée de mission"}]
    assert "@" not in response.content.decode()
    assert set(data) == {
        *get_json(client, "api_fiches")[1]["resultats"][0],
        "description",
        "synthese",
        "resultats",
        "recommandations",
        "outils",
        "partenaires",
        "liens",
        "public_cible",
        "budget",
        "contacts",
    }


def test_api_fiche_unknown_is_a_json_404(client):
    response, data = get_json(client, "api_fiche", 999_999)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert data == {"erreur": "Aucune fiche action publiée ne porte ce numéro."}
    response, data = get_json(client, "api_fiche", 2**70)  # past PostgreSQL's bigint
    assert (response.status_code, data) == (
        404,
        {"erreur": "Aucune fiche action publiée ne porte ce numéro."},
    )


INTROUVABLE = "Cette adresse n'existe pas dans l'API\u00a0: /api/ donne la liste de ses adresses."


@pytest.mark.parametrize(
    "url",
    [
        "/api/fiches/abc/",
        "/api/fiches/-1/",
        "/api/fiches/null%2Cnull/",
        "/api/fiches/1/contacts/",
        "/api/nulle-part/",
        "/api/collectivites/47001/fiches/",
        "/api/collectivites//",
    ],
)
def test_api_addresses_no_view_answers_are_json_404(client, url):
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response["Access-Control-Allow-Origin"] == "*"
        assert response.json() == {"erreur": INTROUVABLE}


@pytest.mark.parametrize("code", ["pas-un-code", "4700", "47001 ", "ag\x00en", "2C001"])
def test_api_collectivite_malformed_code_is_a_json_404_without_a_query(
    client, code, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get(f"/api/collectivites/{quote(code)}/")
    assert response.status_code == 404
    assert response.json() == {"erreur": "Aucune collectivité ne porte ce code INSEE ou ce SIREN."}


def test_api_keeps_the_portal_html_404_elsewhere(client):
    for url in ["/atlaas/fiches/abc/", "/nulle-part/", "/apis/"]:
        response = client.get(url)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html"), url
        assert "<html" in response.content.decode()


def test_api_server_error_is_a_json_500(agen, monkeypatch):
    def panne(*args, **kwargs):
        raise RuntimeError("panne")

    monkeypatch.setattr(catalogue, "rechercher", panne)
    client = Client(raise_request_exception=False)
    response = client.get(reverse("atlaas:api_fiches"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"erreur": "Erreur du serveur\u00a0: réessayez dans quelques instants."}


@pytest.mark.parametrize("name", ["api", "api_openapi", "api_fiches", "api_collectivites"])
def test_api_is_open_to_every_origin_and_cached(client, name):
    response = client.get(reverse(f"atlaas:{name}"))
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=300"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_api_is_read_only(method, agen):
    client = Client(enforce_csrf_checks=True)  # a POST without a token still gets its 405
    fiche = publiee(collectivite=agen)
    for url in [reverse("atlaas:api_fiches"), reverse("atlaas:api_fiche", args=[fiche.pk])]:
        response = getattr(client, method)(url)
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD"
        assert response["Access-Control-Allow-Origin"] == "*"
        assert response.json() == {"erreur": "Méthode non autorisée\u00a0: l'API est en lecture seule."}


def test_api_index_links_to_the_endpoints(client):
    response, data = get_json(client, "api")
    assert response.status_code == 200
    assert data["liens"] == {
        "fiches": f"{SITE}/api/fiches/",
        "collectivites": f"{SITE}/api/collectivites/",
        "openapi": f"{SITE}/api/openapi.json",
        "export_csv": f"{SITE}/atlaas/export.csv",
        "flux_atom": f"{SITE}/atlaas/flux.atom",
    }


def test_api_fiches_query_count_does_not_grow_with_fiches(client, agen, django_assert_num_queries):
    services = ServiceFactory.create_batch(3)
    publiee(collectivite=agen, services=services)
    url = reverse("atlaas:api_fiches")
    # service (form), counts and ids (one query on PostgreSQL, two on SQLite), fiches, services
    queries = 4 if connection.vendor == "postgresql" else 5
    with django_assert_num_queries(queries):
        response = client.get(url, {"service": services[0].slug})
    assert len(response.json()["resultats"]) == 1
    FicheFactory.create_batch(29, state=State.PUBLIEE, published_at=DEBUT, services=services)
    cache.clear()
    with django_assert_num_queries(queries):
        response = client.get(url, {"service": services[0].slug, "par_page": 100})
    assert len(response.json()["resultats"]) == 30


# --- JSON API: collectivités ----------------------------------------------------------------------


@pytest.fixture
def territoire(agen):
    """Agen, its agglomération, another member, a village elsewhere, an inactive commune."""
    epci = EpciFactory(
        nom="Agglomération d'Agen", code="200035459", siren="200035459", population=100_000, niveau=5
    )
    Collectivite.objects.filter(pk=agen.pk).update(epci=epci)
    boe = CommuneFactory(nom="Boé", code="47031", codes_postaux="47550", population=5_800, epci=epci)
    gironde = DepartementFactory(code="33", nom="Gironde", region=agen.region)
    landes = DepartementFactory(
        code="40", nom="Landes", region=RegionFactory(code="76", nom="Occitanie (pour le test)")
    )
    village = CommuneFactory(nom="Saint-Agnet", code="40250", population=350, departement=landes)
    CommuneFactory(nom="Agen-Ancienne", code="47999", active=False, epci=epci)
    publiee(collectivite=epci)
    publiee(collectivite=epci)
    return {"agen": agen, "epci": epci, "boe": boe, "village": village, "gironde": gironde}


def codes(client, **params):
    response, data = get_json(client, "api_collectivites", **params)
    assert response.status_code == 200, data
    return [c["code"] for c in data["resultats"]]


def test_api_collectivites_finds_a_name_with_a_ligature_typed_with_oe(client):
    CommuneFactory(nom="Vandœuvre-lès-Nancy", code="54547")
    CommuneFactory(nom="Marcq-en-Barœul", code="59378")
    for q in ["Vandoeuvre", "vandœuvre-lès-nancy", "VANDOEUVRE LES NANCY"]:
        assert codes(client, q=q) == ["54547"], q
    assert codes(client, q="marcq en baroeul") == ["59378"]


def test_api_collectivites_filters_the_active_referential(client, territoire):
    assert codes(client) == ["47001", "200035459", "47031", "40250"]  # by name, actives only
    assert codes(client, q="agen") == ["47001", "200035459"]  # exact name first
    assert codes(client, q="47031") == ["47031"]
    assert codes(client, q="47550") == ["47031"]  # a postcode
    assert codes(client, q="214700015") == ["47001"]  # a commune's SIREN
    assert codes(client, q="saint agnet") == ["40250"]
    assert codes(client, q="St-Agnet") == ["40250"]
    assert codes(client, type="territoire") == ["200035459"]
    assert codes(client, type="village") == ["40250"]
    assert codes(client, type="ville", departement="47") == ["47001", "47031"]
    assert codes(client, region="76") == ["40250"]
    assert codes(client, niveau="5") == ["200035459"]
    assert codes(client, departement="33") == []


def test_api_type_village_follows_the_portal_threshold_which_the_schema_states(client, territoire, settings):
    """The API knows no edition: a village is a commune under settings.SEUIL_VILLAGE."""
    doc = document(SITE)
    parametres = doc["paths"]["/api/collectivites/"]["get"]["parameters"]
    description = next(p["description"] for p in parametres if p["name"] == "type")
    assert "village (commune de moins de 3000 habitants, seuil du portail" in description
    assert doc["components"]["schemas"]["Collectivite"]["properties"]["type"]["description"] == description

    settings.SEUIL_VILLAGE = 6_000  # Boé has 5,800 inhabitants
    assert codes(client, type="village") == ["47031", "40250"]
    _response, data = get_json(client, "api_collectivite", "47031")
    assert data["type"] == "village"
    fiches = document(SITE)["paths"]["/api/fiches/"]["get"]["parameters"]
    assert "moins de 6000 habitants" in next(p["description"] for p in fiches if p["name"] == "type")


def test_api_collectivites_items(client, territoire):
    _response, data = get_json(client, "api_collectivites", q="agen")
    agen, epci = data["resultats"]
    assert agen == {
        "code": "47001",
        "siren": "214700015",
        "nom": "Agen",
        "nature": "commune",
        "type": "ville",
        "type_epci": "",
        "departement": {"code": "47", "nom": "Lot-et-Garonne"},
        "region": {"code": "75", "nom": "Nouvelle-Aquitaine"},
        "population": 32_801,
        "niveau": 4,
        "niveau_millesime": 2026,
        "epci": "200035459",
        "active": True,
        "url": f"{SITE}/collectivites/47001/",
        "api_url": f"{SITE}/api/collectivites/47001/",
        "fiches_publiees": 0,
    }
    assert (epci["type"], epci["type_epci"], epci["epci"], epci["fiches_publiees"]) == (
        "territoire",
        "CA",
        None,
        2,
    )


def test_api_collectivites_paginates(client, territoire):
    _response, data = get_json(client, "api_collectivites", par_page=3, page=2)
    assert (data["total"], data["pages"], [c["code"] for c in data["resultats"]]) == (4, 2, ["40250"])
    assert data["precedente"] == f"{SITE}/api/collectivites/?par_page=3&page=1"
    assert data["suivante"] is None
    response, data = get_json(client, "api_collectivites", par_page=3, page=3)
    assert response.status_code == 404
    assert data == {"erreur": "La page 3 n'existe pas\u00a0: il y a 2 pages en tout."}


@pytest.mark.parametrize(
    ("params", "nom", "message"),
    [
        ({"type": "metropole"}, "type", "Sélectionnez un choix valide"),
        ({"departement": "99"}, "departement", "Sélectionnez un choix valide"),
        ({"region": "99"}, "region", "Sélectionnez un choix valide"),
        ({"niveau": "0"}, "niveau", "Sélectionnez un choix valide"),
        ({"q": "a"}, "q", "au moins 2 caractères"),
        ({"q": " "}, "q", "au moins 2 caractères"),
        ({"q": "a" * 201}, "q", "au plus 200 caractères"),
        ({"q": "ag\x00en"}, "q", "caractère nul"),
        ({"page": "abc"}, "page", "Saisissez un nombre entier."),
        ({"par_page": "101"}, "par_page", "inférieure ou égale à 100"),
    ],
)
def test_api_collectivites_refuses_invalid_parameters_in_french(client, agen, params, nom, message):
    response, data = get_json(client, "api_collectivites", **params)
    assert response.status_code == 400
    assert list(data["erreurs"]) == [nom]
    assert message in data["erreurs"][nom][0]


def test_api_collectivite_gives_an_epci_with_its_members(client, territoire):
    response, data = get_json(client, "api_collectivite", "200035459")
    assert response.status_code == 200
    assert (data["nom"], data["fiches_publiees"]) == ("Agglomération d'Agen", 2)
    assert data["membres"] == ["47001", "47031"]  # active members only
    _response, commune = get_json(client, "api_collectivite", "47001")
    assert (commune["epci"], commune["api_url"]) == ("200035459", f"{SITE}/api/collectivites/47001/")
    assert "membres" not in commune


def test_api_collectivite_unknown_is_a_json_404(client):
    response, data = get_json(client, "api_collectivite", "99999")
    assert response.status_code == 404
    assert data == {"erreur": "Aucune collectivité ne porte ce code INSEE ou ce SIREN."}


def test_api_collectivites_query_count_does_not_grow_with_items(client, agen, django_assert_num_queries):
    publiee(collectivite=agen)
    url = reverse("atlaas:api_collectivites")
    with django_assert_num_queries(3):  # département (form), count, page with its fiches counted
        assert len(client.get(url, {"departement": "47"}).json()["resultats"]) == 1
    for commune in CommuneFactory.create_batch(29, epci=EpciFactory()):
        publiee(collectivite=commune)
    with django_assert_num_queries(3):
        resultats = client.get(url, {"departement": "47", "par_page": 100}).json()["resultats"]
    assert len(resultats) == 31
    assert sum(c["fiches_publiees"] for c in resultats) == 30


# --- OpenAPI --------------------------------------------------------------------------------------


def _api_paths():
    """The /api/ URL patterns of atlaas/urls.py, written as OpenAPI paths."""
    paths = []
    for pattern in atlaas_urls.urlpatterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLPattern) and route.startswith("api/"):
            for converter in ("int:", "str:"):
                route = route.replace(f"<{converter}", "{")
            paths.append("/" + route.replace(">", "}"))
    return paths


def test_openapi_documents_every_api_url(client):
    response, doc = get_json(client, "api_openapi")
    assert response.status_code == 200
    assert doc["openapi"].startswith("3.1")
    assert doc["servers"] == [{"url": SITE}]
    assert len(_api_paths()) == 6
    assert sorted(doc["paths"]) == sorted(_api_paths())
    for path, operations in doc["paths"].items():
        assert list(operations) == ["get"], path
        names = {p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "path"}
        assert names == set(path.replace("}", "{").split("{")[1::2]), path
        reponses = operations["get"]["responses"]
        assert {"200", "405", "500"} <= set(reponses), path  # every error is JSON, 500 too
        if path in ("/api/fiches/", "/api/collectivites/"):  # parameters; a page past the last
            assert {"400", "404"} <= set(reponses), path
        elif "{" in path:
            assert "404" in reponses and "400" not in reponses, path
        for statut, reponse in reponses.items():
            schema = reponse["content"]["application/json"]["schema"]
            if statut == "400":
                assert schema == {"$ref": "#/components/schemas/ErreursParametres"}
            elif statut != "200":
                assert schema == {"$ref": "#/components/schemas/Erreur"}, (path, statut)


def _parametres(doc, path):
    return {p["name"]: p["schema"] for p in doc["paths"][path]["get"]["parameters"]}


def test_openapi_parameters_are_the_forms_fields():
    doc = document(SITE)
    fiches = _parametres(doc, "/api/fiches/")
    assert list(fiches) == [*RechercheForm.base_fields, "par_page"]
    assert list(fiches) == list(forms.FichesForm.base_fields)
    # An empty value is no filter: it is in each enum (an HTML form sends type= for « all »).
    assert fiches["type"]["enum"] == ["", "village", "ville", "territoire"]
    assert fiches["strate"]["enum"] == ["", *catalogue.STRATES]
    assert fiches["tri"]["enum"] == ["", "pertinence", "date"]
    assert fiches["niveau"] == {"type": "integer", "enum": [1, 2, 3, 4, 5]}
    assert fiches["par_page"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": forms.PAR_PAGE_MAX,
        "default": 20,
    }
    assert fiches["page"] == {"type": "integer", "minimum": 1, "default": 1}
    assert fiches["q"] == {"type": "string", "pattern": "^[^\\u0000]*$"}  # any length: cut at 200
    assert fiches["collectivite"] == {"type": "string", "pattern": "^(?:[0-9][0-9AB][0-9]{3}|[0-9]{9})?$"}
    collectivites = _parametres(doc, "/api/collectivites/")
    assert list(collectivites) == list(forms.CollectivitesForm.base_fields)
    assert collectivites["par_page"]["maximum"] == forms.PAR_PAGE_MAX
    assert collectivites["q"] == {
        "type": "string",
        "pattern": "^[^\\u0000]*$",
        "maxLength": 200,
        "anyOf": [{"maxLength": 0}, {"minLength": 2}],
    }


def test_openapi_lists_the_codes_and_slugs_of_the_referential(territoire, services):
    """A valid departement is one of the database's: the document says which (a schema-valid
    request is accepted), with the empty value."""
    fiches = _parametres(document(SITE), "/api/fiches/")
    assert fiches["departement"] == {"type": "string", "enum": ["", "33", "40", "47"]}
    assert fiches["region"]["enum"] == ["", "75", "76"]
    for nom, slugs in [
        ("categorie", {"democratie", "vivre-ensemble"}),
        ("enjeu", {"mediation", "services-publics"}),
        ("service", {"demarches", "inclusion"}),
    ]:
        assert fiches[nom]["enum"][0] == ""
        assert slugs <= set(fiches[nom]["enum"])
        assert fiches[nom]["enum"][1:] == sorted(fiches[nom]["enum"][1:])
    assert _parametres(document(SITE), "/api/collectivites/")["departement"]["enum"] == ["", "33", "40", "47"]


def _resolu(doc, schema):
    if "$ref" in schema:
        return doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _resolu(doc, schema):
    if "$ref" in schema:
        return doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _conforme(doc, schema, valeur, ou="$"):
    """A small check of ``valeur`` against the document's ``schema``: references, objects with
    exactly their required properties, arrays, null alternatives, enums and types."""
    schema = _resolu(doc, schema)
    if "allOf" in schema:
        parties = [_resolu(doc, partie) for partie in schema["allOf"]]
        schema = {
            "type": "object",
            "properties": {cle: sous for p in parties for cle, sous in p["properties"].items()},
            "required": [cle for p in parties for cle in p.get("required", [])],
        }
    if "oneOf" in schema:
        if valeur is None:
            return
        schema = next(s for s in schema["oneOf"] if s.get("type") != "null")
    types = {"object": dict, "array": list, "string": str, "integer": int, "boolean": bool}
    assert isinstance(valeur, types[schema["type"]]), ou
    if "enum" in schema:
        assert valeur in schema["enum"], ou
    if schema["type"] == "object" and "properties" in schema:
        assert set(valeur) <= set(schema["properties"]), ou
        assert set(schema.get("required", schema["properties"])) <= set(valeur), ou
        for cle, sous_valeur in valeur.items():
            _conforme(doc, schema["properties"][cle], sous_valeur, f"{ou}.{cle}")
    if schema["type"] == "array":
        for i, element in enumerate(valeur):
            _conforme(doc, schema["items"], element, f"{ou}[{i}]")


def test_openapi_schemas_describe_the_responses(client, territoire, services):
    fiche = publiee(collectivite=territoire["agen"], services=[services["inclusion"]], budget=900)
    doc = document(SITE)

    def verifie(path, name, *args, statut=200, **params):
        response, data = get_json(client, name, *args, **params)
        assert response.status_code == statut
        reponse = doc["paths"][path]["get"]["responses"][str(statut)]
        _conforme(doc, reponse["content"]["application/json"]["schema"], data)

    verifie("/api/", "api")
    verifie("/api/fiches/", "api_fiches")
    verifie("/api/fiches/", "api_fiches", statut=400, page="abc")
    verifie("/api/fiches/{pk}/", "api_fiche", fiche.pk)
    verifie("/api/fiches/{pk}/", "api_fiche", 999_999, statut=404)
    verifie("/api/collectivites/", "api_collectivites")
    verifie("/api/collectivites/", "api_collectivites", statut=400, niveau="9")
    verifie("/api/collectivites/{code}/", "api_collectivite", "200035459")
    verifie("/api/collectivites/{code}/", "api_collectivite", "47001")
    verifie("/api/collectivites/{code}/", "api_collectivite", "00000", statut=404)
    verifie("/api/fiches/", "api_fiches", statut=404, page="9")
    verifie("/api/fiches/", "api_fiches", statut=404, collectivite="00000")
    verifie("/api/fiches/", "api_fiches", statut=400, collectivite="Agen")
    verifie("/api/collectivites/", "api_collectivites", statut=404, page="9")
    verifie("/api/collectivites/", "api_collectivites", statut=400, q="a")
    response = client.get("/api/fiches/abc/")  # no view: the middleware's answer
    _conforme(
        doc,
        doc["paths"]["/api/fiches/{pk}/"]["get"]["responses"]["404"]["content"]["application/json"]["schema"],
        response.json(),
    )
