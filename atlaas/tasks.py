"""Background work of the Atlaas: the catalogue made ready before its visitors ask.

Tasks are thin and safe to run twice.
"""

from celery import shared_task
from django.conf import settings

from outbox import envois

from . import catalogue, storage


@shared_task
def preparer_catalogue():
    """After a publication: count the landing page's facets once, so that its first visitor
    does not wait for it (the counts of the whole Atlaas grow with it); what it says of the
    full export is read too."""
    catalogue.rechercher({}).facettes  # noqa: B018 - computed for their cached names
    catalogue.export.fichier_complet()


@shared_task
def construire_vocabulaire():
    """Celery beat, every three hours: the words of the spelling suggestions, rebuilt before
    the cached ones expire, so that no search waits for them."""
    catalogue.vocabulaire(reconstruire=True)


@shared_task
def invalider_catalogue():
    """Move the Atlaas' cache on (after a publication of the palmarès: the « niveau » facet);
    tried again while the cache does not answer."""
    catalogue.invalider()
    envois.exiger_cache()
    for tache in catalogue.index.PREPARATIONS:  # after a palmarès: the levels changed
        envois.tache(tache)


@shared_task
def suivre_moteur():
    """After a change of the catalogue (owed through the outbox), and by Celery beat every
    minute: the search engine, when there is one, reads the fiches that changed."""
    catalogue.index.suivre_moteur()


@shared_task
def exporter_catalogue():
    """After a change of the catalogue (owed through the outbox, one a minute), and by Celery
    beat every minute: write the full CSV export again if it is out of date."""
    catalogue.export.exporter()


@shared_task
def balayer_fichiers_partiels():
    """Celery beat, every hour: the temporary files a killed process left in the media folder
    (an hour old at least, so that no running write loses its own) are removed."""
    storage.balayer_partiels(settings.MEDIA_ROOT)
