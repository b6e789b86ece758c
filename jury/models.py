"""The jury of an edition: jurors, conflicts of interest, assignments, scores.

Results (level, mentions, TEN) belong to the label: the deliberation writes them through
``label.workflow.decider``.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from atlaas.models import Categorie, Collectivite, Departement, Enjeu
from label.models import NIVEAUX, Candidature, Edition, Mention, niveau_1_a_5


class Jury(models.Model):
    """The jury's settings and phase for one edition. Scores may change while the phase is
    « évaluation »; opening the deliberation freezes them; closing it freezes the results."""

    class Phase(models.TextChoices):
        EVALUATION = "evaluation", _("Évaluation des dossiers")
        DELIBERATION = "deliberation", _("Délibération ouverte")
        CLOSE = "close", _("Délibération close")

    edition = models.OneToOneField(Edition, models.CASCADE, related_name="jury", verbose_name=_("édition"))
    phase = models.CharField(_("phase"), max_length=12, choices=Phase, default=Phase.EVALUATION)
    jures_par_dossier = models.PositiveSmallIntegerField(
        _("jurés par dossier"), default=2, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    ecart_max = models.PositiveSmallIntegerField(
        _("écart signalé"),
        default=25,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "Un dossier dont les notes des jurés s'écartent de plus de points (sur 100) est signalé."
        ),
    )
    notes_visibles_apres_soumission = models.BooleanField(
        _("notes des autres jurés visibles après sa propre évaluation"),
        default=True,
        help_text=_("Décoché : un juré ne voit jamais les notes des autres."),
    )
    deliberation_ouverte_at = models.DateTimeField(_("délibération ouverte le"), null=True, blank=True)

    class Meta:
        verbose_name = _("jury")
        verbose_name_plural = _("jurys")

    def __str__(self):
        return _("Jury du %(edition)s") % {"edition": self.edition}

    @property
    def evaluations_ouvertes(self):
        return self.phase == self.Phase.EVALUATION


class Jure(models.Model):
    """A juror of one edition. Invited by e-mail (``token``), bound to an account on acceptance;
    a juror of 2026 is not a juror of 2027 unless invited again."""

    edition = models.ForeignKey(Edition, models.CASCADE, related_name="jures", verbose_name=_("édition"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="jures",
        verbose_name=_("compte"),
    )
    email = models.EmailField(_("adresse e-mail de l'invitation"))
    nom = models.CharField(_("nom"), max_length=150)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    expertises = models.ManyToManyField(
        Enjeu, blank=True, related_name="+", verbose_name=_("domaines d'expertise")
    )
    departement = models.ForeignKey(
        Departement,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("département de résidence"),
    )
    president = models.BooleanField(_("président du jury"), default=False)
    token = models.UUIDField(_("jeton d'invitation"), default=uuid.uuid4, unique=True, editable=False)
    invited_at = models.DateTimeField(_("invité le"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("invitation acceptée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("juré")
        verbose_name_plural = _("jurés")
        ordering = ["edition", "nom"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "email"], name="jure_unique_email_per_edition"),
            models.UniqueConstraint(fields=["edition", "user"], name="jure_unique_user_per_edition"),
            models.UniqueConstraint(
                fields=["edition"], condition=models.Q(president=True), name="jure_one_president_per_edition"
            ),
        ]

    def __str__(self):
        return self.nom


class ConflitDeclare(models.Model):
    """A conflict of interest the juror declared: a collectivité or a whole département."""

    jure = models.ForeignKey(Jure, models.CASCADE, related_name="conflits", verbose_name=_("juré"))
    collectivite = models.ForeignKey(
        Collectivite, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("collectivité")
    )
    departement = models.ForeignKey(
        Departement, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("département")
    )
    motif = models.CharField(_("motif"), max_length=300)
    created_at = models.DateTimeField(_("déclaré le"), default=timezone.now)
    declare_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enregistré par"),
        help_text=_("Le juré lui-même, ou l'équipe : seul le juré peut retirer ce qu'il a déclaré."),
    )

    class Meta:
        verbose_name = _("conflit d'intérêts déclaré")
        verbose_name_plural = _("conflits d'intérêts déclarés")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(collectivite__isnull=False, departement__isnull=True)
                | models.Q(collectivite__isnull=True, departement__isnull=False),
                name="conflit_collectivite_xor_departement",
            )
        ]

    def __str__(self):
        return f"{self.jure} : {self.collectivite or self.departement}"


class Critere(models.Model):
    """A criterion of the edition's scoring grid."""

    edition = models.ForeignKey(Edition, models.CASCADE, related_name="criteres", verbose_name=_("édition"))
    libelle = models.CharField(_("libellé"), max_length=200)
    aide = models.TextField(_("aide"), blank=True)
    poids = models.PositiveSmallIntegerField(
        _("poids"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    echelle = models.PositiveSmallIntegerField(
        _("note maximale"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Les notes vont de 0 à cette valeur."),
    )
    ordre = models.PositiveSmallIntegerField(_("ordre"), default=0)
    categorie = models.ForeignKey(
        Categorie, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("catégorie")
    )

    class Meta:
        verbose_name = _("critère")
        verbose_name_plural = _("grille de notation")
        ordering = ["edition", "ordre", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(poids__gte=1), name="critere_poids_positive"),
            models.CheckConstraint(condition=models.Q(echelle__gte=1), name="critere_echelle_positive"),
        ]

    def __str__(self):
        return self.libelle


class Evaluation(models.Model):
    """A juror's assignment to a dossier, and their evaluation of it (one per juror and dossier)."""

    class State(models.TextChoices):
        A_FAIRE = "a_faire", _("À faire")
        BROUILLON = "brouillon", _("Commencée")
        SOUMISE = "soumise", _("Soumise")

    class Origine(models.TextChoices):
        AUTOMATIQUE = "auto", _("Affectation automatique")
        PRESIDENT = "president", _("Ajout par la présidence")

    jure = models.ForeignKey(Jure, models.CASCADE, related_name="evaluations", verbose_name=_("juré"))
    candidature = models.ForeignKey(
        Candidature, models.CASCADE, related_name="evaluations", verbose_name=_("candidature")
    )
    state = models.CharField(_("état"), max_length=10, choices=State, default=State.A_FAIRE)
    origine = models.CharField(_("origine"), max_length=10, choices=Origine, default=Origine.AUTOMATIQUE)
    niveau_propose = models.PositiveSmallIntegerField(
        _("niveau proposé"), null=True, blank=True, choices=NIVEAUX
    )
    mentions_proposees = models.ManyToManyField(
        Mention, blank=True, related_name="+", verbose_name=_("mentions proposées")
    )
    commentaire_collectivite = models.TextField(
        _("commentaire pour la collectivité"),
        max_length=5000,
        blank=True,
        help_text=_("Transmis à la collectivité après la publication du palmarès, sans votre nom."),
    )
    note_jury = models.TextField(
        _("note pour le jury"), max_length=5000, blank=True, help_text=_("Lue par le jury seulement.")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("affectée le"), default=timezone.now)
    updated_at = models.DateTimeField(_("modifiée le"), default=timezone.now)
    submitted_at = models.DateTimeField(_("soumise le"), null=True, blank=True)
    rouverte_apres_consultation = models.BooleanField(
        _("rouverte après lecture des autres évaluations"),
        default=False,
        help_text=_("Le juré a rouvert son évaluation alors qu'il pouvait lire celles des autres jurés."),
    )

    class Meta:
        verbose_name = _("évaluation")
        verbose_name_plural = _("évaluations")
        ordering = ["candidature", "jure"]
        constraints = [
            models.UniqueConstraint(fields=["jure", "candidature"], name="evaluation_unique_per_juror"),
            models.CheckConstraint(
                condition=models.Q(niveau_propose__isnull=True) | niveau_1_a_5("niveau_propose"),
                name="evaluation_niveau_1_to_5",
            ),
        ]

    def __str__(self):
        return f"{self.jure} — {self.candidature}"


class Note(models.Model):
    """The score (0 to the criterion's maximum, checked by the form) and comment on one criterion."""

    evaluation = models.ForeignKey(
        Evaluation, models.CASCADE, related_name="notes", verbose_name=_("évaluation")
    )
    critere = models.ForeignKey(Critere, models.CASCADE, related_name="notes", verbose_name=_("critère"))
    score = models.PositiveSmallIntegerField(_("note"), null=True, blank=True)
    commentaire = models.TextField(_("commentaire"), max_length=5000, blank=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "critere"], name="note_unique_per_criterion"),
        ]

    def __str__(self):
        return f"{self.critere} : {self.score}"


