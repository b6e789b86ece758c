"""The labels' figures year by year: laureates by level, progressions and regressions (the level
against the collectivité's previous label), first participations, communes and inhabitants
covered.

The year is the millésime (the ceremony's year). A published edition's year counts as the
palmarès does (``label.palmares``): today's population and perimeters, first participations when
every earlier palmarès is held. A year of imported history (``Labellisation`` rows without a
published edition) knows neither the type of its laureates nor, unless the import gave them, its
population and member communes: with a type or population filter its figures are not known
(None), and its coverage is known only when every row has its own.
"""

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Subquery, Sum

from atlaas import catalogue
from atlaas.models import Collectivite
from label.models import Candidature, Edition, Labellisation
from label.selectors import annees_completes, historique_complet_avant

NIVEAUX = range(5, 0, -1)


@dataclass
class LabelAnnee:
    annee: int
    importee: bool  # imported history: no published edition that year
    connue: bool = True  # False: these filters cannot be applied to an imported year
    laureats: int = 0
    par_niveau: dict = field(default_factory=dict)  # {niveau: laureates}
    hausses: int = 0
    baisses: int = 0
    stables: int = 0
    premieres: int | None = None  # None: the history before the year is not complete
    communes: int | None = None  # None: not known (imported year without its figures)
    habitants: int | None = None


# A label row as read: its collectivité's level the previous time it was labelled (None: never),
# whether it had filed a candidature before, what its coverage needs, then what the filters read
# (région, département, the type of the year's candidature, today's population).
COLONNES = (
    "annee",
    "niveau",
    "precedent",
    "deja",
    "ten",
    "collectivite__nature",
    "collectivite__population",
    "population",
    "communes",
    "collectivite__region__code",
    "collectivite__departement__code",
    "type_candidature",
)
TTL = 24 * 3600


def toutes(version):
    """Every label row (``COLONNES``), read once per ``version`` of the observatoire (the
    catalogue's and the history's) and kept in the cache: a few bytes per laureate (one query)."""
    cle = f"observatoire:labels:{version}"
    lignes = cache.get(cle)
    if lignes is None:
        precedent = Labellisation.objects.filter(
            collectivite=OuterRef("collectivite"), annee__lt=OuterRef("annee")
        ).order_by("-annee")
        candidatures = Candidature.objects.filter(
            collectivite=OuterRef("collectivite"), state=Candidature.State.DEPOSEE
        ).order_by()
        lignes = list(
            Labellisation.objects.order_by()
            .annotate(
                precedent=Subquery(precedent.values("niveau")[:1]),
                deja=Exists(candidatures.filter(edition__annee__lt=OuterRef("annee"))),
                type_candidature=Subquery(
                    candidatures.filter(edition__annee=OuterRef("annee")).values("type")[:1]
                ),
            )
            .values_list(*COLONNES)
        )
        cache.set(cle, lignes, TTL)
    return lignes


def choisies(choix, lignes):
    """The rows of the span that match the filters, as ``labellisations`` selects them."""
    debut, fin = choix["debut"], choix["fin"]
    bas, haut = 0, None
    if "strate" in choix:
        _libelle, bas, haut = catalogue.STRATES[choix["strate"]]
    for ligne in lignes:
        if not debut <= ligne[0] <= fin:
            continue
        if "niveau" in choix and ligne[1] != choix["niveau"]:
            continue
        if "region" in choix and ligne[9] != choix["region"]:
            continue
        if "departement" in choix and ligne[10] != choix["departement"]:
            continue
        if "type" in choix and ligne[11] != choix["type"]:
            continue
        if "strate" in choix and not (ligne[6] >= bas and (haut is None or ligne[6] < haut)):
            continue
        yield ligne[:9]


def _par_annee(lignes):
    """The label rows summed per year in Python: the previous level is read once per row (an
    aggregation in SQL repeats its subquery in each count that compares it)."""
    par_annee = {}
    for annee, niveau, precedent, deja, ten, nature, population_collectivite, population, communes in lignes:
        a = par_annee.get(annee)
        if a is None:
            a = par_annee[annee] = dict.fromkeys(
                ["total", *(f"n{n}" for n in NIVEAUX), "hausses", "baisses", "stables", "nouvelles",
                 "nb_communes", "habitants_communes", "population_annee", "population_inconnue",
                 "communes_annee", "communes_inconnues"],
                0,
            )  # fmt: skip
        a["total"] += 1
        if niveau in NIVEAUX:
            a[f"n{niveau}"] += 1
        if precedent is None:
            a["nouvelles"] += not deja and not ten
        else:
            a["hausses" if niveau > precedent else "baisses" if niveau < precedent else "stables"] += 1
        if nature == Collectivite.Nature.COMMUNE:
            a["nb_communes"] += 1
            a["habitants_communes"] += population_collectivite or 0
        else:
            a["communes_annee"] += communes or 0
            a["communes_inconnues"] += communes is None
        a["population_annee"] += population or 0
        a["population_inconnue"] += population is None
    return par_annee


