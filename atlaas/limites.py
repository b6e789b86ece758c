"""Limits per client IP for the public doors that cost: the reveal of a contact's address, the
filtered CSV exports. Counted in the cache; their key prefixes are in the cache's
``LOCAL_FALLBACK_PREFIXES`` (settings), so that they still hold while Redis does not answer."""

import ipaddress

from allauth.account.adapter import get_adapter

from villes_internet.cache import compter


def au_dela(request, prefixe, limite, duree=3600):
    """Count one more request of the client's IP under ``prefixe``; True once past ``limite``
    within ``duree`` seconds of its first. The IP is the one allauth's rate limits use
    (``ALLAUTH_TRUSTED_PROXY_COUNT`` behind a proxy)."""
    ip = get_adapter(request).get_client_ip(request)
    if ":" in ip:  # an IPv6 client holds a whole /64: count the network, not each address
        ip = str(ipaddress.ip_network(f"{ip}/64", strict=False))
    cle = f"{prefixe}{ip}"
    return compter(cle, duree) > limite
