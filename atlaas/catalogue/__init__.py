"""Search of the published fiches actions: French full text, facets, similar fiches, suggestions.

PostgreSQL (full mode) keeps a weighted ``tsvector`` per fiche in ``FicheAction.search_vector``
under the ``french_unaccent`` configuration (migration 0003) and answers the ``websearch`` syntax
natively. SQLite (embedded mode) keeps the same words, stemmed in Python (``atlaas.francais``), in
the FTS5 table ``atlaas_fiche_fts``; the query is translated here into FTS5 syntax.

The index is written when a fiche is published (``workflow.set_fiche_state``) and rebuilt by
``manage.py index_atlaas``. Only published fiches are ever searched. On PostgreSQL it also holds
each fiche's services, enjeux and catégories as codes (``TAXONOMIE``), from which the facets are
counted and the taxonomy's filters read without joining the taxonomy; a change of the taxonomy
rewrites them (``invalider``). A trigger copies both, with the few other columns a search reads,
into the narrow rows of ``FicheRecherche`` (migration 0005), which the search reads instead of
the fiches. A search weighs at most ``PLAFOND`` fiches, the most recent of its matches, so that
its cost stops growing with the Atlaas.

The parts: ``requete`` (the query language), ``recherche`` (filters, order, pages, the cache of
a search), ``facettes`` (values, names and counts), ``extraits`` (excerpts and highlighting),
``similarite`` (similar fiches), ``suggestions`` (spelling), ``index`` (writing and forgetting
the index), ``lecture`` (the database a search reads: a streaming replica when there is one and
it has replayed the last publication, else the primary), ``export`` (the catalogue as CSV;
the full file, written in the background) and ``moteur`` (a search engine of the catalogue's own,
optional, which answers the searches instead of PostgreSQL when ``ATLAAS_MOTEUR`` names its
folder). The query string's form is ``atlaas.forms.RechercheForm``. Every name callers use is
re-exported here: ``catalogue.rechercher(...)``, ``catalogue.PLAFOND``, ``catalogue.export``. A
test that changes a setting patches the module that reads it (``catalogue.facettes.PLAFOND``,
``catalogue.recherche.EN_CACHE``).
"""

from . import export, moteur
from .extraits import EXTRAIT, extrait, surligner
from .facettes import PLAFOND, STRATES, TAXONOMIE, TYPES, libelle_niveau, strate_de
from .index import indexer, invalider
from .recherche import (
    PAR_PAGE,
    TRIS,
    VERSION,
    Resultats,
    condition_type,
    fiches,
    filtrer,
    ids_ordonnes,
    rechercher,
    type_de,
)
from .requete import MAX_QUERY_LENGTH, a_du_sens, analyser, par_pertinence, stems_cherches
from .similarite import similaires
from .suggestions import suggestion, vocabulaire

__all__ = [
    "EXTRAIT",
    "MAX_QUERY_LENGTH",
    "PAR_PAGE",
    "PLAFOND",
    "STRATES",
    "TAXONOMIE",
    "TRIS",
    "TYPES",
    "VERSION",
    "Resultats",
    "a_du_sens",
    "analyser",
    "condition_type",
    "export",
    "extrait",
    "fiches",
    "filtrer",
    "ids_ordonnes",
    "indexer",
    "invalider",
    "libelle_niveau",
    "moteur",
    "par_pertinence",
    "rechercher",
    "similaires",
    "stems_cherches",
    "strate_de",
    "suggestion",
    "surligner",
    "type_de",
    "vocabulaire",
]
