import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from atlaas import catalogue
from atlaas.models import FicheAction


class Command(BaseCommand):
    help = (
        "Reconstruit l'index de recherche de l'Atlaas (toutes les fiches publiées) : mots, et services, "
        "enjeux et catégories de chaque fiche pour les facettes."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        with transaction.atomic():
            catalogue.indexer()
        if connection.vendor == "postgresql":
            # VACUUM (outside a transaction only) also clears the rows the rebuild replaced, in the
            # fiches and in the copy the search reads, and marks the pages all-visible, for the
            # catalogue's index-only scan.
            vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            with connection.cursor() as cursor:
                cursor.execute(f"{vacuum} atlaas_ficheaction, atlaas_ficherecherche")
        count = FicheAction.objects.published().count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Index de l'Atlaas reconstruit : {count} fiches en {time.monotonic() - started:.1f} s."
            )
        )
