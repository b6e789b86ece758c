"""What the Atlaas' CSV exports cost on a loaded demo (15,000 fiches by default).

    DATABASE_URL=postgres://… [REDIS_URL=redis://…] .venv/bin/python bench/export_atlaas.py [--runs R]

Prints, each as the median of ``--runs`` (default 3) with its range:

- the writing of the full file by ``catalogue.export.exporter`` (what a Celery run costs after a
  change of the catalogue), with its size and number of lines;
- the download of the full file (``/atlaas/export.csv`` without filter) through the test client,
  the whole body read;
- the export of a search that reaches the maximum of lines (``LIGNES_MAX``), the whole body read;
- before this change, a full export was streamed on every request: the same lines written in
  memory, without storing them (``lignes_csv`` over every published fiche).

The database is the one of ``DATABASE_URL`` (its demo already loaded, ``manage.py demo``); the
media go to a temporary folder. Nothing of the database is changed but the export's row.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villes_internet.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from atlaas import catalogue  # noqa: E402
from atlaas.models import ExportCatalogue  # noqa: E402
from atlaas.views import donnees  # noqa: E402

URL = "/atlaas/export.csv"


def mesure(runs, fonction):
    durees = []
    for _ in range(runs):
        debut = time.perf_counter()
        resultat = fonction()
        durees.append(time.perf_counter() - debut)
    return resultat, durees


def ligne(nom, durees, extra=""):
    ms = [d * 1000 for d in durees]
    print(f"{nom:<46} {statistics.median(ms):8.0f} ms  ({min(ms):.0f}–{max(ms):.0f}){extra}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup_test_environment()  # the test client's host is allowed
    print(f"{connection.vendor}, cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}")

    plus_tard = [timezone.now()]

    def ecrire():  # a change, then the run a minute after the previous one
        ExportCatalogue.objects.update(changements=F("changements") + 1)
        plus_tard[0] += catalogue.export.INTERVALLE
        assert catalogue.export.exporter(now=plus_tard[0])
        return ExportCatalogue.objects.get()

    export, durees = mesure(args.runs, ecrire)
    ligne("full file written (exporter)", durees, f"  {export.lignes} lines, {export.taille / 1e6:.1f} MB")

    client = Client()

    def lire(params=None, **headers):
        response = client.get(URL, params or {}, **headers)
        corps = b"".join(response.streaming_content) if response.streaming else response.content
        return response, corps

    (response, corps), durees = mesure(args.runs, lire)
    assert response.status_code == 200, response.status_code
    ligne("full file downloaded", durees, f"  {len(corps) / 1e6:.1f} MB")
    (response, _corps), durees = mesure(args.runs, lambda: lire(HTTP_IF_NONE_MATCH=response["ETag"]))
    assert response.status_code == 304
    ligne("full file revalidated (304)", durees)

    filtre = {"q": "médiathèque"}  # 47 % of the demo's fiches: past the maximum
    donnees.EXPORTS_PAR_HEURE = 10**6  # the bench is one client
    (response, corps), durees = mesure(args.runs, lambda: lire(filtre))
    lignes = corps.decode().count("\n") - 1
    coupe = response.get("X-Export-Tronque", "non")
    ligne(f"search export {filtre}", durees, f"  {lignes} lines, cut: {coupe}")

    def ancien():
        ids = catalogue.ids_ordonnes(catalogue.filtrer({}), {})
        return len("".join(catalogue.export.lignes_csv(ids)).encode())

    taille, durees = mesure(args.runs, ancien)
    ligne("before: full export streamed per request", durees, f"  {taille / 1e6:.1f} MB")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        main()
