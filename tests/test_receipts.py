"""The receipt of a submission: a PDF summary of the dossier, e-mailed once to each member."""

import datetime
import subprocess

import pytest
from django.core.files.base import ContentFile
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from atlaas.models import Membership
from label.models import Candidature, PieceJointe, Question, Reponse
from label.receipts import owe_receipts, render_receipt_pdf
from label.tasks import send_receipts
from label.workflow import set_candidature_state
from outbox import envois
from outbox.models import Envoi
from tests.factories import (
    CandidatureFactory,
    CommuneFactory,
    EditionFactory,
    EnjeuFactory,
    FicheFactory,
    MembershipFactory,
    QuestionFactory,
    SectionFactory,
    ServiceFactory,
)
from tests.pdfs import accessibilite, erreurs_weasyprint, pdf_text

pytestmark = pytest.mark.django_db

State = Candidature.State


@pytest.fixture
def submitted():
    """A submitted candidature of Agen with answers of several kinds, two fiches, a file."""
    edition = EditionFactory()
    commune = CommuneFactory(nom="Agen", code="47001", population=32801)
    referent = MembershipFactory(
        collectivite=commune, role=Membership.Role.REFERENT, user__first_name="Claire"
    )
    MembershipFactory(collectivite=commune)
    candidature = CandidatureFactory(edition=edition, collectivite=commune, type="ville")
    section = SectionFactory(edition=edition, titre="Gouvernance numérique")
    texte = QuestionFactory(section=section, libelle="Qui pilote la stratégie numérique ?")
    oui_non = QuestionFactory(section=section, libelle="Schéma directeur adopté ?", kind=Question.Kind.YES_NO)
    fichier = QuestionFactory(section=section, libelle="Délibération du conseil", kind=Question.Kind.FILE)
    QuestionFactory(section=section, libelle="Question facultative", required=False)
    QuestionFactory(
        section=SectionFactory(edition=edition, type_candidature="territoire"),
        libelle="Réservée aux territoires",
    )
    Reponse.objects.create(candidature=candidature, question=texte, valeur="Une adjointe au numérique")
    Reponse.objects.create(candidature=candidature, question=oui_non, valeur="oui")
    piece = PieceJointe(
        candidature=candidature,
        question=fichier,
        nom="deliberation-2026.pdf",
        content_type="application/pdf",
        taille=9,
        added_by=referent.user,
    )
    piece.fichier.save("x.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    enjeu = EnjeuFactory(nom="Médiation numérique")
    candidature.fiches.add(
        FicheFactory(
            collectivite=commune,
            titre="Conseillers numériques en mairie",
            services=[ServiceFactory(nom="Accompagnement aux démarches en ligne", enjeu=enjeu)],
        ),
        FicheFactory(collectivite=commune, titre="Budget participatif en ligne"),
    )
    set_candidature_state(candidature, State.DEPOSEE, referent.user)
    return candidature


def test_receipt_pdf_summarises_the_whole_dossier(submitted):
    text = pdf_text(render_receipt_pdf(submitted))

    for expected in [
        "Collectivité Agen (47001)",
        "Ville",
        "Label 2027",
        "Déposée par Claire",
        "Gouvernance numérique",
        "Qui pilote la stratégie numérique ? Une adjointe au numérique",
        "Schéma directeur adopté ? Oui",
        "Délibération du conseil deliberation-2026.pdf",
        "Question facultative Sans réponse",
        "2 fiches actions sélectionnées",
        "Conseillers numériques en mairie Accompagnement aux démarches en ligne",
        "Budget participatif en ligne",
        "Mosaïque des enjeux",
        "Médiation numérique 1",
    ]:
        assert expected in text
    assert "Réservée aux territoires" not in text


def test_receipt_pdf_embeds_only_the_named_font(submitted, tmp_path):
    pdf = tmp_path / "recapitulatif.pdf"
    pdf.write_bytes(render_receipt_pdf(submitted))
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True).stdout.decode()
    fonts = [line.split()[0] for line in listing.splitlines()[2:]]
    assert fonts and all("DejaVu-Sans" in font for font in fonts)


def test_receipt_pdf_is_tagged_titled_and_in_french(submitted, caplog):
    pdf = accessibilite(render_receipt_pdf(submitted))
    assert pdf["titre"] == "Récapitulatif de la candidature d'Agen au Label 2027"
    assert pdf["balise"] == "yes" and pdf["marque"] is True and pdf["titre_affiche"] is True
    assert pdf["langue"] == "fr"
    assert pdf["xmp"] == {"pdfuaid:part": "1"}
    types = [type_ for type_, _alt in pdf["structure"]]
    assert types.count("/H1") == 1 and "/H2" in types and "/Table" in types and "/TH" in types
    assert not erreurs_weasyprint(caplog)


def test_owe_receipts_twice_sends_one_email_per_member(
    submitted, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert owe_receipts(submitted) == 2
        assert owe_receipts(submitted) == 2  # the same two rows: nothing more owed
    assert Envoi.objects.count() == 2
    assert len(mailoutbox) == 2
    assert all(len(message.attachments) == 1 for message in mailoutbox)
    assert mailoutbox[0].attachments[0][0] == "recapitulatif-agen-2027.pdf"
    assert mailoutbox[0].subject.endswith("candidature d'Agen au Label 2027")
    assert "La candidature d'Agen au Label 2027 a été déposée le" in mailoutbox[0].body


def test_a_new_submission_after_reopening_sends_a_new_receipt(
    submitted, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        owe_receipts(submitted)
        referent = submitted.collectivite.memberships.get(role=Membership.Role.REFERENT).user
        set_candidature_state(submitted, State.BROUILLON, referent)
        set_candidature_state(submitted, State.DEPOSEE, referent)
        owe_receipts(submitted)
    assert len(mailoutbox) == 4


def test_receipts_queued_by_the_previous_release_are_owed_once(
    submitted, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert send_receipts.delay(submitted.pk).get() == 2
        assert send_receipts.delay(submitted.pk).get() == 2
    assert len(mailoutbox) == 2


class FlakyBackend(EmailBackend):
    """Refuses the second message once, as an SMTP server going away would."""

    calls = 0

    def send_messages(self, messages):
        FlakyBackend.calls += 1
        if FlakyBackend.calls == 2:
            raise OSError("connexion refusée")
        return super().send_messages(messages)


def test_receipts_that_did_not_leave_are_sent_by_the_retry(
    submitted, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.test_receipts.FlakyBackend"
    FlakyBackend.calls = 0
    with django_capture_on_commit_callbacks(execute=True):
        owe_receipts(submitted)
    assert len(mailoutbox) == 1
    echec = Envoi.objects.get(state=Envoi.State.ATTENTE)
    assert echec.error == "OSError : connexion refusée"
    envois.relancer(now=timezone.now() + datetime.timedelta(minutes=5))  # the beat, later on
    assert len({message.to[0] for message in mailoutbox}) == 2
    assert set(Envoi.objects.values_list("state", flat=True)) == {Envoi.State.FAIT}
