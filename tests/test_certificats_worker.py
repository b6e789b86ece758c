"""The certificates of a publication through a real Celery worker (full mode): a worker killed
mid-batch leaves no half-file and the batch completes once it is back; a worker, or Redis, down
at publication does not stop the publication, and the rows wait for them."""

import datetime
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.utils import timezone

from atlaas import storage
from label import publication, tasks
from label.models import Document, Edition, Resultat
from tests.factories import CandidatureFactory, EditionFactory
from tests.worker import ROOT, celery_worker, database_url, require_full_mode, wait_for, worker_queue

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def certificats():
    return Document.objects.filter(kind=Document.Kind.CERTIFICAT)


def edition_de(n):
    """An edition of ``n`` laureates whose deliberation is closed."""
    now = timezone.now()
    edition = EditionFactory(
        annee=2027,
        state=Edition.State.CLOSE,
        cloture=now - datetime.timedelta(days=60),
        resultats_clos_at=now,
        ceremonie_date=datetime.date(2027, 1, 28),
        ceremonie_lieu="Agen",
    )
    for i in range(n):
        candidature = CandidatureFactory(
            edition=edition, state="deposee", collectivite__nom=f"Saint-Étienne {i}"
        )
        Resultat.objects.create(candidature=candidature, niveau=1 + i % 5)
    return edition


def fichiers():
    dossier = settings.MEDIA_ROOT / "documents" / "2027" / "certificat"
    return sorted(dossier.iterdir()) if dossier.exists() else []


def prets():
    return certificats().filter(state=Document.State.PRET).count()


def assert_aucun_fichier_partiel():
    """Every ready row points to a whole PDF; no other row points to a file."""
    for document in certificats():
        if document.state == Document.State.PRET:
            contenu = (settings.MEDIA_ROOT / document.fichier.name).read_bytes()
            assert contenu.startswith(b"%PDF-") and contenu.rstrip().endswith(b"%%EOF"), document
        else:
            assert not document.fichier, document


def assert_un_fichier_par_laureat(n):
    assert certificats().count() == n
    assert prets() == n
    noms = sorted(settings.MEDIA_ROOT / d.fichier.name for d in certificats())
    assert fichiers() == noms  # one file each, nothing else in the folder
    assert_aucun_fichier_partiel()


def test_worker_killed_mid_batch_then_restarted_completes_the_batch(tmp_path):
    n = 40
    edition = edition_de(n)
    with worker_queue() as queue:
        with celery_worker(queue, tmp_path, "worker-1.log") as worker:
            publication.publier(edition)  # the generation is queued when the publication commits
            wait_for(lambda: prets() >= 5, timeout=120, message="premiers certificats générés")
            worker.kill()  # SIGKILL, in the middle of the batch
            worker.wait()
        assert prets() < n
        assert_aucun_fichier_partiel()

        with celery_worker(queue, tmp_path, "worker-2.log"):
            # The lots still queued are taken by the restarted worker.
            wait_for(lambda: prets() >= n - tasks.LOT, timeout=120, message="lots restants générés")
            # The lot being rendered when the worker died went with it: its row « en cours »
            # waits for its lease (simulated here), its rows not started wait, and a run takes
            # them all (the beat's: tests/test_certificats_panne.py).
            certificats().filter(state=Document.State.EN_COURS).update(
                updated_at=timezone.now() - publication.BLOQUE_APRES - datetime.timedelta(minutes=1)
            )
            tasks.generer_documents.delay(edition.pk)
            wait_for(lambda: prets() == n, timeout=120, message="lot complet")

    # The render the kill cut short may have left its temporary file: the hourly sweep removes
    # it (aged here), and nothing else.
    storage.balayer_partiels(settings.MEDIA_ROOT, age=-1)
    assert_un_fichier_par_laureat(n)
    assert not certificats().exclude(tentatives__lte=2).exists()


def test_worker_down_at_publication_then_started(tmp_path):
    n = 8
    edition = edition_de(n)
    with worker_queue() as queue:
        with celery_worker(queue, tmp_path, "worker-1.log"):
            pass  # the worker ran, then stopped
        publication.publier(edition)  # succeeds without any worker
        edition.refresh_from_db()
        assert edition.est_publiee
        assert certificats().filter(state=Document.State.ATTENTE).count() == n
        assert fichiers() == []

        with celery_worker(queue, tmp_path, "worker-2.log"):
            tasks.generer_documents.delay(edition.pk)  # as the beat run does
            wait_for(lambda: prets() == n, timeout=120, message="certificats générés")

    assert_un_fichier_par_laureat(n)
    assert not certificats().exclude(tentatives=1).exists()  # queued twice, generated once


def test_redis_down_at_publication_then_back(tmp_path):
    """Broker and cache unreachable: the publication is written all the same, its files wait
    « en attente », and the beat run has them generated once Redis and the worker are back."""
    require_full_mode()
    n = 3
    edition = edition_de(n)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": "redis://127.0.0.1:9/7",  # nothing listens there
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    script = (
        "import django; django.setup(); from label import publication; from label.models import Edition; "
        f"publication.publier(Edition.objects.get(pk={edition.pk})); print('publiée')"
    )
    sortie = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "villes_internet.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert sortie.returncode == 0 and "publiée" in sortie.stdout, sortie.stderr[-3000:]
    edition.refresh_from_db()
    assert edition.est_publiee
    assert certificats().filter(state=Document.State.ATTENTE).count() == n

    with worker_queue() as queue, celery_worker(queue, tmp_path):
        tasks.generer_documents.delay(edition.pk)  # as the beat run does
        wait_for(lambda: prets() == n, timeout=120, message="certificats générés")
    assert_un_fichier_par_laureat(n)
