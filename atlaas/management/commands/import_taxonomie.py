from django.core.management.base import BaseCommand, CommandError

from atlaas import taxonomie


class Command(BaseCommand):
    help = "Charge le référentiel des services (catégories, enjeux, services) sans écraser les modifications."

    def add_arguments(self, parser):
        parser.add_argument("fichier", nargs="?", default=str(taxonomie.SHIPPED_FILE))

    def handle(self, *args, fichier, **options):
        try:
            created = taxonomie.import_tree(taxonomie.read_tree(fichier))
        except taxonomie.TaxonomieError as exc:
            raise CommandError(str(exc)) from None
        if not any(created.values()):
            self.stdout.write("Taxonomie : rien à changer.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    "Taxonomie : {categories} catégories, {enjeux} enjeux "
                    "et {services} services ajoutés.".format(**created)
                )
            )
