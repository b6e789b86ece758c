"""The deliberation of an edition's jury: open it, decide each dossier, close it.

One function per move. Each checks the jury's side (phase, who decides, conflicts of interest);
the results themselves belong to the label and are written by ``label.workflow``, which journals
every decision (who, when, before, after, motif).

Phases: évaluation → délibération (scores frozen: the evaluation pages check ``Jury.phase``) →
close (results frozen: only staff may change one, with a motif).
"""

import math
from dataclasses import dataclass
from itertools import pairwise

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from label import workflow
from label.workflow import ResultConflict, TransitionError

from . import conflits
from .models import Evaluation, Jure, Jury

__all__ = [
    "ResultConflict",
    "TransitionError",
    "clore",
    "decider",
    "ouverture_apres",
    "ouvrir",
    "sans_decision",
    "simulation",
]

Phase = Jury.Phase


def _president(jury, user):
    """The user's seat as the jury's president, or TransitionError. Staff need none (None)."""
    if user.is_staff:
        return None
    jure = Jure.objects.filter(
        edition_id=jury.edition_id, user=user, president=True, accepted_at__isnull=False
    ).first()
    if jure is None:
        raise TransitionError(_("Seuls la présidence du jury et l'équipe conduisent la délibération."))
    return jure


def ouverture_apres(edition, now=None):
    """The moment the deliberation waits for before it may open (the closing of filing: a
    dossier submitted afterwards would get no decision), or None once it is over. ``ouvrir``
    checks it; the session page asks it too, to show its button only when it can succeed."""
    now = now or timezone.now()
    if edition.state != edition.State.CLOSE and edition.cloture > now:
        return edition.cloture
    return None


def ouvrir(jury, by, now=None):
    """Évaluation → délibération. From now on the jurors' scores no longer change. Only once
    filing is over (``ouverture_apres``)."""
    _president(jury, by)
    now = now or timezone.now()
    cloture = ouverture_apres(jury.edition, now)
    if cloture is not None:
        raise TransitionError(
            _("Les candidatures sont ouvertes jusqu'au %(date)s : la délibération s'ouvre après la clôture.")
            % {"date": date_format(timezone.localtime(cloture), "DATETIME_FORMAT")}
        )
    moved = Jury.objects.filter(pk=jury.pk, phase=Phase.EVALUATION).update(
        phase=Phase.DELIBERATION, deliberation_ouverte_at=now
    )
    if not moved:
        jury.refresh_from_db(fields=["phase", "deliberation_ouverte_at"])
        if jury.phase == Phase.CLOSE:
            raise TransitionError(_("La délibération est déjà close."))
        raise TransitionError(_("La délibération est déjà ouverte."))
    jury.phase, jury.deliberation_ouverte_at = Phase.DELIBERATION, now
    return jury


def decider(jury, candidature, by, **decision):
    """Record the decision on a submitted dossier of the jury's edition (``decision``: niveau,
    mentions, ten, motivation, version, motif: see ``label.workflow.decider``).

    While the deliberation is open, the president decides unless in conflict with the dossier
    (then staff do); once it is closed, only staff, with a motif. Raises TransitionError, or
    ResultConflict carrying the decision someone else recorded since ``version``.
    """
    if candidature.edition_id != jury.edition_id:
        raise TransitionError(_("Ce dossier n'appartient pas à cette édition."))
    phase = Jury.objects.values_list("phase", flat=True).get(pk=jury.pk)
    if phase == Phase.EVALUATION:
        raise TransitionError(_("La délibération n'est pas encore ouverte."))
    if phase == Phase.CLOSE and not by.is_staff:
        raise TransitionError(_("La délibération est close : seule l'équipe peut changer un résultat."))
    _president(jury, by)
    # Whoever decides must not be in conflict with the dossier, staff who sit on the jury too.
    jure = Jure.objects.filter(edition_id=jury.edition_id, user=by, accepted_at__isnull=False).first()
    if jure is not None and conflits.raison(jure, candidature):
        raise TransitionError(
            _("Vous êtes en conflit d'intérêts avec ce dossier : la décision revient à l'équipe.")
        )
    return workflow.decider(candidature, by=by, **decision)


def sans_decision(edition):
    """The ids of the edition's submitted dossiers still without a decision: closing is refused
    while there are any (``label.workflow.clore_resultats`` reads the same query). The session
    page asks it to show « Clore la délibération » only when it can succeed."""
    return set(workflow.sans_resultat(edition).values_list("pk", flat=True))


