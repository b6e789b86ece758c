"""Reviewing, submitting, reopening, withdrawing and renewing a candidature."""

import datetime
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from atlaas.models import FicheAction, Membership
from label.models import Candidature, CandidatureTransition, Edition, PieceJointe, Question, Reponse
from label.submission import missing_items, renew, renewal_summary
from label.workflow import TransitionError, set_candidature_state
from outbox.models import Envoi
from tests.factories import (
    CandidatureFactory,
    CommuneFactory,
    EditionFactory,
    FicheFactory,
    MembershipFactory,
    QuestionFactory,
    SectionFactory,
)

pytestmark = pytest.mark.django_db

State = Candidature.State
NOW = timezone.now()


def complete_dossier(nom="Agen"):
    """A draft of the open edition with its required question answered and one eligible fiche,
    a référent and a contributeur."""
    edition = EditionFactory()
    commune = CommuneFactory(nom=nom)
    referent = MembershipFactory(collectivite=commune, role=Membership.Role.REFERENT)
    contributeur = MembershipFactory(collectivite=commune)
    candidature = CandidatureFactory(edition=edition, collectivite=commune)
    question = QuestionFactory(section__edition=edition, libelle="Quel est le budget numérique annuel ?")
    Reponse.objects.create(candidature=candidature, question=question, valeur="120 000 euros par an")
    candidature.fiches.add(FicheFactory(collectivite=commune, titre="Ateliers de médiation numérique"))
    return candidature, referent, contributeur


def text(response):
    """The page's HTML with its whitespace collapsed, as a reader sees the text."""
    return " ".join(response.content.decode().split())


def pdf_text(data):
    return subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def move_closing_to_the_past(edition):
    Edition.objects.filter(pk=edition.pk).update(cloture=timezone.now() - datetime.timedelta(hours=1))
    edition.refresh_from_db()


# --- missing_items ------------------------------------------------------------------------------


def test_missing_items_of_a_complete_dossier_is_empty_in_four_queries(django_assert_num_queries):
    candidature, _referent, _contributeur = complete_dossier()
    with django_assert_num_queries(4):
        assert missing_items(candidature) == []


def test_missing_items_lists_required_questions_without_answer():
    candidature, _referent, _contributeur = complete_dossier()
    edition = candidature.edition
    blank = QuestionFactory(section__edition=edition, libelle="Qui pilote le numérique ?")
    Reponse.objects.create(candidature=candidature, question=blank, valeur="   \n ")
    QuestionFactory(section__edition=edition, libelle="Sans réponse du tout")
    QuestionFactory(section__edition=edition, libelle="Facultative", required=False)
    QuestionFactory(
        section=SectionFactory(edition=edition, type_candidature="territoire"), libelle="Pour les territoires"
    )

    messages = [item.message for item in missing_items(candidature)]

    assert len(messages) == 2
    assert "Qui pilote le numérique ?" in messages[0]
    assert "Sans réponse du tout" in messages[1]
    assert {item.url_name for item in missing_items(candidature)} == {"label:questionnaire"}


def test_missing_items_file_question_needs_an_attachment():
    candidature, referent, _contributeur = complete_dossier()
    question = QuestionFactory(
        section__edition=candidature.edition, libelle="Délibération du conseil", kind=Question.Kind.FILE
    )
    Reponse.objects.create(candidature=candidature, question=question, valeur="voir pièce jointe")
    assert [item.url_name for item in missing_items(candidature)] == ["label:questionnaire"]

    PieceJointe.objects.create(
        candidature=candidature,
        question=question,
        fichier="candidatures/x.pdf",
        nom="deliberation.pdf",
        content_type="application/pdf",
        taille=1000,
        added_by=referent.user,
    )
    assert missing_items(candidature) == []


def test_missing_items_needs_one_eligible_selected_fiche():
    candidature, _referent, _contributeur = complete_dossier()
    candidature.fiches.clear()
    [item] = missing_items(candidature)
    assert item.url_name == "label:fiches_candidature"

    old = FicheFactory(
        collectivite=candidature.collectivite,
        date_debut=datetime.date(2019, 1, 1),
        date_fin=datetime.date(2020, 1, 1),
        en_cours=False,
    )
    candidature.fiches.add(old)
    assert [item.url_name for item in missing_items(candidature)] == ["label:fiches_candidature"]

    candidature.fiches.add(FicheFactory(collectivite=candidature.collectivite))
    assert missing_items(candidature) == []


# --- The verification page and submitting --------------------------------------------------------


