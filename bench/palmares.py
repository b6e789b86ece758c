"""Throughput of the cached palmarès page against gunicorn, as a ratio to a static file of the
same size served by the same gunicorn in the same run (goal: at least 0.5).

    .venv/bin/python bench/palmares.py [--laureats 250] [--clients 8] [--secondes 10] [--workers N]

The script builds a throwaway database (PostgreSQL ``vi_bench_palmares`` on 127.0.0.1:5432 when
it answers, else a SQLite file), migrates it, fills it with a published edition of ``--laureats``
laureates (and their label history), then starts gunicorn (``--workers``, default 2 × CPUs + 1,
sync workers) with production settings (``DEBUG=false``, Redis cache database 15, keys of its own)
when Redis
answers on 127.0.0.1:6379 — the embedded settings and each worker's own memory cache otherwise.

It fetches the page once (the cache is filled), writes a file of exactly its size into
``STATIC_ROOT`` (served by WhiteNoise, in the same gunicorn, before Django's views, as every
static file of the portal), restarts gunicorn so that WhiteNoise sees the file, then has
``--clients`` client processes fetch, for ``--secondes`` each, alternately the static file and
the page, twice, one new connection per request (gunicorn's sync workers close each one). It
prints each measure, the medians and their ratio, then stops gunicorn and drops the database.
"""

import argparse
import multiprocessing
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mesures import arreter, attendre, production

RACINE = Path(__file__).resolve().parent.parent
PY = str(RACINE / ".venv" / "bin" / "python")
GUNICORN = str(RACINE / ".venv" / "bin" / "gunicorn")
BASE = "vi_bench_palmares"
ANNEE = 2026
PORT = 8765
PREFIXE = f"bench-palmares-{os.getpid()}"  # the run's own keys in Redis, deleted at the end


