"""Whole public pages kept in the cache for anonymous visitors, as the palmarès keeps its own
(``label.views.palmares``): the home page, the Atlaas' landing page, a fiche's page and a
collectivité's page.

- **For whom**: a visitor without a session cookie and without a pending message, the same page
  for all of them (``anonyme``). Signed-in visitors get the live page: it names them and carries
  the CSRF token of their sign-out form. The session is not read to decide it: a cache hit reads
  no session and makes no query.
- **What**: the body and headers of the view's answer (never a cookie) to a GET or HEAD without a
  query string and without HTMX, when it answers 200. Any other request gets the live page.
- **Under which key**: the path, the language and the versions of the public data (``VERSIONS``:
  the cache keys each app declares in its ``AppConfig.ready``: the catalogue's version, which
  every publication of a fiche, change of a collectivité, of the taxonomy or of the palmarès
  moves; the label history's). A page built on an old version is never read again.
- **How long**: at most the view's ``duree`` (what no version follows: an edition opening, a
  correction the version missed, a contact erased).
- **Where**: in the cache (Redis), and in each web process' memory (``MEMOIRE``, the last pages it
  served, with their expiry): a hit then costs no round trip to Redis, which was half of its
  cost. A process trusts its copy of the versions for ``VERSIONS_SECONDES``: a publication shows
  at once in the process that made it (``oublier``), within that second in the others.

A cached page holds no CSRF token, which would be its first visitor's: the forms of these pages
are GET forms, except the language switch and a fiche's « afficher l'adresse », whose views check
the request's origin instead (``meme_site``, with ``csrf_exempt``).
"""

import functools
import hashlib
import threading
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.signals import setting_changed
from django.http import HttpResponse
from django.utils import translation
from django.utils.http import is_same_domain

VERSIONS = []  # cache keys of the public data's versions; each app adds its own (AppConfig.ready)
VERSIONS_SECONDES = 1.0  # how long a web process trusts its own copy of the versions
_copie = (0.0, [])  # this process' copy of the versions: (valid until, monotonic time; values)


class _Memoire:
    """The pages last served by this process: {key: (expiry, body, headers)}, the oldest dropped
    past ``taille``."""

    def __init__(self, taille):
        self.taille, self.pages, self.verrou = taille, {}, threading.Lock()

    def get(self, cle):
        page = self.pages.get(cle)
        if page is not None and page[0] > time.monotonic():
            return page[1:]
        return None

    def set(self, cle, expiration, contenu, entetes):
        with self.verrou:
            self.pages[cle] = (time.monotonic() + expiration, contenu, entetes)
            while len(self.pages) > self.taille:
                del self.pages[next(iter(self.pages))]

    def clear(self):
        with self.verrou:
            self.pages.clear()


MEMOIRE = _Memoire(64)


def oublier(**kwargs):
    """Forget this process' copy of the versions (after a change; and when tests change settings,
    at the start of each one, with its pages)."""
    global _copie
    _copie = (0.0, [])
    if kwargs:
        MEMOIRE.clear()


setting_changed.connect(oublier, dispatch_uid="villes_internet.pages.oublier")


def versions():
    """The values of ``VERSIONS``: this process' copy, else one round trip to the cache."""
    global _copie
    jusqu_a, valeurs = _copie  # one tuple, replaced whole: threads (gthread) read it safely
    if jusqu_a > time.monotonic():
        return valeurs
    trouvees = cache.get_many(VERSIONS) if VERSIONS else {}
    for nom in VERSIONS:
        if nom not in trouvees:  # lost (Redis emptied): a new one, never a value used before
            cache.add(nom, time.time_ns(), None)
            trouvees[nom] = cache.get(nom)  # None while the cache does not answer
    valeurs = [trouvees[nom] for nom in VERSIONS]
    _copie = (time.monotonic() + VERSIONS_SECONDES, valeurs)
    return valeurs


def anonyme(request):
    """No session and no pending message: the page is the same for every such visitor."""
    return (
        settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def _en_cache(request):
    return (
        request.method in ("GET", "HEAD")
        and not request.META.get("QUERY_STRING")
        and "HX-Request" not in request.headers
        and anonyme(request)
    )


def cle(request):
    """The key of the page of ``request``: its path, its language and the public versions."""
    empreinte = hashlib.md5(repr([request.path, versions()]).encode(), usedforsecurity=False).hexdigest()
    return f"pages:{translation.get_language()}:{empreinte}"


def en_cache(duree):
    """Decorator of a public view: its page kept ``duree`` seconds at most for anonymous visitors."""

    def decorateur(vue):
        @functools.wraps(vue)
        def enveloppe(request, *args, **kwargs):
            if not _en_cache(request):
                return vue(request, *args, **kwargs)
            cle_ = cle(request)
            # Without the versions (the cache does not answer) a page is kept nowhere.
            memoire = None not in versions()
            gardee = MEMOIRE.get(cle_) if memoire else None
            if gardee is None:
                gardee = cache.get(cle_)  # (expiry, body, headers)
                if gardee is not None:
                    if memoire:
                        MEMOIRE.set(cle_, gardee[0] - time.time(), *gardee[1:])
                    gardee = gardee[1:]
            if gardee is not None:
                contenu, entetes = gardee
                return HttpResponse(contenu, headers=entetes)
            response = vue(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming and not response.cookies:
                gardee = (time.time() + duree, response.content, dict(response.headers))
                cache.set(cle_, gardee, duree)
                if memoire:
                    MEMOIRE.set(cle_, duree, *gardee[1:])
            return response

        return enveloppe

    return decorateur


def meme_site(request):
    """Whether a browser's POST comes from a page of the portal: its Origin header (sent by
    every current browser), else its Sec-Fetch-Site header; a client that sends neither is not
    a browser driven by another site."""
    origine = request.headers.get("Origin")
    if origine is not None:
        portail = f"{request.scheme}://{request.get_host()}"
        return origine == portail or any(_de_confiance(origine, c) for c in settings.CSRF_TRUSTED_ORIGINS)
    return request.headers.get("Sec-Fetch-Site", "same-origin") in {"same-origin", "none"}


def _de_confiance(origine, confiance):
    """``origine`` is ``confiance``, an entry of CSRF_TRUSTED_ORIGINS (« https://*.exemple.fr »
    names the subdomains too), as Django's CSRF check reads them."""
    origine, confiance = urlsplit(origine), urlsplit(confiance)
    return origine.scheme == confiance.scheme and is_same_domain(origine.netloc, confiance.netloc.lstrip("*"))
