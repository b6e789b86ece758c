"""The outbox's two tasks: do one row, and hand again what is owed (beat, every minute)."""

from celery import shared_task

from . import envois


@shared_task(acks_late=True, reject_on_worker_lost=True)
def executer(envoi_id):
    return envois.executer(envoi_id)


@shared_task
def relancer():
    return envois.relancer()
