"""Background work of the observatoire: its default page built after a publication, before its
first visitor asks (owed through the outbox by ``atlaas.catalogue.index``). Thin and safe to run
twice."""

from celery import shared_task

from outbox import envois

from . import views


@shared_task
def preparer():
    """The catalogue's summary and the default page in each language, kept in the cache; tried
    again while the cache does not answer."""
    envois.exiger_cache()
    views.preparer()
