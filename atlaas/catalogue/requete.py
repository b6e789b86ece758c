"""The query language of the catalogue: how the words typed in the search box are read.

``analyser`` reads the ``websearch`` syntax as PostgreSQL does (words, "quoted phrases", ``-``
to exclude, ``OR``) into French stems; ``_texte`` restricts fiches to the matching ones, through
``search_vector`` on PostgreSQL or FTS5 on SQLite, and ``_pertinence`` / ``_ids_par_pertinence``
rank them. ``par_pertinence`` says when results go by relevance rather than by date.
"""

import dataclasses
import functools
import re

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, connections
from django.db.models import F
from django.db.models.expressions import RawSQL

from atlaas import francais

CONFIG = "french_unaccent"
MAX_QUERY_LENGTH = 200


@dataclasses.dataclass(frozen=True)
class Terme:
    stems: tuple  # one stem, or several for a phrase
    exclu: bool = False


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@functools.lru_cache(maxsize=256)
def analyser(q):
    """The ``websearch`` syntax as PostgreSQL reads it: groups that must all match, each a tuple
    of alternatives (``OR``); a term is a word or a "quoted phrase", ``-`` excludes it. A page
    asks for it a dozen times (filter, order, excerpts): it is read once."""
    groupes, ou = [], False
    for match in _TOKEN.finditer(francais.saints_developpes(q)):
        moins, phrase, mot = match.groups()
        if mot is not None and mot.lower() == "or":
            ou = bool(groupes)
            continue
        if mot is not None:
            moins, phrase = ("-" if mot.startswith("-") else ""), mot.lstrip("-")
        stems = tuple(francais.stems(phrase))
        if not stems:
            continue
        terme = Terme(stems, exclu=bool(moins))
        if ou and not terme.exclu and not groupes[-1][-1].exclu:
            groupes[-1].append(terme)
        else:
            groupes.append([terme])
        ou = False
    return tuple(tuple(groupe) for groupe in groupes)


def stems_cherches(q):
    """The stems a result should show highlighted."""
    return {stem for groupe in analyser(q) for terme in groupe if not terme.exclu for stem in terme.stems}


def _fts5(groupes):
    def terme(t):
        return '"' + " ".join(t.stems) + '"'  # stems are \w+ only: nothing to escape

    return " AND ".join("(" + " OR ".join(terme(t) for t in groupe) + ")" for groupe in groupes)


_FTS_IDS = "SELECT rowid FROM atlaas_fiche_fts WHERE atlaas_fiche_fts MATCH %s"
_FTS_WEIGHTS = "10.0, 4.0, 4.0, 1.0"  # titre, résumé, collectivité, corps


def _requete(q):
    """PostgreSQL's reading of ``q`` (« St Denis » looked for as « saint Denis », as names are written)."""
    return SearchQuery(francais.saints_developpes(q), config=CONFIG, search_type="websearch")


def _texte(qs, q):
    """``qs`` restricted to the fiches matching ``q``."""
    if connection.vendor == "postgresql":
        return qs.filter(search_vector=_requete(q))
    for groupe in analyser(q):
        positifs = [terme for terme in groupe if not terme.exclu]
        if positifs:
            qs = qs.filter(id__in=RawSQL(_FTS_IDS, [_fts5([positifs])]))
        for terme in groupe:
            if terme.exclu:
                qs = qs.exclude(id__in=RawSQL(_FTS_IDS, [_fts5([[terme]])]))
    return qs


def _pertinence(qs, q):
    """``qs`` (already restricted by ``_texte``) annotated with ``rank``, higher is better
    (PostgreSQL)."""
    return qs.annotate(rank=SearchRank(F("search_vector"), _requete(q)))


def _ids_par_pertinence(qs, q):
    """SQLite: the ids of ``qs`` best first. FTS5 ranks its matches in one pass; joining it to the
    fiches instead would run the full-text query once per fiche."""
    positifs = [[t for t in groupe if not t.exclu] for groupe in analyser(q)]
    expression = _fts5([groupe for groupe in positifs if groupe])
    retenus = set(qs.values_list("pk", flat=True))
    if not expression:
        return sorted(retenus, reverse=True)
    with connections[qs.db].cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM atlaas_fiche_fts WHERE atlaas_fiche_fts MATCH %s "
            f"ORDER BY bm25(atlaas_fiche_fts, {_FTS_WEIGHTS}), rowid DESC",
            [expression],
        )
        return [pk for (pk,) in cursor.fetchall() if pk in retenus]


def a_du_sens(q):
    """False for a query with no word to look for (punctuation, stop words only)."""
    return bool(analyser(q))


def par_pertinence(filtres):
    """True when results go by relevance (title above body): a text query and no other order asked."""
    return filtres.get("tri", "pertinence") == "pertinence" and a_du_sens(filtres.get("q", ""))
