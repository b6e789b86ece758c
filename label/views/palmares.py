"""The public palmarès: the list of years, a year's page (cached, revalidated with ETag and
Last-Modified) and its files. Nothing of an edition is shown before its publication."""

import functools
import hashlib
import re

from django.conf import settings
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.views.decorators.http import condition, require_safe

from atlaas.champs import departement_saisi
from label import palmares as domaine
from label.forms import FiltresForm
from label.models import Document
from villes_internet import pages
from villes_internet.livraison import livraison

PAGE_TTL = 24 * 3600
RETRY_AFTER = 30  # seconds before asking again for a file being generated
TYPES = {
    Document.Kind.PALMARES_CSV: ("text/csv; charset=utf-8", "csv"),
    Document.Kind.PALMARES_JSON: ("application/json", "json"),
    Document.Kind.PALMARES_PDF: ("application/pdf", "pdf"),
}


@require_safe
def index(request):
    """The public years, latest first; a page saying so when none is published yet."""
    return render(request, "label/palmares/index.html", {"annees": list(domaine.annees())})


class _Page:
    """What a request for a year's page needs before the view runs (ETag, Last-Modified)."""

    def __init__(self, request, annee):
        self.etat = domaine.etat(annee)
        if self.etat is None:
            return
        filtres = domaine.cle_filtres(request.GET)
        self.en_cache = filtres is not None  # else answered without keeping its page
        self.cle = ":".join(
            [
                "palmares:page",
                livraison(),
                str(annee),
                self.etat.cle,
                _empreinte(self.etat.annees),
                translation.get_language(),
                _empreinte(filtres if self.en_cache else request.GET.urlencode()),
            ]
        )
        # The page around the cached part names who is signed in (and carries their CSRF token
        # for the sign-out form); without a session cookie nobody is (and the session is not read).
        utilisateur = request.user.pk if settings.SESSION_COOKIE_NAME in request.COOKIES else None
        self.etag = _empreinte([self.cle, utilisateur])
        self.modifie = self.etat.modifie


def _empreinte(valeur):
    return hashlib.md5(repr(valeur).encode(), usedforsecurity=False).hexdigest()[:16]


def _page(request, annee):
    if not hasattr(request, "_palmares"):
        request._palmares = _Page(request, annee)
    return request._palmares


def _etag(request, annee):
    page = _page(request, annee)
    return page.etag if page.etat else None


def _last_modified(request, annee):
    page = _page(request, annee)
    return page.modifie if page.etat else None


def _contenu(request, annee, page):
    """The page's own part: the same for everyone, cached per filters and language."""
    html = cache.get(page.cle) if page.en_cache else None
    if html is None:
        palmares = domaine.charger(annee, page.etat.edition_id, page.etat.cle)
        form = FiltresForm(request.GET, palmares)
        filtres = form.filtres()
        laureats = domaine.filtrer(palmares.laureats, filtres)
        metropole, outre_mer = domaine.grouper(laureats, filtres.get("par", "niveau"))
        html = render_to_string(
            "label/palmares/_contenu.html",
            {
                "palmares": palmares,
                "edition": palmares.edition,
                "chiffres": palmares.chiffres,
                "carte": palmares.carte,
                "annee": annee,
                **_voisines(annee, page.etat.annees),
                "form": form,
                "filtre": form.actifs,
                "nombre": len(laureats),
                "metropole": metropole,
                "outre_mer": outre_mer,
            },
        )
        if page.en_cache:
            cache.set(page.cle, html, PAGE_TTL)
    return mark_safe(html)  # rendered by our template, escaped there


def _voisines(annee, annees):
    """The public years just before and after ``annee`` (``annees``: latest first), or None."""
    plus_anciennes = [a for a in annees if a < annee]
    plus_recentes = [a for a in annees if a > annee]
    return {
        "precedente": plus_anciennes[0] if plus_anciennes else None,
        "suivante": plus_recentes[-1] if plus_recentes else None,
    }


