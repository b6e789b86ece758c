"""The public palmarès: nothing before publication; laureates with their previous level and
progression, key figures computed by hand, filters and groups, its CSV/JSON/PDF files, the cache
of its pages (ETag, 304) and what a staff correction after publication changes."""

import csv
import datetime
import gzip
import io
import json
import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.handlers.base import BaseHandler
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from atlaas.champs import DEPARTEMENTS
from atlaas.models import Collectivite, Zone
from label import documents, historique, palmares, publication, workflow
from label.models import Document, Edition, HistoriqueComplet, Labellisation, Mention, Resultat
from tests.factories import (
    CandidatureFactory,
    CommuneFactory,
    DepartementFactory,
    EditionFactory,
    EpciFactory,
    FicheFactory,
    RegionFactory,
)
from tests.pdfs import accessibilite, erreurs_weasyprint, pdf_text

pytestmark = pytest.mark.django_db

ANNEE = 2027


def edition_close(annee=ANNEE, **kwargs):
    return EditionFactory(
        annee=annee,
        numero=annee - 1999,
        state=Edition.State.CLOSE,
        cloture=timezone.now() - datetime.timedelta(days=60),
        **kwargs,
    )


def laureat(edition, collectivite, niveau, type="ville", ten=False, mentions=(), fiches=0):
    candidature = CandidatureFactory(edition=edition, collectivite=collectivite, state="deposee", type=type)
    for _ in range(fiches):
        candidature.fiches.add(FicheFactory(collectivite=collectivite))
    resultat = Resultat.objects.create(candidature=candidature, niveau=niveau, ten=ten)
    resultat.mentions.set(mentions)
    return resultat


def publier(edition):
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    return publication.publier(edition)  # the files' tasks run on commit: not in these tests


@pytest.fixture
def territoires():
    aquitaine = RegionFactory(code="75", nom="Nouvelle-Aquitaine")
    occitanie = RegionFactory(code="76", nom="Occitanie")
    reunion = RegionFactory(code="04", nom="La Réunion", zone=Zone.DROM)
    lot = DepartementFactory(code="47", nom="Lot-et-Garonne", region=aquitaine)
    garonne = DepartementFactory(code="31", nom="Haute-Garonne", region=occitanie)
    dpt974 = DepartementFactory(code="974", nom="La Réunion", region=reunion, zone=Zone.DROM)
    agglo = EpciFactory(code="200035459", nom="Agglomération d'Agen", departement=lot, population=100_000)
    communes = {
        nom: CommuneFactory(code=code, nom=nom, departement=dpt, population=population, epci=epci, **extra)
        for nom, code, dpt, population, epci, extra in [
            ("Agen", "47001", lot, 32_801, agglo, {}),
            ("Boé", "47031", lot, 5_600, agglo, {}),
            ("Layrac", "47145", lot, 3_500, agglo, {}),
            ("Nérac", "47195", lot, 7_000, None, {}),
            ("Saint-Étienne-de-Fougères", "47238", lot, 1_000, None, {}),
            ("Toulouse", "31555", garonne, 500_000, None, {}),
            ("Saint-Denis", "97411", dpt974, 150_000, None, {"zone": Zone.DROM}),
        ]
    }
    # A former member merged away: no longer in the referential, not counted.
    CommuneFactory(
        code="47999", nom="Ancienne commune", departement=lot, population=900, epci=agglo, active=False
    )
    return {"agglo": agglo, **communes}


