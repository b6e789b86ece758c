"""A published fiche's public page, the reveal of its contacts' addresses and its files.

Only published originals are public (``FicheAction.objects.published()``): drafts, fiches in
moderation or sent back, and pending revisions answer 404. Contacts' addresses are never in the
page: each one is shown on request (a POST, limited per client IP) so that harvesters get none.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Window
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from atlaas import catalogue, limites
from atlaas.models import ContactFiche, FicheAction, FichierFiche, Service
from atlaas.uploads import file_response
from villes_internet import pages

AUTRES = 6  # other actions of the collectivité shown
REVELATIONS_PAR_HEURE = 20  # addresses shown per client IP and hour
PAGE_SECONDES = 3600  # a fiche's page kept for anonymous visitors (villes_internet.pages)


def _fiche_publiee_or_404(pk):
    fiches = (
        FicheAction.objects.published()
        .select_related("collectivite__departement", "collectivite__region")
        .prefetch_related(Prefetch("services", Service.objects.select_related("enjeu__categorie")))
        .defer("search_vector")
    )
    return get_object_or_404(fiches, pk=pk)


def _type_collectivite(collectivite):
    return catalogue.TYPES[catalogue.type_de(collectivite)]


def _autres_actions(fiche):
    """Up to ``AUTRES`` other published fiches of the collectivité, newest first, each with the
    number of them all (``total``, one query whatever their number)."""
    return list(
        FicheAction.objects.published()
        .filter(collectivite_id=fiche.collectivite_id)
        .exclude(pk=fiche.pk)
        .annotate(total=Window(Count("pk")))
        .only("pk", "titre", "published_at")
        .order_by("-published_at", "-pk")[:AUTRES]
    )


def _render_fiche(request, fiche, revele=None, limite=None, status=200):
    """The page; ``revele`` is the contact whose address was asked for (shown in place of its
    button), ``limite`` the contact whose request went over the limit."""
    services = list(fiche.services.all())
    fichiers = list(fiche.fichiers.all())
    autres = _autres_actions(fiche)
    collectivite = fiche.collectivite
    return render(
        request,
        "atlaas/publication/fiche.html",
        {
            "fiche": fiche,
            "collectivite": collectivite,
            "type_collectivite": _type_collectivite(collectivite),
            "services": services,
            "premier_service": services[0] if services else None,
            # Name and function only: the address is never in the page unless asked for.
            "contacts": list(fiche.contacts.only("pk", "fiche_id", "nom", "fonction")),
            "revele": revele,
            "limite": limite,
            "photos": [f for f in fichiers if f.is_image],
            "documents": [f for f in fichiers if not f.is_image],
            "autres": autres,
            "autres_total": autres[0].total if autres else 0,
            "toutes_ses_actions": f"{reverse('atlaas:catalogue')}?collectivite={fiche.collectivite.code}",
            "similaires": catalogue.similaires(fiche, [s.pk for s in services]),
        },
        status=status,
    )


@require_safe
@pages.en_cache(PAGE_SECONDES)
def fiche(request, pk):
    return _render_fiche(request, _fiche_publiee_or_404(pk))


@csrf_exempt
@require_POST
def contact(request, pk, contact_id):
    """Show one contact's address: a fragment for htmx, the whole page without JavaScript.
    The request's origin is checked instead of a CSRF token: the page that holds the button is
    the same for every anonymous visitor, kept in the cache (``villes_internet.pages``), and the
    reveal acts for nobody (it is limited per client IP)."""
    if not pages.meme_site(request):
        raise PermissionDenied
    personne = get_object_or_404(
        ContactFiche.objects.filter(fiche__in=FicheAction.objects.published()), pk=contact_id, fiche_id=pk
    )
    limite = limites.au_dela(request, "atlaas:contacts:", REVELATIONS_PAR_HEURE)
    status = 429 if limite else 200
    if request.htmx:
        context = {"contact": personne, "limite": limite}
        response = render(request, "atlaas/publication/_contact_email.html", context, status=status)
    elif limite:
        response = _render_fiche(request, _fiche_publiee_or_404(pk), limite=personne, status=status)
    else:
        response = _render_fiche(request, _fiche_publiee_or_404(pk), revele=personne)
    patch_cache_control(response, private=True, no_store=True)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def fichier(request, pk, file_id):
    """A photo (inline) or a document (download) of a published fiche."""
    fichier = get_object_or_404(
        FichierFiche.objects.filter(fiche__in=FicheAction.objects.published()), pk=file_id, fiche_id=pk
    )
    response = file_response(fichier, inline=fichier.is_image)
    patch_cache_control(response, public=True, max_age=86400)
    return response
