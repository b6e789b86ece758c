"""Assigning jurors to dossiers: the automatic, balanced run and the president's changes.

``repartir`` is pure (plain ids, no database). Each dossier needs ``k`` jurors; jurors have no
capacity, so a dossier lacks jurors only when fewer than ``k`` are free of conflict with it.
Loads (existing + new pairs) are balanced by minimising the sum of their squares: a greedy run
gives each slot to the least-loaded eligible juror, then a repair step moves new pairs along
chains « A gives dossier d1 to B, B gives d2 to C… » while a chain ends on a juror with two
pairs fewer than where it starts. With no such chain left the sum of squares is minimal (the
optimality condition of a min-cost flow with convex costs: every residual cycle through the
sink is such a chain), and among vectors of a fixed total, loads within one of each other are
exactly those of minimal sum of squares: loads end within one whenever the conflicts allow it.

A juror in conflict with a dossier never keeps its assignment, whatever its state: ``affecter``
and ``retirer_conflits`` delete it (a submitted evaluation with its scores, which then no longer
count) and journal the removal; ``affecter`` then fills the gap like any missing juror.
"""

import random
from collections import defaultdict, deque
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from label.models import Candidature

from . import conflits as conflits_module
from .models import AffectationJournal, Evaluation, Jure, Jury

MOTIF_AUTOMATIQUE = "affectation automatique"
MOTIF_CONFLIT = "conflit d'intérêts"


class AffectationRefusee(ValueError):
    """A change the rules refuse; ``champ`` names the form field the message belongs to."""

    def __init__(self, message, champ=None):
        super().__init__(message)
        self.champ = champ


# --- The pure part ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Manque:
    """A dossier that gets fewer than ``requis`` jurors: ``affectes`` it will have, and how many
    jurors are excluded by a conflict of interest."""

    dossier: object
    affectes: int
    requis: int
    en_conflit: int
    jures: int

    @property
    def raison(self):
        if self.jures < self.requis:
            return ngettext(
                "Le jury ne compte que %(jures)s juré pour %(requis)s par dossier.",
                "Le jury ne compte que %(jures)s jurés pour %(requis)s par dossier.",
                self.jures,
            ) % vars(self)
        return ngettext(
            "%(en_conflit)s juré est en conflit d'intérêts avec ce dossier : %(affectes)s affecté(s) "
            "sur %(requis)s.",
            "%(en_conflit)s jurés sont en conflit d'intérêts avec ce dossier : %(affectes)s affecté(s) "
            "sur %(requis)s.",
            self.en_conflit,
        ) % vars(self)


@dataclass
class Repartition:
    nouvelles: list  # [(dossier, jure)], sorted
    manques: list  # [Manque], in the order of the dossiers


