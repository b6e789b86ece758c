"""What the benches of this folder share: a percentile of their measures, the time and queries of a
request measured in-process (``mesurer``), and waiting for a server they started (gunicorn) to
answer, then stopping it. Imported by the scripts run as
``python bench/<script>.py`` (their folder is then on the import path)."""

import random
import socket
import statistics
import sys
import time


def percentile(values, p):
    """The ``p``-th percentile of ``values``, the nearest measure (no interpolation)."""
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def mesurer(libelle, appel, runs, largeur=34):
    """Prints p50, p95 and the queries of ``appel()`` (a test client's request, which must answer
    200), measured ``runs`` times after a first call that fills its caches. Django must be set up."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    temps, requetes = [], set()
    appel()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captees:
            debut = time.perf_counter()
            response = appel()
            temps.append((time.perf_counter() - debut) * 1000)
        assert response.status_code == 200, (libelle, response.status_code)
        requetes.add(len(captees))
    print(
        f"{libelle:<{largeur}} p50 {statistics.median(temps):7.1f} ms   "
        f"p95 {percentile(temps, 95):7.1f} ms   requêtes {'/'.join(map(str, sorted(requetes)))}"
    )


def attendre(serveur, port, secondes=10):
    """``serveur`` (a Popen) once it accepts connections on ``port``; stops the script if it does
    not within ``secondes``."""
    for _ in range(round(secondes * 10)):
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            return serveur
        except OSError:
            time.sleep(0.1)
    serveur.kill()
    sys.exit("gunicorn ne démarre pas : voir son journal")


def arreter(serveur, secondes=30):
    serveur.terminate()
    serveur.wait(timeout=secondes)


def production():
    """The environment of production's settings for a server a bench starts (``DEBUG=false``,
    a secret of its own, the names production requires)."""
    return {
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "".join(random.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=60)),
        "ALLOWED_HOSTS": "localhost",
        "SITE_URL": "https://localhost",
        "EMAIL_HOST": "localhost",
        "EDITEUR": "Banc d'essai",
        "HEBERGEUR": "Banc d'essai",
    }
