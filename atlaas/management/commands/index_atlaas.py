import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from atlaas import catalogue
from atlaas.models import FicheAction


class Command(BaseCommand):
    help = "Reconstruit l'index de recherche de l'Atlaas (toutes les fiches publiées)."

    def handle(self, *args, **options):
        started = time.monotonic()
        with transaction.atomic():
            catalogue.indexer()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE atlaas_ficheaction")
        count = FicheAction.objects.published().count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Index de l'Atlaas reconstruit : {count} fiches en {time.monotonic() - started:.1f} s."
            )
        )
