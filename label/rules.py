"""Permission predicates of the label: who sees and edits which candidature."""

from django.http import Http404

from atlaas.models import Membership

from .models import Candidature


def candidature_or_404(user, pk):
    """The candidature if the user is an active member of its collectivité; 404 otherwise, for
    anonymous users, other collectivités' members, jurors and staff alike (staff work in the
    admin), so that another collectivité's dossier never reveals that it exists."""
    if not user.is_authenticated:
        raise Http404
    candidature = (
        Candidature.objects.select_related("edition", "collectivite", "updated_by")
        .filter(
            pk=pk,
            collectivite__memberships__user=user,
            collectivite__memberships__state=Membership.State.ACTIVE,
        )
        .first()
    )
    if candidature is None:
        raise Http404
    return candidature
