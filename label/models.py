import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from atlaas.models import Collectivite, FicheAction


class TypeCandidature(models.TextChoices):
    VILLAGE = "village", _("Village")
    VILLE = "ville", _("Ville")
    TERRITOIRE = "territoire", _("Territoire")


def seuil_village_par_defaut():
    """The portal's threshold between village and ville (settings.SEUIL_VILLAGE)."""
    return settings.SEUIL_VILLAGE


class EditionQuerySet(models.QuerySet):
    def ouverte(self):
        """The edition open for applications, or None."""
        return self.filter(state=Edition.State.OUVERTE).order_by("-annee").first()


class Edition(models.Model):
    """One yearly label (millésime = the ceremony year). Configured by staff."""

    class State(models.TextChoices):
        PREPARATION = "preparation", _("En préparation")
        OUVERTE = "ouverte", _("Ouverte")
        CLOSE = "close", _("Close")

    annee = models.PositiveSmallIntegerField(
        _("millésime"), unique=True, help_text=_("Année de la cérémonie.")
    )
    numero = models.PositiveSmallIntegerField(_("numéro d'édition"))
    state = models.CharField(_("état"), max_length=12, choices=State, default=State.PREPARATION)
    ouverture = models.DateTimeField(_("ouverture des candidatures"))
    cloture = models.DateTimeField(_("clôture des candidatures"), help_text=_("Heure de Paris."))
    jury_date = models.DateField(_("réunion du jury"), null=True, blank=True)
    ceremonie_date = models.DateField(_("date de la cérémonie"), null=True, blank=True)
    ceremonie_lieu = models.CharField(_("lieu de la cérémonie"), max_length=150, blank=True)
    publication_at = models.DateTimeField(_("publication du palmarès"), null=True, blank=True)
    seuil_village = models.PositiveIntegerField(
        _("seuil des villages"),
        default=seuil_village_par_defaut,
        help_text=_(
            "Une commune de moins d'habitants que ce seuil est un village. Par défaut, le réglage "
            "SEUIL_VILLAGE, celui du filtre « Village » de l'Atlaas."
        ),
    )
    note_adhesion = models.TextField(_("note sur l'adhésion"), blank=True)
    publie_at = models.DateTimeField(
        _("palmarès publié le"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Avant ce moment, rien des résultats de l'édition n'est public."),
    )
    president_association = models.CharField(
        _("président(e) de l'association"), max_length=150, blank=True, help_text=_("Signe les certificats.")
    )
    president_jury = models.CharField(
        _("président(e) du jury"), max_length=150, blank=True, help_text=_("Signe les certificats.")
    )
    resultats_clos_at = models.DateTimeField(
        _("délibération close le"),
        null=True,
        blank=True,
        help_text=_("Après la clôture, seule l'équipe peut changer un résultat, avec un motif."),
    )

    objects = EditionQuerySet.as_manager()

    class Meta:
        verbose_name = _("édition")
        verbose_name_plural = _("éditions")
        ordering = ["-annee"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cloture__gt=models.F("ouverture")), name="edition_cloture_after"
            )
        ]

    def __str__(self):
        return _("Label %(annee)s") % {"annee": self.annee}

    @property
    def est_publiee(self):
        return self.publie_at is not None

    def is_open(self, now=None):
        now = now or timezone.now()
        return self.state == self.State.OUVERTE and self.ouverture <= now < self.cloture

    def closing_date(self):
        return timezone.localtime(self.cloture).date()

    def type_for(self, collectivite):
        if collectivite.nature == Collectivite.Nature.EPCI:
            return TypeCandidature.TERRITOIRE
        if collectivite.population < self.seuil_village:
            return TypeCandidature.VILLAGE
        return TypeCandidature.VILLE


