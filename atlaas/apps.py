from django.apps import AppConfig
from django.conf import settings
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _
from PIL import Image


class AtlaasConfig(AppConfig):
    name = "atlaas"
    verbose_name = _("Atlaas et référentiel des territoires")

    def ready(self):
        # Pillow then refuses by itself, anywhere in the process, an image twice as large as an
        # upload may be (atlaas/uploads.py checks each upload against the limit itself).
        Image.MAX_IMAGE_PIXELS = settings.UPLOAD_MAX_IMAGE_PIXELS
        connection_created.connect(unaccent_sqlite)
        from villes_internet import pages

        from .catalogue.recherche import VERSION

        if VERSION not in pages.VERSIONS:  # the public pages kept in the cache follow the catalogue
            pages.VERSIONS.append(VERSION)


def unaccent_sqlite(sender, connection, **kwargs):
    """SQLite (embedded mode) gets PostgreSQL's ``unaccent()``, in Python: a search compares words
    without their accents in both modes (the moderation queue's titles)."""
    if connection.vendor == "sqlite":
        from .francais import sans_accents

        connection.connection.create_function(
            "unaccent", 1, lambda text: None if text is None else sans_accents(text), deterministic=True
        )
