"""Scores of the jury, aggregated per dossier: what the president steers and deliberates on.

A juror's score on a dossier is the weighted mean of their criterion scores, each taken as a
share of its scale, on 0–100. Per dossier: the mean and median of its jurors' scores, the spread
(highest minus lowest) and the **calibrated** score with its interval: the dossier's quality once
each juror's severity or generosity is taken out, fitted over every submitted score of the
session (``calibrage.calibrer``; a severe juror's 50 may be a generous juror's 70). Only
submitted evaluations count.
"""

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .calibrage import calibrer, intervalle
from .models import Critere, Evaluation, Note


@dataclass
class Avis:
    """One juror's submitted evaluation of a dossier."""

    evaluation: Evaluation
    score: float  # 0–100
    biais: float = 0.0  # the juror's bias in the fit: + generous, − severe


@dataclass
class Synthese:
    candidature: object
    affectees: int = 0
    avis: list = field(default_factory=list)
    moyenne: float | None = None
    mediane: float | None = None
    calibree: float | None = None
    intervalle: tuple | None = None  # (low, high) around ``calibree``
    ecart: float | None = None
    niveaux: list = field(default_factory=list)
    mentions: Counter = field(default_factory=Counter)
    desaccords: list = field(default_factory=list)

    @property
    def soumises(self):
        return len(self.avis)

    @property
    def desaccord(self):
        return bool(self.desaccords)


def score(notes, criteres):
    """The weighted mean of ``notes`` ({critere id: score}) as a share of each scale, on 0–100;
    None unless every criterion is scored."""
    if not criteres or any(notes.get(c.pk) is None for c in criteres):
        return None
    total = sum(c.poids for c in criteres)
    return 100 * sum(c.poids * notes[c.pk] / c.echelle for c in criteres) / total


def synthese(jury, candidatures):
    """A Synthese per candidature (in the given order), from their evaluations: four queries."""
    edition = jury.edition
    criteres = list(Critere.objects.filter(edition=edition))
    syntheses = {c.pk: Synthese(candidature=c) for c in candidatures}
    evaluations = list(
        Evaluation.objects.filter(candidature_id__in=syntheses)
        .select_related("jure")
        .prefetch_related("mentions_proposees")
        .order_by("candidature_id", "jure__nom", "pk")
    )
    notes = defaultdict(dict)
    for evaluation_id, critere_id, value in Note.objects.filter(
        evaluation__in=[e for e in evaluations if e.state == Evaluation.State.SOUMISE]
    ).values_list("evaluation_id", "critere_id", "score"):
        notes[evaluation_id][critere_id] = value
    scores = {}
    for evaluation in evaluations:
        item = syntheses[evaluation.candidature_id]
        item.affectees += 1
        if evaluation.state != Evaluation.State.SOUMISE:
            continue
        value = score(notes[evaluation.pk], criteres)
        if value is None:  # a criterion added to the grid after submission
            continue
        item.avis.append(Avis(evaluation=evaluation, score=value))
        scores[(evaluation.jure_id, evaluation.candidature_id)] = value
        if evaluation.niveau_propose:
            item.niveaux.append(evaluation.niveau_propose)
        item.mentions.update(m.nom for m in evaluation.mentions_proposees.all())
    qualite, biais, sigma = calibrer(scores)
    for item in syntheses.values():
        if not item.avis:
            continue
        values = [a.score for a in item.avis]
        for avis in item.avis:
            avis.biais = biais[avis.evaluation.jure_id]
        item.moyenne = statistics.fmean(values)
        item.mediane = statistics.median(values)
        item.ecart = max(values) - min(values)
        item.calibree = qualite[item.candidature.pk]
        item.intervalle = intervalle(item.calibree, len(values), sigma)
        if item.niveaux and max(item.niveaux) - min(item.niveaux) >= 2:
            item.desaccords.append(_("niveaux proposés éloignés de deux arobases ou plus"))
        if round(item.ecart, 6) > jury.ecart_max:  # 55 - 30 is 25.000000000000007 in floats
            item.desaccords.append(_("écart de %(ecart).0f points entre les notes") % {"ecart": item.ecart})
    return list(syntheses.values())
