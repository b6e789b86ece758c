from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RgpdConfig(AppConfig):
    name = "rgpd"
    verbose_name = _("Données personnelles")
