"""State changes of the directory: memberships and the moderation of fiches.

One door per status change: each function checks the move, saves, records who/when and
queues its e-mails after commit.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import catalogue, notifications
from .models import FicheAction, FicheTransition, Invitation, Membership

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
            _("Une fiche « %(from)s » ne peut pas passer à « %(to)s ».")
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
    if to_state == State.PUBLIEE:
        catalogue.indexer([fiche.pk])
    FicheTransition.objects.create(
        fiche=fiche, from_state=from_state, to_state=to_state, by=by, message=message
    )
    if to_state == State.PUBLIEE:
        notifications.notify_fiche_members(fiche, "fiche_publiee")
    elif to_state == State.A_CORRIGER:
        notifications.notify_fiche_members(fiche, "fiche_a_corriger", message=message)
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
    kept = set(revision.fichiers.values_list("fichier", flat=True))
    for old in published.fichiers.exclude(fichier__in=kept):
        name, storage = old.fichier.name, old.fichier.storage
        transaction.on_commit(lambda n=name, s=storage: s.delete(n), robust=True)
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
    catalogue.indexer([published.pk])
    notifications.notify_fiche_members(published, "fiche_publiee")
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
    if not _can_manage(by, membership.collectivite):
        raise PermissionDenied
    membership.state = Membership.State.ACTIVE
    membership.approved_by = by
    membership.approved_at = timezone.now()
    membership.save()
    notifications.notify_membership_approved(membership)
    return membership


# --- Memberships and invitations (one function per change) ----------------------------------

INVITATION_DAYS = 14
Role = Membership.Role
MState = Membership.State


class LastReferentError(ValueError):
    pass


class InvitationError(ValueError):
    pass


def _active_referent_emails(collectivite):
    return list(
        Membership.objects.filter(
            collectivite=collectivite, role=Role.REFERENT, state=MState.ACTIVE
        ).values_list("user__email", flat=True)
    )


@transaction.atomic
def request_membership(user, collectivite, role, fonction="", message=""):
    """A pending request to join; the collectivité's référents are told (staff approve the
    first référent from the admin). Returns ``(membership, created)``; a second request for the
    same collectivité returns the existing row."""
    existing = Membership.objects.filter(user=user, collectivite=collectivite).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                user=user, collectivite=collectivite, role=role, fonction=fonction, message=message
            )
    except IntegrityError:  # a double click: the other request created it
        return Membership.objects.get(user=user, collectivite=collectivite), False
    referents = _active_referent_emails(collectivite)
    if referents:
        notifications.notify_membership_requested(membership, referents)
    else:  # no référent yet: the association's team approves
        notifications.notify_staff_of_request(membership)
    return membership, True


def _can_manage(user, collectivite):
    return (
        user.is_staff
        or Membership.objects.filter(
            user=user, collectivite=collectivite, role=Role.REFERENT, state=MState.ACTIVE
        ).exists()
    )


@transaction.atomic
def refuse_membership(membership, by):
    """A pending request is refused: the row is deleted and its author told."""
    membership = (
        Membership.objects.select_for_update()
        .select_related("user", "collectivite")
        .filter(pk=membership.pk, state=MState.PENDING)
        .first()
    )
    if membership is None:
        return None
    if not _can_manage(by, membership.collectivite):
        raise PermissionDenied
    membership.delete()
    notifications.notify_membership_refused(membership)
    return membership


def _lock_referents(collectivite):
    """The pks of the active référents, rows locked so that two référents cannot both step down."""
    return list(
        Membership.objects.select_for_update()
        .filter(collectivite=collectivite, role=Role.REFERENT, state=MState.ACTIVE)
        .values_list("pk", flat=True)
    )


@transaction.atomic
def change_role(membership, role, by):
    if not _can_manage(by, membership.collectivite):
        raise PermissionDenied
    referents = _lock_referents(membership.collectivite)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if role != Role.REFERENT and referents == [membership.pk]:
        raise LastReferentError(_("La collectivité doit garder au moins un référent."))
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_membership(membership, by):
    """A référent removes a member, or a member leaves. The last référent may leave too (nobody
    is held in a collectivité): the team is told that it has no référent any more, and approves
    the next one as it approves a first référent; nobody else removes the last référent."""
    leaving = by.pk == membership.user_id
    if not leaving and not _can_manage(by, membership.collectivite):
        raise PermissionDenied
    last = _lock_referents(membership.collectivite) == [membership.pk]
    if last and not leaving:
        raise LastReferentError(_("La collectivité doit garder au moins un référent."))
    membership.delete()
    if last:
        notifications.notify_staff_without_referent(membership.collectivite)


def leave_all(user):
    """The account goes: every membership of ``user`` ends as if they left (the team told of the
    collectivités they were the last référent of). Returns the collectivités left."""
    memberships = list(Membership.objects.filter(user=user).select_related("collectivite"))
    for membership in memberships:
        remove_membership(membership, user)
    return [m.collectivite for m in memberships]


def last_referent_of(user):
    """The active memberships of ``user`` that are the only référent of their collectivité."""
    mine = Membership.objects.filter(user=user, role=Role.REFERENT, state=MState.ACTIVE)
    referents = Membership.objects.filter(role=Role.REFERENT, state=MState.ACTIVE)
    return [
        m
        for m in mine.select_related("collectivite")
        if not referents.filter(collectivite=m.collectivite_id).exclude(pk=m.pk).exists()
    ]


def invite(collectivite, email, role, by):
    invitation = Invitation.objects.create(
        collectivite=collectivite,
        email=email,
        role=role,
        invited_by=by,
        expires_at=timezone.now() + datetime.timedelta(days=INVITATION_DAYS),
    )
    notifications.notify_invitation(invitation)
    return invitation


def invitation_status(invitation, now=None):
    if invitation.accepted_at is not None:
        return "used"
    if (now or timezone.now()) >= invitation.expires_at:
        return "expired"
    return "pending"


@transaction.atomic
def accept_invitation(invitation, user):
    """The invited person joins: a new active membership, or their pending request approved, or
    their role raised to référent when the invitation says so."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    now = timezone.now()
    status = invitation_status(invitation, now)
    if status == "used":
        raise InvitationError(_("Cette invitation a déjà été utilisée."))
    if status == "expired":
        raise InvitationError(_("Cette invitation a expiré."))
    membership, created = Membership.objects.get_or_create(
        user=user,
        collectivite_id=invitation.collectivite_id,
        defaults={
            "role": invitation.role,
            "state": MState.ACTIVE,
            "approved_at": now,
            "approved_by": invitation.invited_by,
        },
    )
    if not created:
        if membership.state == MState.PENDING:
            membership.state = MState.ACTIVE
            membership.role = invitation.role
            membership.approved_at = now
            membership.approved_by = invitation.invited_by
        elif invitation.role == Role.REFERENT:
            membership.role = Role.REFERENT
        membership.save()
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership
