"""Time from a worker's restart to the last certificate of the lots it was rendering when it was
killed outright (goal ≤ 2 min), with a real Celery worker of 2 processes.

Full mode only (PostgreSQL and Redis). In a throwaway database (``test_<name>``, created and
dropped by the script) it starts ``celery worker --concurrency 2`` (prefork) on a queue of its
own, warms it with a small edition, then for each run: builds an edition of ``--laureats``
laureates, publishes it, and once ``--avant`` of its certificates are ready sends SIGKILL to the
worker's main process (its pool processes die with it, and Redis keeps the two lots they held
until the visibility timeout, ten minutes); starts a new worker at once and times, from the
moment it is ready, the last certificate stored (the rows' ``updated_at``). Celery beat is played
by the script: ``label.tasks.generer_documents`` sent every minute, as ``crontab()`` does, the
first time ``--decalage`` seconds after the kill (one per run; a claim made just before the kill
is taken back by the first beat run past its lease: 44 s is the worst offset for a 45 s lease,
the next run comes 60 s later). It checks one file and one row « prêt » per document, then
prints the render of the edition's palmarès files (CSV, JSON, PDF) in this process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vi_bench_certificats \\
    REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python bench/certificats_panne.py \\
    [--laureats 1000] [--avant 0.3] [--decalage 5 --decalage 30 --decalage 44]
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from certificats import LANCEUR, MEDIA, construire, publier_et_attendre  # sets Django up
from django.conf import settings
from django.db import connection
from django.db.models import Count, Max
from django.test.utils import setup_test_environment
from django.utils import timezone

from label import documents, palmares, publication
from label.models import Document
from villes_internet.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


def demarrer(queue):
    """A worker of 2 prefork processes on ``queue``, logging to a file of its own; returns it
    once ready."""
    demarrer.fois += 1
    log_path = Path(MEDIA) / f"worker-{demarrer.fois}.log"
    db = settings.DATABASES["default"]
    hote = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{hote}/{db['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": MEDIA,
        "BENCH_QUEUE": queue,
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    command = [sys.executable, "-c", LANCEUR, "worker", "--pool=prefork", "--concurrency=2"]
    command += [f"--queues={queue}", "--loglevel=INFO", f"--hostname={queue}-{demarrer.fois}@%h"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log_path.open("a") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    limite = time.monotonic() + 60
    while "ready." not in log_path.read_text():
        if process.poll() is not None or time.monotonic() > limite:
            raise RuntimeError(f"Le worker n'a pas démarré :\n{log_path.read_text()[-3000:]}")
        time.sleep(0.05)
    return process


demarrer.fois = 0


def enfants(pid):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def tuer(process):
    """SIGKILL to the main process; waits for its pool processes to be gone."""
    pool = enfants(process.pid)
    process.kill()
    process.wait()
    while any(Path(f"/proc/{pid}").exists() for pid in pool):
        time.sleep(0.01)


def une_panne(annee, n, avant, decalage, process, queue, rng):
    """One run; returns (seconds from the restart to the last certificate, figures) and the
    worker now running."""
    edition = construire(annee, n, rng)
    certificats_ = Document.objects.filter(edition=edition, kind=Document.Kind.CERTIFICAT)
    publication.publier(edition)  # queues the generation after commit (autocommit here)
    while certificats_.filter(state=Document.State.PRET).count() < avant * n:
        time.sleep(0.05)
    tue_a = timezone.now()
    tuer(process)
    etats = dict(certificats_.values_list("state").annotate(n=Count("pk")))
    process = demarrer(queue)
    pret_a = timezone.now()
    prochain_beat = tue_a.timestamp() + decalage
    limite = time.monotonic() + 600
    while Document.objects.filter(edition=edition).exclude(state=Document.State.PRET).exists():
        if time.time() >= prochain_beat:  # Celery beat's message: the task, nothing else
            celery_app.send_task("label.tasks.generer_documents", queue=queue, expires=50)
            prochain_beat += 60
        if time.monotonic() > limite:
            raise RuntimeError("documents en retard")
        time.sleep(0.05)
    fin = certificats_.aggregate(fin=Max("updated_at"))["fin"]
    fichiers = list((Path(MEDIA) / "documents" / str(annee) / "certificat").iterdir())
    noms = sorted(str(Path(MEDIA) / d) for d in certificats_.values_list("fichier", flat=True))
    assert sorted(map(str, fichiers)) == noms and len(noms) == n, (len(fichiers), len(noms))
    tentatives = dict(certificats_.values_list("tentatives").annotate(n=Count("pk")))
    return (fin - pret_a).total_seconds(), (fin - tue_a).total_seconds(), etats, tentatives, process, edition


def rendus_palmares(edition, fois=3):
    """Median seconds of each palmarès file's render, in this process."""
    resultats = {}
    for kind in (Document.Kind.PALMARES_CSV, Document.Kind.PALMARES_JSON, Document.Kind.PALMARES_PDF):
        document = documents.lecture().get(edition=edition, kind=kind)
        rendre = {
            Document.Kind.PALMARES_CSV: palmares.palmares_csv,
            Document.Kind.PALMARES_JSON: palmares.palmares_json,
            Document.Kind.PALMARES_PDF: palmares.palmares_pdf,
        }[kind]
        durees = []
        for _ in range(fois):
            debut = time.perf_counter()
            rendre(document)
            durees.append(time.perf_counter() - debut)
        resultats[kind.label] = statistics.median(durees)
    return resultats


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laureats", type=int, default=1000)
    parser.add_argument("--avant", type=float, default=0.3, help="part des certificats prêts au SIGKILL")
    parser.add_argument("--decalage", type=float, action="append", help="secondes du SIGKILL au 1er beat")
    args = parser.parse_args()
    decalages = args.decalage or [5, 30, 44]
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        sys.exit("Mode complet seulement : DATABASE_URL (PostgreSQL) et REDIS_URL.")
    setup_test_environment()
    ancien_nom = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    queue = f"bench-panne-{uuid.uuid4().hex[:8]}"
    celery_app.conf.task_default_queue = queue
    rng = random.Random(1)
    process = None
    try:
        process = demarrer(queue)
        publier_et_attendre(construire(2101, 6, rng), 6, timeout=120)  # both processes load WeasyPrint
        mesures = []
        for i, decalage in enumerate(decalages):
            apres_retour, apres_arret, etats, tentatives, process, edition = une_panne(
                2102 + i, args.laureats, args.avant, decalage, process, queue, rng
            )
            mesures.append(apres_retour)
            print(
                f"panne {i + 1} : SIGKILL avec {etats} ; 1er beat {decalage:.0f} s après ; dernier "
                f"certificat {apres_retour:.1f} s après le retour du worker ({apres_arret:.1f} s après "
                f"le SIGKILL) ; tentatives {tentatives}"
            )
        print(
            f"{args.laureats} certificats, worker --concurrency 2 (prefork), {os.cpu_count()} CPU : "
            f"du retour du worker au dernier certificat, {min(mesures):.1f}–{max(mesures):.1f} s "
            "(objectif ≤ 120 s)"
        )
        rendus = rendus_palmares(edition)
        print(
            f"rendu des fichiers du palmarès de {args.laureats} lauréats, médiane de 3 : "
            + ", ".join(f"{nom} {s:.2f} s" for nom, s in rendus.items())
        )
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        connection.creation.destroy_test_db(ancien_nom, verbosity=0)
        shutil.rmtree(MEDIA, ignore_errors=True)


if __name__ == "__main__":
    main()
