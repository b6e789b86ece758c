import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import set_language

from atlaas import selectors
from label import palmares
from label.models import Edition
from outbox import envois

from .pages import en_cache, meme_site

ACCUEIL_SECONDES = 60  # an edition opening or closing shows within a minute


@en_cache(ACCUEIL_SECONDES)
def home(request):
    edition = Edition.objects.ouverte()
    return render(
        request,
        "home.html",
        {
            "figures": selectors.key_figures(),
            "edition": edition,
            "edition_open": edition and edition.is_open(),
            "palmares": palmares.a_la_une(),
        },
    )


@never_cache
def health(request):
    """Liveness and readiness for load balancers and docker-compose: 503 only without the
    database. Without the cache the portal still serves (slower: every read is a miss), so a
    load balancer must keep the instance: « indisponible », with 200. ``envois``: the outbox's
    rows owed, failed, and the age in seconds of the oldest one owed, for monitoring."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
        # What is owed and not done yet: an old row means no worker, no beat or no broker.
        checks["envois"] = envois.etat()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"erreur : {exc.__class__.__name__}"
    try:
        cache.set("health", "ok", 5)  # Redis down: ignored, and the get below misses
        checks["cache"] = "ok" if cache.get("health") == "ok" else "indisponible"
    except Exception:  # noqa: BLE001 - a backend that raises instead of missing
        checks["cache"] = "indisponible"
    checks["mode"] = (
        "complet" if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else "embarqué"
    )
    return JsonResponse(checks, status=200 if checks["database"] == "ok" else 503)


@require_safe
def security_txt(request):
    """Where to report a vulnerability (RFC 9116). It expires at the next midnight (UTC) a year
    from now, less than a year ahead as the RFC recommends, and the same all day long."""
    expires = datetime.datetime.combine(
        timezone.now().date() + datetime.timedelta(days=365), datetime.time(), tzinfo=datetime.UTC
    )
    lignes = [
        f"Contact: {settings.SECURITY_CONTACT}",
        f"Expires: {expires:%Y-%m-%dT%H:%M:%SZ}",
        "Preferred-Languages: fr, en",
        f"Canonical: {settings.SITE_URL}/.well-known/security.txt",
    ]
    response = HttpResponse("\n".join(lignes) + "\n", content_type="text/plain; charset=utf-8")
    patch_cache_control(response, public=True, max_age=3600)
    return response


@csrf_exempt
@require_POST
def changer_langue(request):
    """Django's ``set_language``, with the request's origin checked instead of a CSRF token: the
    language form is on every page, and a token there gave every visitor a cookie and a page
    of their own, none of which could be served from a cache kept for all."""
    if not meme_site(request):
        raise PermissionDenied
    return set_language(request)