class AffectationJournal(models.Model):
    """Who added or removed a juror on a dossier, when and why (automatic runs included)."""

    class Action(models.TextChoices):
        AJOUT = "ajout", _("Ajout")
        RETRAIT = "retrait", _("Retrait")

    jure = models.ForeignKey(Jure, models.CASCADE, related_name="+", verbose_name=_("juré"))
    candidature = models.ForeignKey(
        Candidature, models.CASCADE, related_name="+", verbose_name=_("candidature")
    )
    action = models.CharField(_("action"), max_length=7, choices=Action)
    motif = models.CharField(_("motif"), max_length=300)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("changement d'affectation")
        verbose_name_plural = _("journal des affectations")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_action_display()} {self.jure} — {self.candidature}"


class RappelJure(models.Model):
    """A reminder sent to a juror with unfinished work: N days before the jury meeting (once
    each, ``jours`` set) or by the president (``jours`` empty)."""

    jure = models.ForeignKey(Jure, models.CASCADE, related_name="rappels", verbose_name=_("juré"))
    jours = models.PositiveSmallIntegerField(_("jours avant la réunion du jury"), null=True, blank=True)
    sent_at = models.DateTimeField(_("envoyé le"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )

    class Meta:
        verbose_name = _("rappel à un juré")
        verbose_name_plural = _("rappels aux jurés")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["jure", "jours"], condition=models.Q(jours__isnull=False), name="rappel_jure_once"
            )
        ]

    def __str__(self):
        return f"{self.jure} ({self.sent_at:%Y-%m-%d})"
