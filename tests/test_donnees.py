"""Data out of the Atlaas: the CSV exports (the full file written in the background, a search's
bounded), the JSON API and its OpenAPI document, the Atom feed."""

import csv
import datetime
import html
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import F
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import formats, timezone
from django.utils.http import http_date

from atlaas import catalogue
from atlaas import urls as atlaas_urls
from atlaas.forms import RechercheForm
from atlaas.models import Collectivite, ExportCatalogue, FicheAction
from atlaas.openapi import document
from atlaas.views import donnees
from atlaas.workflow import revision_for_edit, set_fiche_state
from outbox.models import Envoi
from tests.factories import (
    CommuneFactory,
    DepartementFactory,
    EpciFactory,
    FicheFactory,
    RegionFactory,
    ServiceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

State = FicheAction.State
SITE = "https://label.villes-internet.net"
ATOM = "{http://www.w3.org/2005/Atom}"
DEBUT = timezone.make_aware(datetime.datetime(2026, 1, 10, 9, 0))


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


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


@pytest.fixture
def cachees(agen):
    """What is never public: a draft, a submitted fiche, a sent-back one, a pending revision."""
    visible = publiee(collectivite=agen, titre="Fiche publique")
    revision = revision_for_edit(visible, UserFactory())
    revision.titre = "Révision en attente"
    revision.state = State.SOUMISE
    revision.save()
    return [
        FicheFactory(collectivite=agen, titre="Brouillon caché", state=State.BROUILLON),
        FicheFactory(collectivite=agen, titre="Soumise cachée", state=State.SOUMISE),
        FicheFactory(collectivite=agen, titre="À corriger cachée", state=State.A_CORRIGER),
        revision,
    ]


def lire_csv(response):
    contenu = b"".join(response.streaming_content).decode("utf-8")
    assert contenu.startswith("\ufeff")
    return list(csv.reader(io.StringIO(contenu[1:]), delimiter=";"))


def complet(client, **headers):
    """The full export, its file written first as the beat's run does."""
    catalogue.export.exporter()
    return client.get(reverse("atlaas:catalogue_csv"), **headers)


def get_json(client, name, *args, **params):
    response = client.get(reverse(f"atlaas:{name}", args=args), params)
    return response, response.json()


def texte(response):
    """The page's text with its spaces collapsed, its no-break spaces kept."""
    return re.sub(r"[ \t\r\n]+", " ", response.content.decode())


# --- CSV ------------------------------------------------------------------------------------------


def test_export_csv_lists_published_fiches_with_french_headers(client, agen, services, cachees):
    epci = EpciFactory(nom="Agglomération d'Agen", code="200035459", population=100_000)
    publiee(
        jours=2,
        collectivite=epci,
        titre="Médiathèque numérique",
        sous_titre="Prêt de liseuses à domicile",
        services=[services["inclusion"], services["demarches"]],
        date_debut=datetime.date(2024, 9, 1),
        date_fin=datetime.date(2025, 6, 30),
        en_cours=False,
    )
    response = complet(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    moment = timezone.localtime(ExportCatalogue.objects.get().genere_at)
    nom = f"atlaas-complet-{moment:%Y-%m-%d-%Hh%M}.csv"
    assert response["Content-Disposition"] == f'attachment; filename="{nom}"'
    lignes = lire_csv(response)
    assert lignes[0] == catalogue.export.COLONNES
    assert lignes[0][:4] == ["identifiant", "adresse", "titre", "résumé"]
    assert [ligne[2] for ligne in lignes[1:]] == ["Médiathèque numérique", "Fiche publique"]
    premiere = dict(zip(lignes[0], lignes[1], strict=True))
    fiche = FicheAction.objects.get(titre="Médiathèque numérique")
    assert premiere == {
        "identifiant": str(fiche.pk),
        "adresse": f"{SITE}/atlaas/fiches/{fiche.pk}/",
        "titre": "Médiathèque numérique",
        "résumé": "Prêt de liseuses à domicile",
        "collectivité": "Agglomération d'Agen",
        "code": "200035459",
        "type": "territoire",
        "département": "Lot-et-Garonne (47)",
        "région": "Nouvelle-Aquitaine",
        "niveau": "",
        "catégories": "Démocratie et services publics | Vivre ensemble",
        "enjeux": "Services publics | Médiation",
        "services": "Dématérialisation des démarches | Inclusion numérique",
        "début": "2024-09-01",
        "fin": "2025-06-30",
        "en cours": "non",
        "publiée le": timezone.localtime(fiche.published_at).strftime("%Y-%m-%d %H:%M"),
    }
    agen_ligne = dict(zip(lignes[0], lignes[2], strict=True))
    assert (agen_ligne["type"], agen_ligne["niveau"], agen_ligne["en cours"]) == ("ville", "4", "oui")
    # A search's export writes the same lines.
    filtree = client.get(reverse("atlaas:catalogue_csv"), {"departement": "47"})
    today = timezone.localdate().isoformat()
    assert filtree["Content-Disposition"] == f'attachment; filename="atlaas-{today}.csv"'
    assert lire_csv(filtree) == lignes


def test_export_csv_neutralises_spreadsheet_formulas(client, agen):
    publiee(
        collectivite=agen, titre='=HYPERLINK("http://pirate.example","clic")', sous_titre="+33 5 53 69 47 47"
    )
    publiee(jours=1, collectivite=agen, titre="-2+3", sous_titre="@SUM(A1:A2)")
    lignes = lire_csv(complet(client))
    assert [(ligne[2], ligne[3]) for ligne in lignes[1:]] == [
        ("'-2+3", "'@SUM(A1:A2)"),
        ('\'=HYPERLINK("http://pirate.example","clic")', "'+33 5 53 69 47 47"),
    ]


def test_export_csv_filters_like_the_catalogue(client, agen, services):
    publiee(collectivite=agen, titre="Démarches en ligne", services=[services["demarches"]])
    publiee(jours=1, collectivite=agen, titre="Ateliers seniors", services=[services["inclusion"]])
    url = reverse("atlaas:catalogue_csv")
    lignes = lire_csv(client.get(url, {"service": "demarches", "page": "3"}))  # every page
    assert [ligne[2] for ligne in lignes[1:]] == ["Démarches en ligne"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"service": "inconnu"},
            "Service\u00a0: Sélectionnez un choix valide. Ce choix ne fait pas partie de ceux disponibles.",
        ),
        ({"niveau": "9", "type": "ville"}, "Niveau du label\u00a0: Sélectionnez un choix valide."),
        ({"annee": "deux-mille"}, "Année de lancement\u00a0: Saisissez un nombre entier."),
        ({"page": "abc", "type": "ville"}, "Page\u00a0: Saisissez un nombre entier."),
        (
            {"q": "%"},
            "Rechercher\u00a0: «\u00a0%\u00a0» ne contient aucun mot à chercher\u00a0: saisissez un mot, "
            "ou retirez la recherche pour télécharger l'export complet.",
        ),
        ({"q": "et ou", "type": "ville"}, "ne contient aucun mot à chercher"),
    ],
)
def test_export_csv_refuses_an_invalid_filter_with_its_message(client, agen, params, message):
    publiee(collectivite=agen)
    response = client.get(reverse("atlaas:catalogue_csv"), params)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    contenu = response.content.decode()
    assert contenu.startswith("Export impossible\u00a0: un filtre n'est pas valide.\n")
    assert message in contenu


