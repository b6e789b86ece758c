"""Wall time of the certificates of a publication with a real Celery worker of 2 processes.

Full mode only (PostgreSQL and Redis). In a throwaway database (``test_<name>`` on the
PostgreSQL that DATABASE_URL names, created and dropped by the script) it builds an edition of
700 laureates, starts ``celery worker --concurrency 2`` (prefork) on a queue of its own and a
temporary MEDIA_ROOT, warms both processes with an edition of two lots (each loads WeasyPrint
and lays out a lot), then publishes the edition and times the publication up to the last
certificate stored (the rows' ``updated_at``). The baseline is the same certificates' HTML
rendered by WeasyPrint alone, in this process, warm: the ratio is the wall time over 700 × the
mean bare render (goal ≤ 0.6: both workers are used, a lot's pages are laid out and written
together, and the rest of the work — claiming the row, reading the result, the QR code, the
template, writing the file — costs little). The bare render is the tagged, archivable one
(PDF/UA-1 and PDF/A-2u, ``label.pdf``); the same pages rendered untagged, as before, are timed
in turn with it, page by page, and the cost of the tagging printed. It also prints the CPU time
of the worker's processes during the batch against the bare render's (load-independent, unlike
the wall time), the CPU the machine's other processes took meanwhile (the machine is shared:
the ratio is only meaningful when they took little), ``documents.generer`` (a lot of one) and
``documents.generer_lot`` (lots of ``tasks.LOT``) alone in this process (no Celery) and the
render with the style inside each page (parsed at every render, as the first version of the
renderer did).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vi_bench_certificats \\
    REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python bench/certificats.py \\
    [--laureats 700] [--concurrence 2] [--echantillon 700] [--chaine 100]
"""

import argparse
import datetime
import logging
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villes_internet.settings")
MEDIA = tempfile.mkdtemp(prefix="bench-certificats-")
os.environ["MEDIA_ROOT"] = MEDIA

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from atlaas.models import Collectivite, Departement, Region  # noqa: E402
from label import certificats, documents, publication, tasks  # noqa: E402
from label.models import Candidature, Document, Edition, Mention, Resultat, TypeCandidature  # noqa: E402
from villes_internet.celery import app as celery_app  # noqa: E402

NOMS = ["Saint-Étienne-de-Tinée", "Châteauneuf-sur-Loire", "L'Haÿ-les-Roses", "Agen", "Nérac", "Îles-d'Œil"]


def construire(annee, n, rng):
    """An edition whose deliberation is closed, with ``n`` laureates; returns it."""
    now = timezone.now()
    region, _ = Region.objects.get_or_create(code="93", defaults={"nom": "Provence-Alpes-Côte d'Azur"})
    departement, _ = Departement.objects.get_or_create(
        code="06", defaults={"nom": "Alpes-Maritimes", "region": region}
    )
    communes = Collectivite.objects.bulk_create(
        [
            Collectivite(
                nature=Collectivite.Nature.COMMUNE,
                code=f"B{annee % 100:02}{i:05}",
                nom=f"{rng.choice(NOMS)} {i}",
                slug=f"commune-{annee}-{i}",
                departement=departement,
                region=region,
                population=rng.randint(300, 200_000),
            )
            for i in range(n)
        ]
    )
    edition = Edition.objects.create(
        annee=annee,
        numero=annee - 1999,
        state=Edition.State.CLOSE,
        ouverture=now - datetime.timedelta(days=300),
        cloture=now - datetime.timedelta(days=60),
        ceremonie_date=datetime.date(annee, 1, 29),
        ceremonie_lieu="Agen",
        president_association="Hélène Martin",
        president_jury="Émile Durand",
        resultats_clos_at=now,
    )
    mentions = [
        Mention.objects.create(edition=edition, nom=nom, ordre=i)
        for i, nom in enumerate(["Arobase verte", "Démocratie locale", "Médiation numérique"])
    ]
    candidatures = Candidature.objects.bulk_create(
        [
            Candidature(
                edition=edition, collectivite=c, type=TypeCandidature.VILLE, state=Candidature.State.DEPOSEE
            )
            for c in communes
        ]
    )
    resultats = Resultat.objects.bulk_create(
        [Resultat(candidature=c, niveau=rng.randint(1, 5), ten=rng.random() < 0.05) for c in candidatures]
    )
    Resultat.mentions.through.objects.bulk_create(
        [
            Resultat.mentions.through(resultat=r, mention=m)
            for r in resultats
            for m in mentions
            if rng.random() < 0.1
        ]
    )
    return edition


