from django.db import models
from django.urls import reverse
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
    type_epci = models.CharField(_("type d'EPCI"), max_length=5, choices=TypeEPCI, blank=True)
    departement = models.ForeignKey(
        Departement,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="collectivites",
        verbose_name=_("département"),
        help_text=_("Pour un EPCI : le département qui compte le plus d'habitants de ses communes membres."),
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

    objects = CollectiviteQuerySet.as_manager()

    class Meta:
        verbose_name = _("collectivité")
        verbose_name_plural = _("collectivités")
        ordering = ["nom", "code"]
        indexes = [models.Index(fields=["nature", "nom"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(nature="commune", type_epci="")
                | models.Q(nature="epci") & ~models.Q(type_epci=""),
                name="collectivite_type_epci_only_for_epci",
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
