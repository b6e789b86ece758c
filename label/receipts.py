"""The receipt of a submitted candidature: a PDF summary of the dossier, e-mailed to its members."""

from django.conf import settings
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from atlaas.models import Service
from atlaas.selectors import active_member_emails
from atlaas.typographie import de
from outbox import envois

from . import pdf, selectors
from .models import Candidature, Question
from .submission import last_submission


def receipt_context(candidature):
    """Everything the PDF summary shows, read in a fixed number of queries."""
    answers = {reponse.question_id: reponse.valeur for reponse in candidature.reponses.all()}
    pieces = list(candidature.pieces.select_related("question").order_by("pk"))
    files = {}
    for piece in pieces:
        if piece.question_id:
            files.setdefault(piece.question_id, []).append(piece.nom)
    sections = []
    for question in selectors.ordered_questions(candidature):
        if not sections or sections[-1]["section"].pk != question.section_id:
            sections.append({"section": question.section, "questions": []})
        if question.kind == Question.Kind.FILE:
            answer = ", ".join(files.get(question.pk, []))
        elif question.kind == Question.Kind.YES_NO:
            answer = {"oui": _("Oui"), "non": _("Non"), "true": _("Oui"), "false": _("Non")}.get(
                answers.get(question.pk, "").strip().lower(), answers.get(question.pk, "")
            )
        else:
            answer = answers.get(question.pk, "")
        sections[-1]["questions"].append({"question": question, "answer": answer})
    closing = candidature.edition.closing_date()
    fiches = list(
        candidature.fiches.order_by("titre", "pk").prefetch_related(
            Prefetch("services", queryset=Service.objects.select_related("enjeu").order_by("nom"))
        )
    )
    for fiche in fiches:
        fiche.reason = fiche.ineligibility_reason(closing)
    return {
        "candidature": candidature,
        "submission": last_submission(candidature),
        "sections": sections,
        "fiches": fiches,
        "pieces": pieces,
        "mosaique": mosaique_rows(candidature),
        "generated_at": timezone.localtime(),
    }


def mosaique_rows(candidature):
    """(enjeu, number of selected fiches) pairs of the mosaïque des enjeux."""
    return [(case.enjeu.nom, case.count) for case in selectors.mosaique(candidature, suggestions=False).cases]


def render_receipt_pdf(candidature):
    """The PDF summary of the dossier, as bytes: a tagged PDF (``label.pdf``)."""
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string("label/pdf/recapitulatif.html", receipt_context(candidature))
    return pdf.rendre(html)


def receipt_filename(candidature):
    return f"recapitulatif-{slugify(candidature.collectivite.nom)}-{candidature.edition.annee}.pdf"


def owe_receipts(candidature):
    """Owe the receipt of the candidature's last submission to each active member of the
    collectivité, one e-mail each with the PDF summary attached when it is sent (called inside
    the submission's transaction: the e-mails exist if and only if the submission does). A
    second call for the same submission owes nothing more. Returns the number of receipts owed."""
    submission = last_submission(candidature)
    emails = active_member_emails(candidature.collectivite_id)
    with translation.override(settings.LANGUAGE_CODE):
        subject = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "") + _(
            "Accusé de réception : candidature %(de_collectivite)s au %(edition)s"
        ) % {"de_collectivite": de(candidature.collectivite.nom), "edition": candidature.edition}
        body = render_to_string(
            "label/emails/accuse_reception.txt",
            {
                "candidature": candidature,
                "submission": submission,
                "submitted_at": timezone.localtime(submission.at),
                "url": settings.SITE_URL + reverse("label:verification", args=[candidature.pk]),
            },
        )
    for email in emails:
        envois.courriel(
            email,
            subject,
            body,
            key=f"recu:{submission.pk}:{email}",
            pieces=[("label.receipts.receipt_attachment", [candidature.pk])],
        )
    return len(emails)


def receipt_attachment(candidature_id):
    """The receipt's attachment, rendered when the e-mail leaves: (file name, PDF, type)."""
    candidature = Candidature.objects.select_related("edition", "collectivite").get(pk=candidature_id)
    return receipt_filename(candidature), render_receipt_pdf(candidature), "application/pdf"