# The worker's own default queue is the bench's: the tasks it queues stay on that queue.
LANCEUR = (
    "import os, sys; from villes_internet.celery import app; "
    "app.conf.task_default_queue = os.environ['BENCH_QUEUE']; app.worker_main(sys.argv[1:])"
)


def worker(queue, log, concurrence):
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
    command = [sys.executable, "-c", LANCEUR, "worker", "--pool=prefork", f"--concurrency={concurrence}"]
    command += [f"--queues={queue}", "--loglevel=WARNING", f"--hostname={queue}@%h"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def cpu(pid):
    """CPU seconds (user + system) of a process and of its children, from /proc (Linux)."""
    try:
        enfants = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    return cpu_seul(pid) + sum(cpu(int(enfant)) for enfant in enfants)


def cpu_seul(pid):
    try:
        champs = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(champs[11]) + int(champs[12])) / os.sysconf("SC_CLK_TCK")


def cpu_machine():
    """CPU seconds the whole machine spent busy (all processes, all CPUs), from /proc/stat."""
    champs = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    inactif = champs[3] + champs[4]  # idle, iowait
    return (sum(champs[:8]) - inactif) / os.sysconf("SC_CLK_TCK")


def cpu_postgresql(base):
    """CPU seconds of the PostgreSQL backends connected to ``base`` (those of a connection closed
    meanwhile are not counted: the worker's last for minutes, CONN_MAX_AGE)."""
    total = 0.0
    for chemin in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            ligne = chemin.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if ligne.startswith("postgres: ") and f" {base} " in ligne:
            total += cpu_seul(int(chemin.parent.name))
    return total


def publier_et_attendre(edition, n, timeout=900):
    """Publish; return the seconds from the call to the last certificate stored."""
    debut = timezone.now()
    publication.publier(edition)  # queues the generation after commit (autocommit here)
    certificats_ = Document.objects.filter(edition=edition, kind=Document.Kind.CERTIFICAT)
    limite = time.monotonic() + timeout
    while certificats_.filter(state=Document.State.PRET).count() < n:
        if time.monotonic() > limite:
            raise RuntimeError(
                f"{certificats_.exclude(state=Document.State.PRET).count()} certificats en retard"
            )
        time.sleep(0.5)
    fin = certificats_.aggregate(fin=Max("updated_at"))["fin"]
    return (fin - debut).total_seconds()


def attendre_fichiers(edition, timeout=120):
    """Wait for all the edition's documents, its palmarès files too."""
    limite = time.monotonic() + timeout
    while Document.objects.filter(edition=edition).exclude(state=Document.State.PRET).exists():
        if time.monotonic() > limite:
            raise RuntimeError("documents de l'échauffement en retard")
        time.sleep(0.2)


def rendu_nu(edition, echantillon):
    """Seconds of each bare WeasyPrint render of the edition's certificates' HTML, warm: the
    renderer's (tagged, archivable), and in turn, page by page, the same page untagged; and the
    CPU seconds of the renderer's renders."""
    from weasyprint import HTML

    documents = list(
        Document.objects.filter(edition=edition, kind=Document.Kind.CERTIFICAT).select_related("edition")
    )
    pages = [certificats.certificat_html(d) for d in documents[:echantillon]]  # not timed
    style, fonts = certificats._style()

    def non_balise(html):
        return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
            stylesheets=[style], font_config=fonts
        )

    for html in pages[:3]:
        certificats.rendre_pdf(html)  # warm: fonts, WeasyPrint's caches
        non_balise(html)
    durees, sans_balisage, processeur = [], [], 0.0
    for html in pages:
        debut, cpu_debut = time.perf_counter(), time.process_time()
        certificats.rendre_pdf(html)
        durees.append(time.perf_counter() - debut)
        processeur += time.process_time() - cpu_debut
        debut = time.perf_counter()
        non_balise(html)
        sans_balisage.append(time.perf_counter() - debut)
    return durees, sans_balisage, processeur


