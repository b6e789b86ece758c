"""Server time and query count of the public pages, live and as anonymous visitors get them.

Runs in-process (Django's test client, no network) against the database the environment names
(PostgreSQL with DATABASE_URL), set up as a web worker is (``villes_internet.wsgi``), on a
database where ``manage.py demo`` has run (``bench/atlaas.sh --keep`` leaves one of each size):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<base> .venv/bin/python bench/pages.py [--runs 50]

For the home page, the Atlaas' landing page, the page of the most recently published fiche and
its collectivité's page: the **live** page (a signed-in member, who gets the page built for
them; its parts' caches kept, as on a busy day), then the **anonymous** visitor's (the whole page
kept in the cache, ``villes_internet.pages``). Each line: p50, p95 and the queries of a request.
"""

import argparse
import importlib
import os
import sys
from pathlib import Path

from mesures import mesurer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villes_internet.settings")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs
    importlib.import_module("villes_internet.wsgi")  # as gunicorn loads it (gc.freeze included)

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from atlaas.models import FicheAction

    connection.settings_dict["CONN_MAX_AGE"] = None
    fiche = FicheAction.objects.published().order_by("-published_at", "-pk").first()
    if fiche is None:
        sys.exit("Aucune fiche publiée : lancez d'abord `manage.py demo` sur cette base.")
    pages = {
        "accueil": reverse("home"),
        "Atlaas": reverse("atlaas:catalogue"),
        "fiche": reverse("atlaas:fiche_publique", args=[fiche.pk]),
        "collectivité": reverse("atlaas:collectivite", args=[fiche.collectivite.code]),
    }
    membre = Client(SERVER_NAME="localhost")  # production's ALLOWED_HOSTS, as atlaas.py
    membre.force_login(get_user_model().objects.filter(is_active=True, is_staff=False).order_by("pk").first())
    anonyme = Client(SERVER_NAME="localhost")
    publiees = FicheAction.objects.published().count()
    print(f"{connection.vendor} — {publiees} fiches publiées ; {runs} mesures par page")
    for nom, url in pages.items():
        for qui, client in (("en direct", membre), ("anonyme", anonyme)):
            mesurer(f"{nom}, {qui}", lambda url=url, client=client: client.get(url, secure=True), runs, 26)
    print("Charge de la machine (1, 5, 15 min) : " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
