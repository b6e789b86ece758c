"""The small map of the 101 départements shipped with the portal (``FICHIER``, derived once from
IGN's contours by ``manage.py construire_carte``: see atlaas/data/README.md) and the situation of
a collectivité on it."""

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from django.utils.html import escape

FICHIER = Path(__file__).resolve().parent / "data" / "carte_departements.json"


@dataclass(frozen=True)
class Carte:
    largeur: int
    hauteur: int
    encadres: str  # one path: the frames of the overseas boxes
    chemins: dict  # {code: d}, 01…95 then 971…976
    noms: dict  # {code: nom}
    attribution: str

    @property
    def viewbox(self):
        return f"0 0 {self.largeur} {self.hauteur}"

    @functools.cached_property
    def fond(self):
        """One path of every département, for a map that shows only one of them."""
        return "".join(self.chemins.values())


@functools.cache
def carte():
    """The shipped map, read once per process."""
    donnees = json.loads(FICHIER.read_text(encoding="utf-8"))
    return Carte(
        largeur=donnees["largeur"],
        hauteur=donnees["hauteur"],
        encadres=donnees["encadres"],
        chemins={code: d for code, _nom, d in donnees["departements"]},
        noms={code: nom for code, nom, _d in donnees["departements"]},
        attribution=donnees["attribution"],
    )


def svg(donnees):
    """The whole map as a standalone SVG document (what ``construire_carte`` measures)."""
    chemins = "".join(
        f'<path id="d{escape(code)}" d="{d}"><title>{escape(nom)}</title></path>'
        for code, nom, d in donnees["departements"]
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {donnees["largeur"]} {donnees["hauteur"]}" '
        'fill="#dde3ea" stroke="#4a5260" stroke-width=".5" stroke-linejoin="round" fill-rule="evenodd">'
        f'<path d="{donnees["encadres"]}" fill="none"/>{chemins}'
        f"<desc>{escape(donnees['attribution'])}</desc></svg>"
    )


@dataclass(frozen=True)
class Situation:
    carte: Carte
    code: str
    nom: str

    @property
    def chemin(self):
        return self.carte.chemins[self.code]


def situation(departement):
    """Where a département is on the map (a Departement row, or None), or None when the map does
    not hold it (a collectivité d'outre-mer, no département)."""
    if departement is None or departement.code not in carte().chemins:
        return None
    return Situation(carte(), departement.code, departement.nom)
