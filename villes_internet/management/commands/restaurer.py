from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from villes_internet.sauvegarde import SauvegardeErreur, restaurer

from .sauvegarder import mo


class Command(BaseCommand):
    help = (
        "Restaure une sauvegarde de `sauvegarder` : vérifie ses empreintes, puis remplace la base et "
        "les fichiers (MEDIA_ROOT). Arrêtez d'abord le web, les workers et beat."
    )

    def add_arguments(self, parser):
        parser.add_argument("dossier", type=Path, help="Dossier d'une sauvegarde (sauvegardes/2026-…Z).")
        parser.add_argument(
            "--ecraser",
            action="store_true",
            help="Accepte de remplacer une base qui contient déjà des tables.",
        )
        parser.add_argument(
            "--base",
            help="Restaure dans cette autre base (PostgreSQL : son nom, sur le même serveur ; SQLite : "
            "un fichier) au lieu de la base configurée : exercice de restauration.",
        )
        parser.add_argument(
            "--media", type=Path, help="Restaure les fichiers dans ce dossier au lieu de MEDIA_ROOT."
        )

    def _moteur(self):
        """The Atlaas' search engine, when there is one, rebuilt from the data restored: its folder
        is not in the backup, and held what the replaced data said."""
        from atlaas import catalogue

        if not catalogue.moteur.actif():
            return
        try:
            nombre = catalogue.index.reconstruire_moteur()
        except catalogue.moteur.Indisponible as exc:
            self.stdout.write(
                self.style.WARNING(
                    f"Moteur de l'Atlaas non reconstruit ({exc}) : lancez `manage.py index_atlaas --moteur`."
                )
            )
        else:
            self.stdout.write(f"Moteur de l'Atlaas reconstruit : {nombre} fiches.")

    def handle(self, *args, dossier, ecraser, base, media, **options):
        cible = {**connection.settings_dict, "NAME": base} if base else connection.settings_dict
        media = media or settings.MEDIA_ROOT
        connection.close()
        try:
            manifeste = restaurer(dossier, base=cible, media_root=media, ecraser=ecraser)
        except SauvegardeErreur as exc:
            raise CommandError(str(exc)) from None
        if not base:
            cache.clear()  # pages and searches cached from the data replaced
            self._moteur()
        partie, fichiers, application = manifeste["base"], manifeste["media"], manifeste["application"]
        lignes = [
            f"base ({manifeste['moteur']}) « {cible['NAME']} » : {partie['fichier']}, {mo(partie['taille'])}",
            f"fichiers : {fichiers['fichiers']} dans {media} ({mo(fichiers['taille'])})",
            f"version : {application['version']} {(application['commit'] or '')[:12]}".rstrip(),
            "migrations : " + ", ".join(f"{app} {nom}" for app, nom in manifeste["migrations"].items()),
        ]
        self.stdout.write(self.style.SUCCESS(f"Sauvegarde {manifeste['horodatage']} restaurée :"))
        self.stdout.write("\n".join(f"  {ligne}" for ligne in lignes))
        if fichiers["absents"]:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(fichiers['absents'])} fichiers cités par la base manquaient déjà à la sauvegarde."
                )
            )
        code = dict(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())
        autres = sorted(app for app, nom in code.items() if manifeste["migrations"].get(app) != nom)
        if autres:
            self.stdout.write(
                self.style.WARNING(
                    f"Dernières migrations différentes du code ({', '.join(autres)}) : lancez "
                    "`manage.py migrate` si le code est plus récent que la sauvegarde."
                )
            )
