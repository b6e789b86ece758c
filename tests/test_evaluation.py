"""A juror evaluates a dossier: the dossier beside the form, draft and autosave under an
optimistic lock, submit once, reopen while the phase allows, the others' scores after one's own."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from jury import evaluation as domaine
from jury.models import ConflitDeclare, Evaluation, Jury, Note
from label.models import Mention, PieceJointe, Reponse
from tests.factories import (
    CandidatureFactory,
    CritereFactory,
    EditionFactory,
    EvaluationFactory,
    FicheFactory,
    JureFactory,
    QuestionFactory,
    SectionFactory,
    ServiceFactory,
)
from tests.jury import connecter

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
State = Evaluation.State


@pytest.fixture
def edition():
    return EditionFactory()


@pytest.fixture
def criteres(edition):
    return [
        CritereFactory(edition=edition, libelle="Démocratie et services publics", echelle=5, aide="Ampleur."),
        CritereFactory(edition=edition, libelle="Cohérence et ambition", echelle=10),
    ]


@pytest.fixture
def jure(edition):
    return JureFactory(edition=edition, nom="Claire Dupont")


@pytest.fixture
def evaluation(jure, criteres):
    return EvaluationFactory(jure=jure, candidature__collectivite__nom="Agen")


@pytest.fixture
def juror_client(client, jure):
    return connecter(client, jure.user)


def url(name, evaluation, *args):
    return reverse(
        f"jury:{name}", args=[evaluation.candidature.edition.annee, evaluation.candidature_id, *args]
    )


def score(critere):
    return f"score_{critere.pk}"


def commentaire(critere):
    return f"commentaire_{critere.pk}"


def form_data(evaluation, criteres, version=None, **values):
    """What the page's form posts: every field, empty unless given."""
    data = {
        "version": version or evaluation.version,
        "niveau_propose": "",
        "commentaire_collectivite": "",
        "note_jury": "",
    }
    for critere in criteres:
        data[score(critere)] = ""
        data[commentaire(critere)] = ""
    data.update(values)
    return data


def complete(evaluation, criteres, version=None, **values):
    return form_data(
        evaluation,
        criteres,
        version,
        **{score(criteres[0]): "4", score(criteres[1]): "7", "niveau_propose": "3", **values},
    )


def saved(evaluation, criteres, by=None):
    """Save a complete draft through the domain, as the juror."""
    result = domaine.enregistrer(
        evaluation,
        {
            "notes": {c.pk: {"score": 3, "commentaire": ""} for c in criteres},
            "niveau_propose": 3,
        },
        evaluation.version,
        by or evaluation.jure.user,
    )
    assert result.ok
    return evaluation


def submitted(evaluation, criteres):
    saved(evaluation, criteres)
    return domaine.soumettre(evaluation, evaluation.jure.user)


def set_phase(edition, phase):
    Jury.objects.update_or_create(edition=edition, defaults={"phase": phase})


# --- The page ---------------------------------------------------------------------------------


def test_evaluer_shows_the_dossier_beside_the_form(juror_client, evaluation, criteres, taxonomie):
    candidature = evaluation.candidature
    question = QuestionFactory(
        section=SectionFactory(edition=candidature.edition, titre="Gouvernance"),
        libelle="Qui pilote le numérique ?",
    )
    Reponse.objects.create(candidature=candidature, question=question, valeur="Un adjoint au maire.")
    fiche = FicheFactory(
        collectivite=candidature.collectivite, titre="Ateliers seniors", services=[taxonomie["inclusion"]]
    )
    candidature.fiches.add(fiche)
    piece = PieceJointe.objects.create(
        candidature=candidature,
        fichier=SimpleUploadedFile("d.pdf", PDF),
        nom="deliberation.pdf",
        content_type="application/pdf",
        taille=len(PDF),
    )
    response = juror_client.get(url("evaluer", evaluation))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Évaluation\u00a0: Agen" in page
    assert "Qui pilote le numérique ?" in page and "Un adjoint au maire." in page
    assert "Ateliers seniors" in page and "Inclusion numérique" in page
    assert "Mosaïque des enjeux" in page and "1 enjeu couvert sur 2" in page
    assert url("piece", evaluation, piece.pk) in page
    # The form: a fieldset per criterion with its help, a radio group 0..5 and 0..10, the level.
    assert "<legend>Démocratie et services publics</legend>" in page
    assert 'id="aide-critere-' in page
    assert f'name="{score(criteres[0])}" value="5"' in page
    assert f'name="{score(criteres[0])}" value="6"' not in page
    assert f'name="{score(criteres[1])}" value="10"' in page
    assert "3 arobases" in page
    assert 'data-hx-post="' + url("autosave", evaluation) in page  # data-hx-*: valid HTML
    assert "js/jury.js" in page and "css/jury.css" in page


