"""A real Celery worker process for the tests marked ``worker`` (full mode only)."""

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from villes_internet.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


def database_url():
    db = settings.DATABASES["default"]
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def require_full_mode():
    if not settings.REDIS_URL or settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("Worker Celery réel : mode complet seulement (DATABASE_URL et REDIS_URL).")


@contextmanager
def worker_queue():
    """Send the tasks of this test to a queue of its own, so no other run's worker takes them."""
    require_full_mode()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        celery_app.conf.task_default_queue = previous


# The worker's own default queue is the test's: the tasks it queues itself stay on that queue.
LANCEUR = (
    "import os, sys; from villes_internet.celery import app; "
    "app.conf.task_default_queue = os.environ['TEST_QUEUE']; "
    "import tests.worker; tests.worker.ralentir_rendus(); app.worker_main(sys.argv[1:])"
)


def ralentir_rendus():
    """In the worker: each certificate's render lasts ``TEST_PAUSE_RENDU`` seconds longer, so
    that a test can stop the worker in the middle of one."""
    pause = float(os.environ.get("TEST_PAUSE_RENDU") or 0)
    if not pause:
        return
    import django

    django.setup()
    from label import certificats

    rendre = certificats.certificat_pdf

    def lent(document):
        time.sleep(pause)
        return rendre(document)

    certificats.certificat_pdf = lent


@contextmanager
def celery_worker(queue, tmp_path, log="worker.log", concurrency=None, **extra_env):
    """Start a real worker on the test database for ``queue``, one process (``--pool=solo``) or
    ``concurrency`` pool processes (prefork, which die with the main one); stop it on exit."""
    log = tmp_path / log
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mails"),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "TEST_QUEUE": queue,
        **extra_env,
    }
    pool = ["--pool=prefork", f"--concurrency={concurrency}"] if concurrency else ["--pool=solo"]
    command = [sys.executable, "-c", LANCEUR, "worker", *pool, f"--queues={queue}"]
    command += ["--loglevel=INFO", "--without-gossip", "--without-mingle", f"--hostname={queue}@%h"]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "ready." not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Le worker Celery n'a pas démarré :\n{log.read_text()}")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)


def wait_for(predicate, timeout=30, message="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} : toujours faux après {timeout} s")
        time.sleep(0.2)
