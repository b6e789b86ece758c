"""E-mails of the directory: rendered in French, owed in the outbox, sent by a worker after commit."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

from outbox import envois

from .selectors import active_member_emails
from .typographie import une_ligne


def send_templated_mail(template, to, context):
    """Render ``atlaas/emails/<template>_subject.txt`` and ``<template>.txt`` and send one message
    to each address (members never see each other's addresses), after commit."""
    if not to:
        return
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(settings.LANGUAGE_CODE):
        subject = une_ligne(render_to_string(f"atlaas/emails/{template}_subject.txt", context))
        body = render_to_string(f"atlaas/emails/{template}.txt", context)
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject
    for address in to:
        envois.courriel(address, subject, body)


def _membres_url(collectivite):
    return settings.SITE_URL + reverse("atlaas:membres", args=[collectivite.code])


def notify_membership_requested(membership, referent_emails):
    send_templated_mail(
        "membership_requested",
        referent_emails,
        {
            "membership": membership,
            "collectivite": membership.collectivite,
            "url": _membres_url(membership.collectivite),
        },
    )


def notify_staff_of_request(membership):
    """A request that no référent can approve yet goes to the team (settings.STAFF_EMAILS)."""
    url = reverse("admin:atlaas_membership_changelist") + "?state__exact=pending"
    send_templated_mail(
        "membership_requested_staff",
        settings.STAFF_EMAILS,
        {"membership": membership, "collectivite": membership.collectivite, "url": settings.SITE_URL + url},
    )


def notify_staff_without_referent(collectivite):
    """The last référent left (or deleted their account): the team names the next one. The
    message does not name the person who left."""
    url = reverse("admin:atlaas_membership_changelist") + "?" + urlencode({"q": collectivite.code})
    send_templated_mail(
        "sans_referent_staff",
        settings.STAFF_EMAILS,
        {"collectivite": collectivite, "url": settings.SITE_URL + url},
    )


def notify_membership_approved(membership):
    send_templated_mail(
        "membership_approved",
        [membership.user.email],
        {
            "membership": membership,
            "collectivite": membership.collectivite,
            "url": _membres_url(membership.collectivite),
        },
    )


def notify_membership_refused(membership):
    send_templated_mail(
        "membership_refused",
        [membership.user.email],
        {
            "membership": membership,
            "collectivite": membership.collectivite,
            "url": settings.SITE_URL + reverse("atlaas:rejoindre"),
        },
    )


def notify_invitation(invitation):
    send_templated_mail(
        "invitation",
        [invitation.email],
        {
            "invitation": invitation,
            "collectivite": invitation.collectivite,
            "url": settings.SITE_URL + reverse("atlaas:invitation", args=[invitation.token]),
        },
    )


def notify_fiche_members(fiche, template, message=""):
    """E-mail the collectivité's active members about a moderation decision on ``fiche`` (a fiche
    or a revision), after commit. Templates: ``atlaas/emails/<template>[_subject].txt``."""
    emails = active_member_emails(fiche.collectivite_id)
    if not emails:
        return
    collectivite = fiche.collectivite
    path = reverse("atlaas:fiche", args=[collectivite.code, fiche.revision_of_id or fiche.pk])
    context = {
        "fiche": fiche,
        "collectivite": collectivite,
        "message": message,
        "url": settings.SITE_URL + path,
    }
    send_templated_mail(template, emails, context)
