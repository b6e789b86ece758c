"""The observatoire's figures as CSV (one figure a line) and JSON: the same as the page's."""

import csv
import io
from dataclasses import asdict

from villes_internet.tableur import cellule

COLONNES = ["tableau", "annee", "theme", "groupe", "indicateur", "valeur"]


def _part(valeur):
    return None if valeur is None else round(valeur, 1)


def lignes(obs):
    """The figures, one a row: (tableau, year, theme, group, indicator, value); the year is
    « 2019-2026 » for the span's comparison, an empty value is a figure not known."""
    themes = obs.themes
    for annee in themes.annees:
        yield ("fiches", annee, "", "", "fiches", themes.fiches[annee])
        yield ("fiches", annee, "", "", "collectivites", themes.collectivites[annee])
    for tableau, liste in (("enjeux", themes.enjeux), ("services", themes.services)):
        for theme in liste:
            for annee in themes.annees:
                yield (tableau, annee, theme.nom, "", "fiches", theme.fiches.get(annee, 0))
                yield (tableau, annee, theme.nom, "", "part_fiches", _part(themes.part(theme, annee)))
                yield (tableau, annee, theme.nom, "", "collectivites", theme.collectivites.get(annee, 0))
                yield (
                    tableau,
                    annee,
                    theme.nom,
                    "",
                    "part_collectivites",
                    _part(themes.part(theme, annee, "collectivites")),
                )
    for annee in obs.labels:
        valeurs = {"laureats": annee.laureats if annee.connue else None}
        valeurs |= {f"niveau_{n}": annee.par_niveau.get(n) for n in range(5, 0, -1)}
        valeurs |= {
            "hausses": annee.hausses if annee.connue else None,
            "baisses": annee.baisses if annee.connue else None,
            "stables": annee.stables if annee.connue else None,
            "premieres_participations": annee.premieres,
            "communes_couvertes": annee.communes,
            "habitants_couverts": annee.habitants,
        }
        for indicateur, valeur in valeurs.items():
            yield ("labels", annee.annee, "", "", indicateur, valeur)
    comparaison = obs.comparaison
    periode = f"{obs.choix['debut']}-{obs.choix['fin']}"
    for cle, nom in comparaison.groupes:
        yield ("comparaison", periode, "", nom, "fiches", comparaison.totaux.get(cle, 0))
        for enjeu, nom_enjeu in comparaison.enjeux:
            yield ("comparaison", periode, nom_enjeu, nom, "fiches", comparaison.fiches.get((cle, enjeu), 0))
            yield ("comparaison", periode, nom_enjeu, nom, "part_fiches", _part(comparaison.part(cle, enjeu)))


def en_csv(obs):
    """The CSV text (UTF-8 with its BOM, for spreadsheets; « ; » between columns)."""
    sortie = io.StringIO()
    sortie.write("\ufeff")
    ecrivain = csv.writer(sortie, delimiter=";", lineterminator="\n")
    ecrivain.writerow(COLONNES)
    for ligne in lignes(obs):
        ecrivain.writerow([cellule(valeur) for valeur in ligne])
    return sortie.getvalue()


def en_json(obs):
    """The figures as a JSON-ready dict."""
    themes, comparaison = obs.themes, obs.comparaison

    def theme(t):
        return {
            "id": t.id,
            "nom": t.nom,
            **({"enjeu": t.enjeu} if t.enjeu else {}),
            "fiches": {str(a): t.fiches.get(a, 0) for a in themes.annees},
            "collectivites": {str(a): t.collectivites.get(a, 0) for a in themes.annees},
        }

    return {
        "choix": obs.choix,
        "annee_d_une_fiche": "date_debut",
        "fiches": {str(a): themes.fiches[a] for a in themes.annees},
        "collectivites": {str(a): themes.collectivites[a] for a in themes.annees},
        "enjeux": [theme(t) for t in themes.enjeux],
        "services": [theme(t) for t in themes.services],
        "tendances": {
            "hausses": [phrase for phrase, _service in obs.hausses],
            "baisses": [phrase for phrase, _service in obs.baisses],
        },
        "labels": [
            {**asdict(a), "par_niveau": {str(n): v for n, v in a.par_niveau.items()}} for a in obs.labels
        ],
        "comparaison": {
            "par": comparaison.par,
            "groupes": [
                {
                    "code": cle,
                    "nom": nom,
                    "fiches": comparaison.totaux.get(cle, 0),
                    "enjeux": {nom_e: comparaison.fiches.get((cle, e), 0) for e, nom_e in comparaison.enjeux},
                }
                for cle, nom in comparaison.groupes
            ],
        },
    }
