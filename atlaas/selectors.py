import datetime

from django.core.cache import cache
from django.db.models import CharField, Count, F, Func, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from .catalogue import condition_type, recherche
from .francais import normaliser_nom, sans_accents
from .models import Collectivite, Enjeu, FicheAction, FicheTransition, Membership, Service

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


# The orders of the moderation queue: (its query string value, the fields it sorts by).
TRIS_MODERATION = {
    "anciennes": ("submitted_at", "pk"),
    "recentes": ("-submitted_at", "-pk"),
    "collectivite": ("collectivite__nom", "collectivite__code", "submitted_at", "pk"),
}


def _submissions():
    """Each fiche's latest move to « soumise »: its time and author."""
    return FicheTransition.objects.filter(fiche=OuterRef("pk"), to_state=FicheAction.State.SOUMISE).order_by(
        "-at", "-pk"
    )


def file_de_moderation(
    *, q="", demande="", region=None, departement=None, type_collectivite="", depuis=None, tri=""
):
    """The submitted fiches, with ``submitted_at`` and ``submitted_by_id`` (their latest
    submission; before the history was kept, their last change), in one query whatever their
    number. ``q``: each of its words in the title or the collectivité's name; ``demande``:
    « nouvelles » or « modifications »; ``depuis``: submitted on that day or later."""
    fiches = (
        FicheAction.objects.filter(state=FicheAction.State.SOUMISE)
        .select_related("collectivite__departement")
        .annotate(
            submitted_at=Coalesce(Subquery(_submissions().values("at")[:1]), "updated_at"),
            submitted_by_id=Subquery(_submissions().values("by")[:1]),
        )
    )
    if q.split():
        # unaccent(): PostgreSQL's extension (migration 0003), on SQLite atlaas.apps.unaccent_sqlite
        fiches = fiches.annotate(
            titre_sans_accents=Func(F("titre"), function="unaccent", output_field=CharField())
        )
        for mot in q.split():
            trouve = Q(titre_sans_accents__icontains=sans_accents(mot))
            if cle := normaliser_nom(mot):
                trouve |= Q(collectivite__nom_normalise__contains=cle)
            fiches = fiches.filter(trouve)
    if demande == "nouvelles":
        fiches = fiches.filter(revision_of__isnull=True)
    elif demande == "modifications":
        fiches = fiches.filter(revision_of__isnull=False)
    if region:
        fiches = fiches.filter(collectivite__region=region)
    if departement:
        fiches = fiches.filter(collectivite__departement=departement)
    if type_collectivite:
        fiches = fiches.filter(**condition_type(type_collectivite, vers="collectivite__"))
    if depuis:
        debut = timezone.make_aware(datetime.datetime.combine(depuis, datetime.time.min))
        fiches = fiches.filter(submitted_at__gte=debut)
    return fiches.order_by(*TRIS_MODERATION.get(tri, TRIS_MODERATION["anciennes"]))
