import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from villes_internet import demo


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
            "--force", action="store_true", help="Accepte de tourner avec DEBUG=false (jamais en production)."
        )

    def handle(self, *args, seed, small, fiches, if_empty, force, **options):
        if settings.PRODUCTION and not force:
            raise CommandError(
                "La démonstration crée des comptes au mot de passe public : elle refuse de tourner avec "
                "DEBUG=false (ajoutez --force sur une instance de démonstration)."
            )
        if if_empty and get_user_model().objects.exists():
            self.stdout.write("Démonstration : la base contient déjà des comptes, rien à faire.")
            return
        started = time.monotonic()
        demo.ensure_referential(stdout=self.stdout)
        result = demo.build(seed=seed, small=small, fiches=fiches)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh statistics after a bulk load: good query plans at once
        counts = ", ".join(f"{n} {name}" for name, n in result.counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Démonstration prête en {time.monotonic() - started:.1f} s : {counts}.")
        )
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