def test_evaluer_a_criterion_with_a_large_scale_is_a_number_field(juror_client, evaluation, edition):
    critere = CritereFactory(edition=edition, libelle="Budget", echelle=20)
    page = juror_client.get(url("evaluer", evaluation)).content.decode()
    assert f'type="number" name="{score(critere)}"' in page
    assert 'max="20"' in page and 'min="0"' in page


def test_evaluer_page_query_count_does_not_grow_with_fiches(
    juror_client, evaluation, criteres, django_assert_max_num_queries
):
    candidature = evaluation.candidature
    candidature.fiches.add(FicheFactory(collectivite=candidature.collectivite))
    juror_client.get(url("evaluer", evaluation))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        juror_client.get(url("evaluer", evaluation))
    for _ in range(10):
        candidature.fiches.add(
            FicheFactory(collectivite=candidature.collectivite, services=[ServiceFactory(), ServiceFactory()])
        )
    with django_assert_max_num_queries(len(one)):
        juror_client.get(url("evaluer", evaluation))


# --- Draft ------------------------------------------------------------------------------------


def test_evaluer_post_saves_the_draft_and_starts_the_evaluation(juror_client, evaluation, criteres, edition):
    mention = Mention.objects.create(edition=edition, nom="Arobase verte")
    data = form_data(
        evaluation,
        criteres,
        **{
            score(criteres[0]): "4",
            commentaire(criteres[0]): "Des services en ligne nombreux.",
            "niveau_propose": "4",
            "mentions_proposees": [mention.pk],
            "commentaire_collectivite": "Bravo pour les ateliers.",
            "note_jury": "À comparer avec Nérac.",
        },
    )
    response = juror_client.post(url("evaluer", evaluation), data, follow=True)
    assert "Brouillon enregistré à" in response.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.state == State.BROUILLON
    assert evaluation.version == 2
    assert evaluation.niveau_propose == 4
    assert list(evaluation.mentions_proposees.all()) == [mention]
    assert evaluation.commentaire_collectivite == "Bravo pour les ateliers."
    assert evaluation.note_jury == "À comparer avec Nérac."
    notes = {n.critere_id: n for n in evaluation.notes.all()}
    assert notes[criteres[0].pk].score == 4
    assert notes[criteres[0].pk].commentaire == "Des services en ligne nombreux."
    assert notes[criteres[1].pk].score is None
    page = response.content.decode()
    assert f'name="{score(criteres[0])}" value="4" required' not in page  # a draft needs nothing
    assert f'name="{score(criteres[0])}" value="4" id' in page and "checked" in page


def test_autosave_returns_the_status_and_the_new_version(juror_client, evaluation, criteres):
    response = juror_client.post(
        url("autosave", evaluation), form_data(evaluation, criteres, **{score(criteres[0]): "2"}), **HTMX
    )
    fragment = response.content.decode()
    assert response.status_code == 200
    assert "Brouillon enregistré à" in fragment
    assert re.search(r'name="version"\s+value="2"\s+id="id_version"\s+data-hx-swap-oob="true"', fragment)
    assert Note.objects.get(critere=criteres[0]).score == 2
    response = juror_client.post(
        url("autosave", evaluation), form_data(evaluation, criteres, 2, **{score(criteres[0]): "3"}), **HTMX
    )
    assert re.search(r'name="version"\s+value="3"', response.content.decode())
    assert Note.objects.get(critere=criteres[0]).score == 3


