import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villes_internet.settings")

app = Celery("villes_internet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def alleger_le_ramasse_miettes(**kwargs):
    """In each pool process, once it has started: the objects that live as long as it (Django,
    Celery, the apps' modules) leave the garbage collector's reach, and it runs after 10,000
    new objects instead of 700. A PDF's render makes and drops objects by hundreds of thousands:
    the collector's passes, full ones walking every object of the process, cost 2–3 ms per
    certificate of a publication (bench/README.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