def test_export_csv_follows_the_catalogue_order_for_a_text_query(client, agen):
    # Newest first would give the body match first; relevance puts the title match first.
    publiee(jours=1, collectivite=agen, titre="Cybersécurité des services municipaux")
    publiee(
        jours=5,
        collectivite=agen,
        titre="Ateliers du mercredi",
        description="Sensibilisation des agents à la cybersécurité et aux mots de passe.",
    )
    publiee(jours=9, collectivite=agen, titre="Budget participatif")
    filtres = {"q": "cybersécurité"}
    attendu = [f.titre for f in catalogue.rechercher(filtres).fiches]
    assert attendu == ["Cybersécurité des services municipaux", "Ateliers du mercredi"]
    lignes = lire_csv(client.get(reverse("atlaas:catalogue_csv"), filtres))
    assert [ligne[2] for ligne in lignes[1:]] == attendu
    _response, data = get_json(client, "api_fiches", **filtres)
    assert [r["titre"] for r in data["resultats"]] == attendu


def test_export_csv_query_count_grows_with_chunks_not_rows(
    client, agen, monkeypatch, django_assert_num_queries
):
    services = ServiceFactory.create_batch(3)
    publiee(collectivite=agen, services=services)
    url = reverse("atlaas:catalogue_csv")
    filtre = {"type": "ville"}
    # ids, then fiches with their collectivité and their services: two queries per chunk
    with django_assert_num_queries(3):
        assert len(lire_csv(client.get(url, filtre))) == 2
    FicheFactory.create_batch(
        29, collectivite=agen, state=State.PUBLIEE, published_at=DEBUT, services=services
    )
    with django_assert_num_queries(3):
        assert len(lire_csv(client.get(url, filtre))) == 31
    monkeypatch.setattr(catalogue.export, "MORCEAU", 10)
    with django_assert_num_queries(1 + 2 * 3):
        assert len(lire_csv(client.get(url, filtre))) == 31
    # The full file: its row, whatever its size.
    catalogue.export.exporter()
    with django_assert_num_queries(1):
        assert len(lire_csv(client.get(url))) == 31


