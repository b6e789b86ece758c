from django.db.models import Count, Q, Sum

from .models import Collectivite, Enjeu, Service


def key_figures():
    """Figures of the referential shown on the home page (two queries)."""
    figures = Collectivite.objects.actives().aggregate(
        communes=Count("pk", filter=Q(nature=Collectivite.Nature.COMMUNE)),
        epcis=Count("pk", filter=Q(nature=Collectivite.Nature.EPCI)),
        habitants=Sum("population", filter=Q(nature=Collectivite.Nature.COMMUNE), default=0),
    )
    figures["enjeux"] = Enjeu.objects.count()
    figures["services"] = Service.objects.filter(actif=True).count()
    return figures


def collectivite_detail(code):
    """The collectivité with what its page shows, or None."""
    return Collectivite.objects.select_related("departement", "region", "epci").filter(code=code).first()