def repond(commande):
    try:
        return subprocess.run(commande, capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


# --- Data (run in a child process, with the bench database's environment) ------------------------


def preparer(n):
    """A published edition of ``n`` laureates: communes and 5 % territoires with ten member
    communes each, two overseas régions, mentions, TEN, label history since 2019."""
    sys.path.insert(0, str(RACINE))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villes_internet.settings")
    import django

    django.setup()
    from django.utils import timezone

    from atlaas.models import Collectivite, Departement, Region, Zone
    from label import publication
    from label.models import Candidature, Edition, Labellisation, Mention, Resultat
    from outbox import envois

    rng = random.Random(2026)
    envois.remettre = lambda ids: 0  # files and e-mails: owed in the outbox, not measured here
    regions = [Region.objects.create(code=f"{10 + i}", nom=f"Région {i}") for i in range(13)] + [
        Region.objects.create(code=f"0{i}", nom=f"Région d'outre-mer {i}", zone=Zone.DROM) for i in (1, 4)
    ]
    departements = [
        Departement.objects.create(code=f"{i + 1:02}", nom=f"Département {i + 1}", region=regions[i % 13])
        for i in range(60)
    ] + [
        Departement.objects.create(code=f"97{i}", nom=f"Département 97{i}", region=r, zone=Zone.DROM)
        for i, r in zip((1, 4), regions[13:], strict=True)
    ]
    noms = ["Saint-Étienne", "Bréhal", "Nérac", "Agen", "Villeneuve", "Égletons", "Île-Tudy", "Marmande"]

    def commune(i, epci=None):
        dpt = departements[-1 - i % 2] if i % 50 == 49 else departements[i % 60]
        return Collectivite(
            nature="commune",
            code=f"{i:05}",
            nom=f"{noms[i % len(noms)]}-{i}",
            slug=f"commune-{i}",
            departement=dpt,
            region=dpt.region,
            zone=dpt.zone,
            population=rng.choice([800, 2_500, 6_000, 15_000, 40_000, 120_000]) + i,
            epci=epci,
        )

    n_epci = max(1, n // 20)
    epcis = Collectivite.objects.bulk_create(
        [
            Collectivite(
                nature="epci",
                type_epci="CC",
                code=f"2000{i:05}",
                nom=f"Communauté de communes {i}",
                slug=f"cc-{i}",
                departement=departements[i],
                region=departements[i].region,
                population=30_000,
            )
            for i in range(n_epci)
        ]
    )
    membres = Collectivite.objects.bulk_create(
        [commune(10_000 + 10 * e + j, epci=epci) for e, epci in enumerate(epcis) for j in range(10)]
    )
    communes = Collectivite.objects.bulk_create([commune(i) for i in range(n - n_epci - n_epci)])
    laureats = epcis + communes + membres[::10]  # one member of each territoire is a laureate too
    now = timezone.now()
    edition = Edition.objects.create(
        annee=ANNEE,
        numero=27,
        state=Edition.State.CLOSE,
        ouverture=now - timezone.timedelta(days=400),
        cloture=now - timezone.timedelta(days=60),
        ceremonie_lieu="Agen",
        ceremonie_date=now.date(),
        resultats_clos_at=now,
    )
    mentions = Mention.objects.bulk_create(
        [Mention(edition=edition, nom=f"Mention {i}", ordre=i) for i in range(20)]
    )
    candidatures = Candidature.objects.bulk_create(
        [
            Candidature(
                edition=edition,
                collectivite=c,
                type=edition.type_for(c),
                state=Candidature.State.DEPOSEE,
            )
            for c in laureats
        ]
    )
    resultats = Resultat.objects.bulk_create(
        [
            Resultat(candidature=c, niveau=rng.choice([1, 2, 3, 3, 4, 4, 5]), ten=rng.random() < 0.04)
            for c in candidatures
        ]
    )
    Resultat.mentions.through.objects.bulk_create(
        [
            Resultat.mentions.through(resultat_id=r.pk, mention_id=rng.choice(mentions).pk)
            for r in resultats
            if rng.random() < 0.1
        ]
    )
    Labellisation.objects.bulk_create(
        [
            Labellisation(collectivite=c, annee=annee, niveau=rng.randint(1, 5))
            for c in laureats
            for annee in range(2019, ANNEE)
            if rng.random() < 0.7
        ]
    )
    publication.publier(edition)
    print(f"{len(laureats)} lauréats publiés ({n_epci} territoires)")


# --- Load -------------------------------------------------------------------------------------------


def requete(chemin):
    """A GET as a first-time visitor sends it (no cookie) through an HTTPS proxy."""
    return (
        f"GET {chemin} HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n"
    ).encode()


def client(chemin, fin, file):
    """Fetch ``chemin`` until ``fin``, a new connection each time; puts (requests, bytes, errors)."""
    requete_ = requete(chemin)
    n = octets = erreurs = 0
    while time.monotonic() < fin:
        with socket.create_connection(("127.0.0.1", PORT)) as s:
            s.sendall(requete_)
            morceaux = []
            while morceau := s.recv(65536):
                morceaux.append(morceau)
        reponse = b"".join(morceaux)
        if reponse.startswith(b"HTTP/1.1 200"):
            n += 1
            octets = len(reponse) - reponse.index(b"\r\n\r\n") - 4
        else:
            erreurs += 1
    file.put((n, octets, erreurs))


def charge(chemin, clients, secondes):
    """Requests per second of ``clients`` processes fetching ``chemin`` for ``secondes``."""
    file = multiprocessing.Queue()
    fin = time.monotonic() + secondes
    processus = [multiprocessing.Process(target=client, args=(chemin, fin, file)) for _ in range(clients)]
    for p in processus:
        p.start()
    resultats = [file.get() for _ in processus]
    for p in processus:
        p.join()
    total = sum(r[0] for r in resultats)
    erreurs = sum(r[2] for r in resultats)
    if erreurs:
        sys.exit(f"{chemin} : {erreurs} réponses autres que 200")
    return total / secondes, max(r[1] for r in resultats)


def corps(chemin):
    with socket.create_connection(("127.0.0.1", PORT)) as s:
        s.sendall(requete(chemin))
        morceaux = []
        while morceau := s.recv(65536):
            morceaux.append(morceau)
    reponse = b"".join(morceaux)
    assert reponse.startswith(b"HTTP/1.1 200"), reponse[:300]
    return reponse[reponse.index(b"\r\n\r\n") + 4 :]


def vider_redis():
    import redis

    connexion = redis.Redis(host="127.0.0.1", port=6379, db=15)
    for cle in connexion.scan_iter(f"{PREFIXE}:*"):
        connexion.delete(cle)


def demarrer(env, workers, journal):
    serveur = subprocess.Popen(
        [
            GUNICORN,
            "villes_internet.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=RACINE,
        env=env,
        stdout=journal,
        stderr=journal,
    )
    return attendre(serveur, PORT, secondes=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laureats", type=int, default=250)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--secondes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2 * os.cpu_count() + 1)
    parser.add_argument("--preparer", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.preparer:
        return preparer(args.preparer)

    tmp = Path(tempfile.mkdtemp(prefix="bench-palmares-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "DEBUG"))}
    postgres = "accepting" in repond(["pg_isready", "-h", "127.0.0.1", "-p", "5432"])
    redis = repond(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"]) == "PONG"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-c"]
    if postgres:
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{BASE}"
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {BASE} WITH (FORCE)"], check=True)
        subprocess.run([*psql, f"CREATE DATABASE {BASE}"], check=True)
    else:
        env["SQLITE_PATH"] = str(tmp / "bench.sqlite3")
    env["STATIC_ROOT"] = str(tmp / "static")
    serveur_env = dict(env)
    if redis and postgres:  # production settings need both
        serveur_env.update(
            **production(),
            REDIS_URL="redis://127.0.0.1:6379/14",
            CACHE_KEY_PREFIX=PREFIXE,
        )
    journal = open(tmp / "gunicorn.log", "w")  # noqa: SIM115 - closed at the end
    serveur = None
    try:
        subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=RACINE, env=env, check=True)
        subprocess.run([PY, __file__, "--preparer", str(args.laureats)], cwd=RACINE, env=env, check=True)
        subprocess.run(
            [PY, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=RACINE, env=serveur_env, check=True
        )
        page = f"/palmares/{ANNEE}/"
        serveur = demarrer(serveur_env, args.workers, journal)
        taille = len(corps(page))
        arreter(serveur)
        (Path(env["STATIC_ROOT"]) / "bench-palmares.html").write_bytes(b"x" * taille)
        fichier = "/static/bench-palmares.html"
        serveur = demarrer(serveur_env, args.workers, journal)
        assert len(corps(fichier)) == taille
        for _ in range(args.workers * 2):
            corps(page)  # every worker has read the page's cache once
        if redis and postgres:
            mode = "PostgreSQL, Redis, DEBUG=false"
        else:
            mode = (
                "PostgreSQL" if postgres else "SQLite"
            ) + ", cache en mémoire de chaque worker, DEBUG=true"
        print(
            f"{mode} ; gunicorn {args.workers} workers sync ; {args.clients} clients ; "
            f"{args.secondes:g} s par mesure ; page et fichier de {taille} octets"
        )
        mesures = {fichier: [], page: []}
        for _ in range(2):
            for chemin in mesures:
                debit, octets = charge(chemin, args.clients, args.secondes)
                assert octets == taille, (chemin, octets, taille)
                mesures[chemin].append(debit)
                print(f"  {chemin:<32} {debit:8.1f} requêtes/s")
        statique, palmares = statistics.median(mesures[fichier]), statistics.median(mesures[page])
        print(f"médianes : fichier statique {statique:.1f} req/s, palmarès {palmares:.1f} req/s")
        print(f"ratio palmarès / fichier statique : {palmares / statique:.2f} (objectif ≥ 0,5)")
    finally:
        if serveur:
            arreter(serveur)
        journal.close()
        if postgres:
            subprocess.run([*psql, f"DROP DATABASE IF EXISTS {BASE} WITH (FORCE)"], check=False)
        if redis and postgres:
            vider_redis()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
