"""Server time and query count of the observatoire (/observatoire/) for a few fixed choices.

Each page is measured twice in a row: cold (the state after a publication: the catalogue's
version changed just before, outside the timed part, so no page of the observatoire is in the
cache) and cached (the same request again). After the publication, as the outbox does, the
worker's task ``observatoire.tasks.preparer`` runs (outside the timed part, its time printed):
it builds the catalogue's summary and the default page; the process' own copy of the summary is
then dropped, so that the page reads it from the cache as another web process would. With
``--sans-tache`` the task does not run: the visitor builds the summary (a worker late or
away). Runs in-process (Django's test client, no network) on PostgreSQL only, on a database
holding the demo. ``bench/observatoire.sh`` builds a dedicated
database for each size and runs this script on it:

    bash bench/observatoire.sh                  # 15,000 then 150,000 fiches
    # or, on a PostgreSQL database where `manage.py demo --fiches N` has run (options: --runs R):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vi_bench_observatoire \
        .venv/bin/python bench/observatoire.py

Goal: p95 ≤ 200 ms cold at 150,000 fiches.
"""

import argparse
import importlib
import os
import statistics
import sys
import time
from pathlib import Path

from mesures import percentile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villes_internet.settings")

# What visitors choose: the default page, a longer span, each filter, each comparison. Codes of
# the demo's referential (75 Nouvelle-Aquitaine, 47 Lot-et-Garonne).
CHOIX = [
    {},
    {"debut": "2010", "fin": "2026"},
    {"type": "village"},
    {"strate": "20000-100000", "comparer": "type"},
    {"region": "75", "comparer": "region"},
    {"departement": "47"},
    {"niveau": "5"},
    {"debut": "2024", "fin": "2026", "type": "ville", "comparer": "region"},
]


def libelle(params):
    return " ".join(f"{k}={v}" for k, v in params.items()) or "(par défaut)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="mesures de chaque page (défaut : 10)")
    parser.add_argument(
        "--sans-tache",
        action="store_true",
        help="sans la tâche qui prépare l'observatoire après une publication",
    )
    args = parser.parse_args()
    importlib.import_module("villes_internet.wsgi")  # set up as a web worker is

    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from atlaas import catalogue
    from atlaas.models import FicheAction
    from observatoire import resume, tasks

    if connection.vendor != "postgresql":
        sys.exit("Ce banc d'essai ne mesure que PostgreSQL : lancez `bash bench/observatoire.sh`.")
    nombre = FicheAction.objects.published().count()
    if not nombre:
        sys.exit("Aucune fiche publiée : lancez d'abord `manage.py demo --fiches N` sur cette base.")
    connection.settings_dict["CONN_MAX_AGE"] = None
    client = Client(SERVER_NAME="localhost")
    url = reverse("observatoire:observatoire")

    def page(params):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url, params, secure=True)
            elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (libelle(params), response.status_code)
        return elapsed, len(captured), len(response.content)

    for params in CHOIX:  # warm-up: templates compiled, connection open
        page(params)
    mesures = {i: {"froid": [], "chaud": []} for i in range(len(CHOIX))}
    requetes, tailles, preparations = {"froid": [], "chaud": []}, {}, []
    for _ in range(args.runs):
        for i, params in enumerate(CHOIX):
            catalogue.invalider()  # a publication: every page and figure of the observatoire is cold
            if not args.sans_tache:
                start = time.perf_counter()
                tasks.preparer()  # the worker, owed by the publication
                preparations.append((time.perf_counter() - start) * 1000)
            resume._copie = (None, None)  # this web process did not build the summary
            for condition in ("froid", "chaud"):
                elapsed, count, taille = page(params)
                mesures[i][condition].append(elapsed)
                requetes[condition].append(count)
                tailles[i] = taille
    print(
        f"{connection.vendor} — {nombre} fiches publiées ; {len(CHOIX)} pages × {args.runs} mesures ; "
        f"cache {type(caches['default']).__name__} ; charge {os.getloadavg()[0]:.1f}"
    )
    if preparations:
        print(
            "tâche de préparation (résumé + page par défaut, fr et en) : "
            f"p50 {statistics.median(preparations):.0f} ms, max {max(preparations):.0f} ms"
        )
    else:
        print("sans la tâche de préparation : le premier visiteur construit le résumé")
    print(f"\n{'choix':<58} {'octets':>8} {'froid p50':>10} {'froid p95':>10} {'chaud p50':>10}")
    for i, params in enumerate(CHOIX):
        m = mesures[i]
        print(
            f"{libelle(params)[:58]:<58} {tailles[i]:>8} {statistics.median(m['froid']):7.1f} ms "
            f"{percentile(m['froid'], 95):7.1f} ms {statistics.median(m['chaud']):7.1f} ms"
        )
    tous = {c: [t for i in mesures for t in mesures[i][c]] for c in ("froid", "chaud")}
    print(f"\n{'ensemble':<40} {'p50':>9} {'p95':>9} {'requêtes SQL':>13}")
    for condition, nom in (("froid", "froid (après une publication)"), ("chaud", "en cache")):
        q, t = requetes[condition], tous[condition]
        print(f"{nom:<40} {statistics.median(t):6.1f} ms {percentile(t, 95):6.1f} ms {min(q)}–{max(q):>3}")


if __name__ == "__main__":
    main()
