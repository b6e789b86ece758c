"""The cache of full mode: Redis through django-redis, where Redis not answering is a cache miss.

django-redis' ``IGNORE_EXCEPTIONS`` turns a connection error into a miss: ``get`` answers its
default, ``get_many`` nothing, ``set``, ``add``, ``delete`` and ``incr`` None. The pages are then
built from the database and the sessions read from it (``cached_db``). Each error is logged on
the logger of this module, which ``OncePerPeriod`` (settings.LOGGING) lets through once a
minute per process and message.

A miss is wrong for the keys used as counters and claims: a rate limit that never finds its
counter lets everything through, allauth's lock (``cache.add``) never taken refuses everyone.
Those keys (``LOCAL_FALLBACK_PREFIXES`` in the cache's OPTIONS) go to this process' memory while
Redis does not answer: the limits then count per process, which is stricter than nothing and
lets nobody be locked out.
"""

import logging
import time

from django.core.cache import cache, caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django_redis import cache as django_redis
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self.local_prefixes = tuple(params.get("OPTIONS", {}).get("LOCAL_FALLBACK_PREFIXES", ()))
        # One memory per process, whichever thread's cache object uses it.
        self.memory = LocMemCache("villes_internet.cache", {"OPTIONS": {"MAX_ENTRIES": 10_000}})

    def _is_local(self, key):
        return bool(self.local_prefixes) and key.startswith(self.local_prefixes)

    def _redis_or_memory(self, operation, key, *args, **kwargs):
        """``operation`` on Redis, or on this process' memory when Redis does not answer."""
        try:
            return getattr(self.client, operation)(key, *args, **kwargs)
        except ConnectionInterrupted:
            logger.warning(
                "Redis ne répond pas : limites et marques (%s) comptées dans la mémoire du processus.",
                ", ".join(self.local_prefixes),
            )
            return getattr(self.memory, operation)(key, *args, **kwargs)

    def get(self, key, default=None, version=None, client=None):
        if self._is_local(key):
            return self._redis_or_memory("get", key, default=default, version=version)
        return super().get(key, default, version, client)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        if self._is_local(key):
            return self._redis_or_memory("set", key, value, timeout=timeout, version=version)
        return super().set(key, value, timeout=timeout, version=version, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        if self._is_local(key):
            return self._redis_or_memory("add", key, value, timeout=timeout, version=version)
        return super().add(key, value, timeout=timeout, version=version, **kwargs)

    def incr(self, key, delta=1, version=None, **kwargs):
        if self._is_local(key):
            return self._redis_or_memory("incr", key, delta, version=version)
        return super().incr(key, delta, version=version, **kwargs)

    def delete(self, key, version=None, **kwargs):
        if self._is_local(key):
            return bool(self._redis_or_memory("delete", key, version=version))
        return super().delete(key, version=version, **kwargs)

    def clear(self):
        self.memory.clear()
        return super().clear()

    def delete_many(self, keys, version=None, **kwargs):
        keys = list(keys)
        for key in filter(self._is_local, keys):
            self.delete(key, version=version)
        others = [key for key in keys if not self._is_local(key)]
        if others:
            super().delete_many(others, version=version, **kwargs)


def compter(cle, duree):
    """Add one to the counter ``cle``, created for ``duree`` seconds; returns the new count."""
    cache.add(cle, 0, duree)
    try:
        return cache.incr(cle)
    except ValueError:  # expired (or Redis lost between add() and incr()): a new count
        cache.set(cle, 1, duree)
        return 1


# Redis: the key set to the number unless it holds a greater one, in one step. An integer is
# stored as its digits (django-redis does not pickle integers), so the cache reads it back as one.
_PLUS_GRAND = """
local actuel = tonumber(redis.call('GET', KEYS[1]))
if not actuel or actuel < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
"""


def garder_le_plus_grand(cle, nombre):
    """Set ``cle`` (no expiry) to ``nombre`` unless it already holds a greater one: two processes
    noting increasing positions in either order leave the greater. One step on Redis; get then
    set on another cache (one process' memory). Redis not answering notes nothing."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        try:
            redis = backend.client.get_client(write=True)
            redis.eval(_PLUS_GRAND, 1, backend.make_and_validate_key(cle), nombre)
        except RedisError as exc:
            logger.warning("Redis ne répond pas : « %s » n'est pas noté (%s).", cle, exc)
        return
    actuel = cache.get(cle)
    if actuel is None or actuel < nombre:
        cache.set(cle, nombre, None)


class OncePerPeriod(logging.Filter):
    """Lets each message of a logger through once per ``seconds`` (per process): a Redis outage
    is logged once a minute, not at each of the thousands of cache calls it fails."""

    def __init__(self, seconds=60):
        super().__init__()
        self.seconds = seconds
        self.last = {}

    def filter(self, record):
        now = time.monotonic()
        if now - self.last.get(record.msg, -self.seconds) < self.seconds:
            return False
        self.last[record.msg] = now
        return True