def test_autosave_from_a_stale_tab_is_a_conflict_and_overwrites_nothing(juror_client, evaluation, criteres):
    juror_client.post(
        url("autosave", evaluation), form_data(evaluation, criteres, 1, **{score(criteres[0]): "5"}), **HTMX
    )
    response = juror_client.post(  # the other tab still has version 1
        url("autosave", evaluation), form_data(evaluation, criteres, 1, **{score(criteres[0]): "1"}), **HTMX
    )
    fragment = response.content.decode()
    assert "Non enregistré\u00a0: votre évaluation a été modifiée depuis une autre page" in fragment
    assert 'name="ecraser" value="2"' in fragment
    assert Note.objects.get(critere=criteres[0]).score == 5
    assert Evaluation.objects.get().version == 2


def test_evaluer_post_conflict_keeps_what_was_typed_then_keep_mine_saves_it(
    juror_client, evaluation, criteres
):
    saved(evaluation, criteres)  # another tab saved: version 2
    mine = form_data(evaluation, criteres, 1, **{commentaire(criteres[0]): "Mon commentaire tapé"})
    response = juror_client.post(url("evaluer", evaluation), mine)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Votre évaluation a été modifiée ailleurs" in page
    assert "Mon commentaire tapé" in page
    assert Note.objects.get(critere=criteres[0]).commentaire == ""
    response = juror_client.post(url("evaluer", evaluation), {**mine, "ecraser": "2"})
    assert response.status_code == 302
    assert Note.objects.get(critere=criteres[0]).commentaire == "Mon commentaire tapé"
    assert Evaluation.objects.get().version == 3


# --- Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (0, "6", "La note doit être un nombre entier de 0 à 5."),
        (0, "-1", "La note doit être un nombre entier de 0 à 5."),
        (1, "11", "La note doit être un nombre entier de 0 à 10."),
        (1, "beaucoup", "La note doit être un nombre entier de 0 à 10."),
        ("niveau_propose", "0", "Le niveau proposé doit être compris entre 1@ et 5@."),
        ("niveau_propose", "6", "Le niveau proposé doit être compris entre 1@ et 5@."),
    ],
)
def test_out_of_range_input_is_refused_with_a_message_and_nothing_changes(
    juror_client, evaluation, criteres, field, value, message
):
    name = score(criteres[field]) if isinstance(field, int) else field
    data = form_data(
        evaluation, criteres, **{name: value, "note_jury": "Texte tapé", score(criteres[0]): "2"}
    )
    data[name] = value
    response = juror_client.post(url("evaluer", evaluation), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert "Rien n'est enregistré" in page
    assert "Texte tapé" in page  # nothing typed is lost
    fragment = juror_client.post(url("autosave", evaluation), data, **HTMX).content.decode()
    assert "Non enregistré, à corriger" in fragment and message in fragment
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.version, evaluation.note_jury) == (State.A_FAIRE, 1, "")
    assert not Note.objects.exists()


def test_a_mention_of_another_edition_is_refused(juror_client, evaluation, criteres):
    autre = Mention.objects.create(edition=EditionFactory(annee=2026, numero=27), nom="Mention libre")
    data = form_data(evaluation, criteres, mentions_proposees=[autre.pk])
    response = juror_client.post(url("evaluer", evaluation), data)
    assert response.status_code == 400
    assert "Seules les mentions de cette édition peuvent être proposées." in response.content.decode()
    assert not evaluation.mentions_proposees.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"notes": {"CRITERE": {"score": 6, "commentaire": ""}}},
        {"notes": {"CRITERE": {"score": -1, "commentaire": ""}}},
        {"niveau_propose": 0},
        {"niveau_propose": 6},
        {"note_jury": "x" * 5001},
    ],
)
def test_enregistrer_checks_the_data_again_and_writes_nothing(evaluation, criteres, data):
    if "notes" in data:
        data = {"notes": {criteres[0].pk: data["notes"]["CRITERE"]}}
    with pytest.raises(domaine.Refus):
        domaine.enregistrer(evaluation, data, 1, evaluation.jure.user)
    evaluation.refresh_from_db()
    assert evaluation.version == 1 and not Note.objects.exists()


def test_enregistrer_refuses_a_criterion_of_another_edition_and_another_user(evaluation, criteres, staff):
    other = CritereFactory(edition=EditionFactory(annee=2026, numero=27))
    with pytest.raises(domaine.Refus):
        domaine.enregistrer(evaluation, {"notes": {other.pk: {"score": 1}}}, 1, evaluation.jure.user)
    with pytest.raises(domaine.Refus):
        domaine.enregistrer(evaluation, {"niveau_propose": 2}, 1, staff)
    assert Evaluation.objects.get().version == 1


