"""Data out of the Atlaas: the catalogue as CSV (the full file, written in the background by
``catalogue.export``, or a search's results, bounded), a read-only JSON API described by
OpenAPI, an Atom feed of the latest publications. Only published originals ever leave through here: the
fiches come from ``catalogue`` or ``FicheAction.objects.published()``."""

import functools
import hashlib

from django import forms
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.http import http_date
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from atlaas import catalogue, limites, search, selectors
from atlaas import openapi as specification
from atlaas.forms import RechercheForm
from atlaas.models import Collectivite, Departement, FicheAction, Region, Service
from atlaas.views.catalogue import TITRES

PAR_PAGE_MAX = 100


def absolue(request, path):
    """The absolute URL of ``path``: on ``SITE_URL`` when it is set, else on the request's host
    (without a request, the path stays relative: the feed adds the host itself)."""
    site = getattr(settings, "SITE_URL", "")
    if site:
        return site + path
    return request.build_absolute_uri(path) if request is not None else path


def _iso(value):
    return value.isoformat() if value else None


def _services_de(fiche):
    return list(fiche.services.all())  # prefetched with their enjeu and catégorie


# --- CSV ------------------------------------------------------------------------------------------

EXPORTS_PAR_HEURE = 30  # filtered exports per client IP and hour; the full file is not limited
RETRY_AFTER = 120  # seconds before asking again for the full file being prepared


class ExportForm(RechercheForm):
    """The catalogue's query string, every value of which must be valid: an export does not
    drop what it does not understand, it says so. A search without any word to look for would
    export the whole catalogue, which the full file does."""

    def clean_q(self):
        q = super().clean_q()
        if q and not catalogue.a_du_sens(q):
            raise forms.ValidationError(
                _(
                    "« %(q)s » ne contient aucun mot à chercher : saisissez un mot, ou retirez "
                    "la recherche pour télécharger l'export complet."
                ),
                params={"q": q},
            )
        return q


def _texte(message, status):
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def _filtre_invalide(form):
    lignes = [_("Export impossible : un filtre n'est pas valide.")]
    for nom, messages in form.errors.items():
        lignes += [f"{TITRES.get(nom, nom)} : {message}" for message in messages]
    return _texte("\n".join(lignes), 400)


@require_safe
def export_csv(request):
    """The catalogue as CSV. Without a filter, the full file written in the background; with
    filters, at most ``LIGNES_MAX`` of the results in their order, ``EXPORTS_PAR_HEURE`` an hour
    per client IP; an invalid filter answers 400 with its message."""
    form = ExportForm(request.GET)
    if not form.is_valid():
        return _filtre_invalide(form)
    filtres = form.filtres()
    filtres.pop("page", None)
    if not filtres.keys() - {"tri"}:
        return _export_complet(request)
    if limites.au_dela(request, "atlaas:exports:", EXPORTS_PAR_HEURE):
        response = _texte(
            _(
                "Trop d'exports filtrés depuis votre adresse en une heure : réessayez plus tard, "
                "ou téléchargez l'export complet de l'Atlaas, qui n'est pas limité."
            ),
            429,
        )
        response["Retry-After"] = "3600"
        return response
    maximum = catalogue.export.LIGNES_MAX
    ids = catalogue.ids_ordonnes(catalogue.filtrer(filtres), filtres, limite=maximum + 1)

    def lignes():
        yield from catalogue.export.lignes_csv(ids[:maximum])
        if len(ids) > maximum:
            yield catalogue.export.ligne_csv([_message_tronque(request, maximum)])

    response = StreamingHttpResponse(lignes(), content_type="text/csv; charset=utf-8")
    nom = f"atlaas-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{nom}"'
    if len(ids) > maximum:
        response["X-Export-Tronque"] = str(maximum)  # the line that says so ends the file
    return response


def _message_tronque(request, maximum):
    return _(
        "# Export limité aux %(max)s premières actions : affinez la recherche, ou téléchargez "
        "l'export complet de l'Atlaas (%(url)s)."
    ) % {
        "max": formats.number_format(maximum, force_grouping=True),
        "url": absolue(request, reverse("atlaas:catalogue_csv")),
    }


def _en_preparation(request):
    response = render(request, "atlaas/catalogue/export_en_preparation.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def _export_complet(request):
    """The full file, revalidated by its ETag and date (one query); 503 while the first one is
    being prepared."""
    export = catalogue.export.courant()
    if export is None:
        return _en_preparation(request)
    etag = f'"{hashlib.sha256(export.fichier.name.encode()).hexdigest()[:32]}"'  # a new name each time
    modifie = int(export.genere_at.timestamp())
    response = get_conditional_response(request, etag=etag, last_modified=modifie)
    if response is None:
        try:
            fichier = export.fichier.open("rb")
        except FileNotFoundError:  # lost from the media: the beat's run writes it again
            return _en_preparation(request)
        moment = timezone.localtime(export.genere_at)
        response = FileResponse(
            fichier,
            content_type="text/csv; charset=utf-8",
            as_attachment=True,
            filename=f"atlaas-complet-{moment:%Y-%m-%d-%Hh%M}.csv",
        )
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modifie)
    patch_cache_control(response, public=True, max_age=300)
    return response