@pytest.fixture
def edition(territoires):
    """The 2027 palmarès, not yet published: six laureates.

    Level and previous level (label history):
    - Agglomération d'Agen, territoire, 3@ — no earlier label but a candidature in 2025: no progression;
    - Agen, ville, 4@, mention Médiation numérique, 2 fiches — 3@ in 2026: +1;
    - Nérac, ville, 5@, TEN, mention Arobase verte — 5@ in 2026: =;
    - Saint-Étienne-de-Fougères, village, 1@ — nothing before: first participation;
    - Toulouse, ville, 5@, mention Arobase verte, 1 fiche — 5@ in 2024 (latest earlier): =;
    - Saint-Denis (La Réunion, overseas), ville, 2@ — 4@ in 2025: −2.

    The palmarès of every year before are declared complete: first participations are known.
    """
    t = territoires
    HistoriqueComplet.objects.bulk_create([HistoriqueComplet(annee=annee) for annee in range(1999, 2027)])
    edition = edition_close(ceremonie_date=datetime.date(2027, 1, 28), ceremonie_lieu="Agen")
    verte = Mention.objects.create(edition=edition, nom="Arobase verte", ordre=1)
    mediation = Mention.objects.create(edition=edition, nom="Médiation numérique", ordre=2)
    ancienne = edition_close(annee=2025)  # published without results: its palmarès is the history
    Edition.objects.filter(pk=ancienne.pk).update(resultats_clos_at=timezone.now(), publie_at=timezone.now())
    CandidatureFactory(edition=ancienne, collectivite=t["agglo"], state="deposee", type="territoire")
    for nom, annee, niveau in [
        ("Agen", 2026, 3),
        ("Nérac", 2026, 5),
        ("Nérac", 2025, 5),
        ("Toulouse", 2024, 5),
        ("Saint-Denis", 2025, 4),
    ]:
        Labellisation.objects.create(collectivite=t[nom], annee=annee, niveau=niveau)
    laureat(edition, t["agglo"], 3, type="territoire")
    laureat(edition, t["Agen"], 4, mentions=[mediation], fiches=2)
    laureat(edition, t["Nérac"], 5, ten=True, mentions=[verte])
    laureat(edition, t["Saint-Étienne-de-Fougères"], 1, type="village")
    laureat(edition, t["Toulouse"], 5, mentions=[verte], fiches=1)
    laureat(edition, t["Saint-Denis"], 2)
    FicheFactory(collectivite=t["Agen"])  # not in the candidature: not counted
    return edition


@pytest.fixture
def publiee(edition):
    return publier(edition)


def url(annee=ANNEE, **query):
    return reverse("label:palmares", args=[annee]) + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    )


def noms(response):
    return [
        x.nom
        for groupe in response.context["metropole"] + response.context["outre_mer"]
        for x in groupe.laureats
    ]


# --- Embargo ------------------------------------------------------------------------------------


def test_palmares_is_not_found_before_publication(client, edition):
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    assert client.get(url()).status_code == 404
    for nom in ("palmares_csv", "palmares_json", "palmares_pdf"):
        assert client.get(reverse(f"label:{nom}", args=[ANNEE])).status_code == 404
    # The years of imported history are public; 2027 is not.
    assert client.get(reverse("label:palmares_index")).context["annees"] == [2026, 2025, 2024]
    Edition.objects.filter(annee=2025).update(publie_at=None)
    Labellisation.objects.create(collectivite=edition.candidatures.first().collectivite, annee=2028, niveau=3)
    EditionFactory(annee=2028, numero=29, state=Edition.State.PREPARATION)
    from django.core.cache import cache

    cache.clear()
    palmares.oublier()  # as a web process does within a second
    assert client.get(url(2025)).status_code == 404  # an edition not published, history or not
    assert client.get(url(2028)).status_code == 404
    assert client.get(reverse("label:palmares_index")).context["annees"] == [2026, 2024]


def test_palmares_is_public_as_soon_as_published(client, edition, django_capture_on_commit_callbacks):
    assert client.get(url()).status_code == 404  # the list of public years is now in the cache
    assert 2027 not in client.get(reverse("label:palmares_index")).context["annees"]
    with django_capture_on_commit_callbacks(execute=True):  # the cache's version moves on commit
        publier(edition)
    assert client.get(url()).status_code == 200
    assert client.get(reverse("label:palmares_index")).context["annees"][0] == 2027


def test_palmares_index_lists_public_years_latest_first(client, publiee):
    response = client.get(reverse("label:palmares_index"))
    assert response.context["annees"] == [2027, 2026, 2025, 2024]
    contenu = response.content.decode()
    assert contenu.index("Palmarès 2027") < contenu.index("Palmarès 2026") < contenu.index("Palmarès 2024")


def test_palmares_index_says_when_nothing_is_published(client, db):
    response = client.get(reverse("label:palmares_index"))
    assert "pas encore publié" in response.content.decode()


# --- Laureates and key figures -----------------------------------------------------------------


