"""``manage.py import_palmares FILE.csv``: load past palmarès into the label history, by code.

One line per label obtained, with the header ``annee;code;niveau;mentions;ten`` (``,`` works
too): code = INSEE code of a commune or SIREN of an EPCI, niveau = 1 to 5 or @ to @@@@@,
mentions separated by ``|``, ten = oui/non/1/0 or empty. Every line is checked first; if any is
wrong, every error is reported with its line number and nothing is imported. Otherwise the
rows are created or updated in one transaction: running the same file again changes nothing.
Palmarès published by name (« Arras (62) @@@ »): ``import_palmares_noms``.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from label.historique import bilan, importer, lire_csv, lire_fichier, messages, valider

COLONNES = ("annee", "code", "niveau", "mentions", "ten")
OBLIGATOIRES = ("annee", "code", "niveau")
ATTENDU = "annee;code;niveau;mentions;ten"


def lire(texte):
    """([{collectivite_id, annee, niveau, mentions, ten}], [errors « ligne N : … »]) from the
    CSV text; the rows only count when there is no error."""
    lignes, erreurs = lire_csv(texte, COLONNES, OBLIGATOIRES, ATTENDU)
    rows, invalides = valider(lignes)
    return rows, messages(erreurs + invalides)


class Command(BaseCommand):
    help = (
        "Charge l'historique des palmarès (annee;code;niveau;mentions;ten) : rien n'est importé "
        "si une ligne est fausse."
    )

    def add_arguments(self, parser):
        parser.add_argument("fichier", help="Fichier CSV en UTF-8, séparateur « ; » ou « , ».")

    def handle(self, *args, fichier, **options):
        rows, erreurs = lire(lire_fichier(fichier))
        if erreurs:
            raise CommandError("\n".join([_("Rien n'a été importé :"), *erreurs]))
        resultat = importer(rows)
        if options["verbosity"]:
            self.stdout.write(self.style.SUCCESS(bilan(*resultat)))
