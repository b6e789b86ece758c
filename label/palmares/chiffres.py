"""The key figures of a palmarès (docs/palmares.md, « Definitions »).

A year of imported history shows only what its rows support: counts by level, TEN, mentions;
communes and inhabitants covered (and the smallest and largest laureate) only when the import
gave the year's figures (``Labellisation.population``, ``.communes``), never today's; first
participations only when the history before the year is complete. A figure not known is None.
"""

from collections import defaultdict
from dataclasses import dataclass

from atlaas.francais import sans_accents
from atlaas.models import Collectivite, FicheAction

from ..models import Candidature, TypeCandidature
from .laureats import Laureat, _ordre


@dataclass
class ParType:
    type: str
    nombre: int

    @property
    def libelle(self):
        return TypeCandidature(self.type).label


@dataclass
class Chiffres:
    laureats: int
    par_niveau: list  # [(niveau, "@@@", nombre)] from 5 to 1
    par_type: list  # [ParType]
    communes: int | None  # None: the year's member communes are not known (imported year)
    habitants: int | None  # None: the year's population is not known (imported year)
    premieres: int | None  # None: the history before the year is not complete
    part_premieres: int | None  # percent, rounded
    plus_petit: Laureat | None
    plus_grand: Laureat | None
    ten: list  # [Laureat]
    mentions: list  # [(mention, [Laureat])]
    fiches: int | None  # None for imported history


def couverture(laureats):
    """(communes, inhabitants) covered: a territoire covers its member communes, a commune is
    counted once even when its EPCI is a laureate too (one query)."""
    populations = {
        laureat.collectivite_id: laureat.population
        for laureat in laureats
        if laureat.nature == Collectivite.Nature.COMMUNE
    }
    epcis = [laureat.collectivite_id for laureat in laureats if laureat.nature == Collectivite.Nature.EPCI]
    if epcis:
        membres = Collectivite.objects.communes().actives().filter(epci_id__in=epcis)
        populations.update(membres.values_list("pk", "population"))
    return len(populations), sum(populations.values())


def couverture_importee(laureats):
    """(communes, inhabitants) covered in a year of imported history, from the year's figures
    given by the import, each None when a row lacks its own: a commune counts once, a territoire
    its member communes of that year. The perimeters of that year are not known: a commune
    labelled the same year as its territoire is counted in both."""
    territoires = [x.communes for x in laureats if x.nature == Collectivite.Nature.EPCI]
    populations = [x.population for x in laureats]
    communes = None if None in territoires else len(laureats) - len(territoires) + sum(territoires)
    return communes, None if None in populations else sum(populations)


def chiffres_cles(laureats, edition=None):
    """The key figures of a palmarès; ``edition`` None for imported history (no fiches, no
    types, its own figures: ``couverture_importee``)."""
    total = len(laureats)
    niveaux = defaultdict(int)
    types = defaultdict(int)
    mentions = defaultdict(list)
    for laureat in laureats:
        niveaux[laureat.niveau] += 1
        types[laureat.type] += 1
        for mention in laureat.mentions:
            mentions[mention].append(laureat)
    if edition is not None:  # the edition's catalogue order, then any other name
        ordre = {
            nom: i
            for i, nom in enumerate(edition.mentions.order_by("ordre", "nom").values_list("nom", flat=True))
        }
    else:
        ordre = {}
    communes, habitants = couverture(laureats) if edition is not None else couverture_importee(laureats)
    # None as soon as one laureate's is not known: they are all of the same year's history.
    connues = [laureat.premiere for laureat in laureats]
    premieres = None if None in connues else sum(connues)
    part_premieres = None if premieres is None else round(100 * premieres / total) if total else 0
    tailles = laureats if habitants is not None else []  # by the year's population only
    fiches = None
    if edition is not None:
        fiches = (
            FicheAction.objects.filter(
                candidatures__edition=edition,
                candidatures__state=Candidature.State.DEPOSEE,
                candidatures__resultat__isnull=False,
            )
            .distinct()
            .count()
        )
    return Chiffres(
        laureats=total,
        par_niveau=[(n, "@" * n, niveaux[n]) for n in range(5, 0, -1)],
        par_type=[ParType(t.value, types[t.value]) for t in TypeCandidature] if edition is not None else [],
        communes=communes,
        habitants=habitants,
        premieres=premieres,
        part_premieres=part_premieres,
        plus_petit=min(tailles, key=lambda x: (x.population, _ordre(x)), default=None),
        plus_grand=max(tailles, key=lambda x: (x.population, _ordre(x)), default=None),
        ten=[laureat for laureat in laureats if laureat.ten],
        mentions=sorted(
            mentions.items(), key=lambda item: (ordre.get(item[0], len(ordre)), sans_accents(item[0]))
        ),
        fiches=fiches,
    )
