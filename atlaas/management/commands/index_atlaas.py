import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from atlaas import catalogue
from atlaas.models import FicheAction


class Command(BaseCommand):
    help = (
        "Reconstruit l'index de recherche de l'Atlaas (toutes les fiches publiées) : mots, et services, "
        "enjeux et catégories de chaque fiche pour les facettes ; avec --moteur, l'index du moteur de "
        "recherche (ATLAAS_MOTEUR) depuis la base."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--moteur",
            action="store_true",
            help="Réécrire seulement l'index du moteur de recherche (ATLAAS_MOTEUR), depuis la base.",
        )

    def handle(self, *args, moteur=False, **options):
        started = time.monotonic()
        if moteur:
            if not catalogue.moteur.actif():
                raise CommandError("ATLAAS_MOTEUR ne désigne aucun dossier (le moteur demande PostgreSQL).")
            try:
                count = catalogue.index.reconstruire_moteur()
            except catalogue.moteur.Indisponible as exc:
                raise CommandError(
                    f"Le moteur n'a pas pu être reconstruit ({exc}) : un worker l'écrit peut-être, "
                    "relancez la commande dans un moment."
                ) from None
            self.stdout.write(
                self.style.SUCCESS(
                    f"Index du moteur de l'Atlaas reconstruit : {count} fiches en "
                    f"{time.monotonic() - started:.1f} s."
                )
            )
            return
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
