from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from atlaas import selectors
from label import palmares
from label.models import Edition


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
    """Liveness and readiness for load balancers and docker-compose: database and cache."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"erreur : {exc.__class__.__name__}"
    try:
        cache.set("health", "ok", 5)
        checks["cache"] = "ok" if cache.get("health") == "ok" else "erreur"
    except Exception as exc:  # noqa: BLE001
        checks["cache"] = f"erreur : {exc.__class__.__name__}"
    checks["mode"] = (
        "complet" if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else "embarqué"
    )
    healthy = checks["database"] == "ok" and checks["cache"] == "ok"
    return JsonResponse(checks, status=200 if healthy else 503)
