"""``manage.py import_palmares FILE.csv [--complet]``: load past palmarès into the label history,
by code.

One line per label obtained, with the header ``annee;code;niveau;mentions;ten`` (``,`` works
too): code = INSEE code of a commune or SIREN of an EPCI, niveau = 1 to 5 or @ to @@@@@,
mentions separated by ``|``, ten = oui/non/1/0 or empty. Two optional columns give the year's own
figures, which today's referential cannot (populations and perimeters change): ``population``
(the collectivité's population that year) and ``communes`` (for a territoire, its member
communes that year); the palmarès shows the communes and inhabitants covered of a year only when
every line of it has them. A column left out keeps what is stored; an empty cell clears it.

``--complet`` declares that the file holds the whole palmarès of each of its years
(``HistoriqueComplet``): a collectivité missing from such a year had no label, and a laureate is
said to take part for the first time only when every year before its own is complete.

Every line is checked first; if any is wrong, every error is reported with its line number and
nothing is imported. Otherwise the rows are created or updated in one transaction: running the
same file again changes nothing. Palmarès published by name (« Arras (62) @@@ »):
``import_palmares_noms``.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from label.historique import (
    CHIFFRES,
    importer_et_dire,
    lire_csv,
    lire_fichier,
    messages,
    option_complet,
    valider,
)

COLONNES = ("annee", "code", "niveau", "mentions", "ten")
OBLIGATOIRES = ("annee", "code", "niveau")
ATTENDU = "annee;code;niveau;mentions;ten"


def lire(texte):
    """([{collectivite_id, annee, niveau, mentions, ten[, population][, communes]}], [errors
    « ligne N : … »]) from the CSV text; the rows only count when there is no error. A row has
    the optional figures whose column the file has."""
    lignes, erreurs = lire_csv(texte, COLONNES, OBLIGATOIRES, ATTENDU, facultatives=CHIFFRES)
    rows, invalides = valider(lignes)
    return rows, messages(erreurs + invalides)


class Command(BaseCommand):
    help = (
        "Charge l'historique des palmarès (annee;code;niveau;mentions;ten, et facultatives "
        "population;communes) : rien n'est importé si une ligne est fausse."
    )

    def add_arguments(self, parser):
        parser.add_argument("fichier", help="Fichier CSV en UTF-8, séparateur « ; » ou « , ».")
        option_complet(parser)

    def handle(self, *args, fichier, complet=False, **options):
        rows, erreurs = lire(lire_fichier(fichier))
        if erreurs:
            raise CommandError("\n".join([_("Rien n'a été importé :"), *erreurs]))
        importer_et_dire(self, rows, complet, options["verbosity"])
