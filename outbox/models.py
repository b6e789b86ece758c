"""The outbox: what must follow a state change, written in the same transaction as the change."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Envoi(models.Model):
    """One e-mail to one recipient, or one task to run, owed to somebody since ``created_at``.

    ``key`` names the message and its recipient (« recu:<dépôt>:<membre> »): writing the same
    key twice writes one row, so a domain function run twice owes one e-mail. A row is handed
    to a worker after commit, claimed by a conditional UPDATE (``claimed_at``), marked done,
    and handed again by the beat run until it is (see ``outbox.envois``)."""

    class Kind(models.TextChoices):
        COURRIEL = "courriel", _("e-mail")
        TACHE = "tache", _("tâche")

    class State(models.TextChoices):
        ATTENTE = "attente", _("en attente")
        EN_COURS = "en_cours", _("en cours")
        FAIT = "fait", _("fait")
        ECHEC = "echec", _("échec")

    key = models.CharField(_("clé"), max_length=200, unique=True)
    kind = models.CharField(_("nature"), max_length=10, choices=Kind)
    state = models.CharField(_("état"), max_length=10, choices=State, default=State.ATTENTE)
    task = models.CharField(_("tâche"), max_length=200, blank=True, help_text=_("Nom de la tâche Celery."))
    payload = models.JSONField(_("contenu"), default=dict)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    error = models.TextField(_("erreur"), blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("prochain essai"), default=timezone.now)
    claimed_at = models.DateTimeField(_("pris le"), null=True, blank=True)
    done_at = models.DateTimeField(_("fait le"), null=True, blank=True)

    class Meta:
        verbose_name = _("envoi")
        verbose_name_plural = _("envois")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="envoi_a_faire"),
            models.Index(fields=["done_at"], name="envoi_fait"),
        ]

    def __str__(self):
        if self.kind == self.Kind.COURRIEL:
            return f"{self.payload.get('subject', '')} → {', '.join(self.payload.get('to', []))}"
        return self.task
