"""The key figures of a palmarès (docs/palmares.md, « Definitions »)."""

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
    communes: int
    habitants: int
    premieres: int
    part_premieres: int  # percent, rounded
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


def chiffres_cles(laureats, edition=None):
    """The key figures of a palmarès; ``edition`` None for imported history (no fiches)."""
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
    communes, habitants = couverture(laureats)
    premieres = sum(laureat.premiere for laureat in laureats)
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
        part_premieres=round(100 * premieres / total) if total else 0,
        plus_petit=min(laureats, key=lambda x: (x.population, _ordre(x)), default=None),
        plus_grand=max(laureats, key=lambda x: (x.population, _ordre(x)), default=None),
        ten=[laureat for laureat in laureats if laureat.ten],
        mentions=sorted(
            mentions.items(), key=lambda item: (ordre.get(item[0], len(ordre)), sans_accents(item[0]))
        ),
        fiches=fiches,
    )
