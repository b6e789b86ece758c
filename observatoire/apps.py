from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObservatoireConfig(AppConfig):
    name = "observatoire"
    verbose_name = _("Observatoire")
