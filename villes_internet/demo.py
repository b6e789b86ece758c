"""A realistic, deterministic demo built on the real referential of territories.

Each part of the portal adds its step to ``build``; the same seed gives the same data.
"""

import random
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import transaction

from atlaas.models import Collectivite, Service

DEMO_PASSWORD = "Demo-Villes-Internet-2026"
DEMO_DOMAIN = "demo.villes-internet.net"

FIRST_NAMES = [
    "Camille",
    "Dominique",
    "Claude",
    "Sandrine",
    "Karim",
    "Nathalie",
    "Thomas",
    "Léa",
    "Hugo",
    "Mathilde",
    "Yannick",
    "Sophie",
    "Julien",
    "Aïcha",
    "Pierre",
    "Élodie",
    "Marc",
    "Inès",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèbvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
]


@dataclass
class DemoResult:
    logins: list = field(default_factory=list)  # (role, email)
    counts: dict = field(default_factory=dict)


def demo_user(email, password_hash, *, first_name="", last_name="", staff=False):
    """A user with a verified address and the demo password (created once)."""
    user, created = get_user_model().objects.get_or_create(
        email=email,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "is_staff": staff,
            "is_superuser": staff,
            "password": password_hash,
        },
    )
    if created:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def ensure_referential(stdout=None):
    if not Collectivite.objects.exists():
        call_command("import_territoires", stdout=stdout)
    if not Service.objects.exists():
        call_command("import_taxonomie", stdout=stdout)


@transaction.atomic
def build(*, seed=2026, small=False):
    """Build the demo; running it again adds nothing twice."""
    rng = random.Random(seed)
    result = DemoResult()
    password_hash = make_password(DEMO_PASSWORD)  # slow on purpose: once for every demo account

    demo_user(
        f"equipe@{DEMO_DOMAIN}", password_hash, first_name="Équipe", last_name="Villes Internet", staff=True
    )
    result.logins.append(("Équipe de l'association (administration)", f"equipe@{DEMO_DOMAIN}"))

    members = 12 if small else 60
    for i in range(members):
        demo_user(
            f"membre{i + 1:03}@{DEMO_DOMAIN}",
            password_hash,
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
        )
    result.logins.append(("Membre d'une collectivité", f"membre001@{DEMO_DOMAIN}"))
    result.counts["utilisateurs"] = get_user_model().objects.filter(email__endswith=DEMO_DOMAIN).count()
    return result
