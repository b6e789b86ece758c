from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management.base import BaseCommand, CommandError

from villes_internet.sauvegarde import SauvegardeErreur, sauvegarder


def mo(octets):
    return f"{octets / 1e6:.1f} Mo"


class Command(BaseCommand):
    help = (
        "Sauvegarde la base puis les fichiers (MEDIA_ROOT) dans un dossier horodaté, avec un "
        "manifeste (tailles, empreintes sha256, migrations, version) ; garde les N plus récentes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dossier",
            type=Path,
            default=settings.SAUVEGARDES_DIR,
            help="Dossier des sauvegardes (défaut : SAUVEGARDES_DIR, sinon ./sauvegardes).",
        )
        parser.add_argument(
            "--garder",
            type=int,
            default=7,
            help="Nombre de sauvegardes gardées, la nouvelle comprise (défaut : 7).",
        )

    def handle(self, *args, dossier, garder, **options):
        if garder < 1:
            raise CommandError("--garder doit valoir au moins 1.")
        if not isinstance(default_storage, FileSystemStorage):
            raise CommandError(
                "Les fichiers sont sur un stockage distant : cette commande n'archive que MEDIA_ROOT. "
                "Sauvegardez le stockage avec ses propres outils (versions, réplication)."
            )
        try:
            chemin, manifeste, supprimees = sauvegarder(dossier, garder=garder)
        except SauvegardeErreur as exc:
            raise CommandError(str(exc)) from None
        base, media = manifeste["base"], manifeste["media"]
        self.stdout.write(
            self.style.SUCCESS(f"Sauvegarde écrite dans {chemin} en {manifeste['duree_s']} s :")
        )
        self.stdout.write(f"  {base['fichier']:<13} {mo(base['taille'])}")
        self.stdout.write(f"  {media['fichier']:<13} {mo(media['taille'])} ({media['fichiers']} fichiers)")
        if media["absents"]:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(media['absents'])} fichiers cités par la base manquent dans l'archive (absents du "
                    f"disque, ou supprimés pendant la sauvegarde) : {', '.join(media['absents'][:5])}"
                    + (" …" if len(media["absents"]) > 5 else "")
                )
            )
        if supprimees:
            self.stdout.write(
                f"Anciennes sauvegardes supprimées (--garder {garder}) : "
                + ", ".join(p.name for p in supprimees)
            )
