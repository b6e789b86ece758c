"""The palmarès' filters (its query string) and groups (by level or by région, overseas apart).
The form of the filters is ``label.forms.FiltresForm``."""

import re
from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from atlaas import catalogue
from atlaas.champs import CODE_DEPARTEMENT
from atlaas.francais import normaliser_nom, sans_accents

from ..models import TypeCandidature

Q_MAX = 100
PAR = {"niveau": _("Niveau"), "region": _("Région")}
FILTRES = ("niveau", "region", "departement", "type", "strate", "q", "par")


def niveau_lu(niveau):
    return ngettext("%(n)s arobase", "%(n)s arobases", niveau) % {"n": niveau}


# The values a page kept in the cache may have: a name search, an unknown parameter or a
# malformed value is answered without keeping its page (the cache holds a bounded set).
FORMES = {
    "niveau": "[1-5]",
    "region": "[0-9A-Z]{2,3}",
    "departement": CODE_DEPARTEMENT,
    "type": "|".join(TypeCandidature.values),
    "strate": "|".join(catalogue.STRATES),
    "par": "|".join(PAR),
}


def cle_filtres(query):
    """The query string as an ordered tuple when its page may be kept in the cache, else None.
    Empty values (the form sends every field) count as absent."""
    cle = []
    for nom, valeurs in query.lists():
        valeurs = [valeur for valeur in valeurs if valeur.strip()]
        if not valeurs and nom in FILTRES:
            continue
        if nom not in FORMES or len(valeurs) != 1 or not re.fullmatch(FORMES[nom], valeurs[0]):
            return None
        cle.append((nom, valeurs[0]))
    return tuple(sorted(cle))


def filtrer(laureats, filtres):
    """The laureates matching the filters; each word of ``q`` is looked for in the name as a search
    by name does (``normaliser_nom``: accents, case, « œ », hyphens and apostrophes aside, « St »
    for Saint)."""
    mots = [cle for cle in map(normaliser_nom, filtres.get("q", "").split()) if cle]
    strate = filtres.get("strate")
    resultat = []
    for laureat in laureats:
        if "niveau" in filtres and laureat.niveau != filtres["niveau"]:
            continue
        if "region" in filtres and laureat.region_code != filtres["region"]:
            continue
        if "departement" in filtres and laureat.departement != filtres["departement"]:
            continue
        if "type" in filtres and laureat.type != filtres["type"]:
            continue
        if strate and laureat.strate != strate:
            continue
        if mots and not all(mot in laureat.cle for mot in mots):
            continue
        resultat.append(laureat)
    return resultat


@dataclass
class Groupe:
    id: str
    titre: str
    niveau: int | None
    laureats: list


def _groupes(laureats, par, prefixe):
    if par == "region":
        regions = defaultdict(list)
        for laureat in laureats:
            regions[(laureat.region_code, laureat.region)].append(laureat)
        return [
            Groupe(
                f"{prefixe}region-{code or 'aucune'}",
                nom or str(_("Sans région")),
                None,
                sorted(membres, key=lambda x: -x.niveau),  # stable: by name within a level
            )
            for (code, nom), membres in sorted(regions.items(), key=lambda item: sans_accents(item[0][1]))
        ]
    groupes = []
    for niveau in range(5, 0, -1):
        membres = [laureat for laureat in laureats if laureat.niveau == niveau]
        if membres:
            groupes.append(Groupe(f"{prefixe}niveau-{niveau}", niveau_lu(niveau), niveau, membres))
    return groupes


def grouper(laureats, par="niveau"):
    """(metropolitan groups, overseas groups), by level (5 to 1) or by région."""
    metropole = [laureat for laureat in laureats if not laureat.outre_mer]
    outre_mer = [laureat for laureat in laureats if laureat.outre_mer]
    return _groupes(metropole, par, ""), _groupes(outre_mer, par, "om-")