def labellisations(choix):
    """The label rows of the span that match the filters (type and population: published
    editions' years only, see the module)."""
    qs = Labellisation.objects.filter(annee__gte=choix["debut"], annee__lte=choix["fin"])
    if "region" in choix:
        qs = qs.filter(collectivite__region__code=choix["region"])
    if "departement" in choix:
        qs = qs.filter(collectivite__departement__code=choix["departement"])
    if "niveau" in choix:
        qs = qs.filter(niveau=choix["niveau"])
    if "type" in choix:
        deposee = Candidature.objects.filter(
            collectivite=OuterRef("collectivite"),
            edition__annee=OuterRef("annee"),
            state=Candidature.State.DEPOSEE,
            type=choix["type"],
        )
        qs = qs.filter(Exists(deposee))
    if "strate" in choix:
        _libelle, bas, haut = catalogue.STRATES[choix["strate"]]
        qs = qs.filter(collectivite__population__gte=bas)
        if haut is not None:
            qs = qs.filter(collectivite__population__lt=haut)
    return qs.order_by()


def labels(choix, version):
    """[LabelAnnee] for each year of the span (four queries, whatever the span; three when the
    label rows of the observatoire's ``version`` are in the cache: they are filtered and summed
    in Python)."""
    editions = set(
        Edition.objects.filter(publie_at__isnull=False, candidatures__resultat__isnull=False)
        .order_by()
        .values_list("annee", flat=True)
        .distinct()
    )
    completes = annees_completes()
    qs = labellisations(choix)
    lignes = choisies(choix, toutes(version))
    par_annee = _par_annee(lignes)
    membres = _membres(qs, editions)
    resultat = []
    for annee in range(choix["debut"], choix["fin"] + 1):
        importee = annee not in editions
        if importee and ("type" in choix or "strate" in choix):
            resultat.append(LabelAnnee(annee, importee, connue=False))
            continue
        ligne = par_annee.get(annee)
        connue = historique_complet_avant(annee, completes)
        if ligne is None:  # no laureate: nothing imported that year, or none matches the filters
            zero = None if importee else 0
            resultat.append(
                LabelAnnee(annee, importee, premieres=0 if connue else None, communes=zero, habitants=zero)
            )
            continue
        if importee:
            communes = ligne["nb_communes"] + (ligne["communes_annee"] or 0)
            communes = None if ligne["communes_inconnues"] else communes
            habitants = None if ligne["population_inconnue"] else ligne["population_annee"] or 0
        else:
            autres, habitants_autres = membres.get(annee, (0, 0))
            communes = ligne["nb_communes"] + autres
            habitants = (ligne["habitants_communes"] or 0) + habitants_autres
        resultat.append(
            LabelAnnee(
                annee=annee,
                importee=importee,
                laureats=ligne["total"],
                par_niveau={n: ligne[f"n{n}"] for n in NIVEAUX},
                hausses=ligne["hausses"],
                baisses=ligne["baisses"],
                stables=ligne["stables"],
                premieres=ligne["nouvelles"] if connue else None,
                communes=communes,
                habitants=habitants,
            )
        )
    return resultat


def _membres(qs, editions):
    """{year: (communes, inhabitants)} covered through the territoires labelled in a published
    edition's year: their member communes today, less those labelled themselves that year (a
    commune counts once, as in the palmarès). One query."""
    if not editions:
        return {}
    territoires = qs.filter(annee__in=editions, collectivite__nature=Collectivite.Nature.EPCI)
    lignes = (
        Collectivite.objects.communes()
        .actives()
        .filter(epci__labellisations__in=territoires.values("pk"))
        .annotate(annee=F("epci__labellisations__annee"))
        .exclude(Exists(qs.filter(collectivite=OuterRef("pk"), annee=OuterRef("annee"))))
        .order_by()
        .values("annee")
        .annotate(n=Count("pk"), habitants=Sum("population"))
    )
    return {ligne["annee"]: (ligne["n"], ligne["habitants"] or 0) for ligne in lignes}
