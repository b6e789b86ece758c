"""The member's space /espace/: collectivités, candidatures, fiches, what to do next."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.shortcuts import render

from atlaas.models import FicheAction, Membership
from label.models import Candidature, CandidatureTransition, Edition


@login_required
def dashboard(request):
    memberships = list(
        Membership.objects.filter(user=request.user)
        .select_related("collectivite", "collectivite__departement")
        .annotate(
            fiches_total=Count(
                "collectivite__fiches",
                filter=Q(collectivite__fiches__revision_of__isnull=True),
                distinct=True,
            ),
            fiches_publiees=Count(
                "collectivite__fiches",
                filter=Q(
                    collectivite__fiches__revision_of__isnull=True,
                    collectivite__fiches__state=FicheAction.State.PUBLIEE,
                ),
                distinct=True,
            ),
            fiches_soumises=Count(
                "collectivite__fiches",
                filter=Q(collectivite__fiches__state=FicheAction.State.SOUMISE),
                distinct=True,
            ),
            fiches_a_corriger=Count(
                "collectivite__fiches",
                filter=Q(collectivite__fiches__state=FicheAction.State.A_CORRIGER),
                distinct=True,
            ),
            demandes=Count(
                "collectivite__memberships",
                filter=Q(collectivite__memberships__state=Membership.State.PENDING),
                distinct=True,
            ),
        )
        .order_by("collectivite__nom")
    )
    active = [m for m in memberships if m.is_active]
    edition = Edition.objects.ouverte()
    candidatures = (
        Candidature.objects.filter(collectivite__in=[m.collectivite for m in active])
        .select_related("edition", "collectivite", "resultat")
        .prefetch_related(
            Prefetch(
                "transitions",
                queryset=CandidatureTransition.objects.select_related("by").order_by("-at"),
                to_attr="history",
            )
        )
        .order_by("-edition__annee", "collectivite__nom")
    )
    by_collectivite = {}
    for candidature in candidatures:
        # a published laureate: certificate, badge and feedback (no query: joined above)
        candidature.laureat = (
            candidature.edition.est_publiee
            and candidature.state == Candidature.State.DEPOSEE
            and hasattr(candidature, "resultat")
        )
        by_collectivite.setdefault(candidature.collectivite_id, []).append(candidature)
    for membership in active:
        membership.candidatures = by_collectivite.get(membership.collectivite_id, [])
        membership.current = next(
            (c for c in membership.candidatures if edition and c.edition_id == edition.pk), None
        )
    return render(
        request,
        "label/espace.html",
        {
            "memberships": active,
            "pending": [m for m in memberships if not m.is_active],
            "edition": edition,
            "edition_open": edition is not None and edition.is_open(),
        },
    )
