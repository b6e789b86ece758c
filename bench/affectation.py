"""Wall time of the automatic assignment of jurors (``jury.affectation.affecter``).

Builds, in a throwaway test database (SQLite in memory by default, ``test_<name>`` on the
PostgreSQL that DATABASE_URL names), an edition of 300 submitted dossiers (3 fiches each, over
16 enjeux) and 20 jurors with expertises and conflicts of interest (home départements, declared
collectivités and départements, memberships), then times ``affecter``: the median of 3 runs, each
on fresh data (built, timed, rolled back), and a second run on the same data (nothing to add).

    .venv/bin/python bench/affectation.py [--dossiers 300] [--jures 20] [--runs 3]
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villes_internet.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from atlaas.models import (  # noqa: E402
    Categorie,
    Collectivite,
    Departement,
    Enjeu,
    FicheAction,
    Membership,
    Region,
    Service,
)
from jury.affectation import affecter  # noqa: E402
from jury.models import ConflitDeclare, Evaluation, Jure  # noqa: E402
from label.models import Candidature, Edition, TypeCandidature  # noqa: E402

DEPARTEMENTS = 12
ENJEUX = 16


def construire(run, n_dossiers, n_jures):
    """A fresh edition with its dossiers and jurors; returns the edition."""
    rng = random.Random(run)
    now = timezone.now()
    region = Region.objects.create(code=f"R{run}", nom=f"Région {run}")
    departements = Departement.objects.bulk_create(
        [
            Departement(code=f"{run}{i:02}", nom=f"Département {run}-{i}", region=region)
            for i in range(DEPARTEMENTS)
        ]
    )
    categorie = Categorie.objects.create(nom=f"Catégorie {run}", slug=f"categorie-{run}")
    enjeux = Enjeu.objects.bulk_create(
        [Enjeu(categorie=categorie, nom=f"Enjeu {run}-{i}", slug=f"enjeu-{run}-{i}") for i in range(ENJEUX)]
    )
    services = Service.objects.bulk_create(
        [Service(enjeu=e, nom=f"Service {e.nom}", slug=f"service-{e.slug}") for e in enjeux]
    )
    communes = Collectivite.objects.bulk_create(
        [
            Collectivite(
                nature=Collectivite.Nature.COMMUNE,
                code=f"{run}{i:05}",
                nom=f"Commune {run}-{i}",
                slug=f"commune-{run}-{i}",
                departement=departements[i % DEPARTEMENTS],
                region=region,
                population=rng.randint(500, 200_000),
            )
            for i in range(n_dossiers)
        ]
    )
    edition = Edition.objects.create(
        annee=2100 + run,
        numero=100 + run,
        state=Edition.State.CLOSE,
        ouverture=now - datetime.timedelta(days=300),
        cloture=now - datetime.timedelta(days=10),
    )
    candidatures = Candidature.objects.bulk_create(
        [
            Candidature(
                edition=edition,
                collectivite=c,
                type=TypeCandidature.VILLE,
                state=Candidature.State.DEPOSEE,
                submitted_at=now,
            )
            for c in communes
        ]
    )
    fiches = FicheAction.objects.bulk_create(
        [
            FicheAction(
                collectivite=c,
                titre=f"Action {j} de {c.nom}",
                description="Une action numérique.",
                date_debut=datetime.date(2025, 1, 1),
            )
            for c in communes
            for j in range(3)
        ]
    )
    FicheAction.services.through.objects.bulk_create(
        [
            FicheAction.services.through(ficheaction=f, service=s)
            for f in fiches
            for s in rng.sample(services, 2)
        ]
    )
    Candidature.fiches.through.objects.bulk_create(
        [
            Candidature.fiches.through(candidature=candidature, ficheaction=fiches[3 * i + j])
            for i, candidature in enumerate(candidatures)
            for j in range(3)
        ]
    )
    users = get_user_model().objects.bulk_create(
        [get_user_model()(email=f"jure{run}-{i}@bench.fr") for i in range(n_jures)]
    )
    jures = Jure.objects.bulk_create(
        [
            Jure(
                edition=edition,
                user=u,
                email=u.email,
                nom=f"Juré {i:02}",
                # Half of the jurors live in one of the départements: a conflict with its dossiers.
                departement=departements[i % DEPARTEMENTS] if i % 2 == 0 else None,
                invited_at=now,
                accepted_at=now,
            )
            for i, u in enumerate(users)
        ]
    )
    Jure.expertises.through.objects.bulk_create(
        [Jure.expertises.through(jure=j, enjeu=e) for j in jures for e in rng.sample(enjeux, 2)]
    )
    ConflitDeclare.objects.bulk_create(
        [
            ConflitDeclare(jure=j, collectivite=c, motif="Ancien élu")
            for j in jures[:10]
            for c in rng.sample(communes, 3)
        ]
        + [ConflitDeclare(jure=jures[1], departement=departements[5], motif="Élu du département")]
    )
    Membership.objects.bulk_create(
        [
            Membership(
                user=j.user, collectivite=c, role=Membership.Role.CONTRIBUTEUR, state=Membership.State.ACTIVE
            )
            for j in jures[10:14]
            for c in rng.sample(communes, 2)
        ]
    )
    return edition


def chronometrer(edition):
    with CaptureQueriesContext(connection) as captured:
        debut = time.perf_counter()
        bilan = affecter(edition, by=None)
        duree = time.perf_counter() - debut
    return duree, len(captured), bilan


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=300)
    parser.add_argument("--jures", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup_test_environment()
    ancien_nom = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        premiers, seconds = [], []
        for run in range(1, args.runs + 1):
            with transaction.atomic():
                edition = construire(run, args.dossiers, args.jures)
                duree, requetes, bilan = chronometrer(edition)
                premiers.append(duree)
                charges = Counter(
                    Evaluation.objects.filter(candidature__edition=edition).values_list("jure_id", flat=True)
                )
                duree2, requetes2, bilan2 = chronometrer(edition)
                seconds.append(duree2)
                assert bilan2.crees == 0, bilan2
                print(
                    f"passage {run} : {duree * 1000:7.1f} ms, {requetes} requêtes, "
                    f"{bilan.crees} affectations, {len(bilan.manques)} dossier(s) sans assez de jurés, "
                    f"charges {min(charges.values())}–{max(charges.values())} ; "
                    f"relance {duree2 * 1000:6.1f} ms, {requetes2} requêtes"
                )
                transaction.set_rollback(True)
        print(
            f"{connection.vendor} — {args.dossiers} dossiers × {args.jures} jurés : affecter "
            f"médiane {statistics.median(premiers) * 1000:.1f} ms (relance sans rien à ajouter : "
            f"{statistics.median(seconds) * 1000:.1f} ms)"
        )
    finally:
        connection.creation.destroy_test_db(ancien_nom, verbosity=0)


if __name__ == "__main__":
    main()
