"""What a web request waits for when Redis (broker and cache) is in trouble.

Starts a redis-server of its own on a free port and measures, in a fresh process for each case,
the time of a task's ``.delay()``, of a cache read and of the ``/sante/`` view (twice each: the
first call also imports and connects), with Redis:

- « répond »: running;
- « bloqué »: stopped by SIGSTOP: connections are accepted, nothing is answered (a hung server, a
  network that drops packets);
- « arrêté »: terminated: connections are refused;

with the portal's settings (« après ») and with those of before: Celery's default publish retry
policy, no socket timeout, Django's own Redis cache (« avant »). A case that takes longer than
``--limite`` seconds is stopped and shown as such. No database is needed (a throwaway SQLite).

    .venv/bin/python bench/redis_panne.py [--limite 20]
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def mesurer(reglages, nom):
    """In the child process: one ``.delay()``, one cache read or one /sante/, timed."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villes_internet.settings")
    import django
    from django.conf import settings

    if reglages == "avant":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": settings.REDIS_CACHE_URL,
            }
        }
    django.setup()
    from django.core.cache import cache
    from django.test import RequestFactory

    from label import tasks
    from villes_internet.celery import app
    from villes_internet.views import health

    if reglages == "avant":
        app.conf.broker_transport_options = {}
        app.conf.task_publish_retry_policy = {
            "max_retries": 3,
            "interval_start": 0,
            "interval_max": 1,
            "interval_step": 0.2,
        }
    action = {
        "delay": lambda: tasks.generer_documents.delay(0) and "publiée",
        "cache": lambda: cache.get("bench", "absente"),
        "sante": lambda: "{} {}".format(*_sante(health(RequestFactory().get("/sante/")))),
    }[nom]
    mesures = []
    for _ in range(2):  # the first call also imports and connects
        debut = time.perf_counter()
        try:
            issue = str(action())
        except Exception as exc:  # noqa: BLE001 - what the caller would see
            issue = exc.__class__.__name__
        mesures.append(f"{time.perf_counter() - debut:.2f}")
    print(json.dumps([" puis ".join(mesures), issue]))


def _sante(response):
    return response.status_code, json.loads(response.content)["cache"]


def port_libre():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demarrer(port):
    serveur = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return serveur
        time.sleep(0.05)
    raise SystemExit("redis-server ne démarre pas.")


def cas(port, reglages, nom, limite, sqlite):
    """[seconds, outcome] of one measure in a fresh process, or the limit when it hangs."""
    env = {
        **os.environ,
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "SQLITE_PATH": sqlite,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "CRITICAL",
    }
    env.pop("DATABASE_URL", None)
    try:
        sortie = subprocess.run(
            [sys.executable, __file__, "--enfant", reglages, nom],
            env=env,
            capture_output=True,
            text=True,
            timeout=limite + 3,  # + the start-up of Django
        ).stdout
    except subprocess.TimeoutExpired:
        return [f"> {limite:g}", "toujours en attente"]
    return json.loads(sortie.splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limite", type=float, default=20)
    parser.add_argument("--enfant", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.enfant:
        return mesurer(*args.enfant)
    if not shutil.which("redis-server"):
        raise SystemExit("redis-server est absent : apt-get install redis-server.")
    port = port_libre()
    descripteur, sqlite = tempfile.mkstemp(suffix=".sqlite3", prefix="bench-redis-")
    os.close(descripteur)
    serveur = demarrer(port)
    print("| Redis | réglages | `.delay()` | `cache.get` | `/sante/` |\n|---|---|---|---|---|")
    try:
        for etat in ("répond", "bloqué", "arrêté"):
            if etat == "bloqué":
                serveur.send_signal(signal.SIGSTOP)
            if etat == "arrêté":
                serveur.send_signal(signal.SIGCONT)
                serveur.terminate()
                serveur.wait()
            for reglages in ("avant", "après"):
                cellules = [
                    "{} s : {}".format(*cas(port, reglages, nom, args.limite, sqlite))
                    for nom in ("delay", "cache", "sante")
                ]
                print(f"| {etat} | {reglages} | " + " | ".join(cellules) + " |", flush=True)
    finally:
        if serveur.poll() is None:
            serveur.send_signal(signal.SIGCONT)
            serveur.terminate()
            serveur.wait()
        Path(sqlite).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