# --- Submit and reopen ------------------------------------------------------------------------


def test_soumettre_needs_every_criterion_and_a_level_and_keeps_the_draft(juror_client, evaluation, criteres):
    data = form_data(evaluation, criteres, **{score(criteres[0]): "4"})
    response = juror_client.post(url("soumettre", evaluation), data, follow=True)
    page = response.content.decode()
    assert "Pour soumettre l&#x27;évaluation, il manque" in page
    assert "la note de «\u00a0Cohérence et ambition\u00a0»" in page and "le niveau proposé" in page
    evaluation.refresh_from_db()
    assert evaluation.state == State.BROUILLON  # the draft was saved
    assert Note.objects.get(critere=criteres[0]).score == 4


def test_soumettre_saves_the_form_submits_and_shows_it_read_only(juror_client, evaluation, criteres):
    response = juror_client.post(url("soumettre", evaluation), complete(evaluation, criteres), follow=True)
    page = response.content.decode()
    assert "Évaluation soumise." in page
    evaluation.refresh_from_db()
    assert evaluation.state == State.SOUMISE and evaluation.submitted_at is not None
    assert "hx-post" not in page and f'name="{score(criteres[0])}"' not in page
    assert "4 sur 5" in page and "7 sur 10" in page and "3 arobases" in page
    assert url("rouvrir", evaluation) in page
    assert "Rouvrir mon évaluation" in page


def test_a_double_submit_submits_once_and_the_second_gets_a_message(juror_client, evaluation, criteres):
    data = complete(evaluation, criteres)
    juror_client.post(url("soumettre", evaluation), data)
    first = Evaluation.objects.get()
    response = juror_client.post(url("soumettre", evaluation), data, follow=True)
    assert "Cette évaluation est déjà soumise\u00a0: elle ne l&#x27;a été qu&#x27;une fois." in (
        response.content.decode()
    )
    again = Evaluation.objects.get()
    assert (again.state, again.version, again.submitted_at) == (
        State.SOUMISE,
        first.version,
        first.submitted_at,
    )


def test_soumettre_twice_in_the_domain_raises_deja_soumise(evaluation, criteres):
    submitted(evaluation, criteres)
    with pytest.raises(domaine.DejaSoumise):
        domaine.soumettre(evaluation, evaluation.jure.user)


def test_a_submitted_evaluation_cannot_be_saved(juror_client, evaluation, criteres):
    submitted(evaluation, criteres)
    version = Evaluation.objects.get().version
    data = complete(evaluation, criteres, version, note_jury="trop tard")
    fragment = juror_client.post(url("autosave", evaluation), data, **HTMX).content.decode()
    assert "Cette évaluation est soumise\u00a0: rouvrez-la pour la modifier." in fragment
    response = juror_client.post(url("evaluer", evaluation), data)
    assert response.status_code == 403
    assert Evaluation.objects.get().note_jury == ""


def test_rouvrir_makes_it_a_draft_again_and_a_second_click_gets_a_message(juror_client, evaluation, criteres):
    submitted(evaluation, criteres)
    response = juror_client.post(url("rouvrir", evaluation), follow=True)
    assert "Évaluation rouverte" in response.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.state == State.BROUILLON and evaluation.submitted_at is None
    response = juror_client.post(url("rouvrir", evaluation), follow=True)
    assert "n&#x27;est pas soumise" in response.content.decode()
    assert 'data-hx-post="' in response.content.decode()  # the form is back


def test_rouvrir_after_reading_the_others_scores_is_recorded_and_the_juror_told(
    juror_client, evaluation, criteres, edition
):
    autre = EvaluationFactory(jure=JureFactory(edition=edition), candidature=evaluation.candidature)
    submitted(autre, criteres)
    submitted(evaluation, criteres)
    page = juror_client.get(url("evaluer", evaluation)).content.decode()
    assert "Évaluations des autres jurés" in page
    assert (
        "Vous avez pu lire les évaluations des autres jurés\u00a0: si vous rouvrez la vôtre, "
        "la présidence du jury le verra." in page
    )
    assert 'aria-describedby="rouvrir-aide"' in page
    response = juror_client.post(url("rouvrir", evaluation), follow=True)
    page = response.content.decode()
    assert "Évaluation rouverte" in page
    assert "La présidence du jury verra que vous avez rouvert votre évaluation" in page
    evaluation.refresh_from_db()
    assert evaluation.state == State.BROUILLON and evaluation.rouverte_apres_consultation
    # Submitted and reopened again: the mark stays.
    domaine.soumettre(evaluation, evaluation.jure.user)
    Evaluation.objects.filter(pk=autre.pk).delete()
    domaine.rouvrir(evaluation, evaluation.jure.user)
    assert evaluation.rouverte_apres_consultation


