"""Background work about personal data: the archives of « Mes données », the daily retention run.

Tasks are leaves: primitive ids in, a domain function does the work, safe to run twice.
"""

from celery import shared_task

from . import conservation, export


@shared_task
def generer_archive(archive_id):
    return export.generer(archive_id)


@shared_task
def conserver():
    """Celery beat, daily: warn and delete inactive accounts, purge what is kept no longer."""
    return conservation.conserver()
