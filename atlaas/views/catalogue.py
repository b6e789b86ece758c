"""The public catalogue of fiches actions: French full-text search with facets.

Every state of the page is its query string, so any search can be shared. Without JavaScript the
facets are links and the search a GET form; with HTMX the same links and form replace only the
results (``_resultats.html``), and the address bar follows.
"""

from urllib.parse import urlencode

from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_safe

from atlaas import catalogue
from atlaas.forms import RechercheForm
from villes_internet import pages

TITRES = {
    "categorie": gettext_lazy("Catégorie"),
    "enjeu": gettext_lazy("Enjeu"),
    "service": gettext_lazy("Service"),
    "type": gettext_lazy("Type de collectivité"),
    "region": gettext_lazy("Région"),
    "departement": gettext_lazy("Département"),
    "strate": gettext_lazy("Population"),
    "niveau": gettext_lazy("Niveau du label"),
    "annee": gettext_lazy("Année de lancement"),
    "collectivite": gettext_lazy("Collectivité"),
    "q": gettext_lazy("Rechercher"),
    "tri": gettext_lazy("Trier par"),
    "page": gettext_lazy("Page"),
}
# Long facets show their most frequent values first; « voir=<facet> » shows them all.
PREMIERES = 8
PARAMETRES = ("q", *RechercheForm.FACETTES, "collectivite", "tri")
PAGE_SECONDES = 3600  # the landing page (no query string) kept for anonymous visitors


@require_safe
@pages.en_cache(PAGE_SECONDES)
def index(request):
    form = RechercheForm(request.GET)
    form.is_valid()
    filtres = form.filtres()
    q = filtres.get("q", "")
    resultats = catalogue.rechercher(filtres, filtres.get("page", 1))
    cherches = catalogue.stems_cherches(q)
    for fiche in resultats.fiches:
        fiche.titre_surligne = catalogue.surligner(fiche.titre, cherches)
        fiche.extrait = catalogue.extrait(fiche, q)
    base = {
        name: filtres[name] if name == "q" else request.GET[name] for name in PARAMETRES if name in filtres
    }
    # The export's filters: a search without any word to look for is left out (an export refuses it).
    export = {name: value for name, value in base.items() if name != "q" or catalogue.a_du_sens(value)}
    voir = request.GET.get("voir") if request.GET.get("voir") in RechercheForm.FACETTES else ""
    suggestion = None
    if q and not resultats.total:
        suggestion = catalogue.suggestion(q)
        if suggestion and not catalogue.filtrer({**filtres, "q": suggestion}).exists():
            suggestion = None
    context = {
        "form": form,
        "q": q,
        "resultats": resultats,
        "debut": (resultats.page - 1) * catalogue.PAR_PAGE + 1,
        # Called by the template only when its fragment is not in the cache already.
        "facettes": lambda: _facettes(base, filtres, resultats.facettes, voir),
        "voir": voir,
        "actifs": lambda: _actifs(base, filtres),
        "ignores": [
            _("« %(valeur)s » pour « %(nom)s »")
            % {"valeur": request.GET.get(name, "")[:60], "nom": TITRES.get(name, name)}
            for name in form.errors
        ],
        "mots_vides": bool(q) and not catalogue.a_du_sens(q),
        "tronquee": len(request.GET.get("q", "")) > catalogue.MAX_QUERY_LENGTH,
        "suggestion": suggestion,
        "lien_suggestion": _lien(base, "q", suggestion) if suggestion else "",
        "tris": _tris(base, filtres),
        "pages": _pages(base, resultats),
        "caches": [(name, value) for name, value in base.items() if name != "q"],
        "export": _lien(export, "page", None),
        "export_filtre": bool(export.keys() - {"tri"}),
        "export_max": catalogue.export.LIGNES_MAX,
        "export_complet": catalogue.export.fichier_complet,  # read by the template (the cache)
    }
    partiel = bool(request.htmx) and not request.htmx.history_restore_request
    template = "atlaas/catalogue/_resultats.html" if partiel else "atlaas/catalogue/index.html"
    response = render(request, template, {**context, "partiel": partiel})
    patch_vary_headers(response, ["HX-Request"])  # one address, two answers: caches must tell them apart
    return response


def _lien(base, name, value):
    """The query string of the current search (``base``: its valid parameters) with ``name`` set
    to ``value`` (removed if None); any change of search goes back to the first page."""
    params = {key: v for key, v in base.items() if key != name}
    if value is not None:
        params[name] = value
    return f"?{urlencode(params)}" if params else "?"


def _facettes(base, filtres, facettes, voir):
    blocs = []
    for name, valeurs in facettes.items():
        choisi = str(
            getattr(filtres.get(name), "slug", None)
            or getattr(filtres.get(name), "code", None)
            or filtres.get(name, "")
        )
        toutes = len(valeurs)
        if toutes > PREMIERES + 2 and voir != name:
            premieres = sorted(valeurs, key=lambda v: v.nombre, reverse=True)[:PREMIERES]
            valeurs = [v for v in valeurs if v in premieres or v.valeur == choisi]
        lignes = [
            {
                "libelle": valeur.libelle,
                "nombre": valeur.nombre,
                "unite": ngettext("action", "actions", valeur.nombre),
                "actif": valeur.valeur == choisi,
                "url": _lien(base, name, None if valeur.valeur == choisi else valeur.valeur),
            }
            for valeur in valeurs
        ]
        if lignes:
            blocs.append(
                {
                    "nom": name,
                    "titre": TITRES[name],
                    "lignes": lignes,
                    "toutes": toutes if len(lignes) < toutes else 0,
                    "voir_tout": f"{_lien(base, 'voir', name)}#facette-{name}",
                }
            )
    return blocs


def _actifs(base, filtres):
    """The filters in use, each with the link that removes it."""
    actifs = []
    for name in (*RechercheForm.FACETTES, "collectivite"):
        if name not in filtres:
            continue
        value = filtres[name]
        if name == "type":
            libelle = catalogue.TYPES[value]
        elif name == "strate":
            libelle = catalogue.STRATES[value][0]
        elif name == "niveau":
            libelle = catalogue.libelle_niveau(value)
        elif name == "departement" or (name == "collectivite" and not value.is_epci):
            libelle = f"{value.nom} ({value.departement.code if name == 'collectivite' else value.code})"
        else:
            libelle = getattr(value, "nom", value)
        actifs.append({"titre": TITRES[name], "libelle": libelle, "url": _lien(base, name, None)})
    return actifs


def _tris(base, filtres):
    if not catalogue.a_du_sens(filtres.get("q", "")):
        return []
    courant = "pertinence" if catalogue.par_pertinence(filtres) else "date"
    return [
        {
            "libelle": libelle,
            "actif": cle == courant,
            "url": _lien(base, "tri", None if cle == "pertinence" else cle),
        }
        for cle, libelle in catalogue.TRIS.items()
    ]


def _pages(base, resultats):
    """Links to the first, previous, next and last pages and to the pages around this one."""
    if resultats.pages <= 1:
        return None
    courante, derniere = resultats.page, resultats.pages
    numeros = sorted({1, derniere, *range(max(1, courante - 2), min(derniere, courante + 2) + 1)})
    liens, precedent = [], 0
    for numero in numeros:
        if numero - precedent > 1:
            liens.append({"ellipse": True})
        liens.append({"numero": numero, "actif": numero == courante, "url": _lien(base, "page", str(numero))})
        precedent = numero
    return {
        "liens": liens,
        "precedente": _lien(base, "page", str(courante - 1)) if courante > 1 else "",
        "suivante": _lien(base, "page", str(courante + 1)) if courante < derniere else "",
    }
