"""The page's data tables: the figures of each chart as rows of formatted cells. The heat
tables (the enjeux year by year, the comparison) are the charts themselves: each cell also has
its degree of heat (``svg.degre``, a CSS class). The services' tables show the ``SERVICES`` most
frequent of the span; the CSV and JSON files hold them all."""

import functools
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from label.palmares import niveau_lu

from .phrases import pourcent
from .svg import degre

SERVICES = 10
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


def chaleur(colonnes, lignes):
    """A heat table: ``lignes`` [(name, [share or None])], each cell (text, degree of heat)."""
    maximum = max((v for _nom, valeurs in lignes for v in valeurs if v is not None), default=0)
    return Tableau(
        colonnes,
        [(nom, [(_part(v), degre(v, maximum)) for v in valeurs]) for nom, valeurs in lignes],
    )


def enjeux(obs):
    t = obs.themes
    return chaleur(t.annees, [(e.nom, [t.part(e, a) for a in t.annees]) for e in t.enjeux])


def services_frequents(obs, nombre=SERVICES):
    """The ``nombre`` services with the most fiches over the span, most first."""
    return sorted(obs.themes.services, key=lambda s: (-sum(s.fiches.values()), s.nom))[:nombre]


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
    tableau = chaleur(
        [nom for _g, nom in c.groupes],
        [(nom, [c.part(g, enjeu) for g, _n in c.groupes]) for enjeu, nom in c.enjeux],
    )
    tableau.lignes.append((_("Fiches"), [(_nombre(c.totaux.get(g, 0)), None) for g, _n in c.groupes]))
    return tableau


class Tableaux:
    """The page's tables, each built when its template first reads it: the observatoire's page
    and its detailed figures' page each show a part of them."""

    def __init__(self, obs):
        self.obs = obs

    @functools.cached_property
    def totaux(self):
        return totaux(self.obs)

    @functools.cached_property
    def tendances(self):
        return themes(self.obs, [service for _phrase, service in self.obs.hausses + self.obs.baisses])

    @functools.cached_property
    def enjeux_fiches(self):
        return enjeux(self.obs)

    @functools.cached_property
    def enjeux_collectivites(self):
        return themes(self.obs, self.obs.themes.enjeux, "collectivites")

    @functools.cached_property
    def services(self):
        """The most frequent services, whose tables the detailed page shows."""
        return services_frequents(self.obs)

    @functools.cached_property
    def services_fiches(self):
        return themes(self.obs, self.services)

    @functools.cached_property
    def services_collectivites(self):
        return themes(self.obs, self.services, "collectivites")

    @functools.cached_property
    def labels(self):
        return labels(self.obs)

    @functools.cached_property
    def comparaison(self):
        return comparaison(self.obs)
