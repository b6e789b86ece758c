from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image


class AtlaasConfig(AppConfig):
    name = "atlaas"
    verbose_name = _("Atlaas et référentiel des territoires")

    def ready(self):
        # Pillow then refuses by itself, anywhere in the process, an image twice as large as an
        # upload may be (atlaas/uploads.py checks each upload against the limit itself).
        Image.MAX_IMAGE_PIXELS = settings.UPLOAD_MAX_IMAGE_PIXELS
