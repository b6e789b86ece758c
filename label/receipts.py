"""The receipt of a submitted candidature: a PDF summary of the dossier, e-mailed to its members."""

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from atlaas.models import Membership, Service

from . import selectors
from .models import Candidature, Question
from .submission import last_submission

# How long the "receipt sent to this member for this submission" marks are kept.
RECEIPT_MARK_SECONDS = 60 * 60 * 24 * 30


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
    """The PDF summary of the dossier, as bytes."""
    from weasyprint import HTML  # imported on use: it takes most of a second

    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string("label/pdf/recapitulatif.html", receipt_context(candidature))
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def receipt_filename(candidature):
    return f"recapitulatif-{slugify(candidature.collectivite.nom)}-{candidature.edition.annee}.pdf"


def send_receipt_emails(candidature_id):
    """E-mail the receipt with its PDF to every active member of the collectivité, one message
    each. A member already sent the receipt of this submission is skipped (a mark in the cache,
    set before sending and removed if sending fails), so a retried task does not send twice.
    Returns the number of e-mails sent."""
    candidature = (
        Candidature.objects.select_related("edition", "collectivite").filter(pk=candidature_id).first()
    )
    if candidature is None or candidature.state != Candidature.State.DEPOSEE:
        return 0  # reopened or withdrawn before the receipt left: nothing to acknowledge
    submission = last_submission(candidature)
    members = list(
        Membership.objects.filter(
            collectivite=candidature.collectivite, state=Membership.State.ACTIVE, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__email")
    )
    marks = {member.user_id: f"label:recu:{submission.pk}:{member.user_id}" for member in members}
    to_send = [member for member in members if cache.add(marks[member.user_id], 1, RECEIPT_MARK_SECONDS)]
    sent = []
    try:
        if to_send:
            _send(candidature, submission, to_send, sent)
    finally:
        # Whatever did not leave (SMTP away, rendering failed) is released for the retry.
        unsent = [marks[member.user_id] for member in to_send if member not in sent]
        if unsent:
            cache.delete_many(unsent)
    return len(sent)


def _send(candidature, submission, members, sent):
    pdf = render_receipt_pdf(candidature)
    with translation.override(settings.LANGUAGE_CODE):
        subject = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "") + _(
            "Accusé de réception : candidature de %(collectivite)s au %(edition)s"
        ) % {"collectivite": candidature.collectivite.nom, "edition": candidature.edition}
        body = render_to_string(
            "label/emails/accuse_reception.txt",
            {
                "candidature": candidature,
                "submission": submission,
                "submitted_at": timezone.localtime(submission.at),
                "url": settings.SITE_URL + reverse("label:verification", args=[candidature.pk]),
            },
        )
    connection = get_connection()
    for member in members:
        message = EmailMessage(subject, body, None, [member.user.email], connection=connection)
        message.attach(receipt_filename(candidature), pdf, "application/pdf")
        message.send()
        sent.append(member)