def rendu_style_integre(edition, n):
    """Seconds of the render of the same pages with the style inlined in each page (parsed at
    every render): the renderer before its stylesheet was cached."""
    from weasyprint import HTML

    documents_ = Document.objects.filter(edition=edition, kind=Document.Kind.CERTIFICAT)
    pages = [
        certificats.certificat_html(d).replace("<head>", f"<head><style>{certificats.STYLE}</style>", 1)
        for d in documents_.select_related("edition")[:n]
    ]
    HTML(string=pages[0]).write_pdf()
    durees = []
    for html in pages:
        debut = time.perf_counter()
        HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
        durees.append(time.perf_counter() - debut)
    return durees


def generation_seule(edition, n):
    """Seconds of ``documents.generer`` (claim, read, QR code, template, render, file, row) for
    ``n`` certificates generated again in this process, without Celery."""
    ids = list(
        Document.objects.filter(edition=edition, kind=Document.Kind.CERTIFICAT)
        .order_by("pk")
        .values_list("pk", flat=True)[:n]
    )
    Document.objects.filter(pk__in=ids).update(state=Document.State.ATTENTE)
    durees = []
    for pk in ids:
        debut = time.perf_counter()
        assert documents.generer(pk)
        durees.append(time.perf_counter() - debut)
    return durees


def generation_par_lots(edition, n):
    """Seconds and CPU seconds of ``documents.generer_lot`` for ``n`` certificates generated again
    in this process by lots of ``tasks.LOT``, as the worker's tasks do, without Celery."""
    ids = list(
        Document.objects.filter(edition=edition, kind=Document.Kind.CERTIFICAT)
        .order_by("pk")
        .values_list("pk", flat=True)[:n]
    )
    Document.objects.filter(pk__in=ids).update(state=Document.State.ATTENTE)
    debut, cpu_debut = time.perf_counter(), time.process_time()
    for premier in range(0, len(ids), tasks.LOT):
        documents.generer_lot(ids[premier : premier + tasks.LOT])
    return time.perf_counter() - debut, time.process_time() - cpu_debut


