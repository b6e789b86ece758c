"""Whole public pages kept for anonymous visitors: the home page, the Atlaas' landing page, a
fiche's page and a collectivité's page (``en_cache``), and the palmarès' year pages
(``label.views.palmares``, which keeps its own in the cache).

- **For whom**: a visitor without a session cookie and without a pending message, the same page
  for all of them (``anonyme``). Signed-in visitors get the live page: it names them and carries
  the CSRF token of their sign-out form. The session is not read to decide it: a cache hit reads
  no session and makes no query.
- **In the cache (Redis)**, shared by the web processes (``en_cache``): the body and headers of
  the view's answer (never a cookie) to a GET or HEAD without a query string and without HTMX,
  when it answers 200, under the path, the language and the versions of the public data
  (``VERSIONS``: the cache keys each app declares in its ``AppConfig.ready``: the catalogue's
  version, which every publication of a fiche, change of a collectivité, of the taxonomy or of
  the palmarès moves; the label history's). A page built on an old version is never read again.
  It is kept at most the view's ``duree`` (what no version follows: an edition opening, a
  correction the version missed, a contact erased).
- **In each web process' memory** (``MEMOIRE``, ``PagesGardees`` just after WhiteNoise): the
  answers the views marked (``garder``), whole as they were sent (every middleware's headers,
  compressed for a client that accepts gzip), sent again to anonymous GET requests of the same
  path and query string, language and gzip: a hit costs what a static file costs, no session, no
  URL resolution, no round trip to Redis. Each carries the token of the data it was built from
  (the versions; for the palmarès, its year's state) and is sent only while this process' copy
  of it is the same: a process trusts its copy of the versions for ``VERSIONS_SECONDES``, so a
  publication shows at once in the process that made it (``oublier``), within that second in the
  others.

A cached page holds no CSRF token, which would be its first visitor's: the forms of these pages
are GET forms, except the language switch and a fiche's « afficher l'adresse », whose views check
the request's origin instead (``meme_site``, with ``csrf_exempt``).
"""

import functools
import hashlib
import re
import threading
import time
from collections import OrderedDict
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.signals import setting_changed
from django.http import HttpResponse
from django.utils import translation
from django.utils.http import is_same_domain

from .livraison import livraison

VERSIONS = []  # cache keys of the public data's versions; each app adds its own (AppConfig.ready)
VERSIONS_SECONDES = 1.0  # how long a web process trusts its own copy of the versions
_copie = (0.0, [])  # this process' copy of the versions: (valid until, monotonic time; values)


class _Memoire:
    """The answers this process sends again: {key: (expiry, token, body, headers)}, the least
    recently served dropped past ``taille`` (a crawler's walk through the fiches does not push
    out the palmarès a crowd is reading)."""

    def __init__(self, taille):
        self.taille, self.pages, self.verrou = taille, OrderedDict(), threading.Lock()

    def get(self, cle):
        page = self.pages.get(cle)
        if page is None:
            return None
        if page[0] <= time.monotonic():
            self.retirer(cle)
            return None
        with self.verrou:
            if cle in self.pages:
                self.pages.move_to_end(cle)
        return page[1:]

    def set(self, cle, expiration, jeton, contenu, entetes):
        with self.verrou:
            self.pages[cle] = (time.monotonic() + expiration, jeton, contenu, entetes)
            self.pages.move_to_end(cle)
            while len(self.pages) > self.taille:
                self.pages.popitem(last=False)

    def retirer(self, cle):
        with self.verrou:
            self.pages.pop(cle, None)

    def clear(self):
        with self.verrou:
            self.pages.clear()


# 64 answers (a page in two languages, compressed or not, counts up to four) of at most ~100 kB:
# a few MB per process.
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


def cle(request, valeurs=None):
    """The key of the page of ``request``: its path, its language, the public versions
    (``valeurs``, read here when not given) and the release that built it."""
    valeurs = versions() if valeurs is None else valeurs
    empreinte = hashlib.md5(
        repr([request.path, valeurs, livraison()]).encode(), usedforsecurity=False
    ).hexdigest()
    return f"pages:{translation.get_language()}:{empreinte}"


def en_cache(duree):
    """Decorator of a public view: its page kept ``duree`` seconds at most for anonymous visitors."""

    def decorateur(vue):
        @functools.wraps(vue)
        def enveloppe(request, *args, **kwargs):
            if not _en_cache(request):
                return vue(request, *args, **kwargs)
            valeurs = versions()  # read once: the key's, and the token of the answer kept in memory
            cle_ = cle(request, valeurs)
            gardee = cache.get(cle_)  # (expiry, body, headers)
            if gardee is not None:
                expiration, contenu, entetes = gardee
                response = HttpResponse(contenu, headers=entetes)
                return garder(response, expiration - time.time(), versions, valeurs)
            response = vue(request, *args, **kwargs)
            if _gardable(request, response):
                cache.set(cle_, (time.time() + duree, response.content, dict(response.headers)), duree)
                garder(response, duree, versions, valeurs)
            return response

        return enveloppe

    return decorateur


def _gardable(request, response):
    """An answer the same for every anonymous visitor: a 200, whole, without a cookie and without
    a CSRF token (a template that asked for one would give its first visitor's to everyone)."""
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
    )


def garder(response, duree, jeton, valeur):
    """Mark ``response`` to be kept whole in this process' memory for ``duree`` seconds at most
    (by ``PagesGardees``) and sent again while ``jeton()`` (which reads only this process' copies)
    gives ``valeur``, the token of the data the page was built from, read when they were. A
    token that is or holds None (the cache does not answer) keeps nothing."""
    response.gardee = (duree, jeton, valeur)
    return response


_GZIP = re.compile(r"\bgzip\b")  # as GZipMiddleware reads Accept-Encoding
_CONDITIONNELLES = ("If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since")


class PagesGardees:
    """Middleware just after WhiteNoise: the answers marked by ``garder`` sent again from this
    process' memory, whole as they were sent, to the anonymous visitors' plain GET requests.
    Before anything else of Django's: no session read, no URL resolved, no view called; the host
    is checked as CommonMiddleware would (``ALLOWED_HOSTS``). The key is the path with its query
    string, the language the visitor would get and whether the client accepts gzip (the body is
    kept compressed for those who do); a conditional request (its ETag's 304) or an HTMX one goes
    the whole way."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method != "GET"
            or not anonyme(request)
            or "HX-Request" in request.headers
            or any(entete in request.headers for entete in _CONDITIONNELLES)
        ):
            return self.get_response(request)
        cle_ = (
            request.get_full_path(),
            translation.get_language_from_request(request),
            bool(_GZIP.search(request.headers.get("Accept-Encoding", ""))),
        )
        page = MEMOIRE.get(cle_)
        if page is not None:
            (jeton, valeur), contenu, entetes = page
            if jeton() == valeur:
                request.get_host()  # DisallowedHost (400) for a host the portal does not serve
                return HttpResponse(contenu, headers=entetes)
            MEMOIRE.retirer(cle_)  # built from data since changed
        response = self.get_response(request)
        gardee = getattr(response, "gardee", None)
        if gardee and _gardable(request, response):
            duree, jeton, valeur = gardee
            if duree > 0 and valeur is not None and None not in valeur:
                MEMOIRE.set(cle_, duree, (jeton, valeur), response.content, dict(response.headers))
        return response


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