# --- JSON API ---------------------------------------------------------------------------------


def _json(data, status=200):
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _erreurs(erreurs):
    """400 with the messages of each invalid parameter: {"erreurs": {"page": ["…"]}}."""
    return _json({"erreurs": {nom: [str(m) for m in messages] for nom, messages in erreurs.items()}}, 400)


def _introuvable(message):
    return _json({"erreur": message}, 404)


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
            response = _json({"erreur": _("Méthode non autorisée : l'API est en lecture seule.")}, 405)
            response["Allow"] = "GET, HEAD"
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper


def _champ_par_page():
    return forms.IntegerField(min_value=1, max_value=PAR_PAGE_MAX, required=False)


class FichesForm(RechercheForm):
    """The catalogue's query string, plus the size of a page."""

    par_page = _champ_par_page()


class CollectivitesForm(forms.Form):
    q = forms.CharField(min_length=search.MIN_LENGTH, max_length=200, required=False, strip=True)
    type = forms.ChoiceField(choices=catalogue.TYPES.items(), required=False)
    departement = forms.ModelChoiceField(Departement.objects.all(), to_field_name="code", required=False)
    region = forms.ModelChoiceField(Region.objects.all(), to_field_name="code", required=False)
    niveau = forms.TypedChoiceField(
        choices=[(str(n), "@" * n) for n in range(1, 6)], coerce=int, required=False, empty_value=None
    )
    page = forms.IntegerField(min_value=1, required=False)
    par_page = _champ_par_page()


def _page_trop_loin(page, pages):
    message = ngettext(
        "La page %(page)s n'existe pas : il y a %(pages)s page en tout.",
        "La page %(page)s n'existe pas : il y a %(pages)s pages en tout.",
        pages,
    ) % {"page": page, "pages": pages}
    return _erreurs({"page": [message]})


def _lien_page(request, page):
    params = request.GET.copy()
    params["page"] = page
    return absolue(request, f"{request.path}?{params.urlencode()}")


def _page(request, total, page, pages, par_page, resultats, **autres):
    return _json(
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
            for service in _services_de(fiche)
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

    return _json(
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
    return _json(specification.document(absolue(request, "/").rstrip("/")))


@api
def api_fiches(request):
    form = FichesForm(request.GET)
    if not form.is_valid():
        return _erreurs(form.errors)
    filtres = form.filtres()
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
        return _introuvable(_("Aucune fiche action publiée ne porte ce numéro."))
    return _json(
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
        return _erreurs(form.errors)
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
    collectivite = selectors.collectivite_detail(code)
    if collectivite is None:
        return _introuvable(_("Aucune collectivité ne porte ce code INSEE ou ce SIREN."))
    collectivite.fiches_publiees = collectivite.fiches.published().count()
    data = _collectivite(request, collectivite)
    if collectivite.is_epci:
        data["membres"] = list(collectivite.membres.actives().order_by("code").values_list("code", flat=True))
    return _json(data)


# --- Atom feed --------------------------------------------------------------------------------


class FluxFiches(Feed):
    """The fiches published last, newest first (two queries)."""

    feed_type = Atom1Feed
    title = gettext_lazy("Atlaas — nouvelles actions publiées")
    subtitle = gettext_lazy("Les dernières actions numériques des collectivités publiées dans l'Atlaas.")
    nombre = 50

    def link(self):
        return absolue(None, reverse("atlaas:catalogue"))

    def feed_url(self):
        return absolue(None, reverse("atlaas:flux"))

    def items(self):
        return (
            FicheAction.objects.published()
            .select_related("collectivite")
            .prefetch_related("services")
            .defer("search_vector")
            .order_by("-published_at", "-pk")[: self.nombre]
        )

    def item_title(self, fiche):
        return fiche.titre  # an Atom title is plain text: the feed generator escapes it

    def item_description(self, fiche):
        # The Atom summary is HTML: the plain text is escaped once to stay plain text.
        return escape(fiche.sous_titre or Truncator(fiche.description).chars(300))

    def item_link(self, fiche):
        return absolue(None, reverse("atlaas:fiche_publique", args=[fiche.pk]))

    def item_guid(self, fiche):
        return self.item_link(fiche)

    def item_author_name(self, fiche):
        return fiche.collectivite.nom

    def item_author_link(self, fiche):
        return absolue(None, fiche.collectivite.get_absolute_url())

    def item_categories(self, fiche):
        return [service.nom for service in fiche.services.all()]

    def item_pubdate(self, fiche):
        return fiche.published_at

    def item_updateddate(self, fiche):
        return fiche.published_at
