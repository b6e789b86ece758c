from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

PREPARER = "observatoire.tasks.preparer"


class ObservatoireConfig(AppConfig):
    name = "observatoire"
    verbose_name = _("Observatoire")

    def ready(self):
        from atlaas.catalogue import index

        if PREPARER not in index.PREPARATIONS:  # after a publication, the default page is built
            index.PREPARATIONS.append(PREPARER)
