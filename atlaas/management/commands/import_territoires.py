import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from atlaas.territoires import (
    SHIPPED_FILE,
    TerritoiresError,
    build_compact,
    import_compact,
    read_compact,
    write_compact,
)


class Command(BaseCommand):
    help = (
        "Importe le référentiel des territoires (régions, départements, communes, EPCI) depuis le "
        "fichier compact livré avec le portail, ou le reconstruit depuis les données d'Etalab."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            nargs="?",
            type=Path,
            help=f"Fichier compact à importer (par défaut : {SHIPPED_FILE.name} livré dans atlaas/data/).",
        )
        parser.add_argument(
            "--rebuild-from",
            type=Path,
            metavar="DIR",
            help="Reconstruit le fichier compact depuis le dossier data/ du paquet npm "
            "@etalab/decoupage-administratif, l'écrit, puis s'arrête (aucun import).",
        )
        parser.add_argument(
            "--output",
            type=Path,
            help="Avec --rebuild-from : fichier à écrire (par défaut le fichier livré).",
        )

    def handle(self, *args, file=None, rebuild_from=None, output=None, verbosity=1, **options):
        if rebuild_from is not None:
            if file is not None:
                raise CommandError(
                    "--rebuild-from n'importe rien : indiquez le fichier à écrire avec --output."
                )
            self.rebuild(rebuild_from, output or SHIPPED_FILE)
            return
        if output is not None:
            raise CommandError("--output ne sert qu'avec --rebuild-from.")

        path = file or SHIPPED_FILE
        start = time.perf_counter()
        try:
            data = read_compact(path)
            read_seconds = time.perf_counter() - start
            summary = import_compact(data, stdout=self.stdout if verbosity >= 2 else None)
        except TerritoiresError as exc:
            raise CommandError(f"Rien n'a été importé. {exc}") from None
        seconds = time.perf_counter() - start
        if verbosity >= 1:
            meta = data["meta"]
            self.stdout.write(
                f"Référentiel des territoires ({meta['source']}, généré le {meta['generated']}) "
                f"depuis {path} en {_seconds(seconds)} (lecture {_seconds(read_seconds)}) :"
            )
            self.stdout.write(str(summary) if not summary.changed else _indent(str(summary)))

    def rebuild(self, upstream_dir, output):
        start = time.perf_counter()
        try:
            data = build_compact(upstream_dir)
            size = write_compact(data, output)
        except TerritoiresError as exc:
            raise CommandError(f"Rien n'a été écrit. {exc}") from None
        except OSError as exc:
            raise CommandError(f"Rien n'a été écrit. {output} : {exc}") from None
        counts = data["meta"]["counts"]
        self.stdout.write(
            f"Écrit {output} ({size / 1024:.0f} Ko, {_seconds(time.perf_counter() - start)}) : "
            f"{counts['regions']} régions, {counts['departements']} départements, "
            f"{counts['communes']} communes, {counts['epci']} EPCI — source : {data['meta']['source']}."
        )


def _seconds(seconds):
    return f"{seconds:.1f} s".replace(".", ",")


def _indent(text):
    return "\n".join(f"  {line}" for line in text.splitlines())
