"""Background work of the label: receipts of submitted candidatures, reminders before closing,
the publication of the palmarès and its files.

Tasks are thin: primitive ids in, a domain function does the work, safe to run twice.
"""

from celery import shared_task

from . import annonces, documents, publication
from .receipts import send_receipt_emails
from .submission import remind_drafts


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_receipts(candidature_id):
    """E-mail the receipt (PDF summary attached) to every member of a submitted candidature."""
    return send_receipt_emails(candidature_id)


def queue_receipts(candidature):
    """``on_commit`` hook of a submission: the receipts leave once the state change is saved."""
    send_receipts.delay(candidature.pk)


@shared_task(bind=True)
def send_closing_reminders(self):
    """Celery beat, hourly: remind the members of every draft 30, 7 and 1 day before closing.

    The e-mails are queued on the queue this task came from, so that a worker dedicated to
    a queue also sends them."""
    queue = (self.request.delivery_info or {}).get("routing_key")
    return remind_drafts(queue=queue)


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
    """E-mail each laureate's members their level, once."""
    return annonces.annoncer_resultats(edition_id)
