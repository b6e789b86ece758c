import datetime

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone

from .models import Collectivite, Enjeu, FicheAction, Service


def key_figures():
    """Figures of the referential and the Atlaas shown on the home page (four queries)."""
    figures = Collectivite.objects.actives().aggregate(
        communes=Count("pk", filter=Q(nature=Collectivite.Nature.COMMUNE)),
        epcis=Count("pk", filter=Q(nature=Collectivite.Nature.EPCI)),
        habitants=Sum("population", filter=Q(nature=Collectivite.Nature.COMMUNE), default=0),
    )
    figures["fiches"] = FicheAction.objects.published().count()
    figures["enjeux"] = Enjeu.objects.count()
    figures["services"] = Service.objects.filter(actif=True).count()
    return figures


def collectivite_detail(code):
    """The collectivité with what its page shows, or None."""
    return Collectivite.objects.select_related("departement", "region", "epci").filter(code=code).first()


def fiches_for_candidature(collectivite, closing_date):
    """All the collectivité's fiches (originals, whatever their moderation state), services and
    their enjeu prefetched, each with ``.ineligibility``: None when the fiche counts for an edition
    closing on ``closing_date`` (a date, or an aware datetime read in Europe/Paris), otherwise
    the reason (FicheAction.ineligibility_reason). Two queries."""
    if isinstance(closing_date, datetime.datetime):
        closing_date = timezone.localdate(closing_date)
    fiches = list(
        FicheAction.objects.originals()
        .filter(collectivite=collectivite)
        .prefetch_related(Prefetch("services", queryset=Service.objects.select_related("enjeu")))
        .order_by("-date_debut", "titre", "pk")
    )
    for fiche in fiches:
        fiche.ineligibility = fiche.ineligibility_reason(closing_date)
    return fiches
