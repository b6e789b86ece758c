"""Reminders to jurors with unfinished evaluations: sent by the president from the steering page,
and automatically 7 and 2 days before the jury meeting (once each per juror).

A reminder is a ``RappelJure`` row claimed in a transaction, with its e-mail owed in the outbox.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from atlaas.typographie import une_ligne
from label.models import Candidature, Edition
from outbox import envois

from .models import Evaluation, Jure, Jury, RappelJure

JOURS = (7, 2)
# A juror reminded by hand less than this ago is not reminded again (a double click, a colleague).
DELAI_MANUEL = datetime.timedelta(hours=1)


@dataclass
class Envoi:
    """What ``rappeler`` did with each juror it was given."""

    envoyes: list = field(default_factory=list)
    rien_a_faire: list = field(default_factory=list)
    deja_rappeles: list = field(default_factory=list)


def restants(jures):
    """{jure id: number of dossiers still to evaluate} (submitted candidatures only): one query."""
    return dict(
        Evaluation.objects.filter(jure__in=jures, candidature__state=Candidature.State.DEPOSEE)
        .exclude(state=Evaluation.State.SOUMISE)
        .values("jure")
        .annotate(n=Count("pk"))
        .values_list("jure", "n")
    )


def seuil(edition, now=None):
    """The smallest of 7 and 2 days that the time left before the jury meeting has reached,
    or None (no date, meeting today or past, or still far)."""
    if edition.jury_date is None:
        return None
    left = (edition.jury_date - timezone.localdate(now or timezone.now())).days
    if left <= 0:
        return None
    reached = [days for days in JOURS if left <= days]
    return min(reached) if reached else None


def rappeler(jures, by=None, jours=None, now=None):
    """Remind each juror who still has dossiers to evaluate, and record it. ``jours`` set: the
    automatic reminder of that threshold, claimed once per juror (unique constraint); unset: a
    reminder by ``by``, skipped for a juror reminded by hand within the last hour."""
    now = now or timezone.now()
    jures = list(jures.select_related("user", "edition"))
    left = restants(jures)
    envoi = Envoi()
    for jure in jures:
        count = left.get(jure.pk, 0)
        if not count:
            envoi.rien_a_faire.append(jure)
            continue
        try:
            with transaction.atomic():
                if jours is None:
                    Jure.objects.select_for_update().filter(pk=jure.pk).first()  # one click at a time
                    recent = RappelJure.objects.filter(
                        jure=jure, jours__isnull=True, sent_at__gt=now - DELAI_MANUEL
                    )
                    if recent.exists():
                        envoi.deja_rappeles.append(jure)
                        continue
                rappel = RappelJure.objects.create(jure=jure, jours=jours, by=by, sent_at=now)
                envois.courriel(**_message(jure, count), key=f"rappel-jure:{rappel.pk}")
        except IntegrityError:
            envoi.deja_rappeles.append(jure)  # this threshold was claimed by another run
            continue
        envoi.envoyes.append(jure)
    return envoi


def rappels_automatiques(now=None):
    """For each edition whose jury still evaluates and meets in 7 days or less, remind every
    juror with unfinished work once per threshold (7, then 2 days; a missed run is caught up
    by the next one). Returns the number of reminders sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    editions = Edition.objects.filter(
        Q(jury__isnull=True) | Q(jury__phase=Jury.Phase.EVALUATION),
        jury_date__gt=today,
        jury_date__lte=today + datetime.timedelta(days=max(JOURS)),
    )
    sent = 0
    for edition in editions:
        days = seuil(edition, now)
        if days is None:
            continue
        jures = Jure.objects.filter(edition=edition, user__isnull=False).exclude(rappels__jours=days)
        sent += len(rappeler(jures, jours=days, now=now).envoyes)
    return sent


def _message(jure, count):
    """The reminder e-mail (keyword arguments of ``outbox.envois.courriel``)."""
    edition = jure.edition
    context = {
        "jure": jure,
        "edition": edition,
        "count": count,
        "jury_date": edition.jury_date,
        "url": settings.SITE_URL + reverse("jury:dashboard", args=[edition.annee]),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = une_ligne(render_to_string("jury/emails/rappel_subject.txt", context))
        body = render_to_string("jury/emails/rappel_message.txt", context)
        html = render_to_string("jury/emails/rappel_message.html", context)
    return {
        "subject": settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        "body": body,
        "html": html,
        "to": jure.user.email if jure.user_id else jure.email,
    }
