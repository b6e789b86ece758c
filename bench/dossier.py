"""Server time and query count of a candidature's pages, and the autosave round trip.

Runs in-process (Django's test client, no network) against the database the environment
names (SQLite by default, PostgreSQL with DATABASE_URL), on the demo's first référent:

    .venv/bin/python manage.py demo          # once, on that database
    .venv/bin/python bench/dossier.py [--runs 50]
"""

import argparse
import os
import sys
from pathlib import Path

from mesures import mesurer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villes_internet.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from atlaas.models import Membership  # noqa: E402
from label.forms import field_name  # noqa: E402
from label.models import Candidature, Edition, Question  # noqa: E402
from label.selectors import questions_for  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs
    setup_test_environment()
    edition = Edition.objects.ouverte()
    membership = (
        Membership.objects.filter(role=Membership.Role.REFERENT, collectivite__candidatures__edition=edition)
        .filter(collectivite__candidatures__state=Candidature.State.BROUILLON)
        .select_related("user", "collectivite")
        .order_by("user__email")
        .first()
    )
    if membership is None:
        sys.exit("Aucune candidature en brouillon : lancez d'abord `manage.py demo` sur cette base.")
    candidature = Candidature.objects.get(edition=edition, collectivite=membership.collectivite)
    client = Client()
    client.force_login(membership.user)
    selected, total = candidature.fiches.count(), candidature.collectivite.fiches.count()
    nom = candidature.collectivite.nom
    print(f"{connection.vendor} — {nom}, {selected}/{total} fiches retenues ; {runs} mesures")
    for name in ["candidature", "questionnaire", "fiches_candidature", "mosaique"]:
        url = reverse(f"label:{name}", args=[candidature.pk])
        mesurer(f"GET {name}", lambda url=url: client.get(url), runs)

    question = questions_for(candidature).filter(kind=Question.Kind.LONG_TEXT).first()
    autosave = reverse("label:autosave", args=[candidature.pk])
    counter = iter(range(10**6))

    def save():
        candidature.refresh_from_db(fields=["version"])
        data = {"version": candidature.version, field_name(question): f"Texte enregistré n° {next(counter)}"}
        return client.post(autosave, data, HTTP_HX_REQUEST="true")

    mesurer("POST autosave (one answer changed)", save, runs)


if __name__ == "__main__":
    main()