def test_palmares_laureats_have_previous_level_and_progression(publiee):
    laureats = {x.nom: x for x in palmares.laureats_edition(publiee)}
    assert {nom: (x.niveau_precedent, x.annee_precedente, x.progression) for nom, x in laureats.items()} == {
        "Agglomération d'Agen": (None, None, ""),
        "Agen": (3, 2026, "+1"),
        "Nérac": (5, 2026, "="),
        "Saint-Étienne-de-Fougères": (None, None, "première participation"),
        "Toulouse": (5, 2024, "="),
        "Saint-Denis": (4, 2025, "−2"),
    }
    assert laureats["Agglomération d'Agen"].type == "territoire"
    assert laureats["Saint-Denis"].outre_mer and not laureats["Agen"].outre_mer


def test_palmares_key_figures_count_each_covered_commune_once(publiee):
    chiffres = palmares.chiffres_cles(palmares.laureats_edition(publiee), publiee)
    assert chiffres.laureats == 6
    assert chiffres.par_niveau == [(5, "@@@@@", 2), (4, "@@@@", 1), (3, "@@@", 1), (2, "@@", 1), (1, "@", 1)]
    assert [(t.type, t.nombre) for t in chiffres.par_type] == [
        ("village", 1),
        ("ville", 4),
        ("territoire", 1),
    ]
    # Communes: the agglomération's active members Agen, Boé, Layrac; the laureate communes Agen
    # (already counted), Nérac, Saint-Étienne-de-Fougères, Toulouse, Saint-Denis: 7.
    # Inhabitants: 32 801 + 5 600 + 3 500 + 7 000 + 1 000 + 500 000 + 150 000 = 699 901
    # (the agglomération's own 100 000 are its members', not added again).
    assert (chiffres.communes, chiffres.habitants) == (7, 699_901)
    assert (chiffres.premieres, chiffres.part_premieres) == (1, 17)  # 1 of 6
    assert chiffres.plus_petit.nom == "Saint-Étienne-de-Fougères"
    assert chiffres.plus_grand.nom == "Toulouse"
    assert [x.nom for x in chiffres.ten] == ["Nérac"]
    assert [(m, [x.nom for x in laureats]) for m, laureats in chiffres.mentions] == [
        ("Arobase verte", ["Nérac", "Toulouse"]),
        ("Médiation numérique", ["Agen"]),
    ]
    assert chiffres.fiches == 3


def test_palmares_page_shows_laureates_and_key_figures(client, publiee):
    response = client.get(url())
    assert response.status_code == 200
    contenu = response.content.decode().replace("\xa0", " ").replace("\u202f", " ")
    assert "Agen</a> (47)" in contenu
    # The figures by level and by type as lines of text.
    lignes = " ".join(contenu.split())
    assert "5 arobases : 2 · 4 arobases : 1 · 3 arobases : 1 · 2 arobases : 1 · 1 arobase : 1" in lignes
    assert "<strong>699 901</strong>" in contenu and "<strong>7</strong>" in contenu
    assert "17 %" in contenu
    assert "Territoire d'excellence numérique" in contenu
    # Navigation to the year before (none after 2027) and to the list of every year.
    assert f'<a href="{url(2026)}" rel="prev"> Palmarès 2026 </a>' in lignes
    assert 'rel="next"' not in contenu
    assert f'<a href="{reverse("label:palmares_index")}">Toutes les années</a>' in lignes
    assert len(re.findall(r'href="/palmares/[0-9]{4}/"', contenu)) == 1  # not one link a year
    assert f'<a href="{url(2027)}" rel="next"> Palmarès 2027 </a>' in " ".join(
        client.get(url(2026)).content.decode().split()
    )


def test_palmares_page_lists_each_laureate_on_the_associations_line(client, publiee):
    laureats = {x.nom: x for x in palmares.laureats_edition(publiee)}
    assert laureats["Agen"].ligne == "Agen (47) @@@@"
    assert laureats["Saint-Denis"].ligne == "Saint-Denis (974) @@"
    # The same line as the one the import by name reads back.
    lues = historique.lire_lignes_publiees("\n".join(x.ligne for x in laureats.values()), annee=ANNEE)
    assert {(x.valeurs["nom"], x.valeurs["departement"], x.valeurs["niveau"]) for x in lues} == {
        (x.nom, x.departement, "@" * x.niveau) for x in laureats.values()
    }
    contenu = client.get(url()).content.decode()
    # The name links to the collectivité's page; the distinctions follow the line.
    assert '<a href="/collectivites/47001/">Agen</a> (47) @@@@ — Médiation numérique</p>' in contenu
    assert (
        '<a href="/collectivites/47195/">Nérac</a> (47) @@@@@ — '
        "Territoire d&#x27;excellence numérique, Arobase verte\n"
    ) in contenu
    assert (
        '<a href="/collectivites/47238/">Saint-Étienne-de-Fougères</a> (47) @ — première participation'
        in contenu
    )
    assert contenu.count('href="/collectivites/') == 6


