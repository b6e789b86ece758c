"""Background work of the jury: reminders before the jury meeting.

Tasks are thin: a domain function does the work, safe to run twice.
"""

from celery import shared_task

from .rappels import rappels_automatiques


@shared_task
def rappeler_jures():
    """Celery beat, hourly: remind jurors with unfinished evaluations 7 and 2 days before the
    jury meeting, once each."""
    return rappels_automatiques()
