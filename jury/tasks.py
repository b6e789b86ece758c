"""Background work of the jury: reminders before the jury meeting.

Tasks are thin: a domain function does the work, safe to run twice.
"""

from celery import shared_task

from .rappels import rappels_automatiques


@shared_task(bind=True)
def rappeler_jures(self):
    """Celery beat, hourly: remind jurors with unfinished evaluations 7 and 2 days before the
    jury meeting, once each. The e-mails go on the queue this task came from."""
    queue = (self.request.delivery_info or {}).get("routing_key")
    return rappels_automatiques(queue=queue)
