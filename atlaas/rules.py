"""Permission predicates of the directory: who acts for which collectivité."""

from django.http import Http404

from .models import Collectivite, Membership


def active_membership(user, collectivite):
    """The user's active membership of the collectivité, or None."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, collectivite=collectivite, state=Membership.State.ACTIVE)
        .select_related("collectivite")
        .first()
    )


def is_member(user, collectivite):
    return active_membership(user, collectivite) is not None


def is_referent(user, collectivite):
    membership = active_membership(user, collectivite)
    return membership is not None and membership.role == Membership.Role.REFERENT


def member_collectivites(user):
    """The collectivités the user acts for (active memberships)."""
    if not user.is_authenticated:
        return Collectivite.objects.none()
    return Collectivite.objects.filter(
        memberships__user=user, memberships__state=Membership.State.ACTIVE
    ).order_by("nom")


def membership_or_404(user, code, *, referent=False):
    """The user's active membership of the collectivité with this code; 404 otherwise, so that
    another collectivité's pages never reveal that they exist."""
    membership = (
        Membership.objects.filter(user=user, collectivite__code=code, state=Membership.State.ACTIVE)
        .select_related("collectivite__departement")
        .first()
        if user.is_authenticated
        else None
    )
    if membership is None or (referent and membership.role != Membership.Role.REFERENT):
        raise Http404
    return membership
