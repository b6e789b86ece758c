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

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum

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


def labels(choix):
    """[LabelAnnee] for each year of the span (four queries, whatever the span)."""
    editions = set(
        Edition.objects.filter(publie_at__isnull=False, candidatures__resultat__isnull=False)
        .order_by()
        .values_list("annee", flat=True)
        .distinct()
    )
    completes = annees_completes()
    qs = labellisations(choix)
    precedent = Labellisation.objects.filter(
        collectivite=OuterRef("collectivite"), annee__lt=OuterRef("annee")
    ).order_by("-annee")
    deja_candidate = Candidature.objects.filter(
        collectivite=OuterRef("collectivite"),
        edition__annee__lt=OuterRef("annee"),
        state=Candidature.State.DEPOSEE,
    )
    commune = Q(collectivite__nature=Collectivite.Nature.COMMUNE)
    epci = Q(collectivite__nature=Collectivite.Nature.EPCI)
    lignes = (
        qs.annotate(precedent=Subquery(precedent.values("niveau")[:1]), deja=Exists(deja_candidate))
        .values("annee")
        .annotate(
            total=Count("pk"),
            **{f"n{n}": Count("pk", filter=Q(niveau=n)) for n in NIVEAUX},
            hausses=Count("pk", filter=Q(niveau__gt=F("precedent"))),
            baisses=Count("pk", filter=Q(niveau__lt=F("precedent"))),
            stables=Count("pk", filter=Q(niveau=F("precedent"))),
            nouvelles=Count("pk", filter=Q(precedent__isnull=True, deja=False, ten=False)),
            nb_communes=Count("pk", filter=commune),
            habitants_communes=Sum("collectivite__population", filter=commune),
            population_annee=Sum("population"),
            population_inconnue=Count("pk", filter=Q(population__isnull=True)),
            communes_annee=Sum("communes", filter=epci),
            communes_inconnues=Count("pk", filter=epci & Q(communes__isnull=True)),
        )
    )
    par_annee = {ligne["annee"]: ligne for ligne in lignes}
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