def _page_anonyme(request, annee, page):
    """The whole page for anonymous visitors, as UTF-8: from the cache, else rendered."""
    cle = f"{page.cle}:anonyme"  # equivalent query strings share it (and their language form's return)
    html = cache.get(cle)
    if html is None:
        contexte = {"annee": annee, "contenu": _contenu(request, annee, page)}
        html = render_to_string("label/palmares/palmares.html", contexte, request=request).encode()
        cache.set(cle, html, PAGE_TTL)
    return html


def _jeton(annee):
    """What a year's page kept whole in a process' memory depends on (``pages.garder``): the
    year's state, as this process' copy of it has it (a second at most)."""
    return _valeur(domaine.etat(annee))


def _valeur(etat):
    return None if etat is None else (etat.cle, etat.jeton)


@require_safe
def palmares(request, annee):
    """A year's page. A département typed by its name (« gironde ») sends to the address with its
    number, the one its map links to: the same page, kept in the cache like theirs."""
    query = _departement_en_numero(request.GET)
    if query is not None and domaine.etat(annee) is not None:
        return redirect(f"{reverse('label:palmares', args=[annee])}?{query}")
    return _palmares(request, annee)


def _departement_en_numero(get):
    """The query string with the département typed by its name written as its number, or None
    when it is a number already, is empty or names no département (the form then says so)."""
    valeur = get.get("departement", "")
    saisie = " ".join(valeur.split())
    if not saisie or re.fullmatch(domaine.FORMES["departement"], valeur):
        return None
    code = departement_saisi(saisie)
    if code is None:
        return None  # unknown: the form says so
    query = get.copy()
    query["departement"] = code
    return query.urlencode()


@condition(etag_func=_etag, last_modified_func=_last_modified)
def _palmares(request, annee):
    page = _page(request, annee)
    if page.etat is None:
        raise Http404
    if page.en_cache and pages.anonyme(request):
        response = HttpResponse(_page_anonyme(request, annee, page))
        # Served again by this process just after WhiteNoise while the year's state is the same.
        pages.garder(response, PAGE_TTL, functools.partial(_jeton, annee), _valeur(page.etat))
    else:
        contenu = _contenu(request, annee, page)
        response = render(request, "label/palmares/palmares.html", {"annee": annee, "contenu": contenu})
    patch_cache_control(response, private=True, no_cache=True)  # revalidate: ETag, 304
    return response


@require_safe
def departements(request, annee):
    """The table of the palmarès' map: each département's laureates, best level and share of its
    communes covered, a link to its laureates. Its body is kept with the year's palmarès."""
    etat = domaine.etat(annee)
    if etat is None:
        raise Http404
    cle = f"palmares:departements:{livraison()}:{annee}:{etat.cle}:{translation.get_language()}"
    html = cache.get(cle)
    if html is None:
        palmares = domaine.charger(annee, etat.edition_id, etat.cle)
        contexte = {"annee": annee, "carte": palmares.carte, "laureats": len(palmares.laureats)}
        html = render_to_string("label/palmares/_departements.html", contexte)
        cache.set(cle, html, PAGE_TTL)
    return render(request, "label/palmares/departements.html", {"annee": annee, "contenu": mark_safe(html)})


@require_safe
def fichier(request, annee, kind):
    """A palmarès file once generated; 503 while it is being prepared; 404 before publication."""
    document = Document.objects.filter(
        edition__annee=annee, edition__publie_at__isnull=False, kind=kind, candidature__isnull=True
    ).first()
    if document is None:
        raise Http404
    if document.state != Document.State.PRET or not document.fichier:
        response = render(
            request, "label/palmares/en_preparation.html", {"annee": annee, "document": document}, status=503
        )
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    content_type, extension = TYPES[kind]
    return FileResponse(
        document.fichier.open("rb"),
        content_type=content_type,
        as_attachment=kind != Document.Kind.PALMARES_PDF,
        filename=f"palmares-{annee}.{extension}",
    )
