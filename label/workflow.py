"""State changes of a candidature: one door, history rows, side effects after commit."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .dossier import edition_closed_reason
from .models import Candidature, CandidatureTransition, Edition, Mention, Question

State = Candidature.State

ALLOWED = {
    State.BROUILLON: {State.DEPOSEE, State.RETIREE},
    State.DEPOSEE: {State.BROUILLON, State.RETIREE},  # reopened by a référent until closing
    State.RETIREE: {State.BROUILLON},
}


class TransitionError(ValueError):
    pass


def set_candidature_state(candidature, to_state, by, now=None, on_commit=None):
    """Move the candidature from its current state to ``to_state`` while the edition is open.

    The UPDATE is conditional on the state read: a double click, or two members at once,
    moves it once; the second call raises TransitionError. ``on_commit`` (a callable taking
    the candidature) runs after the transaction commits, e.g. to queue e-mails.
    """
    now = now or timezone.now()
    from_state = candidature.state
    if to_state not in ALLOWED[from_state]:
        raise TransitionError(
            _("Une candidature « %(from)s » ne peut pas passer à « %(to)s ».")
            % {"from": State(from_state).label, "to": State(to_state).label}
        )
    reason = edition_closed_reason(candidature.edition, now)
    if reason:
        raise TransitionError(reason)
    with transaction.atomic():
        changes = {"state": to_state, "updated_by": by, "updated_at": now}
        if to_state == State.DEPOSEE:
            changes["submitted_at"] = now
        moved = Candidature.objects.filter(pk=candidature.pk, state=from_state).update(
            version=F("version") + 1, **changes
        )
        if not moved:
            raise TransitionError(_("Cette candidature vient de changer d'état : rechargez la page."))
        CandidatureTransition.objects.create(
            candidature=candidature, from_state=from_state, to_state=to_state, by=by, at=now
        )
        for name, value in changes.items():
            setattr(candidature, name, value)
        candidature.version = Candidature.objects.values_list("version", flat=True).get(pk=candidature.pk)
        if on_commit:
            transaction.on_commit(lambda: on_commit(candidature), robust=True)
    return candidature


# --- Editions ---------------------------------------------------------------------------------

EDITION_ALLOWED = {
    Edition.State.PREPARATION: {Edition.State.OUVERTE},
    Edition.State.OUVERTE: {Edition.State.CLOSE},
    Edition.State.CLOSE: {Edition.State.OUVERTE},  # reopened by staff, e.g. to extend the deadline
}


@transaction.atomic
def set_edition_state(edition, to_state):
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if to_state not in EDITION_ALLOWED[edition.state]:
        raise TransitionError(
            _("Une édition « %(from)s » ne peut pas passer à « %(to)s ».")
            % {"from": edition.get_state_display(), "to": Edition.State(to_state).label}
        )
    if to_state == Edition.State.OUVERTE:
        other = Edition.objects.filter(state=Edition.State.OUVERTE).exclude(pk=edition.pk).first()
        if other:
            raise TransitionError(_("Le %(other)s est encore ouvert : closez-le d'abord.") % {"other": other})
    edition.state = to_state
    edition.save(update_fields=["state"])
    return edition


def _next_year(value, years=1):
    if value is None:
        return None
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February
        return value.replace(year=value.year + years, day=28)


@transaction.atomic
def copy_edition(previous):
    """Prepare next year's edition from ``previous``: calendar shifted by one year, same
    threshold, membership note, mentions and questionnaire. The copy is en préparation."""
    edition = Edition.objects.create(
        annee=previous.annee + 1,
        numero=previous.numero + 1,
        ouverture=_next_year(previous.ouverture),
        cloture=_next_year(previous.cloture),
        jury_date=_next_year(previous.jury_date),
        ceremonie_date=_next_year(previous.ceremonie_date),
        publication_at=_next_year(previous.publication_at),
        seuil_village=previous.seuil_village,
        note_adhesion=previous.note_adhesion,
    )
    Mention.objects.bulk_create(
        Mention(edition=edition, nom=m.nom, description=m.description, ordre=m.ordre)
        for m in previous.mentions.all()
    )
    for section in previous.sections.prefetch_related("questions"):
        questions = list(section.questions.all())
        section.pk = None
        section.edition = edition
        section.save()
        for question in questions:
            question.pk = None
            question.section = section
        Question.objects.bulk_create(questions)
    return edition
