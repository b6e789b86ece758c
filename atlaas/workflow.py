"""State changes of the directory: memberships and the moderation of fiches.

One door per status change: each function checks the move, saves, records who/when and
queues its e-mails after commit.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import FicheAction, FicheTransition, Membership

State = FicheAction.State

# from → allowed targets
ALLOWED = {
    State.BROUILLON: {State.SOUMISE},
    State.A_CORRIGER: {State.SOUMISE},
    State.SOUMISE: {State.PUBLIEE, State.A_CORRIGER, State.BROUILLON},
    State.PUBLIEE: set(),  # a published fiche changes through a revision
}


class TransitionError(ValueError):
    pass


@transaction.atomic
def set_fiche_state(fiche, to_state, by, message=""):
    """Move a fiche (or a revision) to ``to_state``; publishing a revision copies it over the
    published fiche and removes the revision. Returns the fiche that is now current."""
    fiche = FicheAction.objects.select_for_update().get(pk=fiche.pk)
    if to_state not in ALLOWED[fiche.state]:
        raise TransitionError(
            _("Une fiche « %(from)s » ne peut pas passer à « %(to)s ».")
            % {"from": fiche.get_state_display(), "to": State(to_state).label}
        )
    from_state = fiche.state
    if to_state == State.PUBLIEE and fiche.revision_of_id:
        return _publish_revision(fiche, by)
    fiche.state = to_state
    fiche.moderation_message = message if to_state == State.A_CORRIGER else ""
    if to_state == State.PUBLIEE:
        fiche.published_at = timezone.now()
    fiche.save()
    FicheTransition.objects.create(
        fiche=fiche, from_state=from_state, to_state=to_state, by=by, message=message
    )
    return fiche


def _publish_revision(revision, by):
    published = FicheAction.objects.select_for_update().get(pk=revision.revision_of_id)
    for name in FicheAction.CONTENT_FIELDS:
        setattr(published, name, getattr(revision, name))
    published.published_at = timezone.now()
    published.moderation_message = ""
    published.save()
    published.services.set(revision.services.all())
    published.contacts.all().delete()
    revision.contacts.update(fiche=published)
    published.fichiers.all().delete()
    revision.fichiers.update(fiche=published)
    FicheTransition.objects.create(
        fiche=published,
        from_state=State.PUBLIEE,
        to_state=State.PUBLIEE,
        by=by,
        message=_("Modification publiée."),
    )
    revision.delete()
    return published


@transaction.atomic
def revision_for_edit(fiche, by):
    """The row a member edits: the fiche itself, or for a published fiche its revision
    (created on first use as a copy), so that the published text stays online meanwhile."""
    if fiche.state != State.PUBLIEE or fiche.revision_of_id:
        return fiche
    existing = FicheAction.objects.filter(revision_of=fiche).first()
    if existing:
        return existing
    revision = FicheAction(collectivite=fiche.collectivite, revision_of=fiche, created_by=by)
    for name in FicheAction.CONTENT_FIELDS:
        setattr(revision, name, getattr(fiche, name))
    revision.save()
    revision.services.set(fiche.services.all())
    for contact in fiche.contacts.all():
        contact.pk = None
        contact.fiche = revision
        contact.save()
    for fichier in fiche.fichiers.all():
        fichier.pk = None
        fichier.fiche = revision
        fichier.save()
    return revision


@transaction.atomic
def approve_membership(membership, by):
    """A pending request becomes active (staff for a first référent, a référent otherwise)."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.state == Membership.State.ACTIVE:
        return membership
    if (
        not by.is_staff
        and not Membership.objects.filter(
            user=by,
            collectivite=membership.collectivite,
            role=Membership.Role.REFERENT,
            state=Membership.State.ACTIVE,
        ).exists()
    ):
        raise PermissionDenied
    membership.state = Membership.State.ACTIVE
    membership.approved_by = by
    membership.approved_at = timezone.now()
    membership.save()
    return membership
