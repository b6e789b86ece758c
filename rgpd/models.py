"""A person's data: the archives they download, the warnings before an inactive account goes."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def archive_upload_to(instance, filename):
    return f"archives/{instance.uuid.hex}.zip"


class Archive(models.Model):
    """Everything the portal holds about a person, as a zip a task writes (« Mes données »).
    The row exists first (« en attente »); the task fills it and marks it « prête »; the daily
    retention run deletes it ``conservation.ARCHIVES`` after. Served only to its owner."""

    class State(models.TextChoices):
        ATTENTE = "attente", _("En cours de préparation")
        PRETE = "prete", _("Prête")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="archives", verbose_name=_("compte")
    )
    uuid = models.UUIDField(_("identifiant"), default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(_("état"), max_length=8, choices=State, default=State.ATTENTE)
    fichier = models.FileField(_("fichier"), upload_to=archive_upload_to, max_length=200, blank=True)
    taille = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    created_at = models.DateTimeField(_("demandée le"), default=timezone.now)
    ready_at = models.DateTimeField(_("prête le"), null=True, blank=True)

    class Meta:
        verbose_name = _("archive de données personnelles")
        verbose_name_plural = _("archives de données personnelles")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.user_id} — {self.created_at:%Y-%m-%d %H:%M}"


class AvisInactivite(models.Model):
    """The warning e-mail sent to an inactive account before its deletion: the account is
    deleted once the warning is older than ``conservation.PREAVIS`` and no login came after it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="avis_inactivite", verbose_name=_("compte")
    )
    sent_at = models.DateTimeField(_("envoyé le"), default=timezone.now)

    class Meta:
        verbose_name = _("avertissement d'inactivité")
        verbose_name_plural = _("avertissements d'inactivité")

    def __str__(self):
        return f"{self.user_id} — {self.sent_at:%Y-%m-%d}"
