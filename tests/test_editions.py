"""Editions: staff configure them, open and close them, and prepare next year by copy."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from label import workflow
from label.models import Candidature, CandidatureTransition, Edition, Mention, TypeCandidature
from tests.factories import CandidatureFactory, CommuneFactory, EditionFactory, EpciFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def test_edition_copy_prepares_next_year_with_calendar_mentions_and_questionnaire():
    edition = EditionFactory(
        annee=2026, numero=27, ceremonie_date=datetime.date(2026, 1, 29), ceremonie_lieu="Agen"
    )
    Mention.objects.create(edition=edition, nom="Arobase verte")
    question = QuestionFactory(section__edition=edition, section__type_candidature=TypeCandidature.VILLAGE)

    copy = workflow.copy_edition(edition)

    assert (copy.annee, copy.numero, copy.state) == (2027, 28, Edition.State.PREPARATION)
    assert copy.ceremonie_date == datetime.date(2027, 1, 29)
    assert copy.cloture.year == edition.cloture.year + 1
    assert list(copy.mentions.values_list("nom", flat=True)) == ["Arobase verte"]
    [section] = copy.sections.all()
    assert section.type_candidature == TypeCandidature.VILLAGE
    assert list(section.questions.values_list("libelle", flat=True)) == [question.libelle]
    assert edition.sections.get().questions.count() == 1  # the original is untouched


def test_edition_states_follow_the_allowed_moves_and_one_is_open_at_a_time():
    open_one = EditionFactory(annee=2026)
    next_one = EditionFactory(annee=2027, state=Edition.State.PREPARATION)
    with pytest.raises(workflow.TransitionError, match="encore ouvert"):
        workflow.set_edition_state(next_one, Edition.State.OUVERTE)
    workflow.set_edition_state(open_one, Edition.State.CLOSE)
    workflow.set_edition_state(next_one, Edition.State.OUVERTE)
    assert Edition.objects.ouverte() == next_one
    with pytest.raises(workflow.TransitionError):
        workflow.set_edition_state(next_one, Edition.State.PREPARATION)


def test_edition_type_of_candidature_from_referential_and_threshold(settings):
    edition = EditionFactory()
    assert edition.seuil_village == settings.SEUIL_VILLAGE  # the Atlaas's threshold, by default
    seuil = edition.seuil_village
    assert edition.type_for(CommuneFactory(population=seuil - 1)) == TypeCandidature.VILLAGE
    assert edition.type_for(CommuneFactory(population=seuil)) == TypeCandidature.VILLE
    assert edition.type_for(EpciFactory(population=1500)) == TypeCandidature.TERRITOIRE


def test_edition_keeps_its_own_threshold_when_the_portal_s_changes(settings):
    settings.SEUIL_VILLAGE = 2_500
    edition = EditionFactory(annee=2030, numero=31)
    assert edition.seuil_village == 2_500
    settings.SEUIL_VILLAGE = 3_500
    edition.refresh_from_db()
    assert edition.type_for(CommuneFactory(population=2_600)) == TypeCandidature.VILLE


@pytest.mark.parametrize(
    ("from_state", "to_state", "allowed"),
    [
        (Candidature.State.BROUILLON, Candidature.State.DEPOSEE, True),
        (Candidature.State.BROUILLON, Candidature.State.RETIREE, True),
        (Candidature.State.DEPOSEE, Candidature.State.BROUILLON, True),
        (Candidature.State.DEPOSEE, Candidature.State.RETIREE, True),
        (Candidature.State.RETIREE, Candidature.State.BROUILLON, True),
        (Candidature.State.RETIREE, Candidature.State.DEPOSEE, False),
        (Candidature.State.BROUILLON, Candidature.State.BROUILLON, False),
        (Candidature.State.DEPOSEE, Candidature.State.DEPOSEE, False),
    ],
)
def test_candidature_transitions_allowed_and_forbidden_with_history(staff, from_state, to_state, allowed):
    candidature = CandidatureFactory(state=from_state)
    if not allowed:
        with pytest.raises(workflow.TransitionError):
            workflow.set_candidature_state(candidature, to_state, staff)
        assert not CandidatureTransition.objects.exists()
        return
    workflow.set_candidature_state(candidature, to_state, staff)
    candidature.refresh_from_db()
    assert candidature.state == to_state
    [row] = CandidatureTransition.objects.all()
    assert (row.from_state, row.to_state, row.by) == (from_state, to_state, staff)


def test_candidature_transition_after_closing_is_refused(staff):
    candidature = CandidatureFactory(edition__cloture=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(workflow.TransitionError, match="closes depuis"):
        workflow.set_candidature_state(candidature, Candidature.State.DEPOSEE, staff)
    candidature.refresh_from_db()
    assert candidature.state == Candidature.State.BROUILLON


def test_candidature_stale_copy_moves_once(staff):
    candidature = CandidatureFactory()
    stale = Candidature.objects.get(pk=candidature.pk)
    workflow.set_candidature_state(candidature, Candidature.State.DEPOSEE, staff)
    with pytest.raises(workflow.TransitionError):
        workflow.set_candidature_state(stale, Candidature.State.DEPOSEE, staff)  # a double click
    assert CandidatureTransition.objects.count() == 1


def test_admin_edition_pages_and_copy_action(client, staff):
    edition = EditionFactory(annee=2026)
    client.force_login(staff)
    assert client.get(reverse("admin:label_edition_change", args=[edition.pk])).status_code == 200
    response = client.post(
        reverse("admin:label_edition_changelist"),
        {"action": "copy_to_next_year", "_selected_action": [edition.pk]},
        follow=True,
    )
    assert "Label 2027 préparé" in response.content.decode()
    response = client.post(
        reverse("admin:label_edition_changelist"),
        {"action": "copy_to_next_year", "_selected_action": [edition.pk]},
        follow=True,
    )
    assert "Le label 2027 existe déjà." in response.content.decode()
