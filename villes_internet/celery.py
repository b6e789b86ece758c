import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villes_internet.settings")

app = Celery("villes_internet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