def test_export_csv_of_a_search_stops_at_its_maximum_and_says_so(client, agen, monkeypatch):
    monkeypatch.setattr(catalogue.export, "LIGNES_MAX", 2)
    for jours in range(3):
        publiee(jours=jours, collectivite=agen, titre=f"Action {jours}")
    url = reverse("atlaas:catalogue_csv")
    response = client.get(url, {"type": "ville"})
    assert response["X-Export-Tronque"] == "2"
    lignes = lire_csv(response)
    assert [ligne[2] for ligne in lignes[1:3]] == ["Action 2", "Action 1"]
    assert lignes[3] == [
        "# Export limité aux 2 premières actions\u00a0: affinez la recherche, ou téléchargez "
        f"l'export complet de l'Atlaas ({SITE}/atlaas/export.csv)."
    ]
    assert len(lignes) == 4
    # Within the maximum, nothing is said.
    response = client.get(url, {"type": "ville", "annee": DEBUT.year + 1})
    assert "X-Export-Tronque" not in response
    assert len(lire_csv(response)) == 1
    # The catalogue's page says it next to the link.
    page = texte(client.get(reverse("atlaas:catalogue"), {"type": "ville"}))
    assert "(les 2 premiers seulement\u00a0: affinez la recherche, ou prenez l'export complet)" in page


