"""A juror's evaluation of a dossier: save the draft, submit it, reopen it, find the next one.

One juror writes one evaluation, but maybe from two tabs, and a tab may autosave while another
submits. Each save states the version it was made from. It first locks the evaluation's row
(``SELECT … FOR UPDATE``, as the submit does), then checks on the row as it is now that the
evaluation may still change and is still at that version, and only then writes: a stale tab
gets a ``Conflit``, a save that comes after the submit a ``DejaSoumise``, and nothing is
written. One lock for the whole evaluation (scores, comments, level, mentions): the form sends
all of it at once, so any save made meanwhile is a conflict.

The lock is what makes the check hold: a conditional UPDATE whose condition goes through a join
(the jury's phase) is run by Django as ``WHERE id IN (SELECT …)`` on PostgreSQL, and a row
updated meanwhile by another transaction is not checked again against that subquery, so two
saves from one version were both acknowledged, and a save after the submit turned the
submitted evaluation back into a draft. Scores change only while the jury's phase is
« évaluation » and the evaluation is not submitted.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from label.models import Candidature, Mention

from . import conflits, grille
from .models import Evaluation, Jury, Note

State = Evaluation.State
TEXTE_MAX = 5000
TEXTES = ("commentaire_collectivite", "note_jury")


class Refus(Exception):
    """The change is refused; the message, in French, says why."""


class DejaSoumise(Refus):
    """The evaluation is already submitted (a double click, another tab)."""

    def __init__(self, message=None):
        super().__init__(message or _("Cette évaluation est déjà soumise : elle ne l'a été qu'une fois."))


class Incomplete(Refus):
    """Submitting needs every criterion scored and a proposed level: ``manques`` lists what is missing."""

    def __init__(self, manques):
        self.manques = manques
        super().__init__(
            _("Pour soumettre l'évaluation, il manque : %(manques)s.") % {"manques": ", ".join(manques)}
        )


@dataclass
class Enregistre:
    version: int
    at: object
    ok: bool = True


@dataclass
class Conflit:
    """The evaluation was saved elsewhere (another tab) since the page's version: nothing written."""

    version: int
    at: object
    ok: bool = False


def jury_de(evaluation):
    return Jury.objects.get_or_create(edition_id=evaluation.candidature.edition_id)[0]


def raison_fermee(evaluation, jury):
    """Why the evaluation can't change now, or None."""
    if jury.phase == Jury.Phase.DELIBERATION:
        return _("La délibération est ouverte : les évaluations ne peuvent plus changer.")
    if jury.phase == Jury.Phase.CLOSE:
        return _("La délibération est close : les évaluations ne peuvent plus changer.")
    if evaluation.state == State.SOUMISE:
        return _("Cette évaluation est soumise : rouvrez-la pour la modifier.")
    return None


def _ouverte(evaluation):
    """The queryset that matches the evaluation only while it may change."""
    return Evaluation.objects.filter(
        pk=evaluation.pk,
        state__in=[State.A_FAIRE, State.BROUILLON],
        candidature__edition__jury__phase=Jury.Phase.EVALUATION,
    )


def _verifier_auteur(evaluation, by):
    if by is not None and by.pk != evaluation.jure.user_id:
        raise Refus(_("Seul le juré peut modifier son évaluation."))


def _verifier(evaluation, data, criteres):
    """Re-check what the form checked: scores within each criterion's scale, a level of 1@ to
    5@, mentions of the edition, texts not too long."""
    for critere_id, note in data.get("notes", {}).items():
        critere = criteres.get(int(critere_id))
        if critere is None:
            raise Refus(_("Ce critère n'appartient pas à la grille de l'édition."))
        score = note.get("score")
        if score is not None and not (isinstance(score, int) and 0 <= score <= critere.echelle):
            raise Refus(
                _("La note de « %(critere)s » doit être comprise entre 0 et %(max)s.")
                % {"critere": critere.libelle, "max": critere.echelle}
            )
        if len(note.get("commentaire", "")) > TEXTE_MAX:
            raise Refus(_("Un commentaire dépasse %(max)s caractères.") % {"max": TEXTE_MAX})
    if "niveau_propose" in data:
        niveau = data["niveau_propose"]
        if niveau is not None and not (isinstance(niveau, int) and 1 <= niveau <= 5):
            raise Refus(_("Le niveau proposé doit être compris entre 1@ et 5@."))
    if "mentions_proposees" in data:
        ids = {int(pk) for pk in data["mentions_proposees"]}
        known = set(
            Mention.objects.filter(edition_id=evaluation.candidature.edition_id, pk__in=ids).values_list(
                "pk", flat=True
            )
        )
        if ids - known:
            raise Refus(_("Seules les mentions de cette édition peuvent être proposées."))
    for name in TEXTES:
        if len(data.get(name, "")) > TEXTE_MAX:
            raise Refus(_("Un commentaire dépasse %(max)s caractères.") % {"max": TEXTE_MAX})


def _verrouiller(evaluation):
    """Inside a transaction: lock the evaluation's row until commit and return it as it is now;
    ``Refus`` (``DejaSoumise`` when it is submitted) when it can't change any more."""
    current = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    reason = raison_fermee(current, jury_de(evaluation))
    if reason:
        raise DejaSoumise(reason) if current.state == State.SOUMISE else Refus(reason)
    return current


