"""The Atlaas's read-only JSON API, described by ``atlaas.openapi`` (served at /api/openapi.json).

Only published originals leave through here: the fiches come from ``catalogue`` or
``FicheAction.objects.published()``. Every answer is JSON, errors included: a parameter that is
not valid answers 400 with its messages, ``{"erreurs": {"page": ["…"]}}``; what does not exist
(a fiche, a collectivité, a page past the last) answers 404 ``{"erreur": "…"}``, and so does, by
``atlaas.middleware.ErreursApi``, any /api/ address that no view answers. The links in an answer
are built on the request's own address (scheme, host, port), which ``ALLOWED_HOSTS`` vouches for.
"""

import functools
import re

from django.db.models import Count, Prefetch, Q
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt

from atlaas import catalogue, search, selectors
from atlaas import openapi as specification
from atlaas.forms import CODE_COLLECTIVITE, CollectivitesForm, FichesForm
from atlaas.models import Collectivite, FicheAction, Service


def absolue(request, path):
    """``path`` on the address the request came to: a client that reached the API on a host
    and a port follows links on that host and port."""
    return request.build_absolute_uri(path)


def _iso(value):
    return value.isoformat() if value else None


def reponse(data, status=200):
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def erreurs(messages_par_parametre):
    """400 with the messages of each invalid parameter: {"erreurs": {"page": ["…"]}}."""
    return reponse(
        {"erreurs": {nom: [str(m) for m in messages] for nom, messages in messages_par_parametre.items()}},
        400,
    )


def erreur(message, status):
    """Any other error: {"erreur": "…"}."""
    return reponse({"erreur": str(message)}, status)


def non_autorisee():
    response = erreur(_("Méthode non autorisée : l'API est en lecture seule."), 405)
    response["Allow"] = "GET, HEAD"
    return response


