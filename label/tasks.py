"""Background work of the label: receipts of submitted candidatures, reminders before closing.

Tasks are thin: primitive ids in, a domain function does the work, safe to run twice.
"""

from celery import shared_task

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