def enregistrer(evaluation, data, version, by, now=None):
    """Save the draft made from ``version``. ``data`` may hold ``notes`` ({critere id: {"score":
    int or None, "commentaire": str}}), ``niveau_propose``, ``mentions_proposees`` (ids),
    ``commentaire_collectivite`` and ``note_jury``; keys left out keep their stored value.
    Returns ``Enregistre`` or ``Conflit``; raises ``Refus`` (nothing written) when the data is
    out of range, the evaluation is submitted or the phase is not « évaluation »."""
    now = now or timezone.now()
    _verifier_auteur(evaluation, by)
    reason = raison_fermee(evaluation, jury_de(evaluation))
    if reason:
        raise DejaSoumise(reason) if evaluation.state == State.SOUMISE else Refus(reason)
    criteres = {critere.pk: critere for critere in grille.criteres(evaluation.candidature.edition)}
    _verifier(evaluation, data, criteres)
    fields = {name: data[name] for name in ("niveau_propose", *TEXTES) if name in data}
    with transaction.atomic():
        current = _verrouiller(evaluation)
        if current.version != version:
            return Conflit(version=current.version, at=current.updated_at)
        Evaluation.objects.filter(pk=evaluation.pk).update(
            state=State.BROUILLON, version=version + 1, updated_at=now, **fields
        )
        notes = data.get("notes", {})
        if notes:
            Note.objects.bulk_create(
                [
                    Note(
                        evaluation=evaluation,
                        critere_id=int(critere_id),
                        score=note.get("score"),
                        commentaire=note.get("commentaire", ""),
                    )
                    for critere_id, note in notes.items()
                ],
                update_conflicts=True,
                unique_fields=["evaluation", "critere"],
                update_fields=["score", "commentaire"],
            )
        if "mentions_proposees" in data:
            evaluation.mentions_proposees.set([int(pk) for pk in data["mentions_proposees"]])
    evaluation.state, evaluation.version, evaluation.updated_at = State.BROUILLON, version + 1, now
    for name, value in fields.items():
        setattr(evaluation, name, value)
    return Enregistre(version=version + 1, at=now)


def manques(evaluation, criteres):
    """What submitting still needs, in French: the unscored criteria, the proposed level."""
    scored = set(
        Note.objects.filter(evaluation=evaluation, score__isnull=False).values_list("critere_id", flat=True)
    )
    missing = [
        _("la note de « %(critere)s »") % {"critere": critere.libelle}
        for critere in criteres
        if critere.pk not in scored
    ]
    if evaluation.niveau_propose is None:
        missing.append(_("le niveau proposé"))
    return missing


def soumettre(evaluation, by, now=None):
    """Submit the evaluation: every criterion scored and a level proposed. A second submit (a
    double click) raises ``DejaSoumise`` and changes nothing."""
    now = now or timezone.now()
    _verifier_auteur(evaluation, by)
    criteres = grille.criteres(evaluation.candidature.edition)
    with transaction.atomic():
        current = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        reason = raison_fermee(current, jury_de(evaluation))
        if current.state == State.SOUMISE:
            raise DejaSoumise
        if reason:
            raise Refus(reason)
        missing = manques(current, criteres)
        if missing:
            raise Incomplete(missing)
        updated = _ouverte(evaluation).update(
            state=State.SOUMISE, submitted_at=now, updated_at=now, version=F("version") + 1
        )
        if not updated:
            raise DejaSoumise
    evaluation.refresh_from_db()
    return evaluation


def rouvrir(evaluation, by, now=None):
    """Back to a draft, while the jury's phase is « évaluation ». When the jury shows the others'
    scores to who submitted, and another juror's submitted evaluation of the dossier exists,
    the juror may have read it: ``rouverte_apres_consultation`` records it for the president
    (it is never cleared)."""
    now = now or timezone.now()
    _verifier_auteur(evaluation, by)
    jury = jury_de(evaluation)
    consultee = (
        jury.notes_visibles_apres_soumission
        and Evaluation.objects.filter(candidature_id=evaluation.candidature_id, state=State.SOUMISE)
        .exclude(pk=evaluation.pk)
        .exists()
    )
    fields = {"rouverte_apres_consultation": True} if consultee else {}
    updated = Evaluation.objects.filter(
        pk=evaluation.pk,
        state=State.SOUMISE,
        candidature__edition__jury__phase=Jury.Phase.EVALUATION,
    ).update(state=State.BROUILLON, submitted_at=None, updated_at=now, version=F("version") + 1, **fields)
    if not updated:
        current = Evaluation.objects.get(pk=evaluation.pk)
        if current.state != State.SOUMISE:
            raise Refus(_("Cette évaluation n'est pas soumise : elle est déjà modifiable."))
        raise Refus(raison_fermee(current, jury))
    evaluation.refresh_from_db()
    return evaluation


def a_evaluer(jure):
    """The juror's evaluations of submitted dossiers with their number of scored criteria,
    oldest dossier first, less those in conflict, and how many were left out: five queries."""
    evaluations = list(
        Evaluation.objects.filter(jure=jure, candidature__state=Candidature.State.DEPOSEE)
        .select_related("candidature__collectivite__departement", "candidature__collectivite__region")
        .annotate(notees=Count("notes", filter=Q(notes__score__isnull=False)))
        .order_by(F("candidature__submitted_at").asc(nulls_last=True), "pk")
    )
    en_conflit = conflits.conflits([jure], [e.candidature for e in evaluations])[jure.pk]
    return [e for e in evaluations if e.candidature_id not in en_conflit], len(en_conflit)


def suivante(jure):
    """The oldest unfinished evaluation of the juror that is not in conflict, or None."""
    evaluations, _en_conflit = a_evaluer(jure)
    return next(
        (e for e in evaluations if e.state != State.SOUMISE),
        None,
    )
