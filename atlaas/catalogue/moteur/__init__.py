"""The catalogue's own search engine (tantivy, on disk), for an Atlaas too large for PostgreSQL's
memory: a search's words and facets read from its posting lists and columns, whatever the
number of fiches, and every match counted (no ``PLAFOND``).

On when ``settings.ATLAAS_MOTEUR`` names a folder (PostgreSQL only), shared by the web processes,
which read it, and the Celery workers, which write it. ``chercher`` answers what
``recherche._calculer`` answers with PostgreSQL: the counts of every facet and the first ids in
the results' order; a search the engine cannot answer (no index yet, a damaged folder) is made by
PostgreSQL instead, as without it.

The engine follows the narrow copy of the published fiches (``FicheRecherche``): a trigger
(migration 0013) notes each fiche whose copy is written or removed in ``AIndexer``, with the
number of that change; ``appliquer`` (a Celery task after each change of the catalogue, and
every minute) writes those fiches into the engine, then removes their notes if no later change
came meanwhile. A worker killed half-way leaves the notes: the next run writes them again.
``reconstruire`` writes every fiche (``manage.py index_atlaas --moteur``, and by itself when
the folder holds no index).

The words are those of PostgreSQL's ``french_unaccent`` and of ``atlaas.francais`` (accents
removed, case folded, French stop words dropped, Snowball's French stemmer), in four fields
weighted as ``search_vector``'s A, B, C and D; the query is ``requete.analyser``'s reading. Where
they differ: PostgreSQL keeps an address (``www.ville.fr``, ``contact@ville.fr``, a URL) or a
decimal (``3.5``) as one word, which the engine splits into its words; and PostgreSQL's stemmer
differs from Snowball's on rare words (« malais »).

The parts: ``schema`` (the fields, the words' analyser, the index opened in each process),
``recherche`` (a search's query, counts and ids) and ``ecriture`` (the fiches written, the notes
forgotten, the whole index rebuilt).
"""

from .ecriture import appliquer, reconstruire
from .recherche import chercher, ids
from .schema import MEMOIRE, TEXTES, Indisponible, actif, oublier

__all__ = [
    "MEMOIRE",
    "TEXTES",
    "Indisponible",
    "actif",
    "appliquer",
    "chercher",
    "ids",
    "oublier",
    "reconstruire",
]