def test_export_csv_of_searches_is_limited_per_client_ip(client, agen, monkeypatch):
    monkeypatch.setattr(donnees, "EXPORTS_PAR_HEURE", 2)
    publiee(collectivite=agen)
    catalogue.export.exporter()
    url = reverse("atlaas:catalogue_csv")
    for _ in range(2):
        assert client.get(url, {"type": "ville"}).status_code == 200
    response = client.get(url, {"type": "village"})
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert response.content.decode() == (
        "Trop d'exports filtrés depuis votre adresse en une heure\u00a0: réessayez plus tard, "
        "ou téléchargez l'export complet de l'Atlaas, qui n'est pas limité.\n"
    )
    assert client.get(url, {"type": "ville"}, REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get(url).status_code == 200  # the full file is not counted
    assert client.get(url, {"service": "inconnu"}).status_code == 400  # nor are refused filters


# --- The full export, written in the background ----------------------------------------------------


def soumise(**kwargs):
    return FicheFactory(state=State.SOUMISE, **kwargs)


def publier(fiche, capture):
    with capture(execute=True):  # after commit: the outbox runs its tasks (eager mode)
        set_fiche_state(fiche, State.PUBLIEE, by=None)


def test_full_export_is_written_after_a_publication_and_served_with_its_date(
    client, agen, django_capture_on_commit_callbacks
):
    url = reverse("atlaas:catalogue_csv")
    response = client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "120"
    assert "L'export complet de l'Atlaas est en cours de préparation" in texte(response)
    assert "Export complet de l'Atlaas\u00a0: en préparation" in texte(
        client.get(reverse("atlaas:catalogue"))
    )

    publier(soumise(collectivite=agen, titre="Tiers-lieu numérique"), django_capture_on_commit_callbacks)
    [envoi] = Envoi.objects.filter(key__startswith="atlaas:export:")
    assert envoi.state == Envoi.State.FAIT
    export = ExportCatalogue.objects.get()
    assert (export.lignes, export.changements_lus) == (1, export.changements)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Last-Modified"] == http_date(export.genere_at.timestamp())
    assert response["Cache-Control"] == "public, max-age=300"
    assert [ligne[2] for ligne in lire_csv(response)[1:]] == ["Tiers-lieu numérique"]
    moment = timezone.localtime(export.genere_at)
    page = texte(client.get(reverse("atlaas:catalogue")))
    date = formats.date_format(moment, "j F Y")
    assert f"download>Export complet du {date} à {moment:%Hh%M}</a> (CSV, 1 action, " in page


def test_full_export_is_revalidated_by_its_etag_and_date(client, agen, django_assert_num_queries):
    publiee(collectivite=agen)
    response = complet(client)
    etag, modifie = response["ETag"], response["Last-Modified"]
    url = reverse("atlaas:catalogue_csv")
    with django_assert_num_queries(1):
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modifie).status_code == 304
    assert client.head(url).status_code == 200
    # A new file, a new ETag.
    ExportCatalogue.objects.update(changements=F("changements") + 1)
    catalogue.export.exporter(now=timezone.now() + catalogue.export.INTERVALLE)
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_full_export_is_written_once_for_a_burst_of_publications(
    client, agen, django_capture_on_commit_callbacks
):
    publier(soumise(collectivite=agen, titre="Première"), django_capture_on_commit_callbacks)
    premier = ExportCatalogue.objects.get()
    for n in range(3):
        publier(soumise(collectivite=agen, titre=f"Suivante {n}"), django_capture_on_commit_callbacks)
    # Within a minute of the first: its file stays, out of date, whatever the outbox hands.
    export = ExportCatalogue.objects.get()
    assert (export.fichier.name, export.genere_at) == (premier.fichier.name, premier.genere_at)
    assert export.changements > export.changements_lus
    assert Envoi.objects.filter(key__startswith="atlaas:export:").count() <= 2  # one key a minute
    # The beat's run, a minute later, writes it once for the whole burst.
    plus_tard = timezone.now() + catalogue.export.INTERVALLE
    assert catalogue.export.exporter(now=plus_tard) is True
    assert catalogue.export.exporter(now=plus_tard + catalogue.export.INTERVALLE) is False  # nothing new
    export = ExportCatalogue.objects.get()
    assert export.lignes == 4
    assert export.fichier.name != premier.fichier.name
    assert not default_storage.exists(premier.fichier.name)  # the previous file is gone
    titres = [ligne[2] for ligne in lire_csv(client.get(reverse("atlaas:catalogue_csv")))[1:]]
    assert sorted(titres) == ["Première", "Suivante 0", "Suivante 1", "Suivante 2"]


def test_full_export_follows_a_deletion_by_staff(client, agen, staff, django_capture_on_commit_callbacks):
    gardee, retiree = publiee(collectivite=agen, titre="Gardée"), publiee(collectivite=agen, titre="Retirée")
    catalogue.export.exporter()
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:atlaas_ficheaction_delete", args=[retiree.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert catalogue.export.exporter(now=timezone.now() + catalogue.export.INTERVALLE) is True
    titres = [ligne[2] for ligne in lire_csv(client.get(reverse("atlaas:catalogue_csv")))[1:]]
    assert titres == [gardee.titre]