def clore(jury, by, now=None):
    """Délibération → close, freezing the results: every submitted dossier needs a decision
    first (at least 1@, ``sans_decision``). Both the label's results and the jury's phase move,
    or neither."""
    _president(jury, by)
    with transaction.atomic():
        phase = Jury.objects.select_for_update().values_list("phase", flat=True).get(pk=jury.pk)
        if phase == Phase.EVALUATION:
            raise TransitionError(_("La délibération n'est pas ouverte : ouvrez-la d'abord."))
        if phase == Phase.CLOSE:
            raise TransitionError(_("La délibération est déjà close."))
        edition = workflow.clore_resultats(jury.edition, now=now)
        # The collectivités' feedback: the submitted evaluations' comments for them, no names.
        retours = {}
        for candidature_id, commentaire in (
            Evaluation.objects.filter(candidature__edition=edition, state=Evaluation.State.SOUMISE)
            .exclude(commentaire_collectivite="")
            .order_by("candidature_id", "pk")
            .values_list("candidature_id", "commentaire_collectivite")
        ):
            retours.setdefault(candidature_id, []).append(commentaire)
        workflow.enregistrer_retours(edition, retours)
        Jury.objects.filter(pk=jury.pk).update(phase=Phase.CLOSE)
    jury.phase = Phase.CLOSE
    jury.edition.resultats_clos_at = edition.resultats_clos_at
    return jury


# --- What-if: the levels that score thresholds would give ---------------------------------------

# Dossiers per level in 2015 (DOMAIN.md §7), from 1@ to 5@: 31, 38, 48, 37, 36 out of 190.
REPARTITION_USUELLE = {1: 31, 2: 38, 3: 48, 4: 37, 5: 36}
SEUILS_FIXES = (20.0, 40.0, 60.0, 80.0)


def note(synthese):
    """The score a dossier is ranked on: calibrated, else the raw mean, else None."""
    return synthese.calibree if synthese.calibree is not None else synthese.moyenne


def verifier_seuils(seuils):
    """ValueError unless four non-decreasing numbers between 0 and 100 (equal thresholds leave
    a level empty)."""
    seuils = tuple(seuils)
    if len(seuils) != 4 or any(not 0 <= s <= 100 for s in seuils):
        raise ValueError(_("Indiquez quatre seuils entre 0 et 100."))
    if any(a > b for a, b in pairwise(seuils)):
        raise ValueError(_("Les seuils vont croissant : 2@ ≤ 3@ ≤ 4@ ≤ 5@."))
    return seuils


def seuils_par_defaut(syntheses):
    """Thresholds that reproduce the label's usual distribution over this session's scores.

    The level is the jury's decision, not a formula; the what-if only gives it a starting point.
    Fixed thresholds would depend on how severe this year's grid and jurors are, so the default
    uses quantiles instead: as in 2015, the lowest 31/190 scored dossiers get 1@, the next
    38/190 2@, then 48/190 3@, 37/190 4@ and the top 36/190 5@. Each threshold is the score of
    the first dossier of its level, rounded down to a tenth (ties stay together). With fewer
    than five scored dossiers quantiles mean nothing: 20, 40, 60, 80.
    """
    notes = sorted(n for n in map(note, syntheses) if n is not None)
    if len(notes) < len(REPARTITION_USUELLE):
        return SEUILS_FIXES
    total = sum(REPARTITION_USUELLE.values())
    seuils, cumul = [], 0
    for niveau in (1, 2, 3, 4):
        cumul += REPARTITION_USUELLE[niveau]
        rang = min(round(cumul * len(notes) / total), len(notes) - 1)
        seuils.append(math.floor(notes[rang] * 10) / 10)
    return tuple(seuils)


def niveau_simule(valeur, seuils):
    """1@, plus one per threshold reached; no score: 1@ (every participant gets at least 1@)."""
    if valeur is None:
        return 1
    return 1 + sum(1 for seuil in seuils if valeur >= seuil)


@dataclass
class Simulation:
    seuils: tuple
    niveaux: dict  # {candidature id: level}
    repartition: dict  # {level: number of dossiers}, 1 to 5


def simulation(syntheses, seuils=None):
    """The level each dossier would get from score thresholds for 2@, 3@, 4@ and 5@ (on 0–100,
    applied to the calibrated score, else the raw mean), and the distribution. Without
    thresholds, ``seuils_par_defaut``."""
    syntheses = list(syntheses)
    seuils = verifier_seuils(seuils_par_defaut(syntheses) if seuils is None else seuils)
    niveaux = {s.candidature.pk: niveau_simule(note(s), seuils) for s in syntheses}
    repartition = dict.fromkeys(range(1, 6), 0)
    for niveau in niveaux.values():
        repartition[niveau] += 1
    return Simulation(seuils=seuils, niveaux=niveaux, repartition=repartition)
