"""The fiches' figures: the share of fiches and of collectivités per enjeu and per service, year
by year, and the enjeux compared between strata, types or régions.

Sums over the catalogue's summary (``resume``): no query, one pass over the rows of the cells
that match the filters (the Atlaas' filters: région, département, type, stratum, level).
"""

from dataclasses import dataclass, field

from .resume import RANGS, TOTAL, code_enjeu, code_service, lignes_de


@dataclass
class Theme:
    """An enjeu or a service: its fiches and collectivités, {year: number}."""

    id: int
    nom: str
    enjeu: str = ""  # a service's enjeu
    fiches: dict = field(default_factory=dict)
    collectivites: dict = field(default_factory=dict)


@dataclass
class Themes:
    annees: list  # every year of the span, in order
    fiches: dict  # {year: fiches that started that year}
    collectivites: dict  # {year: collectivités with such a fiche}
    enjeux: list  # [Theme]
    services: list  # [Theme]

    def part(self, theme, annee, quoi="fiches"):
        """The theme's share of the year's fiches (or collectivités), in percent, None without
        any fiche that year."""
        total = getattr(self, quoi).get(annee, 0)
        return 100 * getattr(theme, quoi).get(annee, 0) / total if total else None


@dataclass
class Comparaison:
    par: str  # "strate", "type" or "region"
    groupes: list  # [(key, name)] with fiches, in the filter's order
    totaux: dict  # {key: fiches}
    enjeux: list  # [(id, name)]
    fiches: dict  # {(key, enjeu id): fiches}

    def part(self, groupe, enjeu):
        total = self.totaux.get(groupe, 0)
        return 100 * self.fiches.get((groupe, enjeu), 0) / total if total else None


def cellules(choix, resume):
    """[(cell, rows)] of the summary's cells that match the filters of ``choix`` (without a
    filter, the cells summed per group of the comparison: a few rows per year and code)."""
    filtres = [(rang, choix[nom]) for nom, rang in RANGS.items() if nom in choix]
    if not filtres:
        return list(resume.marges[choix["comparer"]].items())
    return [
        (cellule, lignes)
        for cellule, lignes in resume.cellules.items()
        if all(cellule[rang] == valeur for rang, valeur in filtres)
    ]


def themes(choix, resume):
    """The fiches and collectivités per year, per enjeu and per service."""
    debut, fin = choix["debut"], choix["fin"]
    annees = list(range(debut, fin + 1))
    fiches, collectivites = {}, {}
    for _cellule, lignes in cellules(choix, resume):
        for annee, code, n, c in lignes_de(lignes):
            if debut <= annee <= fin:
                cle = (code, annee)
                fiches[cle] = fiches.get(cle, 0) + n
                collectivites[cle] = collectivites.get(cle, 0) + c

    def theme(pk, nom, code, enjeu=""):
        return Theme(
            pk,
            nom,
            enjeu,
            {a: fiches[code, a] for a in annees if (code, a) in fiches},
            {a: collectivites[code, a] for a in annees if (code, a) in collectivites},
        )

    return Themes(
        annees=annees,
        fiches={a: fiches.get((TOTAL, a), 0) for a in annees},
        collectivites={a: collectivites.get((TOTAL, a), 0) for a in annees},
        enjeux=[theme(pk, nom, code_enjeu(pk)) for pk, nom in resume.enjeux],
        services=[theme(pk, nom, code_service(pk), enjeu) for pk, nom, enjeu in resume.services],
    )


def comparaison(choix, noms_groupes, resume):
    """The span's fiches per enjeu in each group of ``choix["comparer"]``; ``noms_groupes``:
    [(key, name)] of the possible groups."""
    par = choix["comparer"]
    rang = RANGS[par]
    debut, fin = choix["debut"], choix["fin"]
    enjeux = {code_enjeu(pk): pk for pk, _nom in resume.enjeux}
    totaux, fiches = {}, {}
    for cellule, lignes in cellules(choix, resume):
        groupe = cellule[rang]
        for annee, code, n, _c in lignes_de(lignes):
            if not debut <= annee <= fin:
                continue
            if code == TOTAL:
                totaux[groupe] = totaux.get(groupe, 0) + n
            elif code in enjeux:
                cle = (groupe, enjeux[code])
                fiches[cle] = fiches.get(cle, 0) + n
    return Comparaison(
        par=par,
        groupes=[(cle, str(nom)) for cle, nom in noms_groupes if totaux.get(cle)],
        totaux=totaux,
        enjeux=resume.enjeux,
        fiches=fiches,
    )