def repartir(dossiers, jures, k, conflits=(), existantes=(), expertises=None, seed=None):
    """New (dossier, jure) pairs giving each dossier ``k`` jurors, loads balanced.

    ``dossiers``: {dossier id: enjeu ids of the dossier} (or an iterable of ids); ``jures``: juror
    ids; ``conflits`` and ``existantes``: sets of (dossier, jure) pairs; ``expertises``:
    {jure: enjeu ids}. Existing pairs are kept and count in loads. Same inputs and seed, same
    output: the seed only breaks ties."""
    if not isinstance(dossiers, dict):
        dossiers = dict.fromkeys(dossiers, ())
    expertises = expertises or {}
    rng = random.Random(seed)
    dossier_ids = sorted(dossiers)
    jure_ids = sorted(set(jures))
    rang = jure_ids[:]
    rng.shuffle(rang)
    rang = {j: i for i, j in enumerate(rang)}
    conflits = set(conflits)
    jures_set = set(jure_ids)

    sur = defaultdict(set)  # dossier -> jurors on it (existing and new)
    charge = dict.fromkeys(jure_ids, 0)
    for d, j in existantes:
        if d in dossiers and j in jures_set and j not in sur[d]:
            sur[d].add(j)
            charge[j] += 1
    libres = {d: [j for j in jure_ids if (d, j) not in conflits and j not in sur[d]] for d in dossier_ids}
    nouvelles = defaultdict(set)  # juror -> dossiers newly given to them

    # Greedy: the most constrained dossiers first; each slot to the least-loaded juror, then the
    # one whose expertise covers most of the dossier's enjeux not yet covered, then the seed.
    ordre = {d: i for i, d in enumerate(rng.sample(dossier_ids, len(dossier_ids)))}
    manques = []
    for d in sorted(dossier_ids, key=lambda d: (len(libres[d]), ordre[d])):
        besoin = k - len(sur[d])
        enjeux = set(dossiers[d] or ())
        couverts = set().union(*(expertises.get(j, ()) for j in sur[d])) & enjeux
        candidats = list(libres[d])
        for _i in range(min(besoin, len(candidats))):
            j = min(
                candidats,
                key=lambda j: (charge[j], -len((set(expertises.get(j, ())) & enjeux) - couverts), rang[j]),
            )
            candidats.remove(j)
            sur[d].add(j)
            nouvelles[j].add(d)
            charge[j] += 1
            couverts |= set(expertises.get(j, ())) & enjeux
    for d in dossier_ids:
        if len(sur[d]) < k:
            en_conflit = sum(1 for j in jure_ids if (d, j) in conflits and j not in sur[d])
            manques.append(Manque(d, len(sur[d]), k, en_conflit, len(jure_ids)))

    # Repair: move pairs along a chain from a juror to one with two pairs fewer.
    while chaine := _chaine_amelioratrice(jure_ids, charge, nouvelles, sur, libres, rang):
        for a, d, b in chaine:
            nouvelles[a].remove(d)
            sur[d].remove(a)
            nouvelles[b].add(d)
            sur[d].add(b)
        charge[chaine[0][0]] -= 1
        charge[chaine[-1][2]] += 1

    paires = sorted((d, j) for j, ds in nouvelles.items() for d in ds)
    return Repartition(nouvelles=paires, manques=manques)


def _chaine_amelioratrice(jure_ids, charge, nouvelles, sur, libres, rang):
    """[(from, dossier, to), ...] moving one pair from a juror to one with ≥ 2 fewer, or None.
    A breadth-first search from each juror, the most loaded first."""
    if not jure_ids or max(charge.values()) - min(charge.values()) <= 1:
        return None
    for depart in sorted(jure_ids, key=lambda j: (-charge[j], rang[j])):
        if not nouvelles[depart] or charge[depart] - min(charge.values()) <= 1:
            continue
        precedent = {depart: None}
        file = deque([depart])
        meilleur = None
        while file:
            a = file.popleft()
            for d in sorted(nouvelles[a]):
                for b in libres[d]:
                    if b in precedent or b in sur[d]:
                        continue
                    precedent[b] = (a, d)
                    file.append(b)
                    if charge[b] <= charge[depart] - 2 and (
                        meilleur is None or (charge[b], rang[b]) < (charge[meilleur], rang[meilleur])
                    ):
                        meilleur = b
        if meilleur is not None:
            chaine = []
            b = meilleur
            while precedent[b] is not None:
                a, d = precedent[b]
                chaine.append((a, d, b))
                b = a
            return chaine[::-1]
    return None


# --- With the database ------------------------------------------------------------------------


@dataclass
class Bilan:
    """What an automatic run did: pairs created and removed, dossiers still lacking jurors as
    [(candidature, reason)]."""

    crees: int = 0
    retires: int = 0
    manques: list = field(default_factory=list)


def _jury_verrouille(edition_id):
    """The edition's jury row, locked until the end of the transaction: runs and changes of
    one edition happen one at a time. Refused unless the jury is evaluating."""
    Jury.objects.get_or_create(edition_id=edition_id)
    jury = Jury.objects.select_for_update().get(edition_id=edition_id)
    if jury.phase != Jury.Phase.EVALUATION:
        raise AffectationRefusee(
            _("Les affectations ne peuvent plus changer : la phase du jury est « %(phase)s ».")
            % {"phase": jury.get_phase_display()}
        )
    return jury


