"""The web worker's entry point (gunicorn loads ``villes_internet.wsgi``)."""

import gc
import importlib


def test_the_web_worker_keeps_its_startup_objects_out_of_the_garbage_collector():
    gc.unfreeze()
    try:
        wsgi = importlib.reload(importlib.import_module("villes_internet.wsgi"))
        assert callable(wsgi.application)
        assert gc.get_freeze_count() > 50_000  # modules, models and views, never scanned again
    finally:
        gc.unfreeze()