@pytest.mark.parametrize("cas", ["notes_cachees", "seulement_un_brouillon", "seul_sur_le_dossier"])
def test_rouvrir_without_having_seen_other_scores_is_not_recorded(
    juror_client, evaluation, criteres, edition, cas
):
    Jury.objects.create(edition=edition, notes_visibles_apres_soumission=cas != "notes_cachees")
    if cas != "seul_sur_le_dossier":
        autre = EvaluationFactory(jure=JureFactory(edition=edition), candidature=evaluation.candidature)
        (saved if cas == "seulement_un_brouillon" else submitted)(autre, criteres)
    EvaluationFactory(jure=JureFactory(edition=edition), state=State.SOUMISE)  # another dossier's
    submitted(evaluation, criteres)
    page = juror_client.get(url("evaluer", evaluation)).content.decode()
    assert "Rouvrir mon évaluation" in page and "la présidence du jury le verra" not in page
    response = juror_client.post(url("rouvrir", evaluation), follow=True)
    assert "La présidence du jury verra" not in response.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.state == State.BROUILLON and not evaluation.rouverte_apres_consultation


@pytest.mark.parametrize("phase", [Jury.Phase.DELIBERATION, Jury.Phase.CLOSE])
def test_once_the_deliberation_opens_nothing_changes(juror_client, evaluation, criteres, edition, phase):
    saved(evaluation, criteres)
    other = EvaluationFactory(jure=evaluation.jure)
    submitted(other, criteres)
    set_phase(edition, phase)
    data = complete(evaluation, criteres, 2, note_jury="trop tard")
    assert juror_client.post(url("evaluer", evaluation), data).status_code == 403
    fragment = juror_client.post(url("autosave", evaluation), data, **HTMX).content.decode()
    assert "La délibération est" in fragment
    response = juror_client.post(url("soumettre", evaluation), data, follow=True)
    assert "La délibération est" in response.content.decode()
    response = juror_client.post(url("rouvrir", other), follow=True)
    assert "La délibération est" in response.content.decode()
    with pytest.raises(domaine.Refus):
        domaine.enregistrer(evaluation, {"note_jury": "x"}, 2, evaluation.jure.user)
    evaluation.refresh_from_db()
    other.refresh_from_db()
    assert (evaluation.state, evaluation.version, evaluation.note_jury) == (State.BROUILLON, 2, "")
    assert other.state == State.SOUMISE
    page = juror_client.get(url("evaluer", evaluation)).content.decode()
    assert "hx-post" not in page and "3 sur 5" in page  # read-only
    assert "Rouvrir" not in juror_client.get(url("evaluer", other)).content.decode()


# --- Who sees what ----------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["evaluer", "autosave", "soumettre", "rouvrir"])
def test_unassigned_conflicted_or_other_edition_dossiers_are_404(juror_client, jure, evaluation, view):
    unassigned = EvaluationFactory(jure=JureFactory(edition=jure.edition))
    conflicted = EvaluationFactory(jure=jure)
    ConflitDeclare.objects.create(jure=jure, collectivite=conflicted.candidature.collectivite, motif="Élue")
    # The same person sat on the 2026 jury: that dossier is not reachable under 2027.
    ancien = JureFactory(edition=EditionFactory(annee=2026, numero=27), user=jure.user, email=jure.email)
    other_edition = EvaluationFactory(jure=ancien)
    method = juror_client.get if view == "evaluer" else juror_client.post
    assert method(url(view, evaluation)).status_code in (200, 302)
    for dossier in (unassigned, conflicted):
        assert method(url(view, dossier)).status_code == 404
    wrong_year = reverse(f"jury:{view}", args=[jure.edition.annee, other_edition.candidature_id])
    assert method(wrong_year).status_code == 404


