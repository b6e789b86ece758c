"""The laureates of a public year: one line each, from an edition's results or from the imported
label history, with the previous level and the progression.

« Première participation » is said only where the history supports it: the laureate has no
earlier label and no earlier submitted candidature, **and** the portal holds every palmarès from
the label's first one to the year before (``selectors.historique_complet_avant``: published
editions, and the imported years declared complete). Otherwise it is not known (``None``): a
collectivité missing from a year that was not fully imported may well have taken part. A TEN
laureate is never a first participant (six earlier 5@ labels), imported or not.
"""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from atlaas import catalogue
from atlaas.francais import normaliser_nom, sans_accents

from ..models import Candidature, Labellisation, TypeCandidature
from ..publication import resultats
from ..selectors import annees_completes, historique_complet_avant


@dataclass
class Laureat:
    """One line of the palmarès, plain values only (kept in the cache, any language)."""

    collectivite_id: int
    code: str
    nom: str
    nature: str
    departement: str  # INSEE code
    departement_nom: str
    region_code: str
    region: str
    outre_mer: bool
    population: int | None  # the year's when imported, None if the import did not give it
    type: str  # TypeCandidature value; "" for imported history
    niveau: int
    niveau_precedent: int | None
    annee_precedente: int | None
    premiere: bool | None  # first participation; None: not known (incomplete history)
    ten: bool
    mentions: list = field(default_factory=list)
    candidature_id: int | None = None
    communes: int | None = None  # imported territoire: its member communes that year

    @property
    def ecart(self):
        """Level minus the previous level, or None without a previous label."""
        return None if self.niveau_precedent is None else self.niveau - self.niveau_precedent

    @property
    def progression(self):
        """« +1 », « = », « −2 », « première participation » or ""."""
        if self.ecart is None:
            return str(_("première participation")) if self.premiere else ""
        if self.ecart == 0:
            return "="
        return f"+{self.ecart}" if self.ecart > 0 else f"−{-self.ecart}"

    @property
    def progression_lue(self):
        """The progression in words, for screen readers."""
        if self.ecart is None:
            return self.progression
        if self.ecart == 0:
            return _("niveau inchangé")
        n = abs(self.ecart)
        if self.ecart > 0:
            return ngettext("hausse d'%(n)s arobase", "hausse de %(n)s arobases", n) % {"n": n}
        return ngettext("baisse d'%(n)s arobase", "baisse de %(n)s arobases", n) % {"n": n}

    @property
    def type_libelle(self):
        return TypeCandidature(self.type).label if self.type else ""

    @property
    def strate(self):
        return catalogue.strate_de(self.population) or ""

    @property
    def cle(self):
        return normaliser_nom(self.nom)

    @property
    def designation(self):
        """« Arras (62) »: the name and the département, as the palmarès names a laureate."""
        return f"{self.nom} ({self.departement})" if self.departement else self.nom

    @property
    def arobases(self):
        return "@" * self.niveau

    @property
    def ligne(self):
        """« Arras (62) @@@ »: the association's line for a laureate (page, booklet, press)."""
        return f"{self.designation} {self.arobases}"

    @property
    def distinctions(self):
        """What the line adds after a dash: the TEN, the mentions, a first participation."""
        ten = [str(_("Territoire d'excellence numérique"))] if self.ten else []
        premiere = [str(_("première participation"))] if self.premiere else []
        return ten + list(self.mentions) + premiere


def _precedent(annee, vers):
    """The latest earlier label of the collectivité at ``vers`` (an OuterRef path)."""
    return Labellisation.objects.filter(collectivite=OuterRef(vers), annee__lt=annee).order_by("-annee")


def _deja_candidate(annee, vers):
    return Exists(
        Candidature.objects.filter(
            collectivite=OuterRef(vers), edition__annee__lt=annee, state=Candidature.State.DEPOSEE
        )
    )


def _premiere(niveau_precedent, deja_candidate, ten, connue):
    """True, False, or None when the history before the year is not complete. A TEN laureate
    took part before, whatever was imported: the TEN crowns six earlier 5@ labels."""
    if niveau_precedent is not None or deja_candidate or ten:
        return False
    return True if connue else None


def _laureat(collectivite, **valeurs):
    departement, region = collectivite.departement, collectivite.region
    valeurs.setdefault("population", collectivite.population)
    return Laureat(
        collectivite_id=collectivite.pk,
        code=collectivite.code,
        nom=collectivite.nom,
        nature=collectivite.nature,
        departement=departement.code if departement else "",
        departement_nom=departement.nom if departement else "",
        region_code=region.code if region else "",
        region=region.nom if region else "",
        outre_mer=collectivite.outre_mer,
        **valeurs,
    )


def _ordre(laureat):
    return (sans_accents(laureat.nom), laureat.nom, laureat.code)


def laureats_edition(edition, completes=None):
    """The laureates of a published edition, by name (two queries, three without ``completes``,
    the ``annees_completes()``)."""
    annee = edition.annee
    if completes is None:
        completes = annees_completes()
    connue = historique_complet_avant(annee, completes)
    precedent = _precedent(annee, "candidature__collectivite")
    lignes = resultats(edition).annotate(
        niveau_precedent=Subquery(precedent.values("niveau")[:1]),
        annee_precedente=Subquery(precedent.values("annee")[:1]),
        deja_candidate=_deja_candidate(annee, "candidature__collectivite"),
    )
    laureats = [
        _laureat(
            r.candidature.collectivite,
            type=r.candidature.type,
            niveau=r.niveau,
            niveau_precedent=r.niveau_precedent,
            annee_precedente=r.annee_precedente,
            premiere=_premiere(r.niveau_precedent, r.deja_candidate, r.ten, connue),
            ten=r.ten,
            mentions=[m.nom for m in r.mentions.all()],
            candidature_id=r.candidature_id,
        )
        for r in lignes
    ]
    return sorted(laureats, key=_ordre)


def laureats_historique(annee, completes=None):
    """The laureates of a year of imported history (one query, two without ``completes``): no
    type, their mentions as typed, the year's population and member communes when imported."""
    if completes is None:
        completes = annees_completes()
    connue = historique_complet_avant(annee, completes)
    precedent = _precedent(annee, "collectivite")
    lignes = (
        Labellisation.objects.filter(annee=annee)
        .select_related("collectivite__departement", "collectivite__region")
        .annotate(
            niveau_precedent=Subquery(precedent.values("niveau")[:1]),
            annee_precedente=Subquery(precedent.values("annee")[:1]),
            deja_candidate=_deja_candidate(annee, "collectivite"),
        )
    )
    laureats = [
        _laureat(
            row.collectivite,
            type="",
            niveau=row.niveau,
            niveau_precedent=row.niveau_precedent,
            annee_precedente=row.annee_precedente,
            premiere=_premiere(row.niveau_precedent, row.deja_candidate, row.ten, connue),
            ten=row.ten,
            mentions=row.liste_mentions,
            population=row.population,
            communes=row.communes,
        )
        for row in lignes
    ]
    return sorted(laureats, key=_ordre)