def api(view):
    """A read-only endpoint of the public API: GET (and HEAD) only, any origin, cached five
    minutes by browsers and proxies. Nothing here changes anything, hence no CSRF check: a POST
    gets its 405 rather than a 403."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method in ("GET", "HEAD"):
            response = view(request, *args, **kwargs)
            response["Cache-Control"] = "public, max-age=300"
        else:
            response = non_autorisee()
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper


def _page_trop_loin(page, pages):
    """A page past the last one is not there: 404, with the number of pages there are."""
    message = ngettext(
        "La page %(page)s n'existe pas : il y a %(pages)s page en tout.",
        "La page %(page)s n'existe pas : il y a %(pages)s pages en tout.",
        pages,
    ) % {"page": page, "pages": pages}
    return erreur(message, 404)


def _lien_page(request, page):
    params = request.GET.copy()
    params["page"] = page
    return absolue(request, f"{request.path}?{params.urlencode()}")


def _page(request, total, page, pages, par_page, resultats, **autres):
    return reponse(
        {
            "total": total,
            **autres,
            "page": page,
            "pages": pages,
            "par_page": par_page,
            "suivante": _lien_page(request, page + 1) if page < pages else None,
            "precedente": _lien_page(request, page - 1) if page > 1 else None,
            "resultats": resultats,
        }
    )


def _code_nom(objet):
    return {"code": objet.code, "nom": objet.nom} if objet is not None else None


def _slug_nom(objet):
    return {"slug": objet.slug, "nom": objet.nom}


def _fiche(request, fiche):
    """A fiche as the API lists it (collectivité, départements, région and services loaded)."""
    collectivite = fiche.collectivite
    return {
        "id": fiche.pk,
        "url": absolue(request, reverse("atlaas:fiche_publique", args=[fiche.pk])),
        "api_url": absolue(request, reverse("atlaas:api_fiche", args=[fiche.pk])),
        "titre": fiche.titre,
        "resume": fiche.sous_titre,
        "collectivite": {
            "code": collectivite.code,
            "nom": collectivite.nom,
            "type": catalogue.type_de(collectivite),
            "departement": _code_nom(collectivite.departement),
            "region": _code_nom(collectivite.region),
            "niveau": collectivite.niveau,
            "url": absolue(request, collectivite.get_absolute_url()),
            "api_url": absolue(request, reverse("atlaas:api_collectivite", args=[collectivite.code])),
        },
        "services": [
            {
                "slug": service.slug,
                "nom": service.nom,
                "enjeu": _slug_nom(service.enjeu),
                "categorie": _slug_nom(service.enjeu.categorie),
            }
            for service in fiche.services.all()  # prefetched with their enjeu and catégorie
        ],
        "date_debut": _iso(fiche.date_debut),
        "date_fin": _iso(fiche.date_fin),
        "en_cours": fiche.en_cours,
        "publiee_le": _iso(fiche.published_at),
    }


@api
def api_index(request):
    def lien(name):
        return absolue(request, reverse(name))

    return reponse(
        {
            "nom": _("API de l'Atlaas — Villes Internet"),
            "description": _(
                "Les fiches actions publiées et le référentiel des collectivités, en lecture seule."
            ),
            "liens": {
                "fiches": lien("atlaas:api_fiches"),
                "collectivites": lien("atlaas:api_collectivites"),
                "openapi": lien("atlaas:api_openapi"),
                "export_csv": lien("atlaas:catalogue_csv"),
                "flux_atom": lien("atlaas:flux"),
            },
        }
    )


@api
def openapi(request):
    return reponse(specification.document(absolue(request, "/").rstrip("/")))


def _collectivite_introuvable():
    return erreur(_("Aucune collectivité ne porte ce code INSEE ou ce SIREN."), 404)


@api
def api_fiches(request):
    form = FichesForm(request.GET)
    if not form.is_valid():
        return erreurs(form.errors)
    filtres = form.filtres()
    if "collectivite" in filtres:
        filtres["collectivite"] = Collectivite.objects.filter(code=filtres["collectivite"]).first()
        if filtres["collectivite"] is None:
            return _collectivite_introuvable()
    par_page = filtres.pop("par_page", catalogue.PAR_PAGE)
    demandee = filtres.get("page", 1)
    resultats = catalogue.rechercher(filtres, demandee, par_page=par_page)
    if demandee > resultats.pages:
        return _page_trop_loin(demandee, resultats.pages)
    return _page(
        request,
        resultats.total,
        resultats.page,
        resultats.pages,
        par_page,
        [_fiche(request, fiche) for fiche in resultats.fiches],
        total_exact=not resultats.plafonne,
    )


@api
def api_fiche(request, pk):
    fiche = (
        FicheAction.objects.published()
        .select_related("collectivite__departement", "collectivite__region")
        .prefetch_related(
            Prefetch("services", Service.objects.select_related("enjeu__categorie")), "contacts"
        )
        .defer("search_vector")
        .filter(pk=pk)
        .first()
    )
    if fiche is None:
        return erreur(_("Aucune fiche action publiée ne porte ce numéro."), 404)
    return reponse(
        {
            **_fiche(request, fiche),
            "description": fiche.description,
            "synthese": fiche.synthese,
            "resultats": fiche.resultats,
            "recommandations": fiche.recommandations,
            "outils": fiche.outils,
            "partenaires": fiche.partenaires,
            "liens": [lien["url"] for lien in fiche.liste_liens()],
            "public_cible": fiche.public_cible,
            "budget": fiche.budget,
            # Names and functions only: the addresses are reached through the public page's form.
            "contacts": [{"nom": c.nom, "fonction": c.fonction} for c in fiche.contacts.all()],
        }
    )


def _collectivites(filtres):
    """The active collectivités matching ``filtres`` (``CollectivitesForm``), in order."""
    qs = Collectivite.objects.actives()
    if "type" in filtres:
        qs = qs.filter(**catalogue.condition_type(filtres["type"]))
    for nom in ("departement", "region", "niveau"):
        if nom in filtres:
            qs = qs.filter(**{nom: filtres[nom]})
    if "q" in filtres:
        found = search.filtrer_collectivites(qs, filtres["q"])
        return qs.none() if found is None else found
    return qs.order_by("nom", "code")


def _avec_details(qs):
    """With what an item shows, and its number of published fiches counted in the same query."""
    publiees = Q(fiches__state=FicheAction.State.PUBLIEE, fiches__revision_of__isnull=True)
    return qs.select_related("departement", "region", "epci").annotate(
        fiches_publiees=Count("fiches", filter=publiees)
    )


def _collectivite(request, collectivite):
    return {
        "code": collectivite.code,
        "siren": collectivite.siren,
        "nom": collectivite.nom,
        "nature": collectivite.nature,
        "type": catalogue.type_de(collectivite),
        "type_epci": collectivite.type_epci,
        "departement": _code_nom(collectivite.departement),
        "region": _code_nom(collectivite.region),
        "population": collectivite.population,
        "niveau": collectivite.niveau,
        "niveau_millesime": collectivite.niveau_millesime,
        "epci": collectivite.epci.code if collectivite.epci_id else None,
        "active": collectivite.active,
        "url": absolue(request, collectivite.get_absolute_url()),
        "api_url": absolue(request, reverse("atlaas:api_collectivite", args=[collectivite.code])),
        "fiches_publiees": collectivite.fiches_publiees,
    }


@api
def api_collectivites(request):
    form = CollectivitesForm(request.GET)
    if not form.is_valid():
        return erreurs(form.errors)
    filtres = {nom: valeur for nom, valeur in form.cleaned_data.items() if valeur not in (None, "")}
    page, par_page = filtres.pop("page", 1), filtres.pop("par_page", catalogue.PAR_PAGE)
    qs = _collectivites(filtres)
    total = qs.count()
    pages = max(1, -(-total // par_page))
    if page > pages:
        return _page_trop_loin(page, pages)
    debut = (page - 1) * par_page
    collectivites = _avec_details(qs)[debut : debut + par_page]
    return _page(request, total, page, pages, par_page, [_collectivite(request, c) for c in collectivites])


@api
def api_collectivite(request, code):
    # A code no collectivité can have is not looked for (nor sent to the database as it is).
    collectivite = selectors.collectivite_detail(code) if re.fullmatch(CODE_COLLECTIVITE, code) else None
    if collectivite is None:
        return _collectivite_introuvable()
    collectivite.fiches_publiees = collectivite.fiches.published().count()
    data = _collectivite(request, collectivite)
    if collectivite.is_epci:
        data["membres"] = list(collectivite.membres.actives().order_by("code").values_list("code", flat=True))
    return reponse(data)
