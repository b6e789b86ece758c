"""The page's data tables: the figures of each chart as rows of formatted cells."""

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from label.palmares import niveau_lu

from .phrases import pourcent

INCONNU = "–"  # a figure that cannot be given (shown with an explanation on the page)


@dataclass
class Tableau:
    colonnes: list  # the column headers after the first one
    lignes: list  # [(row header, [cells])]


def _part(valeur):
    return INCONNU if valeur is None else pourcent(valeur)


def _nombre(valeur):
    return INCONNU if valeur is None else number_format(valeur, force_grouping=True)


def themes(obs, liste, quoi="fiches"):
    t = obs.themes
    lignes = [(theme.nom, [_part(t.part(theme, a, quoi)) for a in t.annees]) for theme in liste]
    return Tableau(t.annees, lignes)


def totaux(obs):
    t = obs.themes
    return Tableau(
        t.annees,
        [
            (_("Fiches"), [_nombre(t.fiches[a]) for a in t.annees]),
            (_("Collectivités"), [_nombre(t.collectivites[a]) for a in t.annees]),
        ],
    )


def labels(obs):
    colonnes = [niveau_lu(n) for n in range(5, 0, -1)] + [
        _("Lauréats"),
        _("En progression"),
        _("En recul"),
        _("Au même niveau"),
        _("Premières participations"),
        _("Communes couvertes"),
        _("Habitants couverts"),
    ]
    lignes = []
    for a in obs.labels:
        if not a.connue:
            lignes.append((a.annee, [INCONNU] * len(colonnes)))
            continue
        lignes.append(
            (
                a.annee,
                [_nombre(a.par_niveau.get(n, 0)) for n in range(5, 0, -1)]
                + [_nombre(x) for x in (a.laureats, a.hausses, a.baisses, a.stables)]
                + [_nombre(a.premieres), _nombre(a.communes), _nombre(a.habitants)],
            )
        )
    return Tableau(colonnes, lignes)


def comparaison(obs):
    c = obs.comparaison
    lignes = [(nom, [_part(c.part(g, enjeu)) for g, _n in c.groupes]) for enjeu, nom in c.enjeux]
    lignes.append((_("Fiches"), [_nombre(c.totaux.get(g, 0)) for g, _n in c.groupes]))
    return Tableau([nom for _g, nom in c.groupes], lignes)


def tous(obs):
    mouvements = [service for _phrase, service in obs.hausses + obs.baisses]
    return {
        "totaux": totaux(obs),
        "tendances": themes(obs, mouvements),
        "enjeux_fiches": themes(obs, obs.themes.enjeux),
        "enjeux_collectivites": themes(obs, obs.themes.enjeux, "collectivites"),
        "services_fiches": themes(obs, obs.themes.services),
        "services_collectivites": themes(obs, obs.themes.services, "collectivites"),
        "labels": labels(obs),
        "comparaison": comparaison(obs),
    }
