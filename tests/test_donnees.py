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
from django.core.files.storage import default_storage
from django.db.models import F
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import http_date

from atlaas import catalogue
from atlaas.models import ExportCatalogue, FicheAction
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
    # The collectivités of the type (a list: few of them), the ids, then the fiches with their
    # collectivité and their services: two queries per chunk.
    with django_assert_num_queries(4):
        assert len(lire_csv(client.get(url, filtre))) == 2
    FicheFactory.create_batch(
        29, collectivite=agen, state=State.PUBLIEE, published_at=DEBUT, services=services
    )
    with django_assert_num_queries(4):
        assert len(lire_csv(client.get(url, filtre))) == 31
    monkeypatch.setattr(catalogue.export, "MORCEAU", 10)
    with django_assert_num_queries(2 + 2 * 3):
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