def test_piece_streams_an_attachment_of_that_dossier_only(juror_client, evaluation):
    piece = PieceJointe.objects.create(
        candidature=evaluation.candidature,
        fichier=SimpleUploadedFile("d.pdf", PDF),
        nom="délibération.pdf",
        content_type="application/pdf",
        taille=len(PDF),
    )
    other = PieceJointe.objects.create(
        candidature=CandidatureFactory(edition=evaluation.candidature.edition),
        fichier=SimpleUploadedFile("e.pdf", PDF),
        nom="autre.pdf",
        content_type="application/pdf",
        taille=len(PDF),
    )
    response = juror_client.get(url("piece", evaluation, piece.pk))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF
    assert juror_client.get(url("piece", evaluation, other.pk)).status_code == 404


def test_staff_who_are_not_jurors_get_404_on_a_dossier(client, staff, evaluation):
    connecter(client, staff)
    assert client.get(url("evaluer", evaluation)).status_code == 404
    assert client.get(reverse("jury:suivant", args=[evaluation.candidature.edition.annee])).status_code == 404


def test_other_jurors_scores_show_only_after_submitting_ones_own(juror_client, evaluation, criteres, edition):
    autre = EvaluationFactory(
        jure=JureFactory(edition=edition, nom="Paul Martin"), candidature=evaluation.candidature
    )
    notes = {
        criteres[0].pk: {"score": 2, "commentaire": "Peu d'actions."},
        criteres[1].pk: {"score": 9, "commentaire": ""},
    }
    domaine.enregistrer(autre, {"notes": notes, "niveau_propose": 2}, 1, autre.jure.user)
    domaine.soumettre(autre, autre.jure.user)
    page = juror_client.get(url("evaluer", evaluation)).content.decode()
    assert "Paul Martin" not in page and "Peu d&#x27;actions." not in page
    submitted(evaluation, criteres)
    page = juror_client.get(url("evaluer", evaluation)).content.decode()
    assert "Évaluations des autres jurés" in page
    assert "Paul Martin" in page and "2 sur 5" in page and "9 sur 10" in page
    assert "Peu d&#x27;actions." in page and "2 arobases" in page
    Jury.objects.filter(edition=edition).update(notes_visibles_apres_soumission=False)
    page = juror_client.get(url("evaluer", evaluation)).content.decode()
    assert "Paul Martin" not in page and "Évaluations des autres jurés" not in page


def test_other_jurors_drafts_are_never_shown(juror_client, evaluation, criteres, edition):
    autre = EvaluationFactory(
        jure=JureFactory(edition=edition, nom="Paul Martin"), candidature=evaluation.candidature
    )
    saved(autre, criteres)
    submitted(evaluation, criteres)
    page = juror_client.get(url("evaluer", evaluation)).content.decode()
    assert "Paul Martin" not in page
    assert "Aucun autre juré n'a encore soumis son évaluation de ce dossier." in page


# --- Next dossier -----------------------------------------------------------------------------


def test_suivante_is_the_oldest_unfinished_dossier_not_in_conflict(jure, criteres):
    now = timezone.now()

    def dossier(days_ago):
        evaluation = EvaluationFactory(jure=jure)
        evaluation.candidature.submitted_at = now - datetime.timedelta(days=days_ago)
        evaluation.candidature.save()
        return evaluation

    recent, oldest_done, conflicted, old = dossier(1), dossier(9), dossier(8), dossier(5)
    submitted(oldest_done, criteres)
    ConflitDeclare.objects.create(jure=jure, collectivite=conflicted.candidature.collectivite, motif="Élue")
    assert domaine.suivante(jure) == old
    submitted(old, criteres)
    assert domaine.suivante(jure) == recent
    submitted(recent, criteres)
    assert domaine.suivante(jure) is None


def test_suivant_redirects_to_the_next_dossier_or_to_the_dashboard(juror_client, evaluation, criteres):
    response = juror_client.get(reverse("jury:suivant", args=[evaluation.candidature.edition.annee]))
    assert response.url == url("evaluer", evaluation)
    submitted(evaluation, criteres)
    response = juror_client.get(
        reverse("jury:suivant", args=[evaluation.candidature.edition.annee]), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse(
        "jury:dashboard", args=[evaluation.candidature.edition.annee]
    )
    assert "Tout est noté" in response.content.decode()
