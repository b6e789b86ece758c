"""Background work of the label: reminders before closing, the publication of the palmarès, its
files and its e-mails.

Tasks are leaves: primitive ids in, a domain function does the work, safe to run twice. The
domain never queues them itself: it owes them in the outbox (``outbox.envois``), by name.
"""

from celery import shared_task

from outbox import envois

from . import annonces, documents, palmares, publication, receipts
from .models import Candidature
from .submission import remind_drafts


@shared_task
def send_receipts(candidature_id):
    """Messages queued by the release before the outbox: the receipts are owed there now
    (``receipts.owe_receipts``, once per submission and member)."""
    candidature = Candidature.objects.filter(pk=candidature_id, state=Candidature.State.DEPOSEE).first()
    return receipts.owe_receipts(candidature) if candidature else 0


@shared_task
def send_closing_reminders():
    """Celery beat, hourly: remind the members of every draft 30, 7 and 1 day before closing."""
    return remind_drafts()


# --- Publication -----------------------------------------------------------------------------


@shared_task
def publier_editions():
    """Celery beat, every five minutes: publish the editions whose planned moment has come."""
    return [edition.annee for edition in publication.publier_prevues()]


LOT = 10  # documents per task: a task's connection and message cost as much as a certificate


@shared_task(bind=True)
def generer_documents(self, edition_id=None, now=None):
    """Queue the documents to generate, ``LOT`` per task, on the queue this task came from, so
    that a worker dedicated to a queue also renders them: an edition's (its publication, a
    correction, staff), or, with no id, what a killed worker or a broker outage left behind
    (Celery beat, every minute; ``now`` runs it as a later beat would)."""
    queue = (self.request.delivery_info or {}).get("routing_key")
    ids = documents.a_envoyer(edition_id, now)
    for debut in range(0, len(ids), LOT):
        generer_lot.apply_async((ids[debut : debut + LOT],), queue=queue)
    return len(ids)


# acks_late + reject_on_worker_lost: a pool process killed mid-render hands the task back to the
# broker at once, and the lot run again skips what is done or claimed. A whole worker killed keeps
# its messages until the broker's visibility timeout: the beat run has queued its rows again.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def generer_lot(document_ids):
    return documents.generer_lot(document_ids)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def generer_document(document_id):
    """The task of one document, before lots: messages queued by the previous release."""
    return documents.generer(document_id)


@shared_task
def envoyer_resultats(edition_id):
    """Owe each laureate's members the e-mail of their level, once."""
    return annonces.annoncer_resultats(edition_id)


@shared_task
def invalider_palmares(edition_id):
    """Move the edition's palmarès cache on after a correction: its old pages are not read again;
    tried again while the cache does not answer."""
    palmares.invalider(edition_id)
    envois.exiger_cache()


@shared_task
def invalider_historique():
    """Move every year's palmarès cache on after the label history changed (an import, a year
    declared complete); tried again while the cache does not answer."""
    palmares.invalider_historique()
    envois.exiger_cache()
