"""How long personal data is kept, and the daily run that holds the portal to it.

The periods are the ones /donnees-personnelles/ states (its template reads them here). An account
is inactive from its last login (its creation if it never logged in): a visit without a new login
cannot last, sessions end two weeks after they start (``SESSION_COOKIE_AGE``), so any use of the
portal is a login. Staff accounts are left to the association, which closes them when someone
leaves the team.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string

from atlaas.models import Invitation
from outbox import envois
from outbox.models import Envoi

from . import effacement, notifications
from .models import Archive, AvisInactivite

logger = logging.getLogger(__name__)

INACTIVITE = datetime.timedelta(days=3 * 365)  # an account without login this long is deleted…
PREAVIS = datetime.timedelta(days=30)  # …once warned by e-mail this long before
ARCHIVES = datetime.timedelta(days=7)  # « Mes données » archives, from their request
INVITATIONS = datetime.timedelta(days=30)  # invitations to a collectivité never accepted, after expiry
COURRIELS = envois.CONSERVATION  # e-mails of the outbox: after sending (and failed ones, after creation)


def inactifs(depuis):
    """Accounts (staff excepted) whose last login, or creation, is older than ``depuis``."""
    return (
        get_user_model()
        .objects.filter(is_staff=False, is_superuser=False)
        .annotate(activite=Coalesce("last_login", "date_joined"))
        .filter(activite__lt=depuis)
    )


def avertir(now):
    """E-mail once the accounts that will be deleted in ``PREAVIS`` without a login meanwhile.
    Returns the number warned."""
    warned = 0
    a_avertir = inactifs(now - (INACTIVITE - PREAVIS)).filter(
        Q(avis_inactivite__isnull=True) | Q(avis_inactivite__sent_at__lt=F("activite"))
    )
    for user in list(a_avertir.order_by("pk")):
        with transaction.atomic():
            AvisInactivite.objects.update_or_create(user=user, defaults={"sent_at": now})
            notifications.avertir_inactivite(user, suppression=max(user.activite + INACTIVITE, now + PREAVIS))
        warned += 1
    return warned


def supprimer_inactifs(now):
    """Delete the accounts inactive beyond ``INACTIVITE`` that were warned ``PREAVIS`` ago at
    least, and have not logged in since. Returns the number deleted."""
    deleted = 0
    a_supprimer = inactifs(now - INACTIVITE).filter(
        avis_inactivite__sent_at__gte=F("activite"), avis_inactivite__sent_at__lte=now - PREAVIS
    )
    for user in list(a_supprimer.order_by("pk")):
        try:
            effacement.supprimer_compte(user)
        except Exception:
            logger.exception("Compte %s inactif : suppression impossible", user.pk)
            continue
        deleted += 1
    return deleted


def purger(now):
    """Delete what is kept no longer: archives, expired sessions, invitations never accepted,
    the outbox's failed e-mails. Returns the counts."""
    counts = {}
    old = list(Archive.objects.filter(created_at__lt=now - ARCHIVES))
    for archive in old:
        if archive.fichier:
            archive.fichier.storage.delete(archive.fichier.name)
        archive.delete()
    counts["archives"] = len(old)
    counts["invitations"] = Invitation.objects.filter(
        accepted_at__isnull=True, expires_at__lt=now - INVITATIONS
    ).delete()[0]
    # Sent e-mails are deleted by the outbox's own run (every minute); those that never left too.
    counts["courriels"] = Envoi.objects.filter(
        state=Envoi.State.ECHEC, created_at__lt=now - COURRIELS
    ).delete()[0]
    import_string(f"{settings.SESSION_ENGINE}.SessionStore").clear_expired()
    return counts


def conserver(now=None):
    """Beat, daily: warn, delete, purge. Returns what was done, for the logs."""
    now = now or timezone.now()
    done = {"avertis": avertir(now), "supprimes": supprimer_inactifs(now), **purger(now)}
    logger.info("Conservation des données : %s", done)
    return done
