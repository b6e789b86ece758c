import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from atlaas.models import FicheAction
from villes_internet import demo, demo_croissance, demo_moments


class Command(BaseCommand):
    help = "Construit une démonstration réaliste et déterministe sur le référentiel réel des territoires."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="Graine du hasard (défaut : 2026).")
        parser.add_argument("--small", action="store_true", help="Petite démonstration (tests, fumée).")
        parser.add_argument(
            "--fiches", type=int, help="Nombre de fiches actions (défaut : 15 000, 300 avec --small)."
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Ne fait rien si la base contient déjà des utilisateurs."
        )
        parser.add_argument(
            "--moment",
            choices=demo_moments.MOMENTS,
            help=(
                "Étape du label ouverte à l'essai, le calendrier de l'édition ouverte étant réglé autour "
                "d'aujourd'hui : candidatures (défaut : clôture dans trois semaines), jury (évaluations "
                "en cours), deliberation (dossiers notés, délibération ouverte), palmares (délibération "
                "close, palmarès à publier). Sur une base vide seulement : une démonstration déjà "
                "chargée garde son moment."
            ),
        )
        parser.add_argument(
            "--force", action="store_true", help="Accepte de tourner avec DEBUG=false (jamais en production)."
        )

    def handle(self, *args, seed, small, fiches, if_empty, force, moment, **options):
        if settings.PRODUCTION and not force:
            raise CommandError(
                "La démonstration crée des comptes au mot de passe public : elle refuse de tourner avec "
                "DEBUG=false (ajoutez --force sur une instance de démonstration)."
            )
        if if_empty and get_user_model().objects.exists():
            self.stdout.write("Démonstration : la base contient déjà des comptes, rien à faire.")
            if moment:
                self.stderr.write(f"--moment {moment} ne vaut que sur une base vide.")
            return
        deja = get_user_model().objects.filter(email__endswith=demo.DEMO_DOMAIN).exists()
        if deja and moment:
            self.stderr.write(
                f"La démonstration est déjà chargée : elle garde son moment (--moment {moment} ne vaut "
                "que sur une base vide)."
            )
        started = time.monotonic()
        chrono = demo.Chrono(self.stdout if options["verbosity"] >= 2 else None)  # the phases' times
        demo.ensure_referential(stdout=self.stdout)
        # PostgreSQL, a large Atlaas: the demo's 15,000 fiches, then copies of them written in SQL.
        grandir = connection.vendor == "postgresql" and not deja and (fiches or 0) > demo_croissance.BASE
        with demo.fichiers_aux_workers():
            result = demo.build(
                seed=seed,
                small=small,
                fiches=demo_croissance.BASE if grandir else fiches,
                moment=moment or demo_moments.CANDIDATURES,
                chrono=chrono,
            )
        if grandir:
            demo_croissance.grandir(fiches, stdout=self.stdout, chrono=chrono)
            result.counts["fiches actions"] = FicheAction.objects.count()
        if connection.vendor == "postgresql":
            with chrono.phase("ANALYZE"), connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh statistics after a bulk load: good query plans at once
        counts = ", ".join(f"{n} {name}" for name, n in result.counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Démonstration prête en {time.monotonic() - started:.1f} s : {counts}.")
        )
        if not deja:
            edition = result.edition
            self.stdout.write(f"Label {edition.annee} : {demo_moments.description(result.moment, edition)}.")
        self.stdout.write(f"Comptes (mot de passe commun : {demo.DEMO_PASSWORD}) :")
        for role, email in result.logins:
            self.stdout.write(f"  {role:<52} {email}")
        if result.totp:
            self.stdout.write(
                "Équipe et jurés : l'administration et le jury exigent la double authentification. "
                "Ajoutez la clé dans une application TOTP (FreeOTP, Aegis…) ou calculez le code avec "
                "`oathtool --totp -b CLÉ` :"
            )
            for email, secret in result.totp.items():
                self.stdout.write(f"  {email:<40} {secret}")