def test_palmares_groups_by_level_with_overseas_apart(client, publiee):
    response = client.get(url())
    metropole, outre_mer = response.context["metropole"], response.context["outre_mer"]
    assert [(g.niveau, [x.nom for x in g.laureats]) for g in metropole] == [
        (5, ["Nérac", "Toulouse"]),
        (4, ["Agen"]),
        (3, ["Agglomération d'Agen"]),
        (1, ["Saint-Étienne-de-Fougères"]),
    ]
    assert [(g.niveau, [x.nom for x in g.laureats]) for g in outre_mer] == [(2, ["Saint-Denis"])]
    assert "Outre-mer" in response.content.decode()


def test_palmares_groups_by_region_on_demand(client, publiee):
    response = client.get(url(par="region"))
    assert [(g.titre, [x.nom for x in g.laureats]) for g in response.context["metropole"]] == [
        ("Nouvelle-Aquitaine", ["Nérac", "Agen", "Agglomération d'Agen", "Saint-Étienne-de-Fougères"]),
        ("Occitanie", ["Toulouse"]),
    ]
    assert [g.titre for g in response.context["outre_mer"]] == ["La Réunion"]


LOT = ["Nérac", "Agen", "Agglomération d'Agen", "Saint-Étienne-de-Fougères"]


@pytest.mark.parametrize(
    ("query", "attendus"),
    [
        ({"q": "etienne"}, ["Saint-Étienne-de-Fougères"]),
        ({"q": "SAINT ÉTIENNE"}, ["Saint-Étienne-de-Fougères"]),
        ({"q": "nerac"}, ["Nérac"]),
        ({"q": "St Etienne"}, ["Saint-Étienne-de-Fougères"]),
        ({"q": "fougeres saint-etienne"}, ["Saint-Étienne-de-Fougères"]),
        ({"q": "st-denis"}, ["Saint-Denis"]),
        ({"niveau": "5"}, ["Nérac", "Toulouse"]),
        ({"region": "76"}, ["Toulouse"]),
        ({"departement": "974"}, ["Saint-Denis"]),
        # A département typed by its name or number, as people write them.
        ({"departement": "lot et garonne"}, LOT),
        ({"departement": " La Réunion "}, ["Saint-Denis"]),
        ({"departement": "Haute-Garonne (31)"}, ["Toulouse"]),
        ({"departement": "31 — Haute-Garonne"}, ["Toulouse"]),
        ({"type": "territoire"}, ["Agglomération d'Agen"]),
        ({"strate": "moins-3000"}, ["Saint-Étienne-de-Fougères"]),
        ({"strate": "20000-100000", "region": "75"}, ["Agen"]),
        ({"q": "agen", "type": "ville"}, ["Agen"]),
        (
            {"niveau": "9"},
            ["Nérac", "Toulouse", "Agen", "Agglomération d'Agen", "Saint-Étienne-de-Fougères", "Saint-Denis"],
        ),
    ],
)
def test_palmares_filters(client, publiee, query, attendus):
    response = client.get(url(**query), follow=True)  # a département's name: to its number
    assert noms(response) == attendus


def test_palmares_departement_typed_by_its_name_goes_to_its_number_and_is_kept(client, publiee):
    """The address the map links to, with the other filters: the page of the number, cached."""
    response = client.get(url(niveau="5", departement="Haute-Garonne", par="region"))
    assert response.status_code == 302
    assert response["Location"] == url(niveau="5", departement="31", par="region")
    for saisie in ("haute garonne", "Haute-Garonne (31)", "31 ", "la réunion"):
        assert client.get(url(departement=saisie)).status_code == 302, saisie
    assert client.head(url(departement="haute garonne")).status_code == 302
    assert client.get(url(annee=1999, departement="haute garonne")).status_code == 404  # no such year
    numero = url(niveau="5", departement="31", par="region")
    assert noms(client.get(numero)) == ["Toulouse"]
    gardee = client.get(numero)
    assert gardee.status_code == 200 and gardee.context is None  # kept: nothing rendered again