class Mention(models.Model):
    edition = models.ForeignKey(Edition, models.CASCADE, related_name="mentions", verbose_name=_("édition"))
    nom = models.CharField(_("nom"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    ordre = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        ordering = ["ordre", "nom"]
        constraints = [models.UniqueConstraint(fields=["edition", "nom"], name="mention_unique_per_edition")]

    def __str__(self):
        return self.nom


class Section(models.Model):
    """A section of an edition's questionnaire, for one type of candidature (or all)."""

    edition = models.ForeignKey(Edition, models.CASCADE, related_name="sections", verbose_name=_("édition"))
    type_candidature = models.CharField(
        _("type de candidature"),
        max_length=10,
        choices=TypeCandidature,
        blank=True,
        help_text=_("Vide : pour tous les types."),
    )
    titre = models.CharField(_("titre"), max_length=150)
    ordre = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("section du questionnaire")
        verbose_name_plural = _("sections du questionnaire")
        ordering = ["ordre", "pk"]

    def __str__(self):
        return self.titre


class Question(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Texte court")
        LONG_TEXT = "long_text", _("Texte long")
        NUMBER = "number", _("Nombre")
        YES_NO = "yes_no", _("Oui / non")
        CHOICE = "choice", _("Choix")
        FILE = "file", _("Fichier")

    section = models.ForeignKey(Section, models.CASCADE, related_name="questions", verbose_name=_("section"))
    libelle = models.CharField(_("libellé"), max_length=300)
    aide = models.TextField(_("aide"), blank=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind, default=Kind.TEXT)
    choices = models.TextField(_("choix possibles"), blank=True, help_text=_("Un choix par ligne."))
    required = models.BooleanField(_("obligatoire"), default=False)
    ordre = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["ordre", "pk"]

    def __str__(self):
        return self.libelle

    def choice_list(self):
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Candidature(models.Model):
    """A collectivité's application to one edition. ``version`` guards concurrent edits."""

    class State(models.TextChoices):
        BROUILLON = "brouillon", _("Brouillon")
        DEPOSEE = "deposee", _("Déposée")
        RETIREE = "retiree", _("Retirée")

    edition = models.ForeignKey(
        Edition, models.PROTECT, related_name="candidatures", verbose_name=_("édition")
    )
    collectivite = models.ForeignKey(
        Collectivite, models.PROTECT, related_name="candidatures", verbose_name=_("collectivité")
    )
    type = models.CharField(_("type"), max_length=10, choices=TypeCandidature)
    state = models.CharField(_("état"), max_length=10, choices=State, default=State.BROUILLON, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    fiches = models.ManyToManyField(
        FicheAction, blank=True, related_name="candidatures", verbose_name=_("fiches")
    )
    renewed_from = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("reprise de")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("créée par")
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("modifiée par")
    )
    submitted_at = models.DateTimeField(_("déposée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("candidature")
        verbose_name_plural = _("candidatures")
        ordering = ["-edition__annee", "collectivite__nom"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "collectivite"], name="candidature_unique_per_edition")
        ]

    def __str__(self):
        return f"{self.collectivite.nom} — {self.edition}"

    @property
    def is_editable(self):
        return self.state == self.State.BROUILLON and self.edition.is_open()


class Reponse(models.Model):
    candidature = models.ForeignKey(
        Candidature, models.CASCADE, related_name="reponses", verbose_name=_("candidature")
    )
    question = models.ForeignKey(
        Question, models.CASCADE, related_name="reponses", verbose_name=_("question")
    )
    valeur = models.TextField(_("réponse"), max_length=20000, blank=True)
    version = models.PositiveIntegerField(
        _("version du dossier"),
        default=0,
        help_text=_("Version de la candidature qui a écrit cette réponse."),
    )

    class Meta:
        verbose_name = _("réponse")
        verbose_name_plural = _("réponses")
        constraints = [
            models.UniqueConstraint(fields=["candidature", "question"], name="reponse_unique_per_question")
        ]

    def __str__(self):
        return f"{self.question} : {self.valeur[:50]}"


def piece_upload_to(instance, filename):
    return f"candidatures/{instance.candidature_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class PieceJointe(models.Model):
    """A file of a candidature (e.g. the council's deliberation, or a file question's answer)."""

    candidature = models.ForeignKey(
        Candidature, models.CASCADE, related_name="pieces", verbose_name=_("candidature")
    )
    question = models.ForeignKey(
        Question, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("question")
    )
    fichier = models.FileField(_("fichier"), upload_to=piece_upload_to, max_length=200)
    nom = models.CharField(_("nom d'origine"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    taille = models.PositiveIntegerField(_("taille (octets)"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("ajoutée par")
    )
    added_at = models.DateTimeField(_("ajoutée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["pk"]

    def __str__(self):
        return self.nom


class CandidatureTransition(models.Model):
    candidature = models.ForeignKey(
        Candidature, models.CASCADE, related_name="transitions", verbose_name=_("candidature")
    )
    from_state = models.CharField(_("de"), max_length=10, choices=Candidature.State)
    to_state = models.CharField(_("vers"), max_length=10, choices=Candidature.State)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("par")
    )
    at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("changement d'état d'une candidature")
        verbose_name_plural = _("changements d'état des candidatures")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.candidature} : {self.from_state} → {self.to_state}"


class Rappel(models.Model):
    """A reminder sent to a draft's members N days before closing: the row makes it happen once."""

    candidature = models.ForeignKey(
        Candidature, models.CASCADE, related_name="rappels", verbose_name=_("candidature")
    )
    jours = models.PositiveSmallIntegerField(_("jours avant la clôture"))
    sent_at = models.DateTimeField(_("envoyé le"), default=timezone.now)

    class Meta:
        verbose_name = _("rappel")
        verbose_name_plural = _("rappels")
        constraints = [models.UniqueConstraint(fields=["candidature", "jours"], name="rappel_once")]

    def __str__(self):
        return f"{self.candidature} : J-{self.jours}"


NIVEAUX = [(n, "@" * n) for n in range(1, 6)]


def niveau_1_a_5(field):
    return models.Q(**{f"{field}__gte": 1, f"{field}__lte": 5})


class Resultat(models.Model):
    """The jury's decision on a submitted candidature. Written only by ``workflow.decider``, which
    records every change in ``ResultatJournal``; made public by the publication of the edition."""

    candidature = models.OneToOneField(
        Candidature, models.CASCADE, related_name="resultat", verbose_name=_("candidature")
    )
    niveau = models.PositiveSmallIntegerField(_("niveau"), choices=NIVEAUX)
    mentions = models.ManyToManyField(
        Mention, blank=True, related_name="resultats", verbose_name=_("mentions")
    )
    ten = models.BooleanField(_("Territoire d'excellence numérique"), default=False)
    motivation = models.TextField(_("motivation"), max_length=5000, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("décidé par")
    )
    decided_at = models.DateTimeField(_("décidé le"), default=timezone.now)
    retour_jury = models.TextField(
        _("retour du jury"),
        blank=True,
        help_text=_(
            "Les commentaires des jurés pour la collectivité, sans leur nom, séparés par une ligne vide : "
            "écrits à la clôture de la délibération, lus par la collectivité après la publication."
        ),
    )
    annonce_at = models.DateTimeField(
        _("résultat annoncé le"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Envoi du courriel des résultats aux membres de la collectivité (une seule fois)."),
    )

    class Meta:
        verbose_name = _("résultat")
        verbose_name_plural = _("résultats")
        constraints = [
            models.CheckConstraint(condition=niveau_1_a_5("niveau"), name="resultat_niveau_1_to_5")
        ]

    def __str__(self):
        return f"{self.candidature} : {self.get_niveau_display()}"


class ResultatJournal(models.Model):
    """One change of a result: who, when, what it was before and after, and why (after closing)."""

    resultat = models.ForeignKey(Resultat, models.CASCADE, related_name="journal", verbose_name=_("résultat"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("par")
    )
    at = models.DateTimeField(_("le"), default=timezone.now)
    avant = models.JSONField(_("avant"), null=True, blank=True)
    apres = models.JSONField(_("après"))
    motif = models.TextField(_("motif"), blank=True)

    class Meta:
        verbose_name = _("changement d'un résultat")
        verbose_name_plural = _("changements des résultats")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.resultat} ({self.at:%Y-%m-%d %H:%M})"


class Labellisation(models.Model):
    """One year of a collectivité's label history: an imported palmarès back to 1999, or a
    published edition. TEN eligibility and progressions are counted on these rows."""

    collectivite = models.ForeignKey(
        Collectivite, models.PROTECT, related_name="labellisations", verbose_name=_("collectivité")
    )
    annee = models.PositiveSmallIntegerField(_("millésime"))
    niveau = models.PositiveSmallIntegerField(_("niveau"), choices=NIVEAUX)
    ten = models.BooleanField(_("Territoire d'excellence numérique"), default=False)
    mentions = models.TextField(_("mentions"), blank=True, help_text=_("Une mention par ligne."))
    # The year's own figures, given by an import (today's population and perimeters would be
    # wrong for a past year); empty: not known. A published edition's palmarès reads today's.
    population = models.PositiveIntegerField(
        _("population de l'année"),
        null=True,
        blank=True,
        help_text=_("Population de la collectivité cette année-là, si l'import la donne."),
    )
    communes = models.PositiveIntegerField(
        _("communes membres de l'année"),
        null=True,
        blank=True,
        help_text=_(
            "Pour un territoire : nombre de ses communes membres cette année-là, si l'import le donne."
        ),
    )

    class Meta:
        verbose_name = _("label obtenu")
        verbose_name_plural = _("historique des labels")
        ordering = ["collectivite", "annee"]
        constraints = [
            models.UniqueConstraint(fields=["collectivite", "annee"], name="labellisation_unique_per_year"),
            models.CheckConstraint(condition=niveau_1_a_5("niveau"), name="labellisation_niveau_1_to_5"),
        ]

    def __str__(self):
        return f"{self.collectivite} {self.annee} : {self.get_niveau_display()}"

    @property
    def liste_mentions(self):
        """The mentions, one a line as stored, blank lines left out."""
        return [ligne.strip() for ligne in self.mentions.splitlines() if ligne.strip()]


PREMIER_MILLESIME = 1999  # the label's first palmarès


class HistoriqueComplet(models.Model):
    """A year whose whole palmarès the label history holds: a collectivité without a label that
    year had none. Declared by staff (admin) or by ``import_palmares --complet``; the year of a
    published edition with results is complete without such a row (``selectors.annees_completes``).
    A year without any palmarès is declared complete too, so that the years after it can be."""

    annee = models.PositiveSmallIntegerField(_("millésime"), unique=True)
    declare_at = models.DateTimeField(_("déclaré le"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("année d'historique complète")
        verbose_name_plural = _("années d'historique complètes")
        ordering = ["annee"]

    def __str__(self):
        return str(self.annee)


def document_upload_to(instance, filename):
    suffix = Path(filename).suffix.lower()
    return f"documents/{instance.edition.annee}/{instance.kind}/{instance.uuid.hex}{suffix}"


class Document(models.Model):
    """A file generated in the background at publication: a laureate's certificate, or one of the
    palmarès files of the edition. The row exists first (« en attente »); a task fills it; a
    failed or interrupted generation stays visible and is retried. The file is written whole
    before the row points to it: a killed worker leaves no half-file behind."""

    class Kind(models.TextChoices):
        CERTIFICAT = "certificat", _("Certificat")
        PALMARES_CSV = "palmares_csv", _("Palmarès (CSV)")
        PALMARES_JSON = "palmares_json", _("Palmarès (JSON)")
        PALMARES_PDF = "palmares_pdf", _("Palmarès (PDF)")

    class State(models.TextChoices):
        ATTENTE = "attente", _("En attente")
        EN_COURS = "en_cours", _("En cours")
        PRET = "pret", _("Prêt")
        ECHEC = "echec", _("Échec")

    edition = models.ForeignKey(Edition, models.CASCADE, related_name="documents", verbose_name=_("édition"))
    kind = models.CharField(_("type"), max_length=14, choices=Kind)
    candidature = models.ForeignKey(
        Candidature,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("candidature"),
    )
    uuid = models.UUIDField(_("identifiant public"), default=uuid.uuid4, unique=True, editable=False)
    fichier = models.FileField(_("fichier"), upload_to=document_upload_to, max_length=200, blank=True)
    state = models.CharField(_("état"), max_length=8, choices=State, default=State.ATTENTE, db_index=True)
    erreur = models.TextField(_("erreur"), blank=True)
    tentatives = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    updated_at = models.DateTimeField(_("modifié le"), default=timezone.now)

    class Meta:
        verbose_name = _("document généré")
        verbose_name_plural = _("documents générés")
        ordering = ["edition", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "kind"],
                condition=models.Q(candidature__isnull=True),
                name="document_unique_per_edition",
            ),
            models.UniqueConstraint(
                fields=["kind", "candidature"],
                condition=models.Q(candidature__isnull=False),
                name="document_unique_per_candidature",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.candidature or self.edition}"
