"""The feedback of a published result, for the collectivité's members: the jury's comments, the
mosaïque des enjeux and a comparison with the laureates of the same type and population stratum
(« s'évaluer, se comparer »).

Nothing here names a juror or shows a score: the comments were stored anonymous on the result
when the deliberation closed (``workflow.enregistrer_retours``).
"""

import re
from dataclasses import dataclass

from django.db.models import Count, Prefetch

from atlaas.catalogue import STRATES, strate_de

from . import selectors
from .models import Candidature, Mention, Resultat


def commentaires(resultat):
    """The jury's comments, one per blank-line separated paragraph."""
    return [c.strip() for c in re.split(r"\n\s*\n", resultat.retour_jury) if c.strip()]


@dataclass
class Niveau:
    niveau: int
    nombre: int
    part: int  # % of the group
    le_votre: bool


@dataclass
class EnjeuCompare:
    case: selectors.CaseEnjeu  # this collectivité's square of the mosaïque
    couverts: int  # laureates of the group whose selected fiches cover the enjeu
    part: int  # % of the group

    @property
    def enjeu(self):
        return self.case.enjeu

    @property
    def vos_fiches(self):
        return self.case.count


@dataclass
class Comparaison:
    type_label: str
    strate_label: str
    total: int  # laureates of the same type and stratum, this collectivité included
    niveaux: list
    au_dessus: int
    meme_niveau: int  # others at the same level
    en_dessous: int
    enjeux: list

    def par_categorie(self):
        """[(categorie, [EnjeuCompare])] in the referential's order."""
        groups = []
        for ligne in self.enjeux:
            if not groups or groups[-1][0] != ligne.enjeu.categorie:
                groups.append((ligne.enjeu.categorie, []))
            groups[-1][1].append(ligne)
        return groups


@dataclass
class Retour:
    candidature: Candidature
    resultat: Resultat
    commentaires: list
    mosaique: selectors.Mosaique
    comparaison: Comparaison


def _pourcent(n, total):
    return round(100 * n / total) if total else 0


def groupe(candidature):
    """The edition's laureates of the same candidature type and population stratum."""
    qs = Resultat.objects.filter(
        candidature__edition_id=candidature.edition_id,
        candidature__state=Candidature.State.DEPOSEE,
        candidature__type=candidature.type,
    )
    _label, bas, haut = STRATES[strate_de(candidature.collectivite.population)]
    qs = qs.filter(candidature__collectivite__population__gte=bas)
    if haut is not None:
        qs = qs.filter(candidature__collectivite__population__lt=haut)
    return qs


def comparaison(candidature, resultat, mosaique):
    """Level distribution and enjeux coverage of the group (two queries)."""
    membres = groupe(candidature)
    par_niveau = dict(membres.order_by().values_list("niveau").annotate(n=Count("pk")))
    total = sum(par_niveau.values())
    couverture = dict(
        Candidature.fiches.through.objects.filter(candidature__resultat__in=membres)
        .order_by()
        .values_list("ficheaction__services__enjeu")
        .annotate(n=Count("candidature", distinct=True))
    )
    return Comparaison(
        type_label=candidature.get_type_display(),
        strate_label=STRATES[strate_de(candidature.collectivite.population)][0],
        total=total,
        niveaux=[
            Niveau(n, par_niveau.get(n, 0), _pourcent(par_niveau.get(n, 0), total), n == resultat.niveau)
            for n in range(5, 0, -1)
        ],
        au_dessus=sum(v for n, v in par_niveau.items() if n > resultat.niveau),
        meme_niveau=par_niveau.get(resultat.niveau, 0) - 1,
        en_dessous=sum(v for n, v in par_niveau.items() if n < resultat.niveau),
        enjeux=[
            EnjeuCompare(
                case=case,
                couverts=couverture.get(case.enjeu.pk, 0),
                part=_pourcent(couverture.get(case.enjeu.pk, 0), total),
            )
            for case in mosaique.cases
        ],
    )


def retour(candidature):
    """The feedback of the candidature, or None while its edition is unpublished or if it has
    no result. Six queries at most, the candidature's edition and collectivité being loaded."""
    if not candidature.edition.est_publiee or candidature.state != Candidature.State.DEPOSEE:
        return None
    resultat = (
        Resultat.objects.filter(candidature=candidature)
        .prefetch_related(Prefetch("mentions", queryset=Mention.objects.order_by("ordre", "nom")))
        .first()
    )
    if resultat is None:
        return None
    mosaique = selectors.mosaique(candidature, suggestions=True)
    return Retour(
        candidature=candidature,
        resultat=resultat,
        commentaires=commentaires(resultat),
        mosaique=mosaique,
        comparaison=comparaison(candidature, resultat, mosaique),
    )
