import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villes_internet.settings")

app = Celery("villes_internet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def geler_les_objets_du_demarrage(**kwargs):
    """In each pool process, once it has started: the objects that live as long as it (Django,
    Celery, the apps' modules) leave the garbage collector's reach. Its full passes, frequent
    while PDFs are rendered, no longer walk them: 1.5–2 ms less per certificate of a
    publication (bench/README.md)."""
    gc.collect()
    gc.freeze()
