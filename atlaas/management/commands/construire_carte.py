import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from atlaas import carte, cartographie


class Command(BaseCommand):
    help = (
        "Construit la carte des départements livrée avec le portail (projetée, simplifiée, outre-mer "
        "en encadrés) depuis un GeoJSON des contours d’IGN Admin Express."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "geojson",
            type=Path,
            help="GeoJSON des départements (propriétés « code » et « nom »), en WGS 84.",
        )
        parser.add_argument(
            "--output",
            type=Path,
            default=carte.FICHIER,
            help=f"Fichier à écrire (par défaut {carte.FICHIER.name} livré dans atlaas/data/).",
        )
        parser.add_argument(
            "--tolerance",
            type=float,
            default=cartographie.TOLERANCE,
            help="Tolérance de simplification, en unités de la carte (600 de large).",
        )

    def handle(self, *args, geojson, output, tolerance, **options):
        try:
            entites = cartographie.lire_geojson(geojson)
            donnees = cartographie.construire(entites, tolerance=tolerance)
        except cartographie.CarteError as exc:
            raise CommandError(f"Rien n’a été écrit. {exc}") from None
        texte = json.dumps(donnees, ensure_ascii=False, separators=(",", ":"), indent=None)
        texte = texte.replace('],["', '],\n["')  # one département a line: readable diffs
        temporaire = output.with_name(output.name + ".tmp")
        try:
            temporaire.write_text(texte + "\n", encoding="utf-8")
            os.replace(temporaire, output)
        except OSError as exc:
            raise CommandError(f"Rien n’a été écrit. {output} : {exc}") from None
        taille_svg = len(carte.svg(donnees).encode())
        self.stdout.write(
            f"Écrit {output} ({output.stat().st_size / 1024:.1f} Ko) : "
            f"{len(donnees['departements'])} départements, SVG complet {taille_svg / 1024:.1f} Ko."
        )
