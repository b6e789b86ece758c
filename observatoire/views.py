"""The public observatoire: its page (figures, sentences, charts and tables) and the same figures
as CSV and JSON, for any span and filters given in the query string."""

from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from label.palmares import niveau_lu
from villes_internet.livraison import livraison

from . import donnees, fichiers, svg, tableaux
from .forms import ObservatoireForm


def _laureats(n):
    return ngettext("%(n)s lauréat", "%(n)s lauréats", n) % {"n": n}


def graphiques(obs):
    """The page's SVG charts (the heat maps are tables: ``tableaux.chaleur``)."""
    themes = obs.themes
    mouvements = [service for _phrase, service in obs.hausses + obs.baisses]
    debut, fin = obs.choix["debut"], obs.choix["fin"]
    periode = {"debut": debut, "fin": fin, "des_fiches": obs.des_fiches}
    return {
        "tendances": svg.courbes(
            "graphique-tendances",
            _("Part %(des_fiches)s des thèmes qui montent et qui descendent, de %(debut)s à %(fin)s")
            % periode,
            _(
                "Une ligne par thème, en pourcentage des fiches de chaque année ; le tableau qui suit "
                "donne les mêmes chiffres."
            ),
            themes.annees,
            [(s.nom, {a: themes.part(s, a) for a in themes.annees}) for s in mouvements],
        )
        if mouvements
        else "",
        "labels": svg.barres_empilees(
            "graphique-labels",
            _("Lauréats du label par niveau, de %(debut)s à %(fin)s") % periode,
            _(
                "Une barre par millésime, empilée du niveau 1 au niveau 5 ; le tableau qui suit donne "
                "les mêmes chiffres."
            ),
            [a.annee for a in obs.labels],
            [(n, niveau_lu(n)) for n in range(1, 6)],
            {a.annee: a.par_niveau if a.connue else None for a in obs.labels},
            _laureats,
        ),
    }


def _contenu(form, choix, gabarit="observatoire/_contenu.html", partie="page"):
    """A page's own part (``gabarit``), the same for everyone: kept in the cache when every
    choice is valid."""
    version = donnees.version()
    cle = f"{donnees.cle(choix, version)}:{livraison()}:{partie}" if not form.errors else None
    html = cache.get(cle) if cle else None
    if html is None:
        obs = donnees.charger(choix, version)
        html = render_to_string(
            gabarit,
            {
                "obs": obs,
                "form": form,
                "graphiques": graphiques(obs) if partie == "page" else {},
                "tableaux": tableaux.Tableaux(obs),
                "requete": urlencode(choix),
            },
        )
        if cle:
            cache.set(cle, html, donnees.TTL)
    return mark_safe(html)  # rendered by our template, escaped there


def preparer():
    """Build the default page of each language (and the catalogue's summary it reads) into the
    cache: what the first visitor after a publication would otherwise wait for."""
    for langue, _nom in settings.LANGUAGES:
        with translation.override(langue):
            form = ObservatoireForm(QueryDict())
            _contenu(form, form.choix())


@require_safe
def observatoire(request):
    form = ObservatoireForm(request.GET)
    choix = form.choix()
    return render(request, "observatoire/observatoire.html", {"contenu": _contenu(form, choix)})


@require_safe
def chiffres(request):
    """The detailed tables of the same choices (the enjeux' shares of collectivités, the most
    frequent services'): a page of their own, so that the observatoire stays light for those who
    read its sentences and charts."""
    form = ObservatoireForm(request.GET)
    choix = form.choix()
    contenu = _contenu(form, choix, "observatoire/_chiffres.html", "chiffres")
    return render(request, "observatoire/chiffres.html", {"contenu": contenu})


def _nom_fichier(choix, extension):
    return f"observatoire-{choix['debut']}-{choix['fin']}.{extension}"


@require_safe
def donnees_csv(request):
    choix = ObservatoireForm(request.GET).choix()
    response = HttpResponse(fichiers.en_csv(donnees.charger(choix)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_nom_fichier(choix, "csv")}"'
    return response


@require_safe
def donnees_json(request):
    choix = ObservatoireForm(request.GET).choix()
    contenu = fichiers.en_json(donnees.charger(choix))
    response = JsonResponse(contenu, json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{_nom_fichier(choix, "json")}"'
    return response
