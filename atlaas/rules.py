"""Permission predicates of the directory: who acts for which collectivité."""

from django.http import Http404

from .models import Membership


def active_membership(user, collectivite):
    """The user's active membership of the collectivité, or None."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, collectivite=collectivite, state=Membership.State.ACTIVE)
        .select_related("collectivite")
        .first()
    )


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


def peut_moderer(user):
    """Staff who may publish a fiche or send it back: those the admin lets change fiches."""
    return user.is_authenticated and user.is_staff and user.has_perm("atlaas.change_ficheaction")