def test_full_export_is_written_by_the_beat_on_a_new_database_and_again_if_its_file_is_lost(agen):
    from atlaas.tasks import exporter_catalogue

    publiee(collectivite=agen)
    assert not ExportCatalogue.objects.exclude(fichier="").exists()
    exporter_catalogue.delay()
    export = ExportCatalogue.objects.get()
    assert export.lignes == 1
    exporter_catalogue.delay()
    assert ExportCatalogue.objects.get().fichier.name == export.fichier.name  # nothing changed
    default_storage.delete(export.fichier.name)
    exporter_catalogue.delay()
    assert default_storage.exists(ExportCatalogue.objects.get().fichier.name)


def test_full_export_leaves_the_row_to_a_run_already_at_it(agen):
    publiee(collectivite=agen)
    now = timezone.now()
    ExportCatalogue.objects.update_or_create(pk=ExportCatalogue.UNIQUE, defaults={"en_cours_depuis": now})
    assert catalogue.export.exporter(now=now) is False
    # A claim older than its lease was interrupted (its worker killed): taken over.
    assert catalogue.export.exporter(now=now + catalogue.export.BAIL + datetime.timedelta(seconds=1)) is True
    assert ExportCatalogue.objects.get().en_cours_depuis is None


def test_catalogue_page_links_its_search_export_without_a_query_that_has_no_word(client, agen):
    publiee(collectivite=agen)
    page = client.get(reverse("atlaas:catalogue"), {"q": "%", "type": "ville"}).content.decode()
    assert 'href="/atlaas/export.csv?type=ville"' in page
    page = client.get(reverse("atlaas:catalogue"), {"q": "%"}).content.decode()
    assert "Télécharger ces résultats" not in page  # no filter left: the full file is the export


# --- What is never public -------------------------------------------------------------------------


def test_unpublished_fiches_and_revisions_never_leave_the_atlaas(client, agen, cachees):
    titres_caches = [fiche.titre for fiche in cachees]
    csv_titres = [ligne[2] for ligne in lire_csv(complet(client))[1:]]
    _response, liste = get_json(client, "api_fiches")
    flux = ET.fromstring(client.get(reverse("atlaas:flux")).content)
    flux_titres = [e.findtext(f"{ATOM}title") for e in flux.iter(f"{ATOM}entry")]
    assert csv_titres == [r["titre"] for r in liste["resultats"]] == flux_titres == ["Fiche publique"]
    for fiche in cachees:
        response, data = get_json(client, "api_fiche", fiche.pk)
        assert response.status_code == 404
        assert data == {"erreur": "Aucune fiche action publiée ne porte ce numéro."}
    _response, collectivite = get_json(client, "api_collectivite", agen.code)
    assert collectivite["fiches_publiees"] == 1
    _response, collectivites = get_json(client, "api_collectivites", q="agen")
    assert collectivites["resultats"][0]["fiches_publiees"] == 1
    for titre in titres_caches:
        assert titre not in json.dumps(liste, ensure_ascii=False)


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


def test_api_fiches_refuses_a_page_beyond_the_last(client, agen):
    for jours in range(3):
        publiee(jours=jours, collectivite=agen)
    response, data = get_json(client, "api_fiches", par_page=2, page=3)
    assert response.status_code == 400
    assert data == {"erreurs": {"page": ["La page 3 n'existe pas\u00a0: il y a 2 pages en tout."]}}
    response, data = get_json(client, "api_fiches", q="introuvable", page=2)
    assert data == {"erreurs": {"page": ["La page 2 n'existe pas\u00a0: il y a 1 page en tout."]}}


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
    assert data == {"erreur": "Aucune fiche action publiée ne porte ce numéro."}


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
    assert response.status_code == 400
    assert data == {"erreurs": {"page": ["La page 3 n'existe pas\u00a0: il y a 2 pages en tout."]}}


