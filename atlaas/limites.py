"""Limits per client IP for the public doors that cost: the reveal of a contact's address, the
filtered CSV exports. Counted in the cache; their key prefixes are in the cache's
``LOCAL_FALLBACK_PREFIXES`` (settings), so that they still hold while Redis does not answer."""

from allauth.core.internal import ratelimit

from villes_internet.cache import compter


def au_dela(request, prefixe, limite, duree=3600):
    """Count one more request of the client's IP under ``prefixe``; True once past ``limite``
    within ``duree`` seconds of its first. The IP is the one allauth's rate limits use
    (``ALLAUTH_TRUSTED_PROXY_COUNT`` behind a proxy), an IPv6 address cut to its /64 network:
    a client holds a whole network."""
    return compter(f"{prefixe}{ratelimit.get_ip(request)}", duree) > limite