def test_palmares_departement_of_a_collectivite_d_outre_mer_is_read_and_kept(client, publiee):
    DepartementFactory(code="987", nom="Polynésie française", region=RegionFactory(code="COM"))
    cache.delete(DEPARTEMENTS)  # the referential's names, kept an hour
    assert client.get(url(departement="polynesie francaise"))["Location"] == url(departement="987")
    assert "Aucun département" not in client.get(url(departement="987")).content.decode()
    assert client.get(url(departement="987")).context is None  # kept


def test_palmares_unknown_departement_is_said_next_to_the_field_and_kept(client, publiee):
    response = client.get(url(departement="Atlantide", niveau="5"))
    assert response.status_code == 200
    assert noms(response) == ["Nérac", "Toulouse"]  # the other filters still apply
    contenu = response.content.decode()
    assert (
        "Aucun département ne s’appelle «\u00a0Atlantide\u00a0»\u00a0: "
        "saisissez son numéro (33) ou son nom (Gironde)." in contenu
    )
    champ = re.search(r'<input type="text" name="departement"[^>]*>', contenu)[0]
    assert 'value="Atlantide"' in champ and 'aria-invalid="true"' in champ
    assert 'aria-describedby="id_departement_helptext id_departement_error"' in champ


def test_palmares_unknown_filter_value_is_ignored_and_shown(client, publiee):
    response = client.get(url(niveau="9"))
    assert response.status_code == 200
    assert response.context["form"].errors["niveau"]


def test_palmares_finds_a_name_with_a_ligature_typed_with_oe(client, publiee):
    vandoeuvre = CommuneFactory(nom="Vandœuvre-lès-Nancy", code="54547")
    Labellisation.objects.create(collectivite=vandoeuvre, annee=2026, niveau=5)
    for q in ["vandoeuvre", "Vandœuvre-lès-Nancy", "VANDOEUVRE LES NANCY", "nancy vandœuvre"]:
        assert noms(client.get(url(2026, q=q))) == ["Vandœuvre-lès-Nancy"], q


def test_palmares_of_imported_history_shows_fewer_columns(client, publiee):
    response = client.get(url(2026))
    assert response.status_code == 200
    assert noms(response) == ["Nérac", "Agen"]
    contenu = response.content.decode()
    assert "historique du label" in contenu
    assert "Population</th>" not in contenu
    assert '<select name="type" aria-describedby="filtres-non-applicables" disabled' in contenu
    assert client.get(reverse("label:palmares_csv", args=[2026])).status_code == 404


# --- Files ------------------------------------------------------------------------------------------


def generer(edition):
    for document in Document.objects.filter(edition=edition, candidature__isnull=True):
        assert documents.generer(document.pk), Document.objects.get(pk=document.pk).erreur


def test_palmares_file_is_503_while_being_prepared(client, publiee):
    response = client.get(reverse("label:palmares_csv", args=[ANNEE]))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "en cours de préparation" in response.content.decode()


