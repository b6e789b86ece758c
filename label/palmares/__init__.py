"""The public palmarès of a published edition: its laureates, key figures, filters, files and cache.

Nothing here shows an unpublished edition: the pages start from ``annees()`` (the public years),
the files from the ``Document`` rows that only a publication creates. A year of imported history
(``Labellisation`` rows, without an edition or without results) is public too, with fewer columns.

The parts: ``laureats`` (one line per laureate), ``chiffres`` (key figures), ``carte`` (laureates
by département, for the map), ``cache`` (the public years, their version and cached data),
``filtres`` (query string and groups; the form is ``label.forms.FiltresForm``) and ``fichiers``
(CSV, JSON, PDF). Every name callers use is
re-exported here: ``palmares.charger(...)``, ``"label.palmares.palmares_csv"``.
"""

from .cache import (
    ANNEES,
    ANNEES_TTL,
    DONNEES_TTL,
    ETAT_SECONDES,
    HISTORIQUE,
    VERSION_HISTORIQUE,
    Etat,
    Palmares,
    a_la_une,
    annees,
    charger,
    construire,
    etat,
    invalider,
    invalider_historique,
    oublier,
    version_en_base,
)
from .carte import Carte, DepartementCarte, carte
from .chiffres import Chiffres, ParType, chiffres_cles, couverture, couverture_importee
from .fichiers import COLONNES, SCHEMA_VERSION, donnees_json, palmares_csv, palmares_json, palmares_pdf
from .filtres import FILTRES, FORMES, PAR, Q_MAX, Groupe, cle_filtres, filtrer, grouper, niveau_lu
from .laureats import Laureat, laureats_edition, laureats_historique

__all__ = [
    "ANNEES",
    "ANNEES_TTL",
    "COLONNES",
    "DONNEES_TTL",
    "ETAT_SECONDES",
    "FILTRES",
    "FORMES",
    "HISTORIQUE",
    "PAR",
    "Q_MAX",
    "SCHEMA_VERSION",
    "VERSION_HISTORIQUE",
    "Carte",
    "Chiffres",
    "DepartementCarte",
    "Etat",
    "Groupe",
    "Laureat",
    "Palmares",
    "ParType",
    "a_la_une",
    "annees",
    "carte",
    "charger",
    "chiffres_cles",
    "cle_filtres",
    "construire",
    "couverture",
    "couverture_importee",
    "donnees_json",
    "etat",
    "filtrer",
    "grouper",
    "invalider",
    "invalider_historique",
    "laureats_edition",
    "laureats_historique",
    "niveau_lu",
    "oublier",
    "palmares_csv",
    "palmares_json",
    "palmares_pdf",
    "version_en_base",
]