def enjeux_des_dossiers(candidature_ids):
    """{candidature id: {enjeu ids}} from the services of the selected fiches: one query."""
    enjeux = defaultdict(set)
    lignes = (
        Candidature.fiches.through.objects.filter(candidature_id__in=candidature_ids)
        .values_list("candidature_id", "ficheaction__services__enjeu_id")
        .distinct()
    )
    for candidature_id, enjeu_id in lignes:
        if enjeu_id is not None:
            enjeux[candidature_id].add(enjeu_id)
    return enjeux


def _supprimer(pks):
    """Delete these evaluations (their scores go with them), locked first so that only the rows
    still there are counted: [(pk, candidature id, jure id)] of those deleted."""
    pks = list(pks)
    if not pks:
        return []
    retirees = list(
        Evaluation.objects.select_for_update()
        .filter(pk__in=pks)
        .order_by("pk")
        .values_list("pk", "candidature_id", "jure_id")
    )
    Evaluation.objects.filter(pk__in=[pk for pk, _c, _j in retirees]).delete()
    return retirees


def _retraits_pour_conflit(retirees, by):
    return [
        AffectationJournal(
            jure_id=j, candidature_id=c, action=AffectationJournal.Action.RETRAIT, motif=MOTIF_CONFLIT, by=by
        )
        for _pk, c, j in retirees
    ]


def retirer_conflits(jure, by):
    """Take the juror off every dossier they are now in conflict with (after declaring a
    conflict or changing their home département), whatever the evaluation's state: a submitted
    one is deleted with its scores. Each removal is journaled; returns the candidatures removed.

    Unlike the president's changes it is not refused after the evaluation phase: during the
    deliberation, or once it is closed, a conflicted juror's scores still go (confidentiality
    and impartiality win over a frozen aggregate), and the president sees the dossier lacking
    a juror."""
    with transaction.atomic():
        # The jury's row, locked whatever the phase: one change at a time with ``affecter``.
        Jury.objects.get_or_create(edition_id=jure.edition_id)
        Jury.objects.select_for_update().get(edition_id=jure.edition_id)
        # The dossiers assigned to the juror, in any state: a dossier its collectivité reopened
        # comes back to the jury later and must not bring a conflicted juror with it.
        candidatures = {
            c.pk: c for c in Candidature.objects.filter(evaluations__jure=jure).select_related("collectivite")
        }
        en_conflit = conflits_module.conflits([jure], candidatures.values())[jure.pk]
        retirees = _supprimer(
            Evaluation.objects.filter(jure=jure, candidature_id__in=en_conflit).values_list("pk", flat=True)
        )
        AffectationJournal.objects.bulk_create(_retraits_pour_conflit(retirees, by))
    return sorted((candidatures[c] for _pk, c, _j in retirees), key=lambda c: c.collectivite.nom)


def affecter(edition, by, seed=None):
    """Give each submitted dossier of the edition its jurors, keeping the assignments that
    exist; assignments now in conflict are removed first, in every state (submitted scores
    included), and journaled. One transaction, about a dozen queries whatever the size."""
    seed = edition.annee if seed is None else seed
    with transaction.atomic():
        jury = _jury_verrouille(edition.pk)
        candidatures = list(conflits_module.candidatures_a_evaluer(edition))
        jures = list(Jure.objects.filter(edition=edition, accepted_at__isnull=False))
        matrice = conflits_module.conflits(jures, candidatures)
        conflits = {(c, j) for j, par_dossier in matrice.items() for c in par_dossier}
        ids = [c.pk for c in candidatures]
        existantes = list(
            Evaluation.objects.filter(candidature_id__in=ids, jure__in=jures).values_list(
                "pk", "candidature_id", "jure_id"
            )
        )
        retirees = _supprimer([pk for pk, c, j in existantes if (c, j) in conflits])
        retirees_pk = {pk for pk, _c, _j in retirees}
        expertises = defaultdict(set)
        for jure_id, enjeu_id in Jure.expertises.through.objects.filter(jure__in=jures).values_list(
            "jure_id", "enjeu_id"
        ):
            expertises[jure_id].add(enjeu_id)
        enjeux = enjeux_des_dossiers(ids)
        repartition = repartir(
            {pk: enjeux.get(pk, set()) for pk in ids},
            [j.pk for j in jures],
            jury.jures_par_dossier,
            conflits=conflits,
            existantes={(c, j) for pk, c, j in existantes if pk not in retirees_pk},
            expertises=expertises,
            seed=seed,
        )
        Evaluation.objects.bulk_create(
            [
                Evaluation(candidature_id=c, jure_id=j, origine=Evaluation.Origine.AUTOMATIQUE)
                for c, j in repartition.nouvelles
            ]
        )
        AffectationJournal.objects.bulk_create(
            _retraits_pour_conflit(retirees, by)
            + [
                AffectationJournal(
                    jure_id=j,
                    candidature_id=c,
                    action=AffectationJournal.Action.AJOUT,
                    motif=MOTIF_AUTOMATIQUE,
                    by=by,
                )
                for c, j in repartition.nouvelles
            ]
        )
    par_id = {c.pk: c for c in candidatures}
    return Bilan(
        crees=len(repartition.nouvelles),
        retires=len(retirees),
        manques=[(par_id[m.dossier], m.raison) for m in repartition.manques],
    )


