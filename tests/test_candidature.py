"""Building a candidature: start, questionnaire with autosave and optimistic locking, fiches,
attachments, mosaïque des enjeux, the deadline, permissions and query counts."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms import TextInput
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atlaas.models import FicheAction, Membership
from label import forms, selectors
from label.dossier import Conflict, NotEditable, Saved, save_answers, save_fiches
from label.models import Candidature, CandidatureTransition, PieceJointe, Question, Reponse, TypeCandidature
from tests.factories import (
    CandidatureFactory,
    CategorieFactory,
    CommuneFactory,
    EditionFactory,
    EnjeuFactory,
    FicheFactory,
    MembershipFactory,
    QuestionFactory,
    SectionFactory,
    ServiceFactory,
)
from tests.fichiers import pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db

PDF = pdf_bytes()
PNG = png_bytes()
HTMX = {"HTTP_HX_REQUEST": "true"}


def pdf(name="deliberation.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def edition():
    return EditionFactory()


@pytest.fixture
def commune():
    return CommuneFactory(nom="Agen", code="47001", population=32801)


@pytest.fixture
def referent(commune):
    return MembershipFactory(
        collectivite=commune,
        role=Membership.Role.REFERENT,
        user__first_name="Claire",
        user__last_name="Durand",
    ).user


@pytest.fixture
def member(commune):
    return MembershipFactory(
        collectivite=commune, user__first_name="Dominique", user__last_name="Lefèvre"
    ).user


@pytest.fixture
def outsider():
    return MembershipFactory(collectivite=CommuneFactory(nom="Boé")).user


@pytest.fixture
def candidature(edition, commune, referent):
    return CandidatureFactory(edition=edition, collectivite=commune, created_by=referent, updated_by=referent)


@pytest.fixture
def questions(edition):
    section = SectionFactory(edition=edition, titre="Gouvernance numérique")
    return {
        "texte": QuestionFactory(section=section, libelle="Élu chargé du numérique", required=True),
        "long": QuestionFactory(
            section=section, libelle="Stratégie", kind=Question.Kind.LONG_TEXT, required=False
        ),
        "nombre": QuestionFactory(section=section, libelle="Budget annuel", kind=Question.Kind.NUMBER),
    }


def url(name, candidature, *args):
    return reverse(f"label:{name}", args=[candidature.pk, *args])


def close(edition):
    edition.cloture = timezone.now() - datetime.timedelta(days=1)
    edition.save()


# --- Start -------------------------------------------------------------------------------------


def test_start_creates_the_candidature_with_its_eligible_fiches(client, edition, commune, referent):
    closing = edition.closing_date()
    ongoing = FicheFactory(collectivite=commune, date_debut=closing - datetime.timedelta(days=900))
    old = FicheFactory(
        collectivite=commune,
        date_debut=datetime.date(2015, 1, 1),
        date_fin=datetime.date(2016, 1, 1),
        en_cours=False,
    )
    FicheFactory(collectivite=CommuneFactory())  # another collectivité's
    client.force_login(referent)
    response = client.post(reverse("label:candidature_start", args=[commune.code]))
    candidature = Candidature.objects.get()
    assert response.status_code == 302
    assert response.url == url("candidature", candidature)
    assert candidature.edition == edition
    assert candidature.type == TypeCandidature.VILLE  # 32,801 inhabitants
    assert candidature.created_by == referent
    assert candidature.state == Candidature.State.BROUILLON
    assert set(candidature.fiches.all()) == {ongoing}
    assert old not in candidature.fiches.all()
    assert not CandidatureTransition.objects.exists()  # nothing else recorded

    again = client.post(reverse("label:candidature_start", args=[commune.code]))
    assert again.url == url("candidature", candidature)
    assert Candidature.objects.count() == 1


def test_start_page_explains_and_shows_the_button_to_a_referent(client, edition, commune, referent, member):
    small = CommuneFactory(population=800)
    MembershipFactory(collectivite=small, user=referent, role=Membership.Role.REFERENT)
    client.force_login(referent)
    page = client.get(reverse("label:candidature_start", args=[small.code])).content.decode()
    assert "en tant que <strong>village</strong>" in page
    assert "Démarrer la candidature" in page

    client.force_login(member)
    page = client.get(reverse("label:candidature_start", args=[commune.code])).content.decode()
    assert "Démarrer la candidature" not in page
    assert "Seul un référent" in page
    assert client.post(reverse("label:candidature_start", args=[commune.code])).status_code == 403
    assert not Candidature.objects.exists()


def test_start_says_when_no_edition_is_open(client, commune, referent):
    client.force_login(referent)
    page = client.get(reverse("label:candidature_start", args=[commune.code])).content.decode()
    assert "Aucune édition du label n&#x27;est ouverte" in page
    assert "Démarrer la candidature" not in page


def test_start_is_refused_after_closing(client, edition, commune, referent):
    close(edition)
    client.force_login(referent)
    page = client.get(reverse("label:candidature_start", args=[commune.code])).content.decode()
    assert "Les candidatures sont closes depuis le" in page
    response = client.post(reverse("label:candidature_start", args=[commune.code]))
    assert response.status_code == 403
    assert "Les candidatures sont closes depuis le" in response.content.decode()
    assert not Candidature.objects.exists()


def test_start_redirects_to_an_existing_candidature(client, candidature, referent):
    client.force_login(referent)
    response = client.get(reverse("label:candidature_start", args=[candidature.collectivite.code]))
    assert response.url == url("candidature", candidature)


# --- save_answers and the optimistic lock ------------------------------------------------------


def test_save_answers_writes_and_bumps_the_version(candidature, questions, member):
    q = questions
    result = save_answers(candidature, 1, {q["texte"].pk: "Mme Martin", q["nombre"].pk: "1200.5"}, member)
    assert isinstance(result, Saved) and result.ok
    candidature.refresh_from_db()
    assert candidature.version == 2 == result.version
    assert candidature.updated_by == member
    assert selectors.answers_of(candidature) == {q["texte"].pk: "Mme Martin", q["nombre"].pk: "1200.5"}

    save_answers(candidature, 2, {q["texte"].pk: "", q["long"].pk: "Un plan en trois axes."}, member)
    assert selectors.answers_of(candidature) == {
        q["long"].pk: "Un plan en trois axes.",
        q["nombre"].pk: "1200.5",
    }


def test_save_answers_conflict_writes_nothing_and_returns_both_versions(
    candidature, questions, referent, member
):
    texte = questions["texte"].pk
    first = save_answers(candidature, 1, {texte: "Version de la référente"}, referent)
    stale = Candidature.objects.get(pk=candidature.pk)
    stale.version = 1  # the second member's page was opened at version 1
    second = save_answers(stale, 1, {texte: "Version du collègue"}, member)
    assert first.ok
    assert isinstance(second, Conflict) and not second.ok
    assert second.by == referent
    assert second.version == 2
    assert second.theirs == {texte: "Version de la référente"}
    assert second.mine == {texte: "Version du collègue"}
    candidature.refresh_from_db()
    assert candidature.version == 2 and candidature.updated_by == referent
    assert Reponse.objects.get().valeur == "Version de la référente"


def test_colleagues_editing_different_answers_at_once_both_keep_their_work(
    candidature, questions, referent, member
):
    texte, nombre = questions["texte"].pk, questions["nombre"].pk
    assert save_answers(candidature, 1, {texte: "Mme Martin"}, referent).ok
    fiche = FicheFactory(collectivite=candidature.collectivite)
    assert save_fiches(
        Candidature.objects.get(pk=candidature.pk), 2, [fiche.pk], referent
    ).ok  # and the fiches
    stale = Candidature.objects.get(pk=candidature.pk)
    second = save_answers(stale, 1, {nombre: "12"}, member)  # page opened at version 1
    assert second.ok and second.version == 4
    assert selectors.answers_of(candidature) == {texte: "Mme Martin", nombre: "12"}
    again = save_answers(stale, 1, {texte: "M. Durand"}, member)  # but this one the référente wrote
    assert isinstance(again, Conflict)
    assert selectors.answers_of(candidature)[texte] == "Mme Martin"


def test_a_save_that_changes_nothing_writes_nothing_and_does_not_conflict(
    candidature, questions, referent, member
):
    texte = questions["texte"].pk
    save_answers(candidature, 1, {texte: "Mme Martin"}, referent)
    stale = Candidature.objects.get(pk=candidature.pk)
    same = save_answers(stale, 1, {texte: "Mme Martin"}, member)
    assert same.ok and same.version == 1  # the page keeps its version...
    assert isinstance(
        save_answers(stale, 1, {texte: "M. Durand"}, member), Conflict
    )  # ...and still meets the change
    candidature.refresh_from_db()
    assert candidature.version == 2 and candidature.updated_by == referent


def test_a_cleared_answer_meets_a_page_that_still_shows_it_as_a_conflict(
    candidature, questions, referent, member
):
    texte = questions["texte"].pk
    save_answers(candidature, 1, {texte: "Mme Martin"}, referent)
    stale = Candidature.objects.get(pk=candidature.pk)  # the colleague's page shows « Mme Martin »
    assert save_answers(candidature, 2, {texte: ""}, referent).ok  # the référente clears it
    result = save_answers(stale, 2, {texte: "Mme Martin, adjointe"}, member)
    assert isinstance(result, Conflict) and result.by == referent and result.theirs == {}
    assert selectors.answers_of(candidature) == {}
    assert selectors.progress(candidature).answered == 0


def test_save_answers_ignores_questions_of_other_types_and_editions(candidature, questions, member):
    territoire = QuestionFactory(
        section=SectionFactory(edition=candidature.edition, type_candidature="territoire")
    )
    other_edition = QuestionFactory(section=SectionFactory(edition=EditionFactory(annee=2020, numero=21)))
    save_answers(
        candidature, 1, {territoire.pk: "x", other_edition.pk: "y", questions["texte"].pk: "z"}, member
    )
    assert list(Reponse.objects.values_list("valeur", flat=True)) == ["z"]


def test_save_answers_refuses_a_closed_edition(candidature, questions, member):
    close(candidature.edition)
    with pytest.raises(NotEditable, match="Les candidatures sont closes depuis le"):
        save_answers(candidature, 1, {questions["texte"].pk: "trop tard"}, member)
    assert not Reponse.objects.exists()


# --- Questionnaire page and autosave -----------------------------------------------------------


def test_questionnaire_renders_each_kind_of_question(client, candidature, member, edition):
    section = SectionFactory(edition=edition, titre="Contexte")
    QuestionFactory(section=section, libelle="Nom de l'élu", aide="<b>Prénom</b> et nom", required=True)
    QuestionFactory(section=section, libelle="Plan", kind=Question.Kind.LONG_TEXT, required=False)
    QuestionFactory(section=section, libelle="Agents", kind=Question.Kind.NUMBER, required=False)
    QuestionFactory(section=section, libelle="Schéma directeur", kind=Question.Kind.YES_NO)
    QuestionFactory(section=section, libelle="Taille", kind=Question.Kind.CHOICE, choices="Petite\nGrande")
    many = "\n".join(f"Choix {n}" for n in range(8))
    QuestionFactory(section=section, libelle="Région", kind=Question.Kind.CHOICE, choices=many)
    QuestionFactory(section=section, libelle="Délibération", kind=Question.Kind.FILE)
    QuestionFactory(
        section=SectionFactory(edition=edition, type_candidature="territoire"), libelle="EPCI only"
    )
    client.force_login(member)
    page = client.get(url("questionnaire", candidature)).content.decode()
    assert "Contexte" in page and "EPCI only" not in page
    assert "&lt;b&gt;Prénom&lt;/b&gt;" in page  # help text escaped
    assert re.search(r'Plan\s:\s<span class="optional">\(facultatif\)</span>', page)
    assert re.search(r"Nom de l&#x27;élu\s:</label>", page)  # required: no mark
    assert " required" not in page  # shown, not enforced by the browser
    assert re.search(r"<legend>Schéma directeur\s:</legend>", page)
    assert re.search(r'<input type="radio" name="q_\d+" value="oui" id="id_q_\d+_0">\s*Oui</label>', page)
    assert "<select" in page and "Choix 7" in page
    assert 'type="file"' in page and 'accept="application/pdf,image/png,image/jpeg,image/webp"' in page
    assert 'data-hx-post="' + url("autosave", candidature) in page
    assert 'data-hx-params="not q_' in page  # file fields are not autosaved
    assert "maxlength" not in page


def test_questionnaire_long_answers_get_a_text_area_short_ones_a_line(client, candidature, questions, member):
    client.force_login(member)
    page = client.get(url("questionnaire", candidature)).content.decode()
    long, texte, nombre = (f"q_{questions[k].pk}" for k in ("long", "texte", "nombre"))
    assert re.search(rf'<textarea name="{long}" cols="40" rows="8"[^>]*>', page)
    assert re.search(rf'<input type="text" name="{texte}"', page)
    assert re.search(rf'<input type="text" name="{nombre}"[^>]* inputmode="decimal"', page)
    assert page.count("<textarea") == 1
    assert "data-autosave" in page  # typing in it saves the draft as in the other fields


def test_text_field_is_a_text_area_beyond_a_line_and_higher_for_long_answers():
    assert isinstance(forms.text_field(forms.SHORT_TEXT_MAX).widget, TextInput)
    assert forms.text_field(forms.SHORT_TEXT_MAX + 1).widget.attrs["rows"] == 4
    assert forms.text_field(forms.LONG_TEXT_MAX).widget.attrs["rows"] == 8


def test_autosave_keeps_the_lines_of_a_long_answer(client, candidature, questions, member):
    client.force_login(member)
    answer = "Trois axes :\n- inclusion ;\n- données ouvertes."
    response = client.post(
        url("autosave", candidature), {"version": 1, f"q_{questions['long'].pk}": answer}, **HTMX
    )
    assert response.status_code == 200
    assert selectors.answers_of(candidature) == {questions["long"].pk: answer}


def test_questionnaire_saves_a_draft_without_js(client, candidature, questions, member):
    client.force_login(member)
    response = client.post(
        url("questionnaire", candidature),
        {"version": 1, f"q_{questions['texte'].pk}": "Mme Martin", f"q_{questions['nombre'].pk}": "1 200,50"},
    )
    assert response.status_code == 302
    candidature.refresh_from_db()
    assert candidature.version == 2
    assert selectors.answers_of(candidature) == {
        questions["texte"].pk: "Mme Martin",
        questions["nombre"].pk: "1200.5",
    }
    page = client.get(response.url).content.decode()
    assert "Brouillon enregistré à" in page
    assert 'value="1200,5"' in page


def test_questionnaire_keeps_typed_text_and_saves_the_rest_when_an_answer_is_too_long(
    client, candidature, questions, member
):
    client.force_login(member)
    too_long = "x" * 301
    response = client.post(
        url("questionnaire", candidature),
        {"version": 1, f"q_{questions['texte'].pk}": too_long, f"q_{questions['long'].pk}": "Trois axes."},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "au plus 300 caractères" in page
    assert too_long in page  # nothing typed is lost
    assert selectors.answers_of(candidature) == {questions["long"].pk: "Trois axes."}
    assert 'name="version" value="2"' in page  # the page now carries the new version


def test_questionnaire_conflict_without_js_shows_both_versions_then_keep_mine(
    client, candidature, questions, referent, member
):
    texte = f"q_{questions['texte'].pk}"
    save_answers(candidature, 1, {questions["texte"].pk: "M. Durand"}, referent)
    client.force_login(member)
    response = client.post(url("questionnaire", candidature), {"version": 1, texte: "Mme Martin"})
    page = response.content.decode()
    assert response.status_code == 409
    assert "Quelqu'un d'autre a modifié le dossier" in page
    assert str(referent) in page
    assert "M. Durand" in page and "Mme Martin" in page
    assert 'value="Mme Martin"' in page  # still in the form
    assert Reponse.objects.get().valeur == "M. Durand"

    kept = client.post(url("questionnaire", candidature), {"version": 1, "ecraser": 2, texte: "Mme Martin"})
    assert kept.status_code == 302
    assert Reponse.objects.get().valeur == "Mme Martin"


def test_questionnaire_does_not_enforce_required_answers(client, candidature, questions, member):
    client.force_login(member)
    response = client.post(url("questionnaire", candidature), {"version": 1})
    assert response.status_code == 302
    assert selectors.progress(candidature).answered == 0


def test_autosave_returns_the_status_fragment_and_bumps_the_version(client, candidature, questions, member):
    client.force_login(member)
    response = client.post(
        url("autosave", candidature), {"version": 1, f"q_{questions['texte'].pk}": "Mme Martin"}, **HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert re.search(r"Enregistré à \d\d:\d\d", page)
    assert re.search(
        r'<input type="hidden"\s+name="version"\s+value="2"\s+id="id_version"\s+data-hx-swap-oob="true">',
        page,
    )
    candidature.refresh_from_db()
    assert candidature.version == 2
    assert Reponse.objects.get().valeur == "Mme Martin"


def test_autosave_conflict_fragment_names_the_other_member_and_shows_both_versions(
    client, candidature, questions, referent, member
):
    save_answers(candidature, 1, {questions["texte"].pk: "M. Durand"}, referent)
    client.force_login(member)
    response = client.post(
        url("autosave", candidature), {"version": 1, f"q_{questions['texte'].pk}": "Mme Martin"}, **HTMX
    )
    page = response.content.decode()
    assert f"Non enregistré\u00a0: {referent} a modifié le dossier" in page
    assert 'id="conflit"' in page and 'data-hx-swap-oob="true"' in page
    assert "M. Durand" in page and "Mme Martin" in page
    assert 'name="ecraser" value="2"' in page
    assert Reponse.objects.get().valeur == "M. Durand"


def test_autosave_saves_the_valid_answers_and_lists_the_others(client, candidature, questions, member):
    client.force_login(member)
    response = client.post(
        url("autosave", candidature),
        {"version": 1, f"q_{questions['texte'].pk}": "ok", f"q_{questions['nombre'].pk}": "douze"},
        **HTMX,
    )
    page = response.content.decode()
    assert "Sauf ces réponses, à corriger" in page and "Budget annuel" in page
    assert selectors.answers_of(candidature) == {questions["texte"].pk: "ok"}


def test_file_question_is_stored_as_an_attachment_of_the_question(
    client, candidature, member, edition, settings
):
    question = QuestionFactory(section=SectionFactory(edition=edition), kind=Question.Kind.FILE)
    client.force_login(member)
    response = client.post(
        url("questionnaire", candidature), {"version": 1, f"q_{question.pk}": pdf("délibération conseil.pdf")}
    )
    assert response.status_code == 302
    piece = PieceJointe.objects.get()
    assert piece.question == question and piece.nom == "délibération conseil.pdf"
    assert piece.content_type == "application/pdf" and piece.taille == len(PDF)
    assert piece.fichier.name.startswith(f"candidatures/{candidature.pk}/") and piece.fichier.name.endswith(
        ".pdf"
    )
    assert "délibération" not in piece.fichier.name
    assert Reponse.objects.get(question=question).valeur == "délibération conseil.pdf"
    assert selectors.progress(candidature).answered == 1

    page = client.get(url("questionnaire", candidature)).content.decode()
    assert "Fichier actuel" in page and url("piece", candidature, piece.pk) in page

    client.post(url("questionnaire", candidature), {"version": 2, f"q_{question.pk}": pdf("nouvelle.pdf")})
    assert list(PieceJointe.objects.values_list("nom", flat=True)) == ["nouvelle.pdf"]


def test_file_question_refuses_a_file_that_is_not_a_pdf_or_an_image(client, candidature, member, edition):
    question = QuestionFactory(section=SectionFactory(edition=edition), kind=Question.Kind.FILE)
    texte = QuestionFactory(section=question.section)
    client.force_login(member)
    response = client.post(
        url("questionnaire", candidature),
        {
            "version": 1,
            f"q_{question.pk}": pdf("faux.pdf", b"MZ\x90\x00 not a pdf"),
            f"q_{texte.pk}": "gardé",
        },
    )
    page = response.content.decode()
    assert "seuls les formats PDF, PNG, JPEG, WebP le sont" in page
    assert 'value="gardé"' in page
    assert not PieceJointe.objects.exists()


# --- The deadline ------------------------------------------------------------------------------


def test_after_closing_every_write_is_refused_and_changes_nothing(client, candidature, questions, member):
    fiche = FicheFactory(collectivite=candidature.collectivite)
    piece = PieceJointe.objects.create(
        candidature=candidature, fichier=pdf(), nom="d.pdf", content_type="application/pdf", taille=len(PDF)
    )
    client.force_login(member)
    page = client.get(url("questionnaire", candidature)).content.decode()  # opened before closing
    assert "data-hx-post" in page
    close(candidature.edition)
    texte = f"q_{questions['texte'].pk}"
    writes = [
        client.post(url("questionnaire", candidature), {"version": 1, texte: "trop tard"}),
        client.post(url("autosave", candidature), {"version": 1, texte: "trop tard"}, **HTMX),
        client.post(url("fiches_candidature", candidature), {"version": 1, "fiches": [fiche.pk]}),
        client.post(url("fiches_candidature", candidature), {"version": 1, "fiches": [fiche.pk]}, **HTMX),
        client.post(url("pieces", candidature), {"fichier": pdf()}),
        client.post(url("piece_supprimer", candidature, piece.pk)),
    ]
    for response in writes:
        assert "Les candidatures sont closes depuis le" in response.content.decode()
        assert response.status_code in (200, 403)  # 200 for the htmx fragments, which must be shown
    assert [r.status_code for r in writes] == [403, 200, 403, 200, 403, 403]
    candidature.refresh_from_db()
    assert candidature.version == 1
    assert not Reponse.objects.exists()
    assert not candidature.fiches.exists()
    assert list(PieceJointe.objects.all()) == [piece]
    page = client.get(url("questionnaire", candidature)).content.decode()
    assert "Les candidatures sont closes depuis le" in page
    assert "hx-post" not in page and "disabled" in page


def test_a_filed_candidature_cannot_be_changed(client, candidature, questions, member):
    Candidature.objects.filter(pk=candidature.pk).update(state=Candidature.State.DEPOSEE)
    client.force_login(member)
    response = client.post(url("questionnaire", candidature), {"version": 1})
    assert response.status_code == 403
    assert "Cette candidature est déposée" in response.content.decode()


# --- Fiches ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("debut", "fin", "en_cours", "reason"),
    [
        ("2020-01-01", None, True, None),  # ongoing
        ("2020-01-01", "2025-06-01", False, None),  # ended less than two years before closing
        ("2020-01-01", "2024-03-01", False, None),  # ended exactly two years before closing
        ("2020-01-01", "2024-02-29", False, "terminée depuis plus de deux ans"),
        ("2026-03-02", None, True, "commence après la clôture"),
        ("2026-03-01", None, True, None),  # starts on the closing day
    ],
)
def test_fiche_eligibility_rules_in_python_and_sql(debut, fin, en_cours, reason):
    closing = datetime.date(2026, 3, 1)
    fiche = FicheFactory(
        date_debut=datetime.date.fromisoformat(debut),
        date_fin=datetime.date.fromisoformat(fin) if fin else None,
        en_cours=en_cours,
    )
    assert (fiche.ineligibility_reason(closing) or None) == reason
    in_sql = FicheAction.objects.filter(selectors.eligible_q(closing), pk=fiche.pk).exists()
    assert in_sql == (reason is None)


def test_fiches_step_lists_fiches_with_the_reason_of_ineligible_ones(client, candidature, member):
    closing = candidature.edition.closing_date()
    eligible = FicheFactory(collectivite=candidature.collectivite, titre="Wifi public")
    old = FicheFactory(
        collectivite=candidature.collectivite,
        titre="Vieux site",
        date_debut=closing - datetime.timedelta(days=3000),
        date_fin=closing - datetime.timedelta(days=1000),
        en_cours=False,
    )
    FicheFactory(collectivite=candidature.collectivite, revision_of=eligible, titre="Révision en cours")
    client.force_login(member)
    page = client.get(url("fiches_candidature", candidature)).content.decode()
    assert "Wifi public" in page and "Vieux site" in page and "Révision en cours" not in page
    assert "Non éligible\u00a0: terminée depuis plus de deux ans." in page
    assert re.search(rf'value="{old.pk}"\s+id="fiche-{old.pk}"\s+disabled', page)
    assert eligible.services.get().nom in page


def test_fiches_step_saves_the_selection_with_the_version_guard(client, candidature, member, referent):
    a, b = FicheFactory.create_batch(2, collectivite=candidature.collectivite)
    client.force_login(member)
    response = client.post(url("fiches_candidature", candidature), {"version": 1, "fiches": [a.pk, b.pk]})
    assert response.status_code == 302
    candidature.refresh_from_db()
    assert set(candidature.fiches.all()) == {a, b} and candidature.version == 2

    stale = client.post(url("fiches_candidature", candidature), {"version": 1, "fiches": [a.pk]})
    assert stale.status_code == 409
    assert "Quelqu'un d'autre a modifié la sélection" in stale.content.decode()
    assert set(candidature.fiches.all()) == {a, b}

    result = save_fiches(candidature, 1, {a.pk}, referent)
    assert isinstance(result, Conflict) and result.theirs == {a.pk, b.pk} and result.mine == {a.pk}


def test_fiches_step_refuses_an_ineligible_or_foreign_fiche(client, candidature, member):
    foreign = FicheFactory()
    late = FicheFactory(
        collectivite=candidature.collectivite,
        date_debut=candidature.edition.closing_date() + datetime.timedelta(1),
    )
    client.force_login(member)
    for fiche in (foreign, late):
        response = client.post(url("fiches_candidature", candidature), {"version": 1, "fiches": [fiche.pk]})
        assert response.status_code == 400
    assert not candidature.fiches.exists()


def test_fiches_step_htmx_answers_the_updated_mosaique(client, candidature, member):
    enjeu = EnjeuFactory(nom="Médiation")
    fiche = FicheFactory(collectivite=candidature.collectivite, services=[ServiceFactory(enjeu=enjeu)])
    client.force_login(member)
    response = client.post(
        url("fiches_candidature", candidature), {"version": 1, "fiches": [fiche.pk]}, **HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert "Sélection enregistrée à" in page
    assert "1 enjeu couvert sur 1" in page
    assert 'value="2"' in page and 'data-hx-swap-oob="true"' in page


# --- Mosaïque ----------------------------------------------------------------------------------


@pytest.fixture
def taxonomie():
    """Two categories, four enjeux, one or two services each."""
    democratie, vivre = (
        CategorieFactory(nom="Démocratie", ordre=1),
        CategorieFactory(nom="Vivre ensemble", ordre=2),
    )
    enjeux = {
        "services": EnjeuFactory(categorie=democratie, nom="Services publics", ordre=1),
        "democratie": EnjeuFactory(categorie=democratie, nom="Démocratie locale", ordre=2),
        "mediation": EnjeuFactory(categorie=vivre, nom="Médiation", ordre=1),
        "solidarites": EnjeuFactory(categorie=vivre, nom="Solidarités", ordre=2),
    }
    services = {
        "demarches": ServiceFactory(enjeu=enjeux["services"]),
        "accueil": ServiceFactory(enjeu=enjeux["services"]),
        "budget": ServiceFactory(enjeu=enjeux["democratie"]),
        "ateliers": ServiceFactory(enjeu=enjeux["mediation"]),
        "aides": ServiceFactory(enjeu=enjeux["solidarites"]),
    }
    return enjeux, services


def test_mosaique_counts_selected_fiches_per_enjeu_and_suggests_others(
    candidature, taxonomie, django_assert_num_queries
):
    _, s = taxonomie
    mine = candidature.collectivite
    both = FicheFactory(collectivite=mine, services=[s["demarches"], s["accueil"], s["budget"]])
    one = FicheFactory(collectivite=mine, services=[s["demarches"]])
    FicheFactory(collectivite=mine, services=[s["ateliers"]])  # not selected
    candidature.fiches.set([both, one])
    published = FicheAction.State.PUBLIEE
    now = timezone.now()
    examples = [
        FicheFactory(
            services=[s["ateliers"]],
            state=published,
            published_at=now - datetime.timedelta(days=n),
            titre=f"Ex {n}",
        )
        for n in range(4)
    ]
    FicheFactory(services=[s["ateliers"]], titre="Brouillon ailleurs")
    FicheFactory(collectivite=mine, services=[s["aides"]], state=published, titre="La nôtre")

    with django_assert_num_queries(2):
        mosaique = selectors.mosaique(candidature)
    counts = {case.enjeu.nom: case.count for case in mosaique.cases}
    assert counts == {"Services publics": 2, "Démocratie locale": 1, "Médiation": 0, "Solidarités": 0}
    assert (mosaique.covered, mosaique.total) == (2, 4)
    assert [categorie.nom for categorie, _ in mosaique.by_categorie()] == ["Démocratie", "Vivre ensemble"]
    suggestions = {case.enjeu.nom: [e.titre for e in case.suggestions] for case in mosaique.cases}
    assert suggestions["Médiation"] == [f.titre for f in examples[:3]]  # the 3 most recent
    assert suggestions["Solidarités"] == []  # only our own fiche there
    assert suggestions["Services publics"] == []


def test_mosaique_groups_enjeux_by_categorie_even_when_orders_tie(candidature):
    x, y = CategorieFactory(nom="X"), CategorieFactory(nom="Y")
    for nom, categorie in [("A", x), ("B", y), ("C", x)]:
        EnjeuFactory(nom=nom, categorie=categorie)
    groups = selectors.mosaique(candidature).by_categorie()
    assert [(c.nom, [case.enjeu.nom for case in cases]) for c, cases in groups] == [
        ("X", ["A", "C"]),
        ("Y", ["B"]),
    ]


def test_mosaique_page_highlights_uncovered_enjeux_with_examples(client, candidature, taxonomie, member):
    _, s = taxonomie
    other = CommuneFactory(nom="Villeneuve-sur-Lot", code="47323")
    FicheFactory(
        collectivite=other, services=[s["aides"]], state=FicheAction.State.PUBLIEE, titre="Épicerie en ligne"
    )
    client.force_login(member)
    page = client.get(url("mosaique", candidature)).content.decode()
    assert page.count("enjeu--non-couvert") == 4
    assert "Épicerie en ligne" in page
    assert f'href="{reverse("atlaas:collectivite", args=[other.code])}">Villeneuve-sur-Lot</a>' in page


# --- Attachments -------------------------------------------------------------------------------


def test_upload_a_pdf_then_download_it_with_its_name(client, candidature, member):
    client.force_login(member)
    response = client.post(
        url("pieces", candidature), {"fichier": pdf("Délibération 2026.pdf"), "description": "CM"}
    )
    assert response.status_code == 302
    piece = PieceJointe.objects.get()
    assert piece.nom == "Délibération 2026.pdf" and piece.added_by == member
    assert re.fullmatch(rf"candidatures/{candidature.pk}/[0-9a-f]{{32}}\.pdf", piece.fichier.name)

    download = client.get(url("piece", candidature, piece.pk))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download["Content-Disposition"]
    assert "D%C3%A9lib%C3%A9ration%202026.pdf" in download["Content-Disposition"]


def test_upload_stores_a_png_under_a_generated_name_whatever_its_given_name(client, candidature, member):
    client.force_login(member)
    client.post(url("pieces", candidature), {"fichier": SimpleUploadedFile("../../photo.php", PNG)})
    piece = PieceJointe.objects.get()
    assert piece.content_type == "image/png" and piece.nom == "photo.php"
    assert piece.fichier.name.endswith(".png")


def test_upload_refuses_a_disguised_file_with_a_french_message(client, candidature, member):
    client.force_login(member)
    response = client.post(
        url("pieces", candidature),
        {"fichier": pdf("note.pdf", b"<html>hello</html>"), "description": "gardée"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Ce fichier n&#x27;est pas accepté\u00a0: seuls les formats PDF, PNG, JPEG, WebP le sont." in page
    assert 'value="gardée"' in page
    assert not PieceJointe.objects.exists()


def test_upload_refuses_a_file_over_the_size_limit(client, candidature, member, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 100
    client.force_login(member)
    response = client.post(url("pieces", candidature), {"fichier": pdf(content=PDF + b"0" * 100)})
    assert "la limite est de 100\xa0octets par fichier" in response.content.decode()
    assert not PieceJointe.objects.exists()


def test_upload_refuses_a_file_that_would_take_the_dossier_over_its_limit(
    client, candidature, member, settings
):
    settings.UPLOAD_MAX_DOSSIER_BYTES = len(PDF) * 2 + 10
    client.force_login(member)
    for _ in range(2):
        assert client.post(url("pieces", candidature), {"fichier": pdf()}).status_code == 302
    response = client.post(url("pieces", candidature), {"fichier": pdf()})
    assert response.status_code == 400
    assert "dépasserait la limite" in response.content.decode()
    assert PieceJointe.objects.count() == 2


def test_delete_an_attachment_removes_its_file(
    client, candidature, member, django_capture_on_commit_callbacks
):
    client.force_login(member)
    client.post(url("pieces", candidature), {"fichier": pdf()})
    piece = PieceJointe.objects.get()
    storage, name = piece.fichier.storage, piece.fichier.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("piece_supprimer", candidature, piece.pk))
    assert response.status_code == 302
    assert not PieceJointe.objects.exists()
    assert not storage.exists(name)


def test_an_attachment_of_another_candidature_is_a_404(client, candidature, member):
    other = CandidatureFactory(edition=candidature.edition)
    piece = PieceJointe.objects.create(
        candidature=other, fichier=pdf(), nom="d.pdf", content_type="application/pdf", taille=len(PDF)
    )
    client.force_login(member)
    assert client.get(url("piece", candidature, piece.pk)).status_code == 404
    assert client.post(url("piece_supprimer", candidature, piece.pk)).status_code == 404
    assert PieceJointe.objects.exists()


# --- Permissions -------------------------------------------------------------------------------

VIEWS = [
    ("get", "candidature_start"),
    ("get", "candidature"),
    ("get", "questionnaire"),
    ("post", "questionnaire"),
    ("post", "autosave"),
    ("get", "fiches_candidature"),
    ("post", "fiches_candidature"),
    ("get", "pieces"),
    ("post", "pieces"),
    ("get", "piece"),
    ("post", "piece_supprimer"),
    ("get", "mosaique"),
]
# Staff work in the admin: on these pages they are treated as any non-member (404).
EXPECTED = {
    "anonymous": {
        **dict.fromkeys(VIEWS, 302),
        ("get", "piece"): 404,
    },  # a file answers 404, never a login page
    "membre_b": dict.fromkeys(VIEWS, 404),
    "staff": dict.fromkeys(VIEWS, 404),
    "membre_a": {
        **dict.fromkeys(VIEWS, 200),
        ("get", "candidature_start"): 302,  # the candidature exists: go to it
        ("post", "questionnaire"): 302,
        ("post", "fiches_candidature"): 302,
        ("post", "pieces"): 302,
        ("post", "piece_supprimer"): 302,
    },
}
EXPECTED["referent_a"] = EXPECTED["membre_a"]


@pytest.mark.parametrize("who", ["anonymous", "membre_a", "referent_a", "membre_b", "staff"])
@pytest.mark.parametrize(("method", "name"), VIEWS)
def test_permission_matrix(client, candidature, referent, member, outsider, staff, who, method, name):
    users = {"membre_a": member, "referent_a": referent, "membre_b": outsider, "staff": staff}
    if who in users:
        client.force_login(users[who])
    piece = PieceJointe.objects.create(
        candidature=candidature, fichier=pdf(), nom="d.pdf", content_type="application/pdf", taille=len(PDF)
    )
    if name == "candidature_start":
        path = reverse("label:candidature_start", args=[candidature.collectivite.code])
    elif name in ("piece", "piece_supprimer"):
        path = url(name, candidature, piece.pk)
    else:
        path = url(name, candidature)
    data = {"version": candidature.version}
    if name == "pieces":
        data = {"fichier": pdf()}
    response = getattr(client, method)(path, data)
    assert response.status_code == EXPECTED[who][(method, name)]
    if who == "anonymous" and response.status_code == 302:
        assert response.url.startswith(reverse("account_login"))
    if who in ("membre_b", "staff"):
        assert "Agen" not in response.content.decode()
        assert PieceJointe.objects.filter(pk=piece.pk).exists()
        assert Candidature.objects.get(pk=candidature.pk).version == 1


def test_another_collectivites_start_page_is_a_404(client, candidature, outsider):
    client.force_login(outsider)
    response = client.post(reverse("label:candidature_start", args=[candidature.collectivite.code]))
    assert response.status_code == 404


# --- Query counts ------------------------------------------------------------------------------


def _queries(client, path):
    with CaptureQueriesContext(connection) as context:
        assert client.get(path).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("name", ["candidature", "fiches_candidature", "questionnaire", "mosaique", "pieces"])
def test_query_count_does_not_grow_with_the_number_of_fiches(
    client, edition, taxonomie, django_assert_num_queries, name
):
    _, s = taxonomie
    counts = []
    for size in (1, 80):
        commune = CommuneFactory()
        user = MembershipFactory(collectivite=commune).user
        fiches = [
            FicheFactory(collectivite=commune, services=[s["demarches"], s["ateliers"]]) for _ in range(size)
        ]
        candidature = CandidatureFactory(edition=edition, collectivite=commune, updated_by=user)
        candidature.fiches.set(fiches)
        client.force_login(user)
        path = url(name, candidature)
        client.get(path)  # warm the session
        if not counts:
            counts.append(_queries(client, path))
        else:
            with django_assert_num_queries(counts[0]):
                client.get(path)
    print(f"{name} : {counts[0]} requêtes")
