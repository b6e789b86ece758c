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
    ],
)
def test_settings_bad_production_value_stops_startup_and_names_it(change, named):
    result = run_django(["check"], **{**PRODUCTION, **change})
    assert result.returncode != 0
    assert named in result.stderr
    assert "ImproperlyConfigured" in result.stderr


@pytest.mark.django_db
def test_settings_csp_forbids_inline_code(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