def ms(durees):
    return (
        f"moyenne {statistics.fmean(durees) * 1000:.1f} ms, médiane {statistics.median(durees) * 1000:.1f} ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laureats", type=int, default=700)
    parser.add_argument("--echantillon", type=int, default=700, help="certificats rendus pour la référence")
    parser.add_argument("--concurrence", type=int, default=2, help="processus du worker")
    parser.add_argument("--chaine", type=int, default=100, help="certificats générés sans Celery")
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        sys.exit("Mode complet seulement : DATABASE_URL (PostgreSQL) et REDIS_URL.")
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    setup_test_environment()
    ancien_nom = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    celery_app.conf.task_default_queue = queue
    log_path = Path(MEDIA) / "worker.log"
    process = None
    try:
        # Two lots at least: each process takes one, loads WeasyPrint and lays out a lot.
        echauffement = construire(2101, 2 * tasks.LOT, random.Random(0))
        edition = construire(2102, args.laureats, random.Random(1))
        with log_path.open("w") as log:
            process = worker(queue, log, args.concurrence)
            publier_et_attendre(echauffement, 2 * tasks.LOT, timeout=120)
            attendre_fichiers(echauffement)  # its palmarès too: nothing left before the batch
            base = connection.settings_dict["NAME"]
            cpu_avant, parent_avant, machine_avant = cpu(process.pid), cpu_seul(process.pid), cpu_machine()
            postgresql_avant = cpu_postgresql(base)
            charge_avant = os.getloadavg()[0]
            mur = publier_et_attendre(edition, args.laureats)
            cpu_lot, cpu_parent = cpu(process.pid) - cpu_avant, cpu_seul(process.pid) - parent_avant
            autres = cpu_machine() - machine_avant - cpu_lot
            postgresql = cpu_postgresql(base) - postgresql_avant
        fichiers = list((Path(MEDIA) / "documents" / "2102" / "certificat").iterdir())
        tentatives = Document.objects.filter(edition=edition, kind=Document.Kind.CERTIFICAT, tentatives=1)
        assert len(fichiers) == args.laureats == tentatives.count(), (len(fichiers), tentatives.count())
        charge = os.getloadavg()[0]
        durees, sans_balisage, cpu_nu = rendu_nu(edition, min(args.echantillon, args.laureats))
        cpu_nu /= len(durees)
        chaine = generation_seule(edition, min(args.chaine, args.laureats))
        par_lots, cpu_par_lots = generation_par_lots(edition, min(args.chaine, args.laureats))
        integre = rendu_style_integre(edition, min(args.chaine, args.laureats))
        moyenne = statistics.fmean(durees)
        reference = args.laureats * moyenne
        print(
            f"{args.laureats} certificats, worker Celery --concurrency {args.concurrence} (prefork), "
            f"{os.cpu_count()} CPU : "
            f"{mur:.1f} s ({args.laureats / mur:.1f} certificats/s), charge moyenne (1 min) "
            f"{charge_avant:.1f} au début, {charge:.1f} à la fin"
        )
        print(
            f"rendu WeasyPrint nu (PDF/UA-1 + PDF/A-2u), 1 processus, {len(durees)} certificats : "
            f"{ms(durees)}, p95 {sorted(durees)[int(0.95 * (len(durees) - 1))] * 1000:.1f} ms"
        )
        print(
            f"le même rendu sans balisage ni PDF/A (avant), en alternance : {ms(sans_balisage)} ; "
            f"balisage + PDF/A : {statistics.median(durees) / statistics.median(sans_balisage) - 1:+.0%} "
            "(médianes)"
        )
        print(f"documents.generer sans Celery, {len(chaine)} certificats : {ms(chaine)}")
        print(
            f"documents.generer_lot par lots de {tasks.LOT} sans Celery, {len(chaine)} certificats : "
            f"{par_lots / len(chaine) * 1000:.1f} ms, CPU {cpu_par_lots / len(chaine) * 1000:.1f} ms "
            "par certificat"
        )
        print(
            f"rendu avec le style dans la page (analysé à chaque rendu), {len(integre)} certificats : "
            f"{ms(integre)}"
        )
        print(
            f"CPU du worker pendant le lot : {cpu_lot:.1f} s, {cpu_lot / args.laureats * 1000:.1f} ms par "
            f"certificat (dont le processus parent {cpu_parent / args.laureats * 1000:.1f} ms) ; "
            f"CPU du rendu nu : {cpu_nu * 1000:.1f} ms ; rapport {cpu_lot / args.laureats / cpu_nu:.2f}"
        )
        print(
            f"CPU des autres processus de la machine pendant le lot : {autres:.1f} s sur "
            f"{mur * os.cpu_count():.1f} s disponibles, dont PostgreSQL pour la base du banc "
            f"{postgresql:.1f} s ({postgresql / args.laureats * 1000:.1f} ms par certificat)"
        )
        print(
            f"ratio = {mur:.1f} s / ({args.laureats} × {moyenne * 1000:.1f} ms = {reference:.1f} s) "
            f"= {mur / reference:.2f} (objectif ≤ 0,6)"
        )
        integre_total = args.laureats * statistics.fmean(integre)
        print(
            f"par rapport à {args.laureats} rendus avec le style dans la page : {mur:.1f} s / "
            f"{integre_total:.1f} s = {mur / integre_total:.2f}"
        )
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        connection.creation.destroy_test_db(ancien_nom, verbosity=0)
        shutil.rmtree(MEDIA, ignore_errors=True)


if __name__ == "__main__":
    main()
