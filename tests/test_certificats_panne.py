"""A worker killed in the middle of the certificates of a publication, outright (SIGKILL of its
main process: its pool processes die with it, and Redis keeps its messages until their
visibility timeout) or one pool process only (its lot goes back to the queue at once): once a
worker is back, the beat run after the claims' lease has every document generated, once, each
row pointing to its own whole file (full mode)."""

import datetime
import os
import signal
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from label import documents, publication, tasks
from label.models import Document
from tests.test_certificats_worker import edition_de
from tests.worker import celery_worker, wait_for, worker_queue

pytestmark = [pytest.mark.worker, pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def compte(state):
    return Document.objects.filter(state=state).count()


def pdf_text(chemin):
    sortie = subprocess.run(["pdftotext", str(chemin), "-"], capture_output=True, check=True).stdout
    return " ".join(sortie.decode().split())


def en_rendu():
    return compte(Document.State.PRET) >= 2 and compte(Document.State.EN_COURS) >= 1


def beat_apres_les_baux():
    """The beat run, as it runs once every claim's lease is over."""
    tasks.generer_documents(now=timezone.now() + documents.BLOQUE_APRES + datetime.timedelta(seconds=1))


def assert_un_fichier_par_document(edition, n, interrompus):
    """Every row « prêt », pointing to its own file (its laureate's certificate, the palmarès),
    one file each and no other; the interrupted rows claimed twice, the others once."""
    lignes = list(Document.objects.filter(edition=edition).select_related("candidature__collectivite"))
    assert len(lignes) == n + 3
    assert {d.state for d in lignes} == {Document.State.PRET}
    fichiers = sorted(p for p in (settings.MEDIA_ROOT / "documents").rglob("*") if p.is_file())
    assert fichiers == sorted(settings.MEDIA_ROOT / d.fichier.name for d in lignes)
    for document in lignes:
        assert document.tentatives == (2 if document.pk in interrompus else 1), document
        chemin = settings.MEDIA_ROOT / document.fichier.name
        if document.kind == Document.Kind.CERTIFICAT:
            assert document.candidature.collectivite.nom in pdf_text(chemin)
        elif document.kind == Document.Kind.PALMARES_PDF:
            assert "Saint-Étienne 16" in pdf_text(chemin)
        else:
            assert "Saint-Étienne 16" in chemin.read_text(encoding="utf-8-sig")


def test_worker_killed_mid_lot_beat_run_regenerates_every_document_once(tmp_path):
    n = 17  # with the three palmarès files, two lots: one in each pool process
    edition = edition_de(n)
    with worker_queue() as queue:
        with celery_worker(queue, tmp_path, "worker-1.log", concurrency=2, TEST_PAUSE_RENDU="0.4") as worker:
            publication.publier(edition)  # the generation is queued when the publication commits
            wait_for(en_rendu, timeout=60, message="certificats en cours de rendu")
            worker.kill()  # SIGKILL, a certificate being rendered
            worker.wait()

        # Each lot left the certificate it was rendering « en cours », without a file, and the
        # rest « en attente »: claimed one at a time, nothing else was taken.
        interrompus = set(Document.objects.filter(state=Document.State.EN_COURS).values_list("pk", flat=True))
        assert 1 <= len(interrompus) <= 2
        assert not Document.objects.filter(pk__in=interrompus).exclude(fichier="").exists()
        assert compte(Document.State.ATTENTE) > 0

        with celery_worker(queue, tmp_path, "worker-2.log", concurrency=2):
            beat_apres_les_baux()
            wait_for(lambda: compte(Document.State.PRET) == n + 3, timeout=60, message="documents générés")

    assert_un_fichier_par_document(edition, n, interrompus)


def test_pool_process_killed_mid_lot_its_lot_goes_on_then_beat_run_regenerates_its_row(tmp_path):
    n = 17
    edition = edition_de(n)
    with (
        worker_queue() as queue,
        celery_worker(queue, tmp_path, concurrency=2, TEST_PAUSE_RENDU="0.4") as worker,
    ):
        publication.publier(edition)
        wait_for(en_rendu, timeout=60, message="certificats en cours de rendu")
        pool = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
        os.kill(int(pool[0]), signal.SIGKILL)

        # Its lot came back to the queue at once and was run again: all done but the row
        # the killed process was rendering, « en cours » until its lease is over.
        wait_for(
            lambda: compte(Document.State.PRET) == n + 2 and compte(Document.State.EN_COURS) == 1,
            timeout=60,
            message="lot repris",
        )
        interrompus = set(Document.objects.filter(state=Document.State.EN_COURS).values_list("pk", flat=True))
        beat_apres_les_baux()
        wait_for(lambda: compte(Document.State.PRET) == n + 3, timeout=60, message="documents générés")

    assert_un_fichier_par_document(edition, n, interrompus)