# --- The president's changes ------------------------------------------------------------------

MOTIF_MAX = AffectationJournal._meta.get_field("motif").max_length


def _motif(motif):
    motif = (motif or "").strip()
    if not motif:
        raise AffectationRefusee(_("Indiquez le motif de ce changement."), champ="motif")
    if len(motif) > MOTIF_MAX:
        raise AffectationRefusee(
            _("Le motif ne doit pas dépasser %(max)s caractères.") % {"max": MOTIF_MAX}, champ="motif"
        )
    return motif


def ajouter(edition, jure, candidature, by, motif):
    """Assign a juror to a dossier by hand, with a reason; returns the new evaluation."""
    motif = _motif(motif)
    if candidature.edition_id != edition.pk or candidature.state != Candidature.State.DEPOSEE:
        raise AffectationRefusee(_("Ce dossier n'est pas une candidature déposée de cette édition."))
    if jure.edition_id != edition.pk or jure.accepted_at is None:
        raise AffectationRefusee(
            _("%(jure)s n'est pas juré de cette édition.") % {"jure": jure.nom}, champ="jure"
        )
    with transaction.atomic():
        _jury_verrouille(edition.pk)
        raison = conflits_module.raison(jure, candidature)
        if raison:
            raise AffectationRefusee(
                _("%(jure)s est en conflit d'intérêts avec ce dossier (%(raison)s).")
                % {"jure": jure.nom, "raison": raison},
                champ="jure",
            )
        deja = _("%(jure)s est déjà affecté(e) à ce dossier.") % {"jure": jure.nom}
        if Evaluation.objects.filter(jure=jure, candidature=candidature).exists():
            raise AffectationRefusee(deja, champ="jure")
        try:
            with transaction.atomic():
                evaluation = Evaluation.objects.create(
                    jure=jure, candidature=candidature, origine=Evaluation.Origine.PRESIDENT
                )
        except IntegrityError:
            raise AffectationRefusee(deja, champ="jure") from None
        AffectationJournal.objects.create(
            jure=jure, candidature=candidature, action=AffectationJournal.Action.AJOUT, motif=motif, by=by
        )
    return evaluation


def retirer(evaluation, by, motif):
    """Take a juror off a dossier, with a reason. A submitted evaluation may be removed too:
    its scores are deleted with it; the journal keeps who did it and why."""
    motif = _motif(motif)
    with transaction.atomic():
        _jury_verrouille(evaluation.candidature.edition_id)
        supprimees = Evaluation.objects.filter(pk=evaluation.pk).delete()[1].get(Evaluation._meta.label, 0)
        if not supprimees:
            raise AffectationRefusee(_("Ce juré n'est déjà plus affecté à ce dossier : rien n'a été changé."))
        AffectationJournal.objects.create(
            jure_id=evaluation.jure_id,
            candidature_id=evaluation.candidature_id,
            action=AffectationJournal.Action.RETRAIT,
            motif=motif,
            by=by,
        )