def test_palmares_csv_has_bom_columns_and_accents(client, publiee):
    generer(publiee)
    response = client.get(reverse("label:palmares_csv", args=[ANNEE]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="palmares-2027.csv"'
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    lignes = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert lignes[0] == palmares.COLONNES
    par_code = {ligne[1]: dict(zip(lignes[0], ligne, strict=True)) for ligne in lignes[1:]}
    assert len(par_code) == 6
    assert par_code["47195"] == {
        "annee": "2027",
        "code": "47195",
        "nom": "Nérac",
        "type": "ville",
        "departement": "47",
        "region": "Nouvelle-Aquitaine",
        "population": "7000",
        "niveau": "5",
        "niveau_precedent": "5",
        "progression": "0",
        "mentions": "Arobase verte",
        "ten": "oui",
    }
    assert par_code["97411"]["progression"] == "-2"
    assert par_code["47238"]["nom"] == "Saint-Étienne-de-Fougères"
    assert par_code["47238"]["progression"] == "première participation"
    assert par_code["200035459"]["type"] == "territoire"


def test_palmares_csv_cells_are_never_formulas(publiee):
    Mention.objects.filter(nom="Arobase verte").update(nom="=HYPERLINK(1)")
    document = Document.objects.get(edition=publiee, kind=Document.Kind.PALMARES_CSV)
    _nom, contenu = palmares.palmares_csv(document)
    assert ";'=HYPERLINK(1);" in contenu.decode("utf-8-sig")


def test_palmares_json_follows_its_schema(client, publiee):
    generer(publiee)
    response = client.get(reverse("label:palmares_json", args=[ANNEE]))
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="palmares-2027.json"'
    data = json.loads(b"".join(response.streaming_content))
    assert data["schema"] == 1
    assert data["edition"]["annee"] == ANNEE and data["edition"]["ceremonie_lieu"] == "Agen"
    chiffres = data["chiffres"]
    assert chiffres["communes_couvertes"] == 7 and chiffres["habitants_couverts"] == 699_901
    assert chiffres["par_niveau"] == {"5": 2, "4": 1, "3": 1, "2": 1, "1": 1}
    assert chiffres["mentions"][0] == {"nom": "Arobase verte", "laureats": ["47195", "31555"]}
    assert chiffres["plus_petit"] == {"code": "47238", "nom": "Saint-Étienne-de-Fougères", "population": 1000}
    saint_denis = next(x for x in data["laureats"] if x["code"] == "97411")
    assert saint_denis == {
        "code": "97411",
        "nom": "Saint-Denis",
        "nature": "commune",
        "type": "ville",
        "departement": "974",
        "region": "04",
        "region_nom": "La Réunion",
        "outre_mer": True,
        "population": 150_000,
        "niveau": 2,
        "niveau_precedent": 4,
        "annee_precedente": 2025,
        "progression": -2,
        "premiere_participation": False,
        "mentions": [],
        "ten": False,
    }
    assert [x["niveau"] for x in data["laureats"]] == [5, 5, 4, 3, 2, 1]


def test_palmares_pdf_booklet_text(client, publiee):
    generer(publiee)
    response = client.get(reverse("label:palmares_pdf", args=[ANNEE]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="palmares-2027.pdf"'
    texte = pdf_text(b"".join(response.streaming_content))
    assert "Palmarès 2027" in texte and "28 janvier 2027 à Agen" in texte
    assert "Chiffres clés" in texte and "699" in texte
    niveaux = texte[texte.index("5 arobases") :]  # after the cover and the key figures
    ordre = ["Nouvelle-Aquitaine", "Nérac (47)", "Occitanie", "Toulouse (31)", "4 arobases", "Agen (47)"]
    positions = [niveaux.index(mot) for mot in ordre]
    assert positions == sorted(positions)
    assert niveaux.index("La Réunion") > niveaux.index("2 arobases")
    assert "Saint-Étienne-de-Fougères (47)" in texte and "Territoire d'excellence numérique" in texte


def test_palmares_pdf_booklet_is_tagged_titled_and_in_french(client, publiee, caplog):
    generer(publiee)
    response = client.get(reverse("label:palmares_pdf", args=[ANNEE]))
    pdf = accessibilite(b"".join(response.streaming_content))
    assert pdf["titre"] == "Palmarès 2027 du label Territoires, Villes et Villages Internet"
    assert pdf["balise"] == "yes" and pdf["marque"] is True and pdf["titre_affiche"] is True
    assert pdf["langue"] == "fr"
    assert pdf["xmp"] == {"pdfuaid:part": "1"}
    types = [type_ for type_, _alt in pdf["structure"]]
    assert types.count("/H1") == 1 and "/Sect" in types and "/Table" in types
    assert not erreurs_weasyprint(caplog)


# --- Cache --------------------------------------------------------------------------------------------


def test_palmares_page_is_revalidated_with_etag(client, publiee):
    response = client.get(url())
    etag = response["ETag"]
    assert response["Last-Modified"]
    assert "no-cache" in response["Cache-Control"]
    with CaptureQueriesContext(connection) as requetes:
        assert client.get(url(), HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert len(requetes) == 0
    autre = client.get(url(niveau="5"))
    assert autre["ETag"] != etag


def test_palmares_page_is_compressed_and_still_revalidated(client, publiee):
    brute = client.get(url())
    assert "Content-Encoding" not in brute
    response = client.get(url(), headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response["Content-Encoding"] == "gzip" and "Accept-Encoding" in response["Vary"]
    assert gzip.decompress(response.content) == brute.content
    assert len(response.content) < len(brute.content) / 2  # the map's contours compress least
    # gzip makes the ETag weak; sent back, it still answers 304 (weak comparison).
    assert response["ETag"] == f"W/{brute['ETag']}"
    revalidee = client.get(url(), headers={"Accept-Encoding": "gzip", "If-None-Match": response["ETag"]})
    assert revalidee.status_code == 304


def test_palmares_page_of_a_member_carries_a_csrf_token_masked_anew_each_time(client, publiee, user):
    """What keeps gzip safe from BREACH on this page: the token is never twice the same bytes."""
    client.force_login(user)
    jetons = set()
    for _ in range(2):
        response = client.get(url(), headers={"Accept-Encoding": "gzip"})
        assert response["Content-Encoding"] == "gzip"
        contenu = gzip.decompress(response.content).decode()
        jetons.add(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', contenu)[1])
    assert len(jetons) == 2


def test_palmares_page_is_served_from_the_cache(client, publiee):
    client.get(url())
    Collectivite.objects.filter(nom="Nérac").update(nom="Nérac-sur-Baïse")  # the cache answers
    with CaptureQueriesContext(connection) as requetes:
        response = client.get(url())
    assert response.status_code == 200
    assert len(requetes) == 0
    assert "Nérac</a> (47)" in response.content.decode()


def test_palmares_page_is_served_again_whole_before_its_view(client, publiee):
    premiere = client.get(url(), headers={"Accept-Encoding": "gzip"})
    with mock.patch.object(BaseHandler, "resolve_request", side_effect=AssertionError("résolue")):
        seconde = Client().get(url(), headers={"Accept-Encoding": "gzip"})
    assert seconde.content == premiere.content  # compressed once (gzip writes each stream anew)
    assert seconde["ETag"] == premiere["ETag"] and "no-cache" in seconde["Cache-Control"]


def test_palmares_cache_is_cleared_after_a_staff_correction(
    client, publiee, staff, django_capture_on_commit_callbacks
):
    avant = client.get(url())
    etag = avant["ETag"]
    assert [x.nom for x in avant.context["metropole"][0].laureats] == ["Nérac", "Toulouse"]
    resultat = Resultat.objects.get(candidature__collectivite__nom="Toulouse")
    with pytest.raises(workflow.TransitionError, match="motif"):
        workflow.decider(resultat.candidature, niveau=4, by=staff, version=resultat.version)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.decider(
            resultat.candidature, niveau=4, by=staff, version=resultat.version, motif="Erreur de saisie"
        )
    toulouse = Labellisation.objects.get(collectivite__nom="Toulouse", annee=ANNEE)
    assert toulouse.niveau == 4 and toulouse.collectivite.niveau == 4
    # The files were generated again from the corrected result.
    csv_doc = Document.objects.get(edition=publiee, kind=Document.Kind.PALMARES_CSV)
    assert csv_doc.state == Document.State.PRET
    assert "31555;Toulouse;ville;31;Occitanie;500000;4;5;-1" in csv_doc.fichier.read().decode("utf-8-sig")
    apres = client.get(url(), HTTP_IF_NONE_MATCH=etag)
    assert apres.status_code == 200 and apres["ETag"] != etag
    # The page this process kept whole is not served again either.
    assert client.get(url())["ETag"] == apres["ETag"]
    assert [x.nom for x in apres.context["metropole"][0].laureats] == ["Nérac"]
    assert [x.nom for x in apres.context["metropole"][1].laureats] == ["Agen", "Toulouse"]


def test_palmares_correction_of_an_unpublished_edition_leaves_history_alone(edition, staff):
    resultat = Resultat.objects.get(candidature__collectivite__nom="Agen")
    workflow.decider(resultat.candidature, niveau=2, by=staff, version=resultat.version)
    assert not Labellisation.objects.filter(annee=ANNEE).exists()


# --- Query count ---------------------------------------------------------------------------------------


def edition_de(n, annee):
    edition = edition_close(annee=annee)
    mention = Mention.objects.create(edition=edition, nom="Médiation numérique")
    agglo = EpciFactory()
    for i in range(n):
        commune = CommuneFactory(epci=agglo if i % 3 == 0 else None, population=500 + 1000 * i)
        if i % 4 == 0:
            Labellisation.objects.create(collectivite=commune, annee=annee - 1, niveau=1 + i % 5)
        laureat(
            edition, commune, 1 + i % 5, ten=i % 7 == 0, mentions=[mention] if i % 2 else [], fiches=i % 2
        )
    laureat(edition, agglo, 3, type="territoire")
    return publier(edition)


def compter(client, annee):
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as requetes:
        response = client.get(url(annee))
    assert response.status_code == 200
    return len(requetes), response


def test_palmares_page_queries_do_not_grow_with_laureates(client):
    edition_de(10, 2030)
    edition_de(300, 2031)
    petit, reponse_petit = compter(client, 2030)
    grand, reponse_grand = compter(client, 2031)
    assert len(noms(reponse_grand)) == 301 and len(noms(reponse_petit)) == 11
    assert petit == grand <= 12


def test_palmares_page_kept_for_all_sets_no_cookie_and_its_language_form_works(publiee):
    from django.test import Client

    visiteur = Client(enforce_csrf_checks=True)
    reponse = visiteur.get(url())
    assert not reponse.cookies and "csrfmiddlewaretoken" not in reponse.content.decode()
    reponse = visiteur.post(
        reverse("set_language"),
        {"language": "en", "next": url()},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    assert reponse.status_code == 302 and reponse.url == url()
    assert '<html lang="en">' in visiteur.get(url()).content.decode()


def test_palmares_page_of_a_signed_in_member_is_their_own(client, publiee, user, password):
    anonyme = client.get(url()).content.decode()
    assert "Se déconnecter" not in anonyme
    client.force_login(user)
    assert "Se déconnecter" in client.get(url()).content.decode()
    client.logout()
    assert "Se déconnecter" not in client.get(url()).content.decode()


def test_palmares_page_is_kept_per_language(client, publiee):
    francais = client.get(url())
    client.cookies["django_language"] = "en"
    with translation.override("fr"):  # the request activates English in this thread: undone after
        anglais = client.get(url())
    assert '<html lang="fr">' in francais.content.decode()
    assert '<html lang="en">' in anglais.content.decode()
    assert anglais["ETag"] != francais["ETag"]


@pytest.mark.parametrize(
    ("query", "cle"),
    [
        ("", ()),
        ("q=&niveau=&region=75&departement=&type=&strate=&par=niveau", (("par", "niveau"), ("region", "75"))),
        ("niveau=5&departement=2A", (("departement", "2A"), ("niveau", "5"))),
        ("q=agen", None),  # a name search: answered, not kept
        ("niveau=9", None),
        ("region=75&region=76", None),
        ("utm_source=presse", None),
    ],
)
def test_palmares_pages_kept_in_the_cache_are_a_bounded_set(query, cle):
    from django.http import QueryDict

    assert palmares.cle_filtres(QueryDict(query)) == cle


def test_palmares_headline_figures_for_the_home_page(publiee, django_assert_max_num_queries):
    assert palmares.a_la_une() == {"annee": 2027, "laureats": 6, "communes": 7, "habitants": 699_901}
    with django_assert_max_num_queries(0):
        palmares.a_la_une()


def test_palmares_pages_kept_by_the_previous_release_are_built_again(publiee, settings):
    """A deploy's pages name its own static files: none kept by the release before is served."""
    departements = reverse("label:palmares_departements", args=[ANNEE])

    def rendus(adresse):
        return {gabarit.name for gabarit in Client().get(adresse).templates}

    settings.RELEASE = "ancienne"
    rendus(url()), rendus(departements)
    assert not rendus(url())  # kept whole
    assert "label/palmares/_departements.html" not in rendus(departements)  # its table kept
    settings.RELEASE = "nouvelle"  # a deploy: a new process, which keeps nothing in memory yet
    assert "label/palmares/_contenu.html" in rendus(url())
    assert "label/palmares/_departements.html" in rendus(departements)
