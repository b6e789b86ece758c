"""What the benches of this folder share: a percentile of their measures, and waiting for a server
they started (gunicorn) to answer, then stopping it. Imported by the scripts run as
``python bench/<script>.py`` (their folder is then on the import path)."""

import random
import socket
import sys
import time


def percentile(values, p):
    """The ``p``-th percentile of ``values``, the nearest measure (no interpolation)."""
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


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