def test_verification_page_lists_what_is_missing_and_hides_the_button(client):
    candidature, _referent, contributeur = complete_dossier()
    QuestionFactory(section__edition=candidature.edition, libelle="Nombre d'agents formés")
    candidature.fiches.clear()
    client.force_login(contributeur.user)

    page = client.get(reverse("label:verification", args=[candidature.pk])).content.decode()

    assert "Il manque encore 2 éléments" in page
    assert "Nombre d&#x27;agents formés" in page
    assert "Sélectionnez au moins une fiche action éligible" in page
    assert "Déposer la candidature" not in page


def test_verification_page_query_count(client, django_assert_max_num_queries):
    candidature, _referent, contributeur = complete_dossier()
    client.force_login(contributeur.user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("label:verification", args=[candidature.pk]))
    assert "Déposer la candidature" in response.content.decode()


def test_submit_locks_the_dossier_and_emails_each_member_a_pdf_receipt(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    candidature, referent, contributeur = complete_dossier("Saint-Étienne-du-Rouvray")
    MembershipFactory(collectivite=candidature.collectivite, state=Membership.State.PENDING)
    MembershipFactory()  # another collectivité's member
    client.force_login(contributeur.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("label:deposer", args=[candidature.pk]), follow=True)

    candidature.refresh_from_db()
    assert candidature.state == State.DEPOSEE
    assert candidature.is_editable is False
    [transition] = candidature.transitions.all()
    assert (transition.from_state, transition.to_state, transition.by) == (
        State.BROUILLON,
        State.DEPOSEE,
        contributeur.user,
    )
    page = response.content.decode()
    # The page promises the receipts written with the submission, and no more.
    assert "Un accusé de réception part par e-mail à chacun des 2 membres de la collectivité." in page
    assert sorted(Envoi.objects.values_list("payload__to", flat=True)) == sorted(
        [[referent.user.email], [contributeur.user.email]]
    )
    assert "Déposée le" in page and f"par {contributeur.user}" in page
    assert "Déposer la candidature" not in page

    assert sorted(m.to[0] for m in mailoutbox) == sorted([referent.user.email, contributeur.user.email])
    for message in mailoutbox:
        assert "Accusé de réception" in message.subject
        assert "Saint-Étienne-du-Rouvray" in message.body
        [(filename, content, mimetype)] = message.attachments
        assert filename == f"recapitulatif-saint-etienne-du-rouvray-{candidature.edition.annee}.pdf"
        assert mimetype == "application/pdf"
        text = pdf_text(content)
        assert "Saint-Étienne-du-Rouvray" in text
        assert "120 000 euros par an" in text


def test_submit_twice_moves_once_and_sends_one_batch(client, mailoutbox, django_capture_on_commit_callbacks):
    candidature, _referent, contributeur = complete_dossier()
    client.force_login(contributeur.user)
    url = reverse("label:deposer", args=[candidature.pk])

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(url, follow=True)

    assert second.status_code == 200
    assert "Cette candidature est déjà déposée" in second.content.decode()
    assert CandidatureTransition.objects.filter(candidature=candidature).count() == 1
    assert len(mailoutbox) == 2


def test_submit_with_a_stale_page_is_refused_by_the_conditional_update(mailoutbox):
    candidature, _referent, contributeur = complete_dossier()
    stale = Candidature.objects.get(pk=candidature.pk)
    set_candidature_state(candidature, State.DEPOSEE, contributeur.user)
    with pytest.raises(TransitionError):
        set_candidature_state(stale, State.DEPOSEE, contributeur.user)
    assert CandidatureTransition.objects.filter(candidature=candidature).count() == 1


def test_submit_of_an_incomplete_dossier_is_refused(client):
    candidature, _referent, contributeur = complete_dossier()
    candidature.fiches.clear()
    client.force_login(contributeur.user)
    response = client.post(reverse("label:deposer", args=[candidature.pk]), follow=True)
    assert "Le dossier n&#x27;est pas complet" in response.content.decode()
    candidature.refresh_from_db()
    assert candidature.state == State.BROUILLON


def test_after_closing_the_button_is_gone_and_a_submission_is_refused_with_the_reason(client, mailoutbox):
    candidature, _referent, contributeur = complete_dossier()
    client.force_login(contributeur.user)
    page_opened_before = client.get(reverse("label:verification", args=[candidature.pk])).content.decode()
    assert "Déposer la candidature" in page_opened_before

    move_closing_to_the_past(candidature.edition)
    page = client.get(reverse("label:verification", args=[candidature.pk])).content.decode()
    assert "Les candidatures sont closes depuis le" in page
    assert "Déposer la candidature" not in page

    response = client.post(reverse("label:deposer", args=[candidature.pk]), follow=True)
    assert "Les candidatures sont closes depuis le" in response.content.decode()
    candidature.refresh_from_db()
    assert candidature.state == State.BROUILLON
    assert not mailoutbox


def test_workflow_refuses_a_submission_at_a_frozen_time_after_closing():
    candidature, _referent, contributeur = complete_dossier()
    after = candidature.edition.cloture + datetime.timedelta(seconds=1)
    with pytest.raises(TransitionError, match="closes depuis"):
        set_candidature_state(candidature, State.DEPOSEE, contributeur.user, now=after)
    just_before = candidature.edition.cloture - datetime.timedelta(seconds=1)
    set_candidature_state(candidature, State.DEPOSEE, contributeur.user, now=just_before)
    assert Candidature.objects.get(pk=candidature.pk).submitted_at == just_before


@pytest.mark.parametrize("name", ["verification", "historique", "rouvrir", "retirer", "deposer", "reprise"])
def test_pages_of_another_collectivite_answer_404(client, name):
    candidature, _referent, _contributeur = complete_dossier()
    stranger = MembershipFactory(role=Membership.Role.REFERENT)
    pending = MembershipFactory(collectivite=candidature.collectivite, state=Membership.State.PENDING)
    url = reverse(f"label:{name}", args=[candidature.pk])
    for user in (stranger.user, pending.user):
        client.force_login(user)
        response = client.post(url) if name == "deposer" else client.get(url)
        assert response.status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


# --- Reopening, withdrawing, history ------------------------------------------------------------


def submitted_dossier():
    candidature, referent, contributeur = complete_dossier()
    set_candidature_state(candidature, State.DEPOSEE, contributeur.user)
    return candidature, referent, contributeur


def test_deposited_dossier_page_links_to_the_receipt_pdf_its_members_download(client):
    candidature, referent, contributeur = submitted_dossier()
    receipt = reverse("label:accuse_reception", args=[candidature.pk])
    for member in (referent, contributeur):
        client.force_login(member.user)
        assert (
            f'href="{receipt}"'
            in client.get(reverse("label:verification", args=[candidature.pk])).content.decode()
        )
        response = client.get(receipt)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (
            f'attachment; filename="recapitulatif-agen-{candidature.edition.annee}.pdf"'
        )
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
        text = pdf_text(response.content)
        assert "Agen" in text and "120 000 euros par an" in text


def test_receipt_pdf_is_404_for_anyone_but_the_collectivites_members(client, staff):
    candidature, _referent, _contributeur = submitted_dossier()
    receipt = reverse("label:accuse_reception", args=[candidature.pk])
    stranger = MembershipFactory(role=Membership.Role.REFERENT)
    pending = MembershipFactory(collectivite=candidature.collectivite, state=Membership.State.PENDING)
    # staff work in the admin, as on every page of a dossier (label.rules)
    for user in (stranger.user, pending.user, staff):
        client.force_login(user)
        assert client.get(receipt).status_code == 404
    client.logout()
    response = client.get(receipt)
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("state", [State.BROUILLON, State.RETIREE])
def test_receipt_pdf_of_a_dossier_not_deposited_is_404_and_not_linked(client, state):
    candidature, referent, _contributeur = complete_dossier()
    if state == State.RETIREE:
        set_candidature_state(candidature, State.RETIREE, referent.user)
    client.force_login(referent.user)
    receipt = reverse("label:accuse_reception", args=[candidature.pk])
    assert receipt not in client.get(reverse("label:verification", args=[candidature.pk])).content.decode()
    assert client.get(receipt).status_code == 404


def test_referent_reopens_a_submitted_candidature_after_confirming(client):
    candidature, referent, _contributeur = submitted_dossier()
    client.force_login(referent.user)
    url = reverse("label:rouvrir", args=[candidature.pk])

    confirmation = client.get(url).content.decode()
    assert "La candidature redevient un brouillon" in confirmation
    response = client.post(url, follow=True)

    assert "La candidature est rouverte" in response.content.decode()
    candidature.refresh_from_db()
    assert candidature.state == State.BROUILLON
    assert candidature.transitions.last().by == referent.user


def test_contributeur_may_not_reopen_or_withdraw(client):
    candidature, _referent, contributeur = submitted_dossier()
    client.force_login(contributeur.user)
    for name, text in [("rouvrir", "rouvrir"), ("retirer", "retirer")]:
        url = reverse(f"label:{name}", args=[candidature.pk])
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 403
            assert (
                f"Seul un référent de la collectivité peut {text} la candidature."
                in response.content.decode()
            )
    candidature.refresh_from_db()
    assert candidature.state == State.DEPOSEE
    page = client.get(reverse("label:verification", args=[candidature.pk])).content.decode()
    assert "Rouvrir la candidature" not in page


def test_reopening_after_closing_is_refused_with_the_reason(client):
    candidature, referent, _contributeur = submitted_dossier()
    move_closing_to_the_past(candidature.edition)
    client.force_login(referent.user)
    url = reverse("label:rouvrir", args=[candidature.pk])
    assert "Les candidatures sont closes depuis le" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert "Les candidatures sont closes depuis le" in response.content.decode()
    candidature.refresh_from_db()
    assert candidature.state == State.DEPOSEE


@pytest.mark.parametrize("submitted", [False, True])
def test_referent_withdraws_a_draft_or_a_submitted_candidature(client, submitted):
    candidature, referent, _contributeur = submitted_dossier() if submitted else complete_dossier()
    client.force_login(referent.user)
    response = client.post(reverse("label:retirer", args=[candidature.pk]), follow=True)
    assert "La candidature est retirée." in response.content.decode()
    candidature.refresh_from_db()
    assert candidature.state == State.RETIREE
    second = client.post(reverse("label:retirer", args=[candidature.pk]), follow=True)
    assert "Cette candidature est déjà retirée." in second.content.decode()
    assert candidature.transitions.filter(to_state=State.RETIREE).count() == 1


def test_history_lists_every_change_of_state(client, django_assert_max_num_queries):
    candidature, referent, contributeur = submitted_dossier()
    set_candidature_state(candidature, State.BROUILLON, referent.user)
    set_candidature_state(candidature, State.DEPOSEE, contributeur.user)
    client.force_login(contributeur.user)
    with django_assert_max_num_queries(6):
        page = client.get(reverse("label:historique", args=[candidature.pk])).content.decode()
    assert page.count("<tr>") == 4  # header + 3 changes
    assert str(referent.user) in page and str(contributeur.user) in page


# --- Renewing last year's dossier -------------------------------------------------------------


def last_year(commune, referent):
    """The collectivité's submitted candidature to the previous edition, with two fiches that are
    still eligible (one changed since) and one that is not any more."""
    previous_edition = EditionFactory(
        annee=2026,
        numero=27,
        state=Edition.State.CLOSE,
        ouverture=NOW - datetime.timedelta(days=600),
        cloture=NOW - datetime.timedelta(days=340),
    )
    previous = CandidatureFactory(edition=previous_edition, collectivite=commune, state=State.DEPOSEE)
    submitted_at = NOW - datetime.timedelta(days=345)
    Candidature.objects.filter(pk=previous.pk).update(submitted_at=submitted_at)
    previous.refresh_from_db()
    kept = FicheFactory(collectivite=commune, titre="Portail citoyen", date_debut=datetime.date(2024, 1, 1))
    changed = FicheFactory(collectivite=commune, titre="Wifi public", date_debut=datetime.date(2024, 2, 1))
    ended = FicheFactory(
        collectivite=commune,
        titre="Borne interactive",
        date_debut=datetime.date(2020, 1, 1),
        date_fin=datetime.date(2024, 6, 1),
        en_cours=False,
    )
    before = submitted_at - datetime.timedelta(days=30)
    FicheAction.objects.filter(pk__in=[kept.pk, changed.pk, ended.pk]).update(
        created_at=before, updated_at=before
    )
    FicheAction.objects.filter(pk=changed.pk).update(updated_at=NOW - datetime.timedelta(days=10))
    previous.fiches.set([kept, changed, ended])

    section = SectionFactory(edition=previous_edition)
    for libelle, kind, valeur in [
        ("Quel est le budget numérique annuel ?", Question.Kind.TEXT, "90 000 euros"),
        ("Nombre d'agents", Question.Kind.NUMBER, "12"),
        ("Question retirée cette année", Question.Kind.TEXT, "texte perdu"),
        ("Avez-vous un schéma directeur ?", Question.Kind.TEXT, "oui"),
    ]:
        question = QuestionFactory(section=section, libelle=libelle, kind=kind)
        Reponse.objects.create(candidature=previous, question=question, valeur=valeur)
    return previous, {"kept": kept, "changed": changed, "ended": ended}


def test_renew_copies_matching_answers_and_still_eligible_fiches():
    edition = EditionFactory()
    referent = MembershipFactory(role=Membership.Role.REFERENT, collectivite=CommuneFactory(population=12000))
    commune = referent.collectivite
    previous, fiches = last_year(commune, referent)
    section = SectionFactory(edition=edition)
    budget = QuestionFactory(section=section, libelle="Quel est le  budget numérique annuel ?")
    agents = QuestionFactory(section=section, libelle="Nombre d'agents", kind=Question.Kind.NUMBER)
    schema = QuestionFactory(
        section=section, libelle="Avez-vous un schéma directeur ?", kind=Question.Kind.YES_NO
    )
    QuestionFactory(section=section, libelle="Question nouvelle")
    created_since = FicheFactory(collectivite=commune, titre="Application mobile")

    candidature = renew(previous, edition, referent.user)

    assert candidature.renewed_from == previous
    assert candidature.type == "ville"
    assert candidature.state == State.BROUILLON
    answers = dict(candidature.reponses.values_list("question_id", "valeur"))
    assert answers == {budget.pk: "90 000 euros", agents.pk: "12"}  # same wording and type only
    assert schema.pk not in answers  # the type changed
    assert set(candidature.fiches.all()) == {fiches["kept"], fiches["changed"], created_since}


def test_renewal_summary_lists_new_changed_and_no_longer_eligible_fiches(client):
    edition = EditionFactory()
    referent = MembershipFactory(role=Membership.Role.REFERENT)
    commune = referent.collectivite
    previous, fiches = last_year(commune, referent)
    FicheFactory(collectivite=commune, titre="Application mobile")
    candidature = renew(previous, edition, referent.user)

    summary = renewal_summary(candidature)

    assert [f.titre for f in summary["new"]] == ["Application mobile"]
    assert summary["new"][0].selected
    assert summary["changed"] == [fiches["changed"]]
    [ended] = summary["ineligible"]
    assert ended == fiches["ended"] and ended.reason == "terminée depuis plus de deux ans"

    client.force_login(referent.user)
    page = text(client.get(reverse("label:reprise", args=[candidature.pk])))
    assert "Application mobile — ajoutée à la sélection" in page
    assert "Wifi public — modifiée le" in page
    assert "Borne interactive — terminée depuis plus de deux ans" in page


def test_reprendre_view_renews_for_a_referent_and_redirects_to_the_summary(client):
    edition = EditionFactory()
    referent = MembershipFactory(role=Membership.Role.REFERENT)
    previous, _fiches = last_year(referent.collectivite, referent)
    client.force_login(referent.user)
    url = reverse("label:reprendre", args=[referent.collectivite.code])

    assert "Reprendre le dossier 2026" in client.get(url).content.decode()
    response = client.post(url)

    candidature = Candidature.objects.get(edition=edition, collectivite=referent.collectivite)
    assert response.status_code == 302
    assert response.url == reverse("label:reprise", args=[candidature.pk])
    assert candidature.renewed_from == previous

    again = client.post(url)  # a double click, or a colleague
    assert again.url == reverse("label:verification", args=[candidature.pk])
    assert Candidature.objects.filter(edition=edition).count() == 1


def test_reprendre_is_for_referents_and_members_only(client):
    EditionFactory()
    contributeur = MembershipFactory()
    last_year(contributeur.collectivite, contributeur)
    url = reverse("label:reprendre", args=[contributeur.collectivite.code])
    client.force_login(contributeur.user)
    response = client.post(url)
    assert response.status_code == 403
    assert "Seul un référent de la collectivité peut reprendre" in response.content.decode()

    client.force_login(MembershipFactory(role=Membership.Role.REFERENT).user)
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 404
    assert not Candidature.objects.filter(renewed_from__isnull=False).exists()


def test_reprendre_without_previous_candidature_or_after_closing_explains_why(client):
    edition = EditionFactory()
    referent = MembershipFactory(role=Membership.Role.REFERENT)
    client.force_login(referent.user)
    url = reverse("label:reprendre", args=[referent.collectivite.code])
    assert "pas de candidature à l&#x27;édition précédente" in client.get(url).content.decode()

    last_year(referent.collectivite, referent)
    move_closing_to_the_past(edition)
    response = client.post(url, follow=True)
    assert "Les candidatures sont closes depuis le" in response.content.decode()
    assert not Candidature.objects.filter(edition=edition).exists()
