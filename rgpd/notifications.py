"""E-mails about a person's data: rendered in French, owed in the outbox."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from atlaas.typographie import une_ligne
from outbox import envois


def _courriel(template, user, context, key):
    context = {"site_url": settings.SITE_URL, "user": user, **context}
    with translation.override(settings.LANGUAGE_CODE):
        subject = une_ligne(render_to_string(f"rgpd/emails/{template}_subject.txt", context))
        body = render_to_string(f"rgpd/emails/{template}.txt", context)
    envois.courriel(user.email, settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body, key=key)


def archive_prete(archive):
    from .conservation import ARCHIVES

    _courriel(
        "archive_prete",
        archive.user,
        {
            "url": settings.SITE_URL + reverse("rgpd:mes_donnees"),
            "jusqu_au": archive.created_at + ARCHIVES,
        },
        key=f"archive-prete:{archive.pk}",
    )


def avertir_inactivite(user, suppression):
    _courriel(
        "inactivite",
        user,
        {
            "suppression": suppression,
            "derniere_activite": user.activite,
            "connexion_url": settings.SITE_URL + reverse("account_login"),
            "donnees_url": settings.SITE_URL + reverse("rgpd:mes_donnees"),
        },
        key=f"inactivite:{user.pk}:{user.activite.isoformat()}",
    )
