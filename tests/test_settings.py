"""Settings come from the environment; a bad production value stops start-up and names itself."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k7#Qv9!zR2@wX5$mL8^tY1&uN4*pB6(sD3)fG0_hJ-eC+aZ=oIrTyUiOpAsDfGhJkL",
    "ALLOWED_HOSTS": "label.villes-internet.net",
    "SITE_URL": "https://label.villes-internet.net",
    "DATABASE_URL": "postgres://villes_internet@db.internal:5432/villes_internet",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "EMAIL_HOST": "smtp.internal",
    "EDITEUR": "Association Villes Internet, siège et téléphone, directrice de la publication",
    "HEBERGEUR": "Hébergeur SAS, adresse et téléphone",
}


def run_django(args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_production_check_deploy_reports_nothing():
    result = run_django(["check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "trop-court"}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"REDIS_URL": ""}, "REDIS_URL"),
        ({"SITE_URL": ""}, "SITE_URL"),
        ({"EMAIL_HOST": ""}, "EMAIL_HOST"),
        ({"DEBUG": "peut-être"}, "DEBUG"),
        ({"DATABASE_URL": "mysql://root@localhost/vi"}, "DATABASE_URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"EMAIL_PORT": "vingt-cinq"}, "EMAIL_PORT"),
        ({"EDITEUR": ""}, "EDITEUR"),
        ({"HEBERGEUR": ""}, "HEBERGEUR"),
        ({"CONTACT_DONNEES": "pas une adresse"}, "CONTACT_DONNEES"),
        ({"SECURITY_CONTACT": "personne"}, "SECURITY_CONTACT"),
        ({"DATABASE_REPLICA_URL": "mysql://root@replique/vi"}, "DATABASE_REPLICA_URL"),
        ({"DATABASE_REPLICA_URL": "replique:5432"}, "DATABASE_REPLICA_URL"),
    ],
)
def test_settings_bad_production_value_stops_startup_and_names_it(change, named):
    result = run_django(["check"], **{**PRODUCTION, **change})
    assert result.returncode != 0
    assert named in result.stderr
    assert "ImproperlyConfigured" in result.stderr


REPLIQUE = "from django.conf import settings; print(settings.ATLAAS_REPLIQUE, sorted(settings.DATABASES))"


def test_settings_a_replica_is_optional_and_read_by_the_atlaas_only():
    sans = run_django(["shell", "-c", REPLIQUE], **PRODUCTION)
    assert sans.returncode == 0, sans.stderr
    assert sans.stdout.split("\n")[-2] == "None ['default']"
    avec = run_django(
        ["shell", "-c", REPLIQUE + "; print(settings.DATABASES['replica'])"],
        **PRODUCTION,
        DATABASE_REPLICA_URL="postgres://villes_internet@db-replique.internal:5432/villes_internet",
    )
    assert avec.returncode == 0, avec.stderr
    alias, replica = avec.stdout.split("\n")[-3:-1]
    assert alias == "replica ['default', 'replica']"
    assert "'HOST': 'db-replique.internal'" in replica
    assert "'MIRROR': 'default'" in replica  # in tests, the primary's own database
    assert "'connect_timeout': 2" in replica


def test_settings_a_replica_without_a_primary_is_refused():
    result = run_django(["check"], DATABASE_URL="", DATABASE_REPLICA_URL="postgres://u@replique/vi")
    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_REPLICA_URL demande DATABASE_URL" in result.stderr


@pytest.mark.django_db
def test_settings_csp_forbids_inline_code(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


# A 404 and a 500, answered by the settings the environment gives (the test client within the
# process that read them): a page that does not exist and a view that fails.
ERROR_PAGES = """
import sys, types
from django.conf import settings
from django.test import Client, override_settings
from django.urls import include, path

def boom(request):
    raise RuntimeError("boom")

urls = types.ModuleType("boom_urls")
urls.urlpatterns = [path("boom/", boom), path("", include("villes_internet.urls"))]
sys.modules["boom_urls"] = urls
client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
print("DEBUG", settings.DEBUG, "PRODUCTION", settings.PRODUCTION)
with override_settings(ROOT_URLCONF="boom_urls"):
    for url in ["/pas-de-page/", "/boom/", "/static/css/portail.css"]:
        response = client.get(url)
        body = b"".join(response) if response.streaming else response.content
        print(url, response.status_code, body.decode()[:3000].replace("\\n", " "))
"""


def run_embedded(tmp_path, **env):
    """manage.py shell in embedded mode: no database or Redis URL, a SQLite file of its own."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", ERROR_PAGES],
        cwd=ROOT,
        env={**clean, "SQLITE_PATH": str(tmp_path / "db.sqlite3"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return {line.split(" ", 1)[0]: line for line in result.stdout.splitlines()}


def test_settings_embedded_mode_shows_the_portals_own_404_and_500_pages(tmp_path):
    pages = run_embedded(tmp_path)
    assert pages["DEBUG"] == "DEBUG False PRODUCTION False"
    assert pages["/pas-de-page/"].startswith("/pas-de-page/ 404 ")
    assert "Page introuvable" in pages["/pas-de-page/"]
    assert "URLconf" not in pages["/pas-de-page/"]  # Django's debug page lists every URL
    assert pages["/boom/"].startswith("/boom/ 500 ")
    assert "Une erreur est survenue" in pages["/boom/"] and "Traceback" not in pages["/boom/"]
    # The static files are served all the same, without collectstatic.
    assert pages["/static/css/portail.css"].startswith("/static/css/portail.css 200 ")


def test_settings_debug_true_shows_djangos_debug_pages(tmp_path):
    pages = run_embedded(tmp_path, DEBUG="true")
    assert pages["DEBUG"] == "DEBUG True PRODUCTION False"
    assert "URLconf" in pages["/pas-de-page/"]
    assert pages["/boom/"].startswith("/boom/ 500 ") and "RuntimeError" in pages["/boom/"]


def test_settings_debug_false_is_production():
    result = run_django(
        ["shell", "-c", "from django.conf import settings; print(settings.DEBUG, settings.PRODUCTION)"],
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["False", "True"]


def test_settings_the_atlaas_engine_without_postgresql_is_refused():
    result = run_django(["check"], DATABASE_URL="", ATLAAS_MOTEUR="/tmp/moteur-atlaas")
    assert result.returncode != 0
    assert "ImproperlyConfigured: ATLAAS_MOTEUR demande DATABASE_URL" in result.stderr
