"""``manage.py import_palmares_noms FICHIER [--annee 2018] [--complet]``: load past palmarès as
published, by name.

The association and the press publish the palmarès by name: « Arras (62) @@@ », one label a line,
or a table. Two inputs are read:

- lines « Nom (département) @@@ » (the département in brackets is optional; « 4@ » works too), the
  year given by ``--annee`` or by a line « 2018 » above them, « # … » a comment (an address in it
  is kept as the source of the lines below);
- a CSV file (« ; » or « , ») with the header ``annee;nom;departement;niveau`` and, as wanted,
  ``ten``, ``mentions`` (separated by « | »), ``code`` (INSEE code or SIREN, when the name is not
  enough) and ``source``.

Each name is looked for in the referential as the portal's search reads it (« oe » for « œ »,
accents, hyphens, « St » aside); the département narrows homonyms; a name several collectivités
share is never guessed. The command writes, next to the file, ``<nom>.resolution.csv``: each line
with its status (résolu, ambigu, introuvable, illisible), the collectivité kept, the candidates
and the reason. Nothing is imported unless every line is resolved and right; the report is itself
an input: fill the ``code`` (or ``departement``) column of its ambiguous or unresolved lines and
run the command on it. ``--complet`` declares, as for ``import_palmares``, that the file holds the
whole palmarès of each of its years (``HistoriqueComplet``), once it is imported.

A companion of ``import_palmares`` rather than a mode of it: its input is text as published, it
writes a file, and the user goes through it more than once before anything is imported; the
checks of the values and the import are shared (``label.historique``).
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from label import historique

STATUTS = (historique.RESOLU, historique.AMBIGU, historique.INTROUVABLE, historique.ILLISIBLE)


def compter(lignes):
    comptes = dict.fromkeys(STATUTS, 0)
    for ligne in lignes:
        comptes[ligne.statut] += 1
    return comptes


def resume(comptes, total):
    """« résolues : 186, ambiguës : 7, introuvables : 8 (sur 201 lignes) »."""
    parties = [
        _("résolues : %(n)d") % {"n": comptes[historique.RESOLU]},
        _("ambiguës : %(n)d") % {"n": comptes[historique.AMBIGU]},
        _("introuvables : %(n)d") % {"n": comptes[historique.INTROUVABLE]},
    ]
    if comptes[historique.ILLISIBLE]:
        parties.append(_("illisibles : %(n)d") % {"n": comptes[historique.ILLISIBLE]})
    return _("%(parties)s (sur %(total)d lignes)") % {"parties": ", ".join(parties), "total": total}


class Command(BaseCommand):
    help = (
        "Charge l'historique des palmarès publiés par nom (« Arras (62) @@@ » ou "
        "annee;nom;departement;niveau) et écrit le rapport de résolution à côté du fichier : rien "
        "n'est importé tant qu'une ligne n'est pas résolue."
    )

    def add_arguments(self, parser):
        parser.add_argument("fichier", help="Fichier en UTF-8 : lignes « Nom (dpt) @@@ » ou tableau CSV.")
        parser.add_argument(
            "--annee", type=int, help="Millésime des lignes « Nom (dpt) @@@ » sans ligne d'année au-dessus."
        )
        historique.option_complet(parser)

    def handle(self, *args, fichier, annee=None, complet=False, **options):
        texte = historique.lire_fichier(fichier)
        if historique.est_un_tableau(texte):
            lignes = historique.lire_tableau(texte)
        else:
            lignes = historique.lire_lignes_publiees(texte, annee)
        if not lignes:
            raise CommandError(_("%(fichier)s ne contient aucune ligne de palmarès.") % {"fichier": fichier})
        historique.resoudre(lignes)
        rows = historique.verifier(lignes)
        rapport = historique.ecrire_rapport(historique.chemin_du_rapport(fichier), lignes)
        comptes = compter(lignes)
        erreurs = [ligne for ligne in lignes if ligne.statut == historique.RESOLU and ligne.raisons]
        if comptes[historique.RESOLU] < len(lignes) or erreurs:
            raise CommandError(
                "\n".join(
                    [
                        _("Rien n'a été importé : %(resume)s.") % {"resume": resume(comptes, len(lignes))},
                        _(
                            "Le rapport %(rapport)s donne pour chaque ligne la collectivité retenue, les "
                            "candidats ou la raison. Indiquez dans sa colonne code le code INSEE ou SIREN "
                            "des lignes ambiguës ou introuvables (ou leur département), corrigez les "
                            "erreurs, puis relancez : manage.py import_palmares_noms %(rapport)s"
                        )
                        % {"rapport": rapport},
                        *(
                            _("ligne %(n)d : %(erreur)s.")
                            % {"n": ligne.numero, "erreur": "\u202f; ".join(ligne.raisons)}
                            for ligne in erreurs
                        ),
                    ]
                )
            )
        historique.importer_et_dire(self, rows, complet, options["verbosity"])
        if options["verbosity"]:
            self.stdout.write(
                _("Lignes %(resume)s ; rapport : %(rapport)s")
                % {"resume": resume(comptes, len(lignes)), "rapport": rapport}
            )
