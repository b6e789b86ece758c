"""Where the catalogue's searches read: a streaming replica of PostgreSQL when one is configured
(``DATABASE_REPLICA_URL``, which names the alias in ``settings.ATLAAS_REPLIQUE``), else the
primary (``default``).

``base()`` gives the alias of the search work that only reads and is not in the cache: the
facets' counts and the first ids of a search, the fiches of the page it computed, the similar
fiches, the spelling suggestions' words. Everything else, writes included, stays on the primary;
so does a page of a search already in the cache (its fiches read by primary key: two small
queries, and never an id the replica has not replayed yet).

A replica replays the primary's changes a little later. A search's counts and ids are kept in the
cache an hour under the catalogue's version, which each publication renews after its commit: a
search computed on a replica that has not replayed that commit yet would keep the publication out
of the results for that hour. So the version's renewal notes the primary's position in its
write-ahead log (``noter_position``), and ``base()`` asks the replica how far it has replayed
(one query): the replica if it has replayed that position, else the primary. A replica that does
not answer is left to the primary, with a warning, for ``PAUSE`` seconds; one that fails while it
reads (stopped, its connection cut, a query cancelled by a conflict with its replay) too, and the
work is done again on the primary (``lire``): the visitor gets the page, not an error.
"""

import contextlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections

from villes_internet.cache import garder_le_plus_grand

logger = logging.getLogger(__name__)

PRIMAIRE = DEFAULT_DB_ALIAS
# The primary's position in its write-ahead log when the catalogue's version was last renewed.
# Written before the version (``index.nouvelle_version``) and read after it (``base``, once the
# search's key holds the version): a search never reads a position older than its version's.
POSITION = "atlaas:version:position"
PAUSE = 30  # seconds a process reads the primary after its replica did not answer
# What a replica stopped, cut off or in conflict with its replay raises (psycopg: OperationalError,
# of which a query cancelled by the replay; InterfaceError on a connection already closed).
ERREURS = (OperationalError, InterfaceError)
_absente_jusqu_a = 0.0  # monotonic time until which this process leaves the replica alone

# Positions as numbers of bytes (a pg_lsn minus 0/0), compared in Python.
_POSITION_PRIMAIRE = "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"
# NULL on a server that is not a standby: it replays nothing and is up to date.
_POSITION_REJOUEE = "SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn"


def replique():
    """The replica's alias, or None without one."""
    return settings.ATLAAS_REPLIQUE


def base():
    """The alias a search not in the cache reads: the replica when it has replayed the
    catalogue's last version, else the primary. One query on the replica; none without one."""
    alias = replique()
    if alias is None or time.monotonic() < _absente_jusqu_a:
        return PRIMAIRE
    try:
        rejouee = position_rejouee(alias)
    except ERREURS as exc:
        _absente(alias, exc, "ne répond pas")
        return PRIMAIRE
    if rejouee is None:
        return alias
    attendue = cache.get(POSITION)
    if attendue is None:  # never noted, or lost with the cache: the primary's now is later
        attendue = position_primaire()
        cache.add(POSITION, attendue, None)
    return alias if rejouee >= attendue else PRIMAIRE


def lire(fonction, alias=None):
    """``(alias, fonction(alias))`` on ``alias``, by default the database ``base()`` gives; on the
    primary if the replica fails meanwhile, then left alone for ``PAUSE`` seconds."""
    alias = alias or base()
    if alias == PRIMAIRE:
        return PRIMAIRE, fonction(PRIMAIRE)
    try:
        return alias, fonction(alias)
    except ERREURS as exc:
        _absente(alias, exc, "a échoué pendant une lecture, refaite sur la base principale")
        return PRIMAIRE, fonction(PRIMAIRE)


def noter_position():
    """Note the primary's position for the version about to be written, when there is a replica
    and no transaction is open (inside one, the position is not yet that of its commit: the
    version renewed after the commit notes it)."""
    if replique() is not None and not connections[PRIMAIRE].in_atomic_block:
        # Two publications a moment apart may note their positions in either order: the later
        # position stays, or a search of the last version could read a replica behind it.
        garder_le_plus_grand(POSITION, position_primaire())


def position_primaire():
    with connections[PRIMAIRE].cursor() as cursor:
        cursor.execute(_POSITION_PRIMAIRE)
        return int(cursor.fetchone()[0])


def position_rejouee(alias):
    """How far the replica ``alias`` has replayed the primary's log, or None if it is no standby."""
    with connections[alias].cursor() as cursor:
        cursor.execute(_POSITION_REJOUEE)
        position = cursor.fetchone()[0]
    return None if position is None else int(position)


def _absente(alias, exc, quoi):
    """Leave the replica alone for ``PAUSE`` seconds, its connection closed (a command that runs
    for long would otherwise try the dead one again after the pause), with a warning."""
    global _absente_jusqu_a
    _absente_jusqu_a = time.monotonic() + PAUSE
    with contextlib.suppress(DatabaseError):
        connections[alias].close()
    logger.warning(
        "La réplique « %s » %s : %s. Les recherches de l'Atlaas lisent la base principale pendant %s s.",
        alias,
        quoi,
        exc,
        PAUSE,
    )
