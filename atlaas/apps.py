from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AtlaasConfig(AppConfig):
    name = "atlaas"
    verbose_name = _("Atlaas et référentiel des territoires")
