"""Throughput of the public pages for anonymous visitors under gunicorn, as ratios to a static
file served by the same gunicorn in the same run (goals: cached palmarès ≥ 0.8, home, Atlaas
landing, fiche and collectivité ≥ 0.5), with gunicorn's sync and gthread workers.

    .venv/bin/python bench/charge.py [--fiches 15000] [--secondes 10] [--clients 8 32]
                                     [--classes sync gthread] [--threads 4] [--keep]

PostgreSQL (127.0.0.1:5432, user postgres) and Redis (127.0.0.1:6379) must answer: full mode.
The script builds the database ``vi_bench_charge`` (migrate, the referential of territories and
the taxonomy, ``demo --fiches N``, then ``VACUUM (ANALYZE)``), collects the static files, then
for each worker class starts gunicorn as the Dockerfile's CMD does (``--workers
${WEB_CONCURRENCY:-3}``, the access log on its standard output, here a file) with production
settings (``DEBUG=false``; Redis broker database ``--redis-db``, 14 by default, and cache
database the next one, under keys of its own)
and measures with ``wrk`` (Debian's package ``wrk``; HTTP/1.1, keep-alive where the server keeps
the connection: gthread does, sync closes each one), 2 threads, ``--clients`` connections, for
``--secondes`` each:

- before each page, a static file of the same size (WhiteNoise, before Django's views);
- the palmarès page of the latest public year (cached, see ``label.views.palmares``);
- the home page, the Atlaas landing page, a fiche's page, a collectivité's page (cached for
  anonymous visitors, ``villes_internet.pages``);
- the same fiche's page with a query string: the live page, what every page costs on a miss.

Every page is fetched a few times first (its cache filled). Each line gives the requests per
second of the static file and of the page, their ratio and the load average of the machine at that moment (the
machine is shared: figures are only comparable within a run). The database is dropped at the end
(``--keep`` leaves it).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from mesures import arreter, attendre, production

RACINE = Path(__file__).resolve().parent.parent
PY = str(RACINE / ".venv" / "bin" / "python")
GUNICORN = str(RACINE / ".venv" / "bin" / "gunicorn")
BASE = "vi_bench_charge"
PORT = 8766
PREFIXE = f"bench-charge-{os.getpid()}"  # the run's own keys in Redis, deleted at the end
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-c"]


def repond(commande):
    try:
        return subprocess.run(commande, capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def chronometre(etape, commande, env):
    debut = time.monotonic()
    fait = subprocess.run(commande, cwd=RACINE, env=env, capture_output=True, text=True)
    if fait.returncode:
        sys.exit(f"{etape} : échec\n{fait.stdout}\n{fait.stderr}")
    print(f"  {etape:<36} {time.monotonic() - debut:6.1f} s", flush=True)


ADRESSES = """
from label.models import Edition
from atlaas.models import FicheAction
edition = Edition.objects.filter(publie_at__isnull=False).latest("annee")
fiche = FicheAction.objects.published().filter(services__isnull=False).order_by("-published_at").first()
print(edition.annee, fiche.pk, fiche.collectivite.code)
"""


def preparer(args, env):
    """The database: migrated, the referential, the demo of ``--fiches`` fiches, vacuumed."""
    subprocess.run([*PSQL, f"DROP DATABASE IF EXISTS {BASE} WITH (FORCE)"], check=True)
    subprocess.run([*PSQL, f"CREATE DATABASE {BASE}"], check=True)
    chronometre("migrate", [PY, "manage.py", "migrate", "--noinput", "-v0"], env)
    chronometre("import_territoires", [PY, "manage.py", "import_territoires"], env)
    chronometre("import_taxonomie", [PY, "manage.py", "import_taxonomie"], env)
    chronometre(f"demo --fiches {args.fiches}", [PY, "manage.py", "demo", "--fiches", str(args.fiches)], env)
    # The demo writes every fiche twice (created, then indexed): autovacuum's work, done once.
    vacuum = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", BASE, "-q", "-c", "VACUUM (ANALYZE)"]
    chronometre("VACUUM (ANALYZE)", vacuum, env)


def demarrer(env, classe, threads, workers, journal):
    commande = [
        GUNICORN,
        "villes_internet.wsgi:application",
        "--bind",
        f"127.0.0.1:{PORT}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
    ]
    if classe == "gthread":
        commande += ["--worker-class", "gthread", "--threads", str(threads)]
    serveur = subprocess.Popen(commande, cwd=RACINE, env=env, stdout=journal, stderr=journal)
    return attendre(serveur, PORT, secondes=20)


def obtenir(chemin):
    requete = urllib.request.Request(
        f"http://localhost:{PORT}{chemin}", headers={"X-Forwarded-Proto": "https"}
    )
    with urllib.request.urlopen(requete, timeout=30) as reponse:
        assert reponse.status == 200, (chemin, reponse.status)
        assert "set-cookie" not in {k.lower() for k in reponse.headers}, chemin  # anonymous, cached
        return reponse.read()


def wrk(chemin, clients, secondes):
    """Requests per second of ``wrk`` on ``chemin``; stops on any answer other than 200."""
    sortie = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{secondes:g}s",
            "-H",
            "X-Forwarded-Proto: https",
            f"http://localhost:{PORT}{chemin}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in sortie or "Socket errors" in sortie:
        print(sortie)
    if "Non-2xx" in sortie:
        sys.exit(f"{chemin} : des réponses autres que 200")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", sortie).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fiches", type=int, default=15_000)
    parser.add_argument("--secondes", type=float, default=10)
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--classes", nargs="+", default=["sync", "gthread"], choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 3)))
    parser.add_argument(
        "--redis-db", type=int, default=14, help="broker database; the cache's is the next one"
    )
    parser.add_argument("--keep", action="store_true", help="leave the database in place")
    parser.add_argument("--reprendre", action="store_true", help="reuse the database a --keep run left")
    args = parser.parse_args()
    if "accepting" not in repond(["pg_isready", "-h", "127.0.0.1", "-p", "5432"]):
        sys.exit("PostgreSQL ne répond pas sur 127.0.0.1:5432.")
    if repond(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"]) != "PONG":
        sys.exit("Redis ne répond pas sur 127.0.0.1:6379.")
    if not shutil.which("wrk"):
        sys.exit("wrk est absent : apt-get install wrk")

    tmp = Path(tempfile.mkdtemp(prefix="bench-charge-"))
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "DEBUG", "CELERY_"))
    }
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{BASE}",
        REDIS_URL=f"redis://127.0.0.1:6379/{args.redis_db}",
        REDIS_CACHE_URL=f"redis://127.0.0.1:6379/{args.redis_db + 1}",
        CACHE_KEY_PREFIX=PREFIXE,
        CELERY_TASK_ALWAYS_EAGER="true",  # the demo's tasks in its process (its files: the workers')
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
    )
    serveur_env = dict(env, CELERY_TASK_ALWAYS_EAGER="false", **production())
    journal = open(tmp / "gunicorn.log", "w")  # noqa: SIM115 - closed at the end
    serveur = None
    try:
        print(f"Base {BASE} : {args.fiches} fiches", flush=True)
        if not args.reprendre:
            preparer(args, env)
        subprocess.run(
            [PY, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=RACINE, env=serveur_env, check=True
        )
        annee, fiche, code = (
            subprocess.run(
                [PY, "manage.py", "shell", "-c", ADRESSES],
                cwd=RACINE,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.splitlines()[-1]
            .split()
        )
        pages = {
            "palmarès (en cache)": f"/palmares/{annee}/",
            "accueil": "/",
            "Atlaas": "/atlaas/",
            "fiche": f"/atlaas/fiches/{fiche}/",
            "collectivité": f"/collectivites/{code}/",
            "fiche sans cache": f"/atlaas/fiches/{fiche}/?direct=1",
        }
        serveur = demarrer(serveur_env, "sync", args.threads, args.workers, journal)
        tailles = {nom: len(obtenir(chemin)) for nom, chemin in pages.items()}
        arreter(serveur)
        for taille in tailles.values():  # each page's own static file, of its size
            (tmp / "static" / f"bench-charge-{taille}.html").write_bytes(b"x" * taille)
        print(
            f"\nwrk -t2, {args.secondes:g} s par mesure ; gunicorn {args.workers} workers ; octets : "
            + ", ".join(f"{nom} {taille}" for nom, taille in tailles.items())
        )
        resultats = {}
        for classe in args.classes:
            serveur = demarrer(serveur_env, classe, args.threads, args.workers, journal)
            for _ in range(3 * args.workers):
                for chemin in pages.values():
                    obtenir(chemin)  # every worker has read each page's cache once
            titre = f"{classe} ({args.threads} threads)" if classe == "gthread" else classe
            for clients in args.clients:
                print(f"\n{titre}, {clients} connexions : fichier statique de même taille, puis la page")
                for nom, chemin in pages.items():
                    statique = wrk(f"/static/bench-charge-{tailles[nom]}.html", clients, args.secondes)
                    debit = wrk(chemin, clients, args.secondes)
                    charge = os.getloadavg()[0]
                    resultats[(classe, clients, nom)] = debit / statique
                    print(
                        f"  {nom:<22} {statique:8.1f} puis {debit:8.1f} req/s   "
                        f"× {debit / statique:4.2f}   charge {charge:.1f}",
                        flush=True,
                    )
            arreter(serveur)
            serveur = None
        print("\nRatios au fichier statique de même taille :")
        entete = "".join(f"  {c + '/' + str(n):>10}" for c in args.classes for n in args.clients)
        print(f"  {'page':<22}{entete}")
        for nom in pages:
            ligne = "".join(f"  {resultats[(c, n, nom)]:>10.2f}" for c in args.classes for n in args.clients)
            print(f"  {nom:<22}{ligne}")
    finally:
        if serveur:
            arreter(serveur)
        journal.close()
        if not args.keep:
            subprocess.run([*PSQL, f"DROP DATABASE IF EXISTS {BASE} WITH (FORCE)"], check=False)
        import redis

        for db in (args.redis_db, args.redis_db + 1):
            connexion = redis.Redis(host="127.0.0.1", port=6379, db=db)
            for cle in connexion.scan_iter(f"{PREFIXE}:*"):
                connexion.delete(cle)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
