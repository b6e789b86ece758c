"""The jury president's steering: progress and aggregated scores per dossier, sort and filters,
every evaluation of a dossier, CSV and XLSX exports, reminders to jurors (by hand, and 7 and 2
days before the jury meeting). A dossier the president is in conflict with shows no score."""

import csv
import datetime
import io
import re
from types import SimpleNamespace

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from jury.models import ConflitDeclare, Evaluation, Jury, Note, RappelJure
from jury.rappels import rappels_automatiques, seuil
from jury.tasks import rappeler_jures
from label.models import Candidature, Edition, Mention, TypeCandidature
from tests.factories import (
    CandidatureFactory,
    CommuneFactory,
    CritereFactory,
    DepartementFactory,
    EditionFactory,
    EpciFactory,
    EvaluationFactory,
    JureFactory,
    RegionFactory,
)
from tests.jury import connecter

pytestmark = pytest.mark.django_db
ANNEE = 2027
SOUMISE, BROUILLON, A_FAIRE = Evaluation.State.SOUMISE, Evaluation.State.BROUILLON, Evaluation.State.A_FAIRE
MASQUE = "conflit d'intérêts\u00a0: notes masquées"
MASQUE_HTML = "conflit d&#x27;intérêts\u00a0: notes masquées"


def url(name, *args):
    return reverse(f"jury:{name}", args=[ANNEE, *args])


def dossier(edition, nom, **extra):
    collectivite = CommuneFactory(nom=nom, **extra.pop("collectivite", {}))
    return CandidatureFactory(
        edition=edition, collectivite=collectivite, state=Candidature.State.DEPOSEE, **extra
    )


def evaluer(jure, candidature, scores=None, *, state=SOUMISE, niveau=None, mentions=(), **champs):
    evaluation = EvaluationFactory(
        jure=jure, candidature=candidature, state=state, niveau_propose=niveau, **champs
    )
    Note.objects.bulk_create(
        [
            Note(evaluation=evaluation, critere=critere, score=score, commentaire=commentaire)
            for critere, (score, commentaire) in (scores or {}).items()
        ]
    )
    evaluation.mentions_proposees.set(mentions)
    return evaluation


class Jeu:
    """An edition with its jury: criteria A (weight 2, /5) and B (weight 1, /10), jurors Alice
    and Bruno, a president, and five dossiers (scores on 100 computed by hand):

    - Agen: Alice 4, 5 → 70 (3@, Médiation numérique); Bruno 5, 4 → 80 (3@). Mean 75, spread 10.
    - Bordeaux: Alice 2, 2 → 33.33 (1@); Bruno 5, 10 → 100 (4@). Spread 66.67 and levels 3 apart.
    - Cahors (village): Alice 3, 6 → 60; Bruno a draft. Incomplete.
    - Dax: the president declared a conflict. Alice 1, 1 → 16.67 (5@); Bruno 1, 3 → 23.33 (1@).
    - Eauze (Occitanie): assigned to Alice and Bruno, nothing done.
    """

    def __init__(self):
        today = timezone.localdate()
        self.edition = EditionFactory(annee=ANNEE, jury_date=today + datetime.timedelta(days=20))
        self.jury = Jury.objects.get_or_create(edition=self.edition)[0]
        e = self.edition
        self.a = CritereFactory(edition=e, libelle="Démocratie et services publics", poids=2, echelle=5)
        self.b = CritereFactory(edition=e, libelle="Cohérence", poids=1, echelle=10)
        self.president = JureFactory(edition=e, president=True, nom="Hélène Présidente")
        self.alice = JureFactory(edition=e, nom="Alice Martin")
        self.bruno = JureFactory(edition=e, nom="Bruno Petit")
        self.mediation = Mention.objects.create(edition=e, nom="Médiation numérique")
        self.agen = dossier(e, "Agen")
        self.bordeaux = dossier(e, "Bordeaux")
        self.cahors = dossier(e, "Cahors", type=TypeCandidature.VILLAGE)
        self.dax = dossier(e, "Dax")
        occitanie = RegionFactory(code="76", nom="Occitanie")
        gers = DepartementFactory(code="32", nom="Gers", region=occitanie)
        self.eauze = dossier(e, "Eauze", collectivite={"departement": gers})
        a, b = self.a, self.b
        evaluer(
            self.alice,
            self.agen,
            {a: (4, "Très bonne démarche participative"), b: (5, "")},
            niveau=3,
            mentions=[self.mediation],
            commentaire_collectivite="Bravo pour l'inclusion numérique à Agen.",
            note_jury='=HYPERLINK("http://exemple.test")',
        )
        evaluer(self.bruno, self.agen, {a: (5, ""), b: (4, "")}, niveau=3)
        evaluer(self.alice, self.bordeaux, {a: (2, ""), b: (2, "")}, niveau=1)
        evaluer(self.bruno, self.bordeaux, {a: (5, ""), b: (10, "")}, niveau=4)
        evaluer(self.alice, self.cahors, {a: (3, ""), b: (6, "")}, niveau=2)
        evaluer(self.bruno, self.cahors, {a: (1, "Brouillon de Bruno")}, state=BROUILLON)
        evaluer(self.alice, self.dax, {a: (1, "Avis secret sur Dax"), b: (1, "")}, niveau=5)
        evaluer(self.bruno, self.dax, {a: (1, ""), b: (3, "")}, niveau=1)
        evaluer(self.alice, self.eauze, state=A_FAIRE)
        evaluer(self.bruno, self.eauze, state=A_FAIRE)
        ConflitDeclare.objects.create(
            jure=self.president, collectivite=self.dax.collectivite, motif="ancienne élue"
        )


