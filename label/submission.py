"""Submitting a candidature: what is missing, renewing last year's dossier, closing reminders."""

import datetime
import math
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from atlaas.models import FicheAction
from atlaas.selectors import active_member_emails
from atlaas.storage import atomic_with_files
from outbox import envois

from .dossier import NotEditable, edition_closed_reason
from .models import Candidature, CandidatureTransition, Edition, PieceJointe, Question, Rappel, Reponse
from .selectors import ordered_questions

State = Candidature.State
REMINDER_DAYS = (30, 7, 1)


# --- Review before submission -------------------------------------------------------------------


@dataclass(frozen=True)
class Missing:
    """Something to do before the candidature can be submitted, and the page where it is done."""

    message: str
    url_name: str
    link_text: str


def missing_items(candidature):
    """What still prevents submission: required questions without an answer, and no eligible
    fiche among the selected ones. Four queries, whatever the size of the dossier."""
    answered = set(
        Reponse.objects.filter(candidature=candidature)
        .exclude(valeur__regex=r"^\s*$")
        .values_list("question_id", flat=True)
    )
    with_file = set(
        PieceJointe.objects.filter(candidature=candidature, question__isnull=False).values_list(
            "question_id", flat=True
        )
    )
    missing = []
    for question in ordered_questions(candidature):
        if not question.required:
            continue
        done = question.pk in with_file if question.kind == Question.Kind.FILE else question.pk in answered
        if not done:
            missing.append(
                Missing(
                    _("Réponse manquante : « %(question)s » (%(section)s).")
                    % {"question": question.libelle, "section": question.section.titre},
                    "label:questionnaire",
                    _("Compléter le questionnaire"),
                )
            )
    closing = candidature.edition.closing_date()
    fiches = candidature.fiches.only("date_debut", "date_fin", "en_cours")
    if not any(fiche.is_eligible(closing) for fiche in fiches):
        missing.append(
            Missing(
                _("Sélectionnez au moins une fiche action éligible à cette édition."),
                "label:fiches_candidature",
                _("Choisir les fiches actions"),
            )
        )
    return missing


def last_submission(candidature):
    """The latest transition to « déposée » (who and when), or None."""
    return (
        CandidatureTransition.objects.filter(candidature=candidature, to_state=State.DEPOSEE)
        .select_related("by")
        .order_by("-at", "-pk")
        .first()
    )


# --- Renewing last year's dossier ---------------------------------------------------------------


def previous_candidature(collectivite, edition):
    """The collectivité's candidature to the edition just before this one, or None."""
    previous = Edition.objects.filter(annee__lt=edition.annee).order_by("-annee").first()
    if previous is None:
        return None
    return (
        Candidature.objects.filter(edition=previous, collectivite=collectivite)
        .filter(state=Candidature.State.DEPOSEE)
        .select_related("edition", "collectivite")
        .first()
    )


def _key(question):
    return (" ".join(question.libelle.split()).casefold(), question.kind)


def _reference_date(previous):
    return previous.submitted_at or previous.updated_at


@atomic_with_files()
def renew(previous, edition, user):
    """Start the collectivité's candidature to ``edition`` from ``previous``: answers to the
    questions asked again (same wording, same type) are copied, file answers included; the
    fiches of the previous selection that are still eligible are carried over, and fiches
    created since the previous submission are added when eligible (the default selection).
    Raises IntegrityError when the collectivité already has a candidature to this edition,
    NotEditable once the edition is closed, and OSError when a file could not be copied (then
    nothing is written, no file is left)."""
    reason = edition_closed_reason(edition)
    if reason:
        raise NotEditable(reason)
    collectivite = previous.collectivite
    candidature = Candidature.objects.create(
        edition=edition,
        collectivite=collectivite,
        type=edition.type_for(collectivite),
        renewed_from=previous,
        created_by=user,
        updated_by=user,
    )
    asked = {_key(question): question for question in ordered_questions(candidature)}

    answers = []
    for reponse in previous.reponses.select_related("question"):
        question = asked.get(_key(reponse.question))
        if question is None or not reponse.valeur.strip():
            continue
        if question.kind == Question.Kind.CHOICE and reponse.valeur not in question.choice_list():
            continue
        answers.append(Reponse(candidature=candidature, question=question, valeur=reponse.valeur))
    Reponse.objects.bulk_create(answers)

    for piece in previous.pieces.filter(question__isnull=False).select_related("question"):
        question = asked.get(_key(piece.question))
        if question is None or question.kind != Question.Kind.FILE:
            continue
        try:
            with piece.fichier.open("rb") as source:
                content = ContentFile(source.read())
        except OSError:
            continue  # the file is gone from the storage: the question stays unanswered
        copy = PieceJointe(
            candidature=candidature,
            question=question,
            nom=piece.nom,
            content_type=piece.content_type,
            taille=piece.taille,
            description=piece.description,
            added_by=user,
        )
        copy.fichier.save(Path(piece.fichier.name).name, content, save=True)

    closing = edition.closing_date()
    since = _reference_date(previous)
    carried = [fiche for fiche in previous.fiches.all() if fiche.is_eligible(closing)]
    created = [
        fiche
        for fiche in collectivite.fiches.originals().filter(created_at__gt=since)
        if fiche.is_eligible(closing)
    ]
    candidature.fiches.set({fiche.pk for fiche in carried + created})
    return candidature


