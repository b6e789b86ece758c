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
from django.db.models import F, Q
from django.db.models.expressions import RawSQL

from atlaas import francais

CONFIG = "french_unaccent"
MAX_QUERY_LENGTH = 200


@dataclasses.dataclass(frozen=True)
class Terme:
    stems: tuple  # one stem, or several for a phrase
    exclu: bool = False
    # Each stem's place among the phrase's words, stop words counted (PostgreSQL's distances
    # between the words of a phrase, « école de musique »: école <2> musique).
    positions: tuple = ()


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@functools.lru_cache(maxsize=256)
def analyser(q):
    """The ``websearch`` syntax as PostgreSQL reads it (``websearch_to_tsquery``): alternatives
    (``OR``), each a tuple of terms that must all match; a term is a word or a "quoted phrase",
    ``-`` excludes it. AND binds tighter than OR: « données ouvertes OR open data » is (données
    and ouvertes) or (open and data). « or » is a word, not the operator, first, last, or right
    after another « or ». A page asks for it a dozen times (filter, order, excerpts): it is read
    once."""
    alternatives, termes = [], []
    jetons = list(_TOKEN.finditer(francais.saints_developpes(q)))
    apres_operande = exclure = False  # an operand just read (even a stop word); a lone « - » before
    for n, match in enumerate(jetons):
        moins, phrase, mot = match.groups()
        if mot is not None and mot.lower() == "or" and apres_operande and n + 1 < len(jetons):
            if termes:
                alternatives.append(tuple(termes))
            termes, apres_operande = [], False
            continue
        if mot is not None:
            phrase = mot.lstrip("-")
            moins = mot[: len(mot) - len(phrase)]
            if not phrase:  # « - » alone excludes the next term
                exclure = exclure != (len(moins) % 2 == 1)
                continue
        apres_operande = True
        places = francais.stems_places(phrase)
        exclu, exclure = exclure != (len(moins) % 2 == 1), False  # « --mot »: not not
        if places:
            positions, stems = zip(*places, strict=True)
            termes.append(Terme(stems, exclu=exclu, positions=positions))
    if termes:
        alternatives.append(tuple(termes))
    return tuple(alternatives)


def stems_cherches(q):
    """The stems a result should show highlighted."""
    return {stem for termes in analyser(q) for terme in termes if not terme.exclu for stem in terme.stems}


def _fts5(termes):
    """FTS5's expression of terms that must all match."""
    return " AND ".join('"' + " ".join(t.stems) + '"' for t in termes)  # \w+ stems: nothing to escape


_FTS_IDS = "SELECT rowid FROM atlaas_fiche_fts WHERE atlaas_fiche_fts MATCH %s"
_FTS_WEIGHTS = "10.0, 4.0, 4.0, 1.0"  # titre, résumé, collectivité, corps


def _requete(q):
    """PostgreSQL's reading of ``q`` (« St Denis » looked for as « saint Denis », as names are written)."""
    return SearchQuery(francais.saints_developpes(q), config=CONFIG, search_type="websearch")


def _texte(qs, q):
    """``qs`` restricted to the fiches matching ``q``."""
    if connection.vendor == "postgresql":
        return qs.filter(search_vector=_requete(q))
    condition = Q()
    for termes in analyser(q):
        positifs = [terme for terme in termes if not terme.exclu]
        alternative = Q(id__in=RawSQL(_FTS_IDS, [_fts5(positifs)])) if positifs else Q()
        for terme in termes:
            if terme.exclu:
                alternative &= ~Q(id__in=RawSQL(_FTS_IDS, [_fts5([terme])]))
        condition |= alternative
    return qs.filter(condition)


def _pertinence(qs, q):
    """``qs`` (already restricted by ``_texte``) annotated with ``rank``, higher is better
    (PostgreSQL)."""
    return qs.annotate(rank=SearchRank(F("search_vector"), _requete(q)))


def _ids_par_pertinence(qs, q):
    """SQLite: the ids of ``qs`` best first. FTS5 ranks its matches in one pass; joining it to the
    fiches instead would run the full-text query once per fiche."""
    positifs = [[t for t in termes if not t.exclu] for termes in analyser(q)]
    expression = " OR ".join(f"({_fts5(termes)})" for termes in positifs if termes)
    retenus = set(qs.values_list("pk", flat=True))
    if not expression:
        return sorted(retenus, reverse=True)
    with connections[qs.db].cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM atlaas_fiche_fts WHERE atlaas_fiche_fts MATCH %s "
            f"ORDER BY bm25(atlaas_fiche_fts, {_FTS_WEIGHTS}), rowid DESC",
            [expression],
        )
        classes = [pk for (pk,) in cursor.fetchall() if pk in retenus]
    # Kept by an alternative of excluded words only (« budget OR -wifi »): after, newest first.
    return classes + sorted(retenus.difference(classes), reverse=True)


def a_du_sens(q):
    """False for a query with no word to look for (punctuation, stop words only)."""
    return bool(analyser(q))


def par_pertinence(filtres):
    """True when results go by relevance (title above body): a text query and no other order asked."""
    return filtres.get("tri", "pertinence") == "pertinence" and a_du_sens(filtres.get("q", ""))