@pytest.fixture
def jeu():
    return Jeu()


@pytest.fixture
def president(client, jeu):
    return connecter(client, jeu.president.user)


@pytest.fixture
def equipe(client, staff):
    return connecter(client, staff)


def contenu(response):
    return response.content.decode()


def section_dossiers(response):
    return contenu(response).split('id="titre-dossiers"', 1)[1]


def ordre(response):
    """The collectivités of the dossier table, in the order shown."""
    if "<tbody>" not in section_dossiers(response):
        return []
    section = section_dossiers(response).split("<tbody>", 1)[1]
    noms = ["Agen", "Bordeaux", "Cahors", "Dax", "Eauze"]
    return sorted((n for n in noms if n in section), key=section.index)


def ligne(response, nom):
    """The HTML of the dossier table's row of ``nom``."""
    [row] = [r for r in section_dossiers(response).split("<tr>") if f"{nom}</a>" in r or f"{nom}\n" in r]
    return row.split("</tr>", 1)[0]


def case(jure):
    return f'id="rappel-{jure.pk}"'


def textes(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Permissions --------------------------------------------------------------------------

GETS = ["pilotage", "export_csv", "export_xlsx"]


@pytest.mark.parametrize("name", GETS)
def test_pilotage_pages_send_anonymous_visitors_to_login(client, jeu, name):
    response = client.get(url(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_pilotage_pages_are_404_for_a_juror_who_is_not_president(
    client, jeu, django_capture_on_commit_callbacks, mailoutbox
):
    connecter(client, jeu.alice.user)
    for name in GETS:
        assert client.get(url(name)).status_code == 404
    assert client.get(url("pilotage_dossier", jeu.agen.pk)).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url("rappels"), {"jures": [jeu.bruno.pk]}).status_code == 404
    assert not mailoutbox


@pytest.mark.parametrize("name", GETS)
def test_pilotage_pages_open_for_the_president_and_staff(client, jeu, staff, name):
    connecter(client, jeu.president.user)
    assert client.get(url(name)).status_code == 200
    connecter(client, staff)
    assert client.get(url(name)).status_code == 200


def test_pilotage_rappels_answers_get_with_405(president):
    assert president.get(url("rappels")).status_code == 405


# --- The steering page --------------------------------------------------------------------


def test_pilotage_shows_progress_per_juror(president, jeu):
    response = president.get(url("pilotage"))
    html = contenu(response)
    alice = html.split("Alice Martin", 1)[1].split("</tr>", 1)[0]
    # Alice: 5 assigned, 4 submitted, no draft, 1 not started.
    assert re.findall(r'<td class="num">(\d+)</td>', alice) == ["5", "4", "0", "1"]
    bruno = html.split("Bruno Petit", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td class="num">(\d+)</td>', bruno) == ["5", "3", "1", "1"]
    # A checkbox for each juror with unfinished work, none for the president (nothing assigned).
    assert case(jeu.alice) in html
    assert case(jeu.bruno) in html
    assert case(jeu.president) not in html
    assert "Envoyer un rappel" in html


def test_pilotage_shows_figures_per_dossier(president, jeu):
    response = president.get(url("pilotage"))
    agen = ligne(response, "Agen")
    assert "2 / 2" in agen
    assert "75,0" in agen  # mean and median
    assert "10,0" in agen  # spread
    assert 'aria-label="niveaux 3, 3 sur 5">@@@ · @@@</span>' in agen  # one image for the levels
    assert "Médiation numérique (1)" in agen
    assert "non" in agen  # no disagreement
    bordeaux = ligne(response, "Bordeaux")
    assert "66,7" in bordeaux  # (33.33 + 100) / 2 and 100 − 33.33
    assert "Désaccord" in bordeaux
    assert "niveaux proposés éloignés de deux arobases ou plus" in bordeaux
    assert "écart de 67 points entre les notes" in bordeaux
    assert "1 / 2" in ligne(response, "Cahors")
    assert "0 / 2" in ligne(response, "Eauze")
    assert f'href="{url("pilotage_dossier", jeu.agen.pk)}"' in agen
    assert f'href="{url("export_csv")}"' in contenu(response)
    assert f'href="{url("export_xlsx")}"' in contenu(response)


def test_pilotage_masks_the_dossier_the_president_is_in_conflict_with(president, jeu):
    response = president.get(url("pilotage"))
    dax = ligne(response, "Dax")
    assert MASQUE_HTML in dax
    assert "2 / 2" in dax  # progress is not a score
    for figure in ("20,0", "16,7", "23,3", "6,7", "@", "Désaccord"):
        assert figure not in dax
    assert url("pilotage_dossier", jeu.dax.pk) not in contenu(response)


def test_pilotage_shows_every_score_to_staff(equipe, jeu):
    response = equipe.get(url("pilotage"))
    dax = ligne(response, "Dax")
    assert MASQUE_HTML not in dax
    assert "20,0" in dax  # (16.67 + 23.33) / 2
    assert f'href="{url("pilotage_dossier", jeu.dax.pk)}"' in dax


@pytest.mark.parametrize(
    ("tri", "attendu"),
    [
        ("nom", ["Agen", "Bordeaux", "Cahors", "Dax", "Eauze"]),
        # 75, 66.67, 60; then the masked dossier and the one without figures, by name.
        ("moyenne", ["Agen", "Bordeaux", "Cahors", "Dax", "Eauze"]),
        ("ecart", ["Bordeaux", "Agen", "Cahors", "Dax", "Eauze"]),  # 66.67, 10, 0
        ("progression", ["Eauze", "Cahors", "Agen", "Bordeaux", "Dax"]),  # 0/2, 1/2, then 2/2
    ],
)
def test_pilotage_sorts_dossiers(president, jeu, tri, attendu):
    assert ordre(president.get(url("pilotage"), {"tri": tri})) == attendu


def test_pilotage_sorts_by_calibrated_score_with_the_masked_dossier_last(president, jeu):
    # Alice and Bruno share Agen (70, 80), Bordeaux (33.33, 100) and Dax (16.67, 23.33): Alice's
    # gaps to each dossier's mean are −5, −33.33 and −3.33, −41.67 in all, Bruno's +41.67. Each
    # shared dossier of two reviews counts ½ on the diagonal and −½ between them, so with the
    # penalty of 2: (1.5 + 2) b − 1.5 × (−b) = −41.67 for Alice → b = −8.33, Bruno +8.33.
    # Cahors, scored by Alice alone (60), gets 60 + 8.33 = 68.33 and ranks above Bordeaux
    # (66.67, both jurors: the raw mean) once Alice's severity is taken out. Dax, masked, and
    # Eauze, without figures, go last.
    response = president.get(url("pilotage"), {"tri": "calibree"})
    assert ordre(response) == ["Agen", "Cahors", "Bordeaux", "Dax", "Eauze"]
    assert "68,3" in ligne(response, "Cahors")
    assert "75,0" in ligne(response, "Agen")  # (70 + 8.33 + 80 − 8.33) / 2
    # σ: residuals ±3.33 (Agen), ±25 (Bordeaux), ±5 (Dax): 1,322.2 over 7 scores − 4 dossiers
    # − 1 bias = 2 degrees of freedom, pooled with 5 of 10 points: √(1,822.2 / 7) = 16.13.
    # Cahors, one review: 68.33 ± 1.96 × 16.13 = 36.7 to 100.0; Agen, two: 75 ± 22.4.
    assert "de 36,7 à 100,0" in ligne(response, "Cahors")
    assert "de 52,6 à 97,4" in ligne(response, "Agen")


def test_pilotage_filters_dossiers(president, jeu):
    assert ordre(president.get(url("pilotage"), {"desaccord": "1"})) == ["Bordeaux"]  # not the masked Dax
    assert ordre(president.get(url("pilotage"), {"incomplet": "1"})) == ["Cahors", "Eauze"]
    assert ordre(president.get(url("pilotage"), {"type": "village"})) == ["Cahors"]
    assert ordre(president.get(url("pilotage"), {"region": "76"})) == ["Eauze"]
    response = president.get(url("pilotage"), {"region": "76", "tri": "nom"})
    assert "1 dossier retenu sur 5." in contenu(response)
    assert "Page 1 sur" not in contenu(response)  # one page: no pages


def test_pilotage_sorts_by_departement_then_name(president, jeu):
    assert ordre(president.get(url("pilotage"), {"tri": "departement"})) == [
        "Eauze",  # Gers (32)
        "Agen",
        "Bordeaux",
        "Cahors",
        "Dax",
    ]


@pytest.mark.parametrize(
    ("avancement", "attendu"),
    [
        ("aucune", ["Eauze"]),
        ("partielle", ["Cahors"]),
        ("complete", ["Agen", "Bordeaux", "Dax"]),  # progress is no score: Dax is listed
        ("sans_jure", []),
    ],
)
def test_pilotage_filters_dossiers_by_progress(president, jeu, avancement, attendu):
    response = president.get(url("pilotage"), {"avancement": avancement})
    assert ordre(response) == attendu
    if not attendu:
        assert "Aucun dossier ne correspond à ces critères." in contenu(response)


def test_pilotage_filters_dossiers_by_juror_without_the_masked_dossier(president, jeu):
    # Alice evaluates all five; the president may not learn who evaluates Dax.
    response = president.get(url("pilotage"), {"jure": jeu.alice.pk})
    assert ordre(response) == ["Agen", "Bordeaux", "Cahors", "Eauze"]
    assert ordre(president.get(url("pilotage"), {"jure": jeu.president.pk})) == []  # nothing assigned


def test_pilotage_filters_dossiers_by_juror_for_staff_with_every_dossier(equipe, jeu):
    response = equipe.get(url("pilotage"), {"jure": jeu.alice.pk})
    assert ordre(response) == ["Agen", "Bordeaux", "Cahors", "Dax", "Eauze"]


def test_pilotage_ignores_invalid_filters(president, jeu):
    response = president.get(
        url("pilotage"),
        {"tri": "pirate", "type": "metropole", "region": "99", "avancement": "x", "jure": "z", "page": "-1"},
    )
    assert response.status_code == 200
    assert ordre(response) == ["Agen", "Bordeaux", "Cahors", "Dax", "Eauze"]


def test_pilotage_flags_disagreement_on_staffs_view_of_the_conflicted_dossier(equipe, jeu):
    # Dax: levels 5 and 1; staff see the flag the president may not.
    assert ordre(equipe.get(url("pilotage"), {"desaccord": "1"})) == ["Bordeaux", "Dax"]


def test_pilotage_lists_only_submitted_dossiers_of_the_edition(president, jeu):
    CandidatureFactory(edition=jeu.edition, collectivite=CommuneFactory(nom="Figeac"))  # a draft
    autre = EditionFactory(annee=2026, numero=27)
    CandidatureFactory(
        edition=autre, collectivite=CommuneFactory(nom="Gaillac"), state=Candidature.State.DEPOSEE
    )
    html = contenu(president.get(url("pilotage")))
    assert "Figeac" not in html
    assert "Gaillac" not in html


# --- One dossier --------------------------------------------------------------------------


def test_pilotage_dossier_shows_every_evaluation(president, jeu):
    html = contenu(president.get(url("pilotage_dossier", jeu.agen.pk)))
    assert "Alice Martin — Soumise" in html
    assert "Bruno Petit — Soumise" in html
    assert "Très bonne démarche participative" in html
    assert "4 / 5" in html and "5 / 10" in html
    assert "Bravo pour l&#x27;inclusion numérique à Agen." in html
    assert "=HYPERLINK(&quot;http://exemple.test&quot;)" in html  # note pour le jury, escaped
    assert "Médiation numérique" in html
    assert "70,0" in html and "80,0" in html and "75,0" in html
    assert "Note calibrée et son intervalle (sur 100)" in html
    assert "de 52,6 à 97,4" in html
    assert "(sévérité du juré\u00a0: -8,3 points\u202f;" in html  # Alice
    assert "(sévérité du juré\u00a0: 8,3 points\u202f;" in html  # Bruno


def test_pilotage_dossier_shows_drafts_with_their_state(president, jeu):
    html = contenu(president.get(url("pilotage_dossier", jeu.cahors.pk)))
    assert "Bruno Petit — Commencée" in html
    assert "Brouillon de Bruno" in html
    assert "pas encore soumise" in html


def test_pilotage_dossier_and_export_flag_an_evaluation_reopened_after_reading_the_others(president, jeu):
    jeu.alice.evaluations.filter(candidature=jeu.agen).update(rouverte_apres_consultation=True)
    page = contenu(president.get(url("pilotage_dossier", jeu.agen.pk)))
    assert page.count("rouverte après consultation des notes des autres jurés") == 1
    assert (
        "Soumise (rouverte après consultation des autres notes)"
        in president.get(url("export_csv")).content.decode()
    )


def test_pilotage_dossier_is_404_for_the_conflicted_president(president, jeu):
    assert president.get(url("pilotage_dossier", jeu.dax.pk)).status_code == 404


def test_pilotage_dossier_is_open_to_staff_even_when_the_president_is_conflicted(equipe, jeu):
    html = contenu(equipe.get(url("pilotage_dossier", jeu.dax.pk)))
    assert "Avis secret sur Dax" in html


def test_pilotage_dossier_is_404_unless_submitted_to_this_edition(president, jeu):
    brouillon = CandidatureFactory(edition=jeu.edition)
    autre = CandidatureFactory(edition=EditionFactory(annee=2026, numero=27), state=Candidature.State.DEPOSEE)
    assert president.get(url("pilotage_dossier", brouillon.pk)).status_code == 404
    assert president.get(url("pilotage_dossier", autre.pk)).status_code == 404
    assert president.get(url("pilotage_dossier", 999999)).status_code == 404


# --- Exports ------------------------------------------------------------------------------


def lire_csv(response):
    assert response.content.startswith("\ufeff".encode())  # the BOM: spreadsheets read UTF-8
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def test_export_csv_has_every_score_and_comment(president, jeu):
    response = president.get(url("export_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="jury-2027-notes.csv"'
    rows = lire_csv(response)
    # Agen 2, Bordeaux 2, Cahors 2, Dax 1 (masked), Eauze 2.
    assert [r["Collectivité"] for r in rows] == ["Agen"] * 2 + ["Bordeaux"] * 2 + ["Cahors"] * 2 + ["Dax"] + [
        "Eauze"
    ] * 2
    alice = rows[0]
    assert alice["Juré"] == "Alice Martin"
    assert alice["État de l'évaluation"] == "Soumise"
    assert alice["Code INSEE ou SIREN"] == jeu.agen.collectivite.code
    assert alice["Type"] == "Ville"
    assert alice["Département"] == "Lot-et-Garonne (47)"
    assert alice["Région"] == "Nouvelle-Aquitaine"
    assert alice["Moyenne (sur 100)"] == "75,00"
    assert alice["Médiane (sur 100)"] == "75,00"
    assert alice["Écart (points)"] == "10,00"
    # Alice's severity (−8.33) and Bruno's generosity cancel out on Agen: 75 ± 22.36 (see the
    # sort by calibrated score).
    assert alice["Note calibrée (sur 100)"] == "75,00"
    assert alice["Note calibrée, bas de l'intervalle (sur 100)"] == "52,64"
    assert alice["Note calibrée, haut de l'intervalle (sur 100)"] == "97,36"
    assert "Note normalisée (sur 100)" not in alice
    assert rows[4]["Note calibrée (sur 100)"] == "68,33"  # Cahors: Alice's 60 + 8.33
    assert alice["Désaccord"] == ""
    assert alice["Note du juré (sur 100)"] == "70,00"
    assert alice["Démocratie et services publics (note sur 5)"] == "4"
    assert alice["Démocratie et services publics (commentaire)"] == "Très bonne démarche participative"
    assert alice["Cohérence (note sur 10)"] == "5"
    assert alice["Niveau proposé"] == "3"
    assert alice["Mentions proposées"] == "Médiation numérique"
    assert alice["Commentaire pour la collectivité"] == "Bravo pour l'inclusion numérique à Agen."
    assert alice["Note pour le jury"] == '\'=HYPERLINK("http://exemple.test")'  # no formula
    assert "niveaux proposés éloignés" in rows[2]["Désaccord"]
    brouillon = rows[5]
    assert (brouillon["Juré"], brouillon["État de l'évaluation"]) == ("Bruno Petit", "Commencée")
    assert brouillon["Note du juré (sur 100)"] == ""
    assert brouillon["Démocratie et services publics (commentaire)"] == "Brouillon de Bruno"


def test_export_csv_masks_the_conflicted_dossier(president, jeu):
    response = president.get(url("export_csv"))
    [dax] = [r for r in lire_csv(response) if r["Collectivité"] == "Dax"]
    assert dax["Moyenne (sur 100)"] == MASQUE
    assert not any(
        v
        for k, v in dax.items()
        if k
        not in ("Collectivité", "Code INSEE ou SIREN", "Type", "Département", "Région", "Moyenne (sur 100)")
    )
    assert "Avis secret" not in response.content.decode("utf-8-sig")


def test_export_csv_shows_everything_to_staff(equipe, jeu):
    rows = [r for r in lire_csv(equipe.get(url("export_csv"))) if r["Collectivité"] == "Dax"]
    assert [r["Juré"] for r in rows] == ["Alice Martin", "Bruno Petit"]
    assert rows[0]["Démocratie et services publics (commentaire)"] == "Avis secret sur Dax"
    assert rows[0]["Moyenne (sur 100)"] == "20,00"


def test_export_xlsx_opens_with_numbers_as_numbers(president, jeu):
    response = president.get(url("export_xlsx"))
    assert response["Content-Disposition"] == 'attachment; filename="jury-2027-notes.xlsx"'
    classeur = openpyxl.load_workbook(io.BytesIO(response.content))
    feuille = classeur.active
    assert feuille.title == "Notes du jury 2027"
    assert feuille.freeze_panes == "A2"
    entete = [c.value for c in feuille[1]]
    assert all(c.font.b for c in feuille[1])
    assert entete[:3] == ["Collectivité", "Code INSEE ou SIREN", "Type"]
    rows = [dict(zip(entete, (c.value for c in row), strict=True)) for row in feuille.iter_rows(min_row=2)]
    alice = rows[0]
    assert alice["Collectivité"] == "Agen"
    assert alice["Moyenne (sur 100)"] == 75.0
    assert alice["Note du juré (sur 100)"] == 70.0
    assert alice["Démocratie et services publics (note sur 5)"] == 4
    assert alice["Niveau proposé"] == 3
    assert alice["Commentaire pour la collectivité"] == "Bravo pour l'inclusion numérique à Agen."
    assert alice["Note pour le jury"] == '\'=HYPERLINK("http://exemple.test")'
    [dax] = [r for r in rows if r["Collectivité"] == "Dax"]
    assert dax["Moyenne (sur 100)"] == MASQUE
    assert dax["Juré"] is None
    assert not any("Avis secret" in str(v) for row in rows for v in row.values())


def test_export_xlsx_writes_no_formula_hidden_behind_a_control_character(president, jeu):
    evaluation = jeu.alice.evaluations.get(candidature=jeu.agen)
    evaluation.note_jury = '\x01=HYPERLINK("http://exemple.test","voir")'
    evaluation.save()
    feuille = openpyxl.load_workbook(io.BytesIO(president.get(url("export_xlsx")).content)).active
    cellules = [c for row in feuille.iter_rows(min_row=2) for c in row if c.value]
    assert not [c.value for c in cellules if c.data_type == "f"]
    assert '\'=HYPERLINK("http://exemple.test","voir")' in [c.value for c in cellules]


# --- Reminders ----------------------------------------------------------------------------


def test_rappels_by_hand_reach_jurors_with_unfinished_work(
    president, jeu, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = president.post(
            url("rappels"), {"jures": [jeu.alice.pk, jeu.bruno.pk, jeu.president.pk]}, follow=True
        )
    assert response.redirect_chain == [(url("pilotage"), 302)]
    assert textes(response) == [
        "Rappels envoyés à 2 jurés\u00a0: Alice Martin, Bruno Petit.",
        "Plus aucun dossier à évaluer, pas de rappel\u00a0: Hélène Présidente.",
    ]
    assert sorted(m.to[0] for m in mailoutbox) == sorted([jeu.alice.user.email, jeu.bruno.user.email])
    [alice] = [m for m in mailoutbox if m.to == [jeu.alice.user.email]]
    assert alice.subject == "[Villes Internet] Label 2027\u00a0: 1 dossier à évaluer avant la réunion du jury"
    assert "Il vous reste 1 dossier à évaluer pour le Label 2027." in alice.body
    assert "/jury/2027/" in alice.body
    with translation.override("fr"):
        assert f"Le jury se réunit le {date_format(jeu.edition.jury_date, 'l j F Y')}" in alice.body
    assert alice.alternatives  # an HTML part too
    [bruno] = [m for m in mailoutbox if m.to == [jeu.bruno.user.email]]
    assert "2 dossiers à évaluer" in bruno.subject  # Cahors (draft) and Eauze
    rappels = RappelJure.objects.order_by("jure__nom")
    assert [(r.jure, r.jours, r.by) for r in rappels] == [
        (jeu.alice, None, jeu.president.user),
        (jeu.bruno, None, jeu.president.user),
    ]
    # The juror table shows when they were last reminded.
    html = contenu(president.get(url("pilotage")))
    assert "aucun" in html.split("Hélène Présidente", 1)[1].split("</tr>", 1)[0]
    assert "aucun" not in html.split("Alice Martin", 1)[1].split("</tr>", 1)[0]


def test_rappels_clicked_twice_send_once(president, jeu, mailoutbox, django_capture_on_commit_callbacks):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = president.post(url("rappels"), {"jures": [jeu.alice.pk]}, follow=True)
    assert len(mailoutbox) == 1
    assert textes(response) == [
        "Déjà relancé il y a moins d'une heure, pas de nouveau rappel\u00a0: Alice Martin."
    ]
    assert RappelJure.objects.count() == 1


def test_rappels_need_a_ticked_juror_of_the_edition(president, jeu, mailoutbox):
    autre = JureFactory(edition=EditionFactory(annee=2026, numero=27))
    for data in ({}, {"jures": ["x"]}, {"jures": [autre.pk]}):
        response = president.post(url("rappels"), data, follow=True)
        assert textes(response) == ["Cochez au moins un juré à qui envoyer un rappel."]
    assert not mailoutbox
    assert not RappelJure.objects.exists()


def test_rappels_refused_once_the_deliberation_is_open(president, jeu, mailoutbox):
    Jury.objects.filter(pk=jeu.jury.pk).update(phase=Jury.Phase.DELIBERATION)
    response = president.post(url("rappels"), {"jures": [jeu.alice.pk]}, follow=True)
    assert textes(response) == ["Les évaluations sont closes\u00a0: aucun rappel n'a été envoyé."]
    assert not mailoutbox
    assert 'name="jures"' not in contenu(president.get(url("pilotage")))


def reunion_dans(edition, jours):
    Edition.objects.filter(pk=edition.pk).update(
        jury_date=timezone.localdate() + datetime.timedelta(days=jours)
    )


@pytest.mark.parametrize(
    ("jours", "attendu"),
    [(None, None), (20, None), (8, None), (7, 7), (3, 7), (2, 2), (1, 2), (0, None), (-1, None)],
)
def test_rappels_threshold_is_the_smallest_reached(jours, attendu):
    today = timezone.localdate()
    edition = Edition(jury_date=None if jours is None else today + datetime.timedelta(days=jours))
    assert seuil(edition) == attendu


def test_rappels_automatic_at_7_and_2_days_once_each(jeu, mailoutbox, django_capture_on_commit_callbacks):
    envoyes = []
    for jours in (20, 8, 7, 7, 5, 2, 2, 1):
        reunion_dans(jeu.edition, jours)
        with django_capture_on_commit_callbacks(execute=True):
            envoyes.append(rappels_automatiques())
    # Alice and Bruno have work left; the president has none.
    assert envoyes == [0, 0, 2, 0, 0, 2, 0, 0]
    assert sorted(RappelJure.objects.values_list("jure__nom", "jours")) == [
        ("Alice Martin", 2),
        ("Alice Martin", 7),
        ("Bruno Petit", 2),
        ("Bruno Petit", 7),
    ]
    assert len(mailoutbox) == 4
    assert all(r.by is None for r in RappelJure.objects.all())


def test_rappels_automatic_catch_up_a_missed_run_once(jeu, mailoutbox, django_capture_on_commit_callbacks):
    reunion_dans(jeu.edition, 1)  # nothing was sent at 7 nor at 2 days
    with django_capture_on_commit_callbacks(execute=True):
        assert rappels_automatiques() == 2
        assert rappels_automatiques() == 0
    assert set(RappelJure.objects.values_list("jours", flat=True)) == {2}


def test_rappels_automatic_by_the_beat_task(jeu, mailoutbox, django_capture_on_commit_callbacks):
    reunion_dans(jeu.edition, 6)
    with django_capture_on_commit_callbacks(execute=True):
        rappeler_jures.delay()
        rappeler_jures.delay()
    assert len(mailoutbox) == 2
    assert {m.to[0] for m in mailoutbox} == {jeu.alice.user.email, jeu.bruno.user.email}
    assert all("Le jury se réunit le" in m.body for m in mailoutbox)


def test_rappels_automatic_skip_finished_jurors_and_closed_phases(
    jeu, mailoutbox, django_capture_on_commit_callbacks
):
    Evaluation.objects.filter(jure=jeu.alice).update(state=SOUMISE)
    reunion_dans(jeu.edition, 7)
    with django_capture_on_commit_callbacks(execute=True):
        assert rappels_automatiques() == 1
    assert [m.to for m in mailoutbox] == [[jeu.bruno.user.email]]
    Jury.objects.filter(pk=jeu.jury.pk).update(phase=Jury.Phase.DELIBERATION)
    reunion_dans(jeu.edition, 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert rappels_automatiques() == 0


def test_rappels_automatic_ignore_withdrawn_and_draft_candidatures(
    jeu, mailoutbox, django_capture_on_commit_callbacks
):
    Evaluation.objects.exclude(state=SOUMISE).update(state=SOUMISE)
    retiree = CandidatureFactory(edition=jeu.edition, state=Candidature.State.RETIREE)
    EvaluationFactory(jure=jeu.alice, candidature=retiree)
    reunion_dans(jeu.edition, 7)
    with django_capture_on_commit_callbacks(execute=True):
        assert rappels_automatiques() == 0
    assert not mailoutbox


# --- Query counts -------------------------------------------------------------------------


def ajouter_dossiers(jeu, n, factory=CommuneFactory):
    """``n`` more submitted dossiers, each scored by Alice and Bruno with a mention."""
    candidatures = [
        CandidatureFactory(edition=jeu.edition, state=Candidature.State.DEPOSEE, collectivite=c)
        for c in factory.create_batch(n)
    ]
    evaluations = Evaluation.objects.bulk_create(
        [
            Evaluation(jure=jure, candidature=c, state=SOUMISE, niveau_propose=1 + (i + k) % 5)
            for i, c in enumerate(candidatures)
            for k, jure in enumerate((jeu.alice, jeu.bruno))
        ]
    )
    Note.objects.bulk_create(
        [
            Note(evaluation=e, critere=critere, score=(e.pk + k) % 6, commentaire="Bien")
            for e in evaluations
            for k, critere in enumerate((jeu.a, jeu.b))
        ]
    )
    Evaluation.mentions_proposees.through.objects.bulk_create(
        [Evaluation.mentions_proposees.through(evaluation=e, mention=jeu.mediation) for e in evaluations]
    )


def requetes(client, path):
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200
    return len(context)


@pytest.fixture
def petit_jeu(client):
    """One dossier (a territoire); the president (with a declared conflict elsewhere) signed in."""
    edition = EditionFactory(annee=ANNEE, jury_date=timezone.localdate() + datetime.timedelta(days=10))
    jeu = SimpleNamespace(
        edition=edition,
        a=CritereFactory(edition=edition, poids=2, echelle=5),
        b=CritereFactory(edition=edition, poids=1, echelle=10),
        president=JureFactory(edition=edition, president=True),
        alice=JureFactory(edition=edition, nom="Alice Martin"),
        bruno=JureFactory(edition=edition, nom="Bruno Petit"),
        mediation=Mention.objects.create(edition=edition, nom="Médiation numérique"),
    )
    ConflitDeclare.objects.create(
        jure=jeu.president, collectivite=CommuneFactory(nom="Bordeaux"), motif="élue"
    )
    connecter(client, jeu.president.user)
    ajouter_dossiers(jeu, 1, factory=EpciFactory)  # a territoire: its member communes are looked up
    client.get(url("pilotage"))  # warms the caches of the session and the navigation
    return jeu


# The steering page, whatever the number of dossiers: the signed-in user, the edition, the
# viewer's juror seat, their authenticator, the jury; the candidatures; the president's conflicts
# (member communes of the territoires, memberships, declared conflicts); the aggregation
# (criteria, evaluations, their mentions, their notes); the jurors with their progress.
PAGES_REQUETES = 14


def test_pilotage_query_count_does_not_grow_with_dossiers(client, petit_jeu):
    un = requetes(client, url("pilotage"))
    ajouter_dossiers(petit_jeu, 299)
    trois_cents = requetes(client, url("pilotage"))
    print(f"\nPage de pilotage : {un} requêtes pour 1 dossier, {trois_cents} pour 300 dossiers.")
    assert trois_cents == un == PAGES_REQUETES


def test_pilotage_query_count_with_filters_sort_and_page_does_not_grow_with_dossiers(client, petit_jeu):
    path = url("pilotage") + f"?jure={petit_jeu.alice.pk}&avancement=complete&tri=moyenne&page=2"
    un = requetes(client, path)
    ajouter_dossiers(petit_jeu, 299)
    assert requetes(client, path) == un == PAGES_REQUETES + 1  # the juror's dossiers


def test_exports_and_dossier_page_query_counts_do_not_grow_with_dossiers(client, petit_jeu):
    premier = Candidature.objects.get(edition=petit_jeu.edition)
    avant = [requetes(client, url(name)) for name in ("export_csv", "export_xlsx")]
    avant.append(requetes(client, url("pilotage_dossier", premier.pk)))
    ajouter_dossiers(petit_jeu, 99)
    apres = [requetes(client, url(name)) for name in ("export_csv", "export_xlsx")]
    apres.append(requetes(client, url("pilotage_dossier", premier.pk)))
    print(f"\nExports CSV, XLSX et page d'un dossier : {avant} requêtes pour 1 dossier, {apres} pour 100.")
    assert apres == avant