def renewal_summary(candidature):
    """What a renewed candidature should look at: fiches new since the previous submission,
    fiches changed since, previously selected fiches no longer eligible (with the reason), and
    the questions whose answer could not be carried over. None if it is not a renewal."""
    previous = candidature.renewed_from
    if previous is None:
        return None
    since = _reference_date(previous)
    closing = candidature.edition.closing_date()
    previous_ids = set(previous.fiches.values_list("pk", flat=True))
    selected_ids = set(candidature.fiches.values_list("pk", flat=True))
    fiches = list(
        FicheAction.objects.originals()
        .filter(Q(collectivite=candidature.collectivite, created_at__gt=since) | Q(pk__in=previous_ids))
        .order_by("titre", "pk")
    )
    for fiche in fiches:
        fiche.selected = fiche.pk in selected_ids
        fiche.reason = fiche.ineligibility_reason(closing)
    answered = set(candidature.reponses.exclude(valeur="").values_list("question_id", flat=True)) | set(
        candidature.pieces.filter(question__isnull=False).values_list("question_id", flat=True)
    )
    return {
        "previous": previous,
        "since": since,
        "new": [f for f in fiches if f.created_at > since],
        "changed": [
            f for f in fiches if f.pk in previous_ids and f.created_at <= since and f.updated_at > since
        ],
        "ineligible": [f for f in fiches if f.pk in previous_ids and f.reason],
        "unanswered": [q for q in ordered_questions(candidature) if q.pk not in answered],
        "answers": len(answered),
    }


# --- Reminders before closing -------------------------------------------------------------------


def reminder_threshold(edition, now=None):
    """The smallest of 30, 7 and 1 days that the time left before closing has reached, or None."""
    now = now or timezone.now()
    left = edition.cloture - now
    if left <= datetime.timedelta(0):
        return None
    reached = [days for days in REMINDER_DAYS if left <= datetime.timedelta(days=days)]
    return min(reached) if reached else None


def remind_drafts(now=None):
    """For the open edition, claim the reminder due to each draft (one ``Rappel`` row per
    candidature and threshold; the unique constraint makes a second run, or a second worker,
    skip it) and owe its e-mails with the claim. Returns the number claimed."""
    now = now or timezone.now()
    edition = Edition.objects.ouverte()
    if edition is None or not edition.is_open(now):
        return 0
    days = reminder_threshold(edition, now)
    if days is None:
        return 0
    drafts = (
        Candidature.objects.filter(edition=edition, state=State.BROUILLON)
        .exclude(rappels__jours=days)
        .select_related("collectivite", "edition")
    )
    claimed = 0
    for candidature in drafts:
        try:
            with transaction.atomic():
                rappel = Rappel.objects.create(candidature=candidature, jours=days, sent_at=now)
                days_left = math.ceil((edition.cloture - now).total_seconds() / 86400)
                for message in reminder_messages(candidature, days_left):
                    envois.courriel(**message, key=f"rappel:{rappel.pk}:{message['to']}")
        except IntegrityError:
            continue  # already claimed by another run
        claimed += 1
    return claimed


def reminder_messages(candidature, days):
    """The reminder e-mails of a draft, ``days`` before closing (keyword arguments of
    ``outbox.envois.courriel``, one message per member)."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _subject(
            ngettext(
                "Votre candidature au %(edition)s : clôture dans %(days)s jour",
                "Votre candidature au %(edition)s : clôture dans %(days)s jours",
                days,
            )
            % {"edition": candidature.edition, "days": days}
        )
        body = render_to_string(
            "label/emails/rappel.txt",
            {
                "candidature": candidature,
                "days": days,
                "cloture": timezone.localtime(candidature.edition.cloture),
                "url": settings.SITE_URL + reverse("label:verification", args=[candidature.pk]),
            },
        )
    return [
        {"subject": subject, "body": body, "to": email}
        for email in active_member_emails(candidature.collectivite_id)
    ]


def _subject(text):
    return getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "") + text