@pytest.mark.parametrize(
    ("params", "nom", "message"),
    [
        ({"type": "metropole"}, "type", "Sélectionnez un choix valide"),
        ({"departement": "99"}, "departement", "Sélectionnez un choix valide"),
        ({"region": "99"}, "region", "Sélectionnez un choix valide"),
        ({"niveau": "0"}, "niveau", "Sélectionnez un choix valide"),
        ({"q": "a"}, "q", "au moins 2 caractères"),
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


def _parametres(doc, path):
    return {p["name"]: p["schema"] for p in doc["paths"][path]["get"]["parameters"]}


def test_openapi_parameters_are_the_forms_fields():
    doc = document(SITE)
    fiches = _parametres(doc, "/api/fiches/")
    assert list(fiches) == [*RechercheForm.base_fields, "par_page"]
    assert list(fiches) == list(donnees.FichesForm.base_fields)
    assert fiches["type"]["enum"] == ["village", "ville", "territoire"]
    assert fiches["strate"]["enum"] == list(catalogue.STRATES)
    assert fiches["tri"]["enum"] == ["pertinence", "date"]
    assert fiches["niveau"] == {"type": "integer", "enum": [1, 2, 3, 4, 5]}
    assert fiches["par_page"]["maximum"] == donnees.PAR_PAGE_MAX
    collectivites = _parametres(doc, "/api/collectivites/")
    assert sorted(collectivites) == sorted(donnees.CollectivitesForm.base_fields)
    assert collectivites["par_page"]["maximum"] == donnees.PAR_PAGE_MAX


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


# --- Atom feed ------------------------------------------------------------------------------------


def test_flux_gives_the_50_latest_publications_newest_first(client, agen, services):
    for jours in range(52):
        publiee(jours=jours, collectivite=agen, titre=f"Action {jours}", services=[services["demarches"]])
    FicheAction.objects.filter(titre="Action 51").update(sous_titre="Des <ateliers> & d'autres")
    response = client.get(reverse("atlaas:flux"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    flux = ET.fromstring(response.content)
    assert flux.findtext(f"{ATOM}title") == "Atlaas — nouvelles actions publiées"
    assert flux.find(f"{ATOM}link[@rel='self']").get("href") == f"{SITE}/atlaas/flux.atom"
    entrees = flux.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entrees] == [f"Action {j}" for j in range(51, 1, -1)]
    premiere = entrees[0]
    fiche = FicheAction.objects.get(titre="Action 51")
    url = f"{SITE}/atlaas/fiches/{fiche.pk}/"
    assert premiere.find(f"{ATOM}link").get("href") == url
    assert premiere.findtext(f"{ATOM}id") == url
    assert premiere.findtext(f"{ATOM}author/{ATOM}name") == "Agen"
    assert [c.get("term") for c in premiere.findall(f"{ATOM}category")] == ["Dématérialisation des démarches"]
    published = datetime.datetime.fromisoformat(premiere.findtext(f"{ATOM}published"))
    assert published == fiche.published_at
    assert premiere.findtext(f"{ATOM}updated") == premiere.findtext(f"{ATOM}published")
    # An HTML summary holding the plain text: once unescaped, the text as written.
    summary = premiere.find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert "<ateliers>" not in summary.text
    assert html.unescape(summary.text) == "Des <ateliers> & d'autres"
    assert html.unescape(entrees[1].find(f"{ATOM}summary").text) == fiche.description


def test_flux_query_count_does_not_grow_with_fiches(client, agen, django_assert_num_queries):
    services = ServiceFactory.create_batch(3)
    publiee(collectivite=agen, services=services)
    url = reverse("atlaas:flux")
    with django_assert_num_queries(2):  # fiches with their collectivité, their services
        assert client.get(url).content.count(b"<entry>") == 1
    FicheFactory.create_batch(29, state=State.PUBLIEE, published_at=DEBUT, services=services)
    with django_assert_num_queries(2):
        assert client.get(url).content.count(b"<entry>") == 30
