from django.core.cache import cache
from django.db.models import Count, Q, Sum

from .catalogue import recherche
from .models import Collectivite, Enjeu, FicheAction, Membership, Service

CHIFFRES_EN_CACHE = 3600  # seconds; a publication changes the catalogue's version before that


def key_figures():
    """Figures of the referential and the Atlaas shown on the home page, kept in the cache
    until the catalogue's next version (a publication, a change of the taxonomy or of a
    collectivité) or for an hour: counting the published fiches costs as much as there are."""
    cle = f"accueil:chiffres:{recherche.version()}"
    figures = cache.get(cle)
    if figures is None:
        figures = _key_figures()
        cache.set(cle, figures, CHIFFRES_EN_CACHE)
    return figures


def _key_figures():
    """Four queries."""
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


def active_member_emails(collectivite_id):
    """The addresses of the collectivité's active members, for its e-mails."""
    return list(
        Membership.objects.filter(
            collectivite_id=collectivite_id, state=Membership.State.ACTIVE, user__is_active=True
        )
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
