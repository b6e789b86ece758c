import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Zone(models.TextChoices):
    METRO = "metro", _("Métropole")
    DROM = "drom", _("Outre-mer (DROM)")
    COM = "com", _("Outre-mer (COM)")


class Region(models.Model):
    code = models.CharField(_("code INSEE"), max_length=3, unique=True)
    nom = models.CharField(_("nom"), max_length=100)
    zone = models.CharField(_("zone"), max_length=5, choices=Zone, default=Zone.METRO)

    class Meta:
        verbose_name = _("région")
        verbose_name_plural = _("régions")
        ordering = ["nom"]

    def __str__(self):
        return self.nom


class Departement(models.Model):
    code = models.CharField(_("code INSEE"), max_length=3, unique=True)
    nom = models.CharField(_("nom"), max_length=100)
    region = models.ForeignKey(Region, models.PROTECT, related_name="departements", verbose_name=_("région"))
    zone = models.CharField(_("zone"), max_length=5, choices=Zone, default=Zone.METRO)

    class Meta:
        verbose_name = _("département")
        verbose_name_plural = _("départements")
        ordering = ["code"]

    def __str__(self):
        return f"{self.nom} ({self.code})"


class CollectiviteQuerySet(models.QuerySet):
    def communes(self):
        return self.filter(nature=Collectivite.Nature.COMMUNE)

    def epcis(self):
        return self.filter(nature=Collectivite.Nature.EPCI)

    def actives(self):
        return self.filter(active=True)


