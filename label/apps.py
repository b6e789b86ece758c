from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LabelConfig(AppConfig):
    name = "label"
    verbose_name = _("Label")

    def ready(self):
        from villes_internet import pages

        from .palmares.cache import VERSION_HISTORIQUE

        # The public pages kept in the cache (a collectivité's shows its label history) follow
        # the history; the palmarès' publications and corrections move the catalogue's version.
        if VERSION_HISTORIQUE not in pages.VERSIONS:
            pages.VERSIONS.append(VERSION_HISTORIQUE)
