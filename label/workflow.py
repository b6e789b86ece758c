"""State changes of a candidature: one door, history rows, side effects after commit."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Candidature, CandidatureTransition

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
    if not candidature.edition.is_open(now):
        raise TransitionError(
            _("Les candidatures sont closes depuis le %(date)s.")
            % {"date": timezone.localtime(candidature.edition.cloture).strftime("%d/%m/%Y à %H:%M")}
        )
    with transaction.atomic():
        changes = {"state": to_state, "version": candidature.version + 1, "updated_by": by, "updated_at": now}
        if to_state == State.DEPOSEE:
            changes["submitted_at"] = now
        moved = Candidature.objects.filter(pk=candidature.pk, state=from_state).update(**changes)
        if not moved:
            raise TransitionError(_("Cette candidature vient de changer d'état : rechargez la page."))
        CandidatureTransition.objects.create(
            candidature=candidature, from_state=from_state, to_state=to_state, by=by, at=now
        )
        for name, value in changes.items():
            setattr(candidature, name, value)
        if on_commit:
            transaction.on_commit(lambda: on_commit(candidature), robust=True)
    return candidature
