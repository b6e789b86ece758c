"""The laureates of a public year: one line each, from an edition's results or from the imported
label history, with the previous level and the progression."""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from atlaas import catalogue
from atlaas.francais import sans_accents, words

from ..models import Candidature, Labellisation, TypeCandidature
from ..publication import resultats


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
    population: int
    type: str  # TypeCandidature value; "" for imported history
    niveau: int
    niveau_precedent: int | None
    annee_precedente: int | None
    premiere: bool  # no earlier label and no earlier submitted candidature
    ten: bool
    mentions: list = field(default_factory=list)
    candidature_id: int | None = None

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
        for cle, (_libelle, bas, haut) in catalogue.STRATES.items():
            if self.population >= bas and (haut is None or self.population < haut):
                return cle
        return ""

    @property
    def mots(self):
        return " ".join(words(self.nom))


def _precedent(annee, vers):
    """The latest earlier label of the collectivité at ``vers`` (an OuterRef path)."""
    return Labellisation.objects.filter(collectivite=OuterRef(vers), annee__lt=annee).order_by("-annee")


def _deja_candidate(annee, vers):
    return Exists(
        Candidature.objects.filter(
            collectivite=OuterRef(vers), edition__annee__lt=annee, state=Candidature.State.DEPOSEE
        )
    )


def _laureat(collectivite, **valeurs):
    departement, region = collectivite.departement, collectivite.region
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
        population=collectivite.population,
        **valeurs,
    )


def _ordre(laureat):
    return (sans_accents(laureat.nom), laureat.nom, laureat.code)


def laureats_edition(edition):
    """The laureates of a published edition, by name (two queries)."""
    annee = edition.annee
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
            premiere=r.niveau_precedent is None and not r.deja_candidate,
            ten=r.ten,
            mentions=[m.nom for m in r.mentions.all()],
            candidature_id=r.candidature_id,
        )
        for r in lignes
    ]
    return sorted(laureats, key=_ordre)


def laureats_historique(annee):
    """The laureates of a year of imported history (one query): no type, their mentions as typed."""
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
            premiere=row.niveau_precedent is None and not row.deja_candidate,
            ten=row.ten,
            mentions=[ligne.strip() for ligne in row.mentions.splitlines() if ligne.strip()],
        )
        for row in lignes
    ]
    return sorted(laureats, key=_ordre)