class Collectivite(models.Model):
    """A commune (INSEE code) or an intercommunalité (EPCI, SIREN) of the official referential."""

    class Nature(models.TextChoices):
        COMMUNE = "commune", _("Commune")
        EPCI = "epci", _("Intercommunalité")

    class TypeEPCI(models.TextChoices):
        CC = "CC", _("Communauté de communes")
        CA = "CA", _("Communauté d'agglomération")
        CU = "CU", _("Communauté urbaine")
        METRO = "METRO", _("Métropole")
        MET69 = "MET69", _("Métropole de Lyon")

    nature = models.CharField(_("nature"), max_length=7, choices=Nature)
    code = models.CharField(
        _("code"), max_length=9, unique=True, help_text=_("Code INSEE d'une commune, SIREN d'un EPCI.")
    )
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, db_index=True)
    nom = models.CharField(_("nom"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=160)
    # ``francais.normaliser_nom(nom)``, what a search by name compares; written with ``nom``
    # (import_territoires, the admin), never typed in.
    nom_normalise = models.CharField(_("nom normalisé"), max_length=200, blank=True, editable=False)
    type_epci = models.CharField(_("type d'EPCI"), max_length=5, choices=TypeEPCI, blank=True)
    departement = models.ForeignKey(
        Departement,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="collectivites",
        verbose_name=_("département"),
        help_text=_("Pour un EPCI : le département qui compte le plus d'habitants de ses communes membres."),
    )
    region = models.ForeignKey(
        Region, models.PROTECT, null=True, blank=True, related_name="collectivites", verbose_name=_("région")
    )
    zone = models.CharField(_("zone"), max_length=5, choices=Zone, default=Zone.METRO)
    population = models.PositiveIntegerField(_("population municipale"), default=0)
    codes_postaux = models.CharField(_("codes postaux"), max_length=200, blank=True)
    epci = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="membres",
        limit_choices_to={"nature": "epci"},
        verbose_name=_("EPCI de rattachement"),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Décochée quand la collectivité disparaît du référentiel (fusion)."),
    )
    # The latest published label; written by the label app when a palmarès is published.
    niveau = models.PositiveSmallIntegerField(
        _("niveau actuel du label"),
        null=True,
        blank=True,
        choices=[(n, "@" * n) for n in range(1, 6)],
    )
    niveau_millesime = models.PositiveSmallIntegerField(
        _("millésime du niveau actuel"), null=True, blank=True
    )

    objects = CollectiviteQuerySet.as_manager()

    class Meta:
        verbose_name = _("collectivité")
        verbose_name_plural = _("collectivités")
        ordering = ["nom", "code"]
        indexes = [models.Index(fields=["nature", "nom"]), models.Index(fields=["nom_normalise"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(nature="commune", type_epci="")
                | models.Q(nature="epci") & ~models.Q(type_epci=""),
                name="collectivite_type_epci_only_for_epci",
            ),
            models.CheckConstraint(
                condition=models.Q(niveau__isnull=True) | models.Q(niveau__gte=1, niveau__lte=5),
                name="collectivite_niveau_1_to_5",
            ),
        ]

    def __str__(self):
        if self.departement_id and self.nature == self.Nature.COMMUNE:
            return f"{self.nom} ({self.departement.code})"
        return self.nom

    def get_absolute_url(self):
        return reverse("atlaas:collectivite", args=[self.code])

    @property
    def is_epci(self):
        return self.nature == self.Nature.EPCI

    @property
    def outre_mer(self):
        return self.zone != Zone.METRO


class Categorie(models.Model):
    nom = models.CharField(_("nom"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    ordre = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("catégorie")
        verbose_name_plural = _("catégories")
        ordering = ["ordre", "nom"]

    def __str__(self):
        return self.nom


class Enjeu(models.Model):
    categorie = models.ForeignKey(
        Categorie, models.PROTECT, related_name="enjeux", verbose_name=_("catégorie")
    )
    nom = models.CharField(_("nom"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    ordre = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("enjeu")
        verbose_name_plural = _("enjeux")
        ordering = ["categorie__ordre", "ordre", "nom"]

    def __str__(self):
        return self.nom


class Service(models.Model):
    enjeu = models.ForeignKey(Enjeu, models.PROTECT, related_name="services", verbose_name=_("enjeu"))
    nom = models.CharField(_("nom"), max_length=150, unique=True)
    slug = models.SlugField(_("slug"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    ordre = models.PositiveSmallIntegerField(_("ordre"), default=0)
    actif = models.BooleanField(
        _("actif"), default=True, help_text=_("Un service inactif n'est plus proposé.")
    )

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["enjeu__categorie__ordre", "enjeu__ordre", "ordre", "nom"]

    def __str__(self):
        return self.nom


# --- People of a collectivité -----------------------------------------------------------------


class Membership(models.Model):
    """A user working for a collectivité. Requests wait for approval (staff for the first
    référent, a référent of the collectivité afterwards)."""

    class Role(models.TextChoices):
        REFERENT = "referent", _("Référent")
        CONTRIBUTEUR = "contributeur", _("Contributeur")

    class State(models.TextChoices):
        PENDING = "pending", _("En attente")
        ACTIVE = "active", _("Active")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships", verbose_name=_("utilisateur")
    )
    collectivite = models.ForeignKey(
        Collectivite, models.CASCADE, related_name="memberships", verbose_name=_("collectivité")
    )
    role = models.CharField(_("rôle"), max_length=12, choices=Role, default=Role.CONTRIBUTEUR)
    state = models.CharField(_("état"), max_length=8, choices=State, default=State.PENDING)
    fonction = models.CharField(_("fonction"), max_length=150, blank=True)
    message = models.TextField(_("message"), max_length=2000, blank=True)
    requested_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approuvée le"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approuvée par"),
    )

    class Meta:
        verbose_name = _("membre d'une collectivité")
        verbose_name_plural = _("membres des collectivités")
        ordering = ["collectivite__nom", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "collectivite"], name="membership_unique_user_collectivite"
            )
        ]

    def __str__(self):
        return f"{self.user} — {self.collectivite} ({self.get_role_display()})"

    @property
    def is_active(self):
        return self.state == self.State.ACTIVE

    @property
    def is_referent(self):
        return self.is_active and self.role == self.Role.REFERENT


class Invitation(models.Model):
    """A référent invites a colleague by e-mail; the link expires."""

    collectivite = models.ForeignKey(
        Collectivite, models.CASCADE, related_name="invitations", verbose_name=_("collectivité")
    )
    email = models.EmailField(_("adresse e-mail"))
    role = models.CharField(
        _("rôle"), max_length=12, choices=Membership.Role, default=Membership.Role.CONTRIBUTEUR
    )
    token = models.UUIDField(_("jeton"), default=uuid.uuid4, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("invité par")
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expire le"))
    accepted_at = models.DateTimeField(_("acceptée le"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acceptée par"),
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} → {self.collectivite}"

    def is_pending(self, now=None):
        return self.accepted_at is None and (now or timezone.now()) < self.expires_at


# --- Fiches actions ----------------------------------------------------------------------------


class FicheActionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(state=FicheAction.State.PUBLIEE, revision_of__isnull=True)

    def originals(self):
        """The fiches themselves, without the pending revisions of published ones."""
        return self.filter(revision_of__isnull=True)


class FicheAction(models.Model):
    """A digital action of a collectivité (DOMAIN.md §3).

    Editing a published fiche works on a *revision* (a row with ``revision_of`` set): the
    published text stays online until staff publish the revision, which is then copied over.
    """

    class State(models.TextChoices):
        BROUILLON = "brouillon", _("Brouillon")
        SOUMISE = "soumise", _("Soumise à la modération")
        A_CORRIGER = "a_corriger", _("À corriger")
        PUBLIEE = "publiee", _("Publiée")

    CONTENT_FIELDS = [
        "titre",
        "sous_titre",
        "description",
        "synthese",
        "resultats",
        "recommandations",
        "outils",
        "partenaires",
        "liens",
        "public_cible",
        "date_debut",
        "date_fin",
        "en_cours",
        "budget",
    ]

    collectivite = models.ForeignKey(
        Collectivite, models.CASCADE, related_name="fiches", verbose_name=_("collectivité")
    )
    revision_of = models.OneToOneField(
        "self",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="revision",
        verbose_name=_("révision de"),
    )
    state = models.CharField(_("état"), max_length=10, choices=State, default=State.BROUILLON, db_index=True)
    titre = models.CharField(_("titre"), max_length=200)
    sous_titre = models.CharField(_("résumé court"), max_length=300, blank=True)
    description = models.TextField(_("ce qui a été fait"), max_length=20000)
    synthese = models.TextField(_("synthèse"), max_length=5000, blank=True)
    resultats = models.TextField(_("résultats"), max_length=10000, blank=True)
    recommandations = models.TextField(_("recommandations"), max_length=10000, blank=True)
    outils = models.TextField(_("outils utilisés"), max_length=2000, blank=True)
    partenaires = models.TextField(_("prestataires et partenaires"), max_length=2000, blank=True)
    liens = models.TextField(_("liens"), max_length=2000, blank=True, help_text=_("Une adresse par ligne."))
    public_cible = models.CharField(_("public visé"), max_length=200, blank=True)
    date_debut = models.DateField(_("début"))
    date_fin = models.DateField(_("fin"), null=True, blank=True)
    en_cours = models.BooleanField(_("en cours"), default=True)
    budget = models.PositiveIntegerField(_("budget (euros)"), null=True, blank=True)
    services = models.ManyToManyField(Service, related_name="fiches", verbose_name=_("services"))
    moderation_message = models.TextField(_("message de la modération"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("créée par")
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    # Weighted French words of the published text (PostgreSQL); see atlaas/catalogue/index.py.
    search_vector = SearchVectorField(null=True, editable=False)
    # PostgreSQL only, outside the model (migration 0004): taxonomie_ids, the codes of the
    # fiche's services, enjeux and catégories for the catalogue's facets; see atlaas/catalogue/facettes.py.

    objects = FicheActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("fiche action")
        verbose_name_plural = _("fiches actions")
        ordering = ["-date_debut", "titre"]
        indexes = [
            models.Index(fields=["collectivite", "state"]),
            models.Index(fields=["state", "-published_at"], name="fiche_state_published"),
            # A fiche page's other actions of its collectivité, newest first: read from the
            # collectivité's own published fiches, whatever the size of the Atlaas.
            models.Index(
                "collectivite",
                models.F("published_at").desc(),
                models.F("id").desc(),
                condition=models.Q(state="publiee", revision_of__isnull=True),
                name="fiche_publiee_collectivite",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_fin__isnull=True) | models.Q(date_fin__gte=models.F("date_debut")),
                name="fiche_fin_after_debut",
            ),
        ]

    def __str__(self):
        return self.titre

    def liste_liens(self):
        """The non-empty lines of ``liens``, stripped, as ``{"url", "is_link"}``: ``is_link`` when
        the line is an http(s) address, to be shown as a link (any other line is shown as text)."""
        lignes = (ligne.strip() for ligne in self.liens.splitlines())
        return [{"url": url, "is_link": url.startswith(("https://", "http://"))} for url in lignes if url]

    def is_eligible(self, closing_date):
        """Less than two years old or still ongoing at the edition's closing date (DOMAIN.md §3)."""
        return self.ineligibility_reason(closing_date) is None

    def ineligibility_reason(self, closing_date):
        if self.date_debut > closing_date:
            return _("commence après la clôture")
        if self.en_cours or self.date_fin is None:
            return None
        if self.date_fin < two_years_before(closing_date):
            return _("terminée depuis plus de deux ans")
        return None


class FicheRecherche(models.Model):
    """PostgreSQL: the columns the catalogue searches, and only those, of a published fiche once
    indexed, copied by a trigger on each write of the fiche (migration 0005). A search reads these
    narrow rows, which stay in PostgreSQL's memory, instead of the fiches with their long texts.
    Read only; the table stays empty on SQLite, whose search reads the fiches."""

    # No foreign key constraints: the trigger keeps the rows in step with the fiches, and checking
    # them would lock the fiche's and the collectivité's rows at every copy written.
    fiche = models.OneToOneField(
        FicheAction,
        models.DO_NOTHING,
        primary_key=True,
        db_column="id",
        related_name="+",
        db_constraint=False,
    )
    collectivite = models.ForeignKey(Collectivite, models.DO_NOTHING, related_name="+", db_constraint=False)
    published_at = models.DateTimeField(null=True)
    date_debut = models.DateField()
    search_vector = SearchVectorField(null=True)
    # And taxonomie_ids, outside the model as on the fiche (see atlaas/catalogue/facettes.py).
    # The collectivité's columns its facets count, copied with the row and again when the
    # collectivité changes (migration 0012): a search's counts group its fiches by them instead
    # of looking up each of their collectivités (at 1.3 million fiches over every commune, 17,700
    # collectivités for a search of 20,000 fiches: 35–50 ms).
    nature = models.CharField(max_length=7, null=True)
    population = models.PositiveIntegerField(null=True)
    niveau = models.PositiveSmallIntegerField(null=True)
    departement = models.ForeignKey(
        Departement, models.DO_NOTHING, null=True, related_name="+", db_constraint=False, db_index=False
    )
    region = models.ForeignKey(
        Region, models.DO_NOTHING, null=True, related_name="+", db_constraint=False, db_index=False
    )

    class Meta:
        default_permissions = ()
        # The year filter (« année ») read from this index and combined with the words' index:
        # without it, a search of a year read every fiche of its words to keep those of that year
        # (« inclusion numérique » in 2024 at 1.3 million fiches: 44,250 pages read, 316 ms; with
        # it, 5,431 pages, 75 ms).
        indexes = [models.Index(fields=["date_debut"], name="fiche_recherche_debut")]

    def __str__(self):
        return str(self.pk)


class AIndexer(models.Model):
    """PostgreSQL: a fiche whose copy in ``FicheRecherche`` was written or removed since the
    catalogue's search engine last read it (``catalogue.moteur``), with the number of its last
    change: written by triggers on the copy (migration 0013), one row per fiche at most, removed
    by the engine once it holds that change."""

    fiche_id = models.BigIntegerField(primary_key=True)
    changement = models.BigIntegerField(db_index=True)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.fiche_id} ({self.changement})"


def two_years_before(day):
    try:
        return day.replace(year=day.year - 2)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 2, day=28)


class ContactFiche(models.Model):
    fiche = models.ForeignKey(FicheAction, models.CASCADE, related_name="contacts", verbose_name=_("fiche"))
    nom = models.CharField(_("nom"), max_length=150)
    fonction = models.CharField(_("fonction"), max_length=150, blank=True)
    email = models.EmailField(_("adresse e-mail"))

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["pk"]

    def __str__(self):
        return self.nom


def fiche_upload_to(instance, filename):
    """Stored names are generated: the name the user gave is kept in the row, never on disk."""
    return f"fiches/{instance.fiche_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class FichierFiche(models.Model):
    """A photo or a PDF of a fiche; served through a permission check, never from MEDIA_URL."""

    fiche = models.ForeignKey(FicheAction, models.CASCADE, related_name="fichiers", verbose_name=_("fiche"))
    fichier = models.FileField(_("fichier"), upload_to=fiche_upload_to, max_length=200)
    nom = models.CharField(_("nom d'origine"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    taille = models.PositiveIntegerField(_("taille (octets)"))
    legende = models.CharField(_("légende"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("fichier d'une fiche")
        verbose_name_plural = _("fichiers des fiches")
        ordering = ["pk"]

    def __str__(self):
        return self.nom

    @property
    def is_image(self):
        return self.content_type.startswith("image/")


class FicheTransition(models.Model):
    """History of a fiche's moderation states: who, from, to, when, and the message."""

    fiche = models.ForeignKey(
        FicheAction, models.CASCADE, related_name="transitions", verbose_name=_("fiche")
    )
    from_state = models.CharField(_("de"), max_length=10, choices=FicheAction.State)
    to_state = models.CharField(_("vers"), max_length=10, choices=FicheAction.State)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("par")
    )
    at = models.DateTimeField(_("le"), default=timezone.now)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("changement d'état d'une fiche")
        verbose_name_plural = _("changements d'état des fiches")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.fiche} : {self.from_state} → {self.to_state}"


class ExportCatalogue(models.Model):
    """The full CSV export of the catalogue: one row, whose file a Celery task writes again after
    the catalogue changes (``catalogue.export``). ``changements`` counts the changes of the
    catalogue, ``changements_lus`` those the file holds: the file is out of date while the first
    is higher. ``genere_at`` is the moment its data was read; ``en_cours_depuis`` the claim of
    the run writing it."""

    UNIQUE = 1  # its primary key: the database refuses a second row

    fichier = models.FileField(_("fichier"), upload_to="exports/", max_length=200, blank=True)
    lignes = models.PositiveIntegerField(_("fiches"), default=0)
    taille = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    genere_at = models.DateTimeField(_("données lues le"), null=True, blank=True)
    changements = models.PositiveBigIntegerField(_("changements du catalogue"), default=0)
    changements_lus = models.PositiveBigIntegerField(_("changements lus par le fichier"), default=0)
    en_cours_depuis = models.DateTimeField(_("en cours depuis"), null=True, blank=True)

    class Meta:
        verbose_name = _("export complet de l'Atlaas")
        verbose_name_plural = _("exports complets de l'Atlaas")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="export_catalogue_unique")]

    def __str__(self):
        return str(self._meta.verbose_name)
