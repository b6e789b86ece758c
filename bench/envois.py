"""E-mails lost or sent twice across a broker outage at submission and at publication (goal 0 and 0).

Full mode only (PostgreSQL). In a throwaway database (``test_<name>`` on the PostgreSQL that
DATABASE_URL names, created and dropped by the script) it builds an open edition with 50
complete draft candidatures (two active members each) and a closed edition of 400 laureates
(one active member each). Redis is a redis-server of the script's own on a free port (broker and
cache of this process and of the worker; the machine's shared Redis is never used), started then
stopped: with the broker down it submits the 50 candidatures (``workflow.deposer``) and publishes
the closed edition (``publication.publier``), timing each call. It starts the redis-server again,
a real ``celery worker --pool=prefork --concurrency 2`` on a queue of its own (file e-mail backend
into a temporary folder), and runs the beat's hand-over (``envois.relancer``, its clock moved past
``RELANCE``) every few seconds until no row is owed. It then reads the e-mails the worker wrote:
expected 2 × 50 receipts + 400 results e-mails, each once.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vi_bench_envois .venv/bin/python bench/envois.py \\
    [--depots 50] [--laureats 400] [--beat 5] [--timeout 600]
"""

import argparse
import collections
import datetime
import email
import logging
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villes_internet.settings")
MEDIA = tempfile.mkdtemp(prefix="bench-envois-")
os.environ["MEDIA_ROOT"] = MEDIA
# The broker and the cache are a redis-server of the script's own, started later on this port.
with socket.socket() as _sock:
    _sock.bind(("127.0.0.1", 0))
    PORT = _sock.getsockname()[1]
os.environ["REDIS_URL"] = f"redis://127.0.0.1:{PORT}/0"
os.environ.pop("REDIS_CACHE_URL", None)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from atlaas.models import Collectivite, Departement, Membership, Region  # noqa: E402
from label import publication, workflow  # noqa: E402
from label.models import Candidature, Edition, Mention, Reponse, Resultat, TypeCandidature  # noqa: E402
from outbox import envois  # noqa: E402
from outbox.models import Envoi  # noqa: E402
from tests.factories import (  # noqa: E402
    CandidatureFactory,
    CommuneFactory,
    EditionFactory,
    FicheFactory,
    MembershipFactory,
    QuestionFactory,
)
from tests.services import RedisServer, celery_broker  # noqa: E402
from tests.worker import LANCEUR, database_url  # noqa: E402
from villes_internet.celery import app as celery_app  # noqa: E402

NOMS = ["Saint-Étienne-de-Tinée", "Châteauneuf-sur-Loire", "L'Haÿ-les-Roses", "Agen", "Nérac", "Îles-d'Œil"]
FAST = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the members never sign in here
OWED = [Envoi.State.ATTENTE, Envoi.State.EN_COURS]


def construire_depots(n):
    """``n`` complete drafts of the open edition (a required question answered, one eligible
    fiche), each collectivité with a référent and a contributeur; returns (candidature, référent)."""
    edition = EditionFactory()  # open, closing in 30 days
    question = QuestionFactory(section__edition=edition, libelle="Quel est le budget numérique annuel ?")
    depots = []
    with override_settings(PASSWORD_HASHERS=FAST):
        for i in range(n):
            commune = CommuneFactory(nom=f"{NOMS[i % len(NOMS)]} {i}")
            referent = MembershipFactory(
                collectivite=commune, role=Membership.Role.REFERENT, user__email=f"referent{i}@depot.fr"
            )
            MembershipFactory(collectivite=commune, user__email=f"contributeur{i}@depot.fr")
            candidature = CandidatureFactory(edition=edition, collectivite=commune)
            Reponse.objects.create(candidature=candidature, question=question, valeur="120 000 euros par an")
            fiche = FicheFactory(collectivite=commune, titre="Ateliers de médiation numérique")
            candidature.fiches.add(fiche)
            depots.append((candidature, referent.user))
    return depots


def construire_laureats(annee, n, rng):
    """A closed edition whose deliberation is closed, with ``n`` laureates, each collectivité
    with one active member; returns it."""
    now = timezone.now()
    region, _ = Region.objects.get_or_create(code="93", defaults={"nom": "Provence-Alpes-Côte d'Azur"})
    departement, _ = Departement.objects.get_or_create(
        code="06", defaults={"nom": "Alpes-Maritimes", "region": region}
    )
    communes = Collectivite.objects.bulk_create(
        [
            Collectivite(
                nature=Collectivite.Nature.COMMUNE,
                code=f"B{annee % 100:02}{i:05}",
                nom=f"{rng.choice(NOMS)} {i}",
                slug=f"commune-{annee}-{i}",
                departement=departement,
                region=region,
                population=rng.randint(300, 200_000),
            )
            for i in range(n)
        ]
    )
    users = User.objects.bulk_create(
        [User(email=f"laureat{i}@mairie.fr", password=make_password(None)) for i in range(n)]
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, collectivite=c, role=Membership.Role.REFERENT, state=Membership.State.ACTIVE)
            for u, c in zip(users, communes, strict=True)
        ]
    )
    edition = Edition.objects.create(
        annee=annee,
        numero=annee - 1999,
        state=Edition.State.CLOSE,
        ouverture=now - datetime.timedelta(days=300),
        cloture=now - datetime.timedelta(days=60),
        ceremonie_date=datetime.date(annee, 1, 29),
        ceremonie_lieu="Agen",
        president_association="Hélène Martin",
        president_jury="Émile Durand",
        resultats_clos_at=now,
    )
    mentions = [
        Mention.objects.create(edition=edition, nom=nom, ordre=i)
        for i, nom in enumerate(["Arobase verte", "Démocratie locale", "Médiation numérique"])
    ]
    candidatures = Candidature.objects.bulk_create(
        [
            Candidature(
                edition=edition, collectivite=c, type=TypeCandidature.VILLE, state=Candidature.State.DEPOSEE
            )
            for c in communes
        ]
    )
    resultats = Resultat.objects.bulk_create(
        [Resultat(candidature=c, niveau=rng.randint(1, 5), ten=rng.random() < 0.05) for c in candidatures]
    )
    Resultat.mentions.through.objects.bulk_create(
        [
            Resultat.mentions.through(resultat=r, mention=m)
            for r in resultats
            for m in mentions
            if rng.random() < 0.1
        ]
    )
    return edition, [u.email for u in users]


def worker(queue, log, mails, concurrence):
    """A real worker of ``concurrence`` processes on ``queue``, on the script's redis-server."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mails),
        "MEDIA_ROOT": MEDIA,
        "REDIS_URL": settings.REDIS_URL,
        "TEST_QUEUE": queue,
    }
    command = [sys.executable, "-c", LANCEUR, "worker", "--pool=prefork", f"--concurrency={concurrence}"]
    command += [f"--queues={queue}", "--loglevel=INFO", f"--hostname={queue}@%h"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    limite = time.monotonic() + 60
    while "ready." not in Path(log.name).read_text():
        if process.poll() is not None or time.monotonic() > limite:
            raise RuntimeError(f"Le worker Celery n'a pas démarré :\n{Path(log.name).read_text()}")
        time.sleep(0.1)
    return process


def envoyes(mails):
    """(To, Subject) of each e-mail the file backend wrote: one file per connection, its
    messages separated by a line of 79 dashes."""
    paires = []
    for path in sorted(mails.glob("*")):
        for chunk in path.read_text().split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                message = email.message_from_string(chunk)
                paires.append((message["To"], message["Subject"]))
    return paires


def beat(timeout, intervalle):
    """The beat's hand-over, its clock past ``RELANCE``, every ``intervalle`` seconds until no
    row is owed; returns the numbers handed at each run."""
    owed = Envoi.objects.filter(state__in=OWED)
    limite = time.monotonic() + timeout
    remis = []
    while True:
        remis.append(envois.relancer(now=timezone.now() + envois.RELANCE + datetime.timedelta(seconds=1)))
        prochain = time.monotonic() + intervalle
        while time.monotonic() < prochain:
            if not owed.exists():
                return remis
            if time.monotonic() > limite:
                raise RuntimeError(f"{owed.count()} envois toujours dus après {timeout} s")
            time.sleep(0.2)


def secondes(debut, fin):
    return f"{(fin - debut).total_seconds():.1f}"


def ms(durees):
    return f"p50 {statistics.median(durees) * 1000:.0f} ms, max {max(durees) * 1000:.0f} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depots", type=int, default=50, help="candidatures déposées, broker arrêté")
    parser.add_argument("--laureats", type=int, default=400, help="lauréats de l'édition publiée")
    parser.add_argument("--concurrence", type=int, default=2, help="processus du worker")
    parser.add_argument("--beat", type=float, default=5, help="secondes entre deux relances")
    parser.add_argument("--timeout", type=float, default=600, help="secondes pour tout envoyer")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Mode complet seulement : DATABASE_URL (PostgreSQL).")
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("outbox.envois").setLevel(logging.ERROR)  # one warning per refused hand-over
    setup_test_environment()
    ancien_nom = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    celery_app.conf.task_default_queue = queue
    redis_server = RedisServer()
    redis_server.port = PORT  # the one this process' settings name
    url = redis_server.url()
    mails = Path(MEDIA) / "mails"
    log_path = Path(MEDIA) / "worker.log"
    process = None
    try:
        debut = time.monotonic()
        depots = construire_depots(args.depots)
        edition, adresses = construire_laureats(2026, args.laureats, random.Random(1))
        attendus = {u.email for _c, u in depots}
        attendus |= {f"contributeur{i}@depot.fr" for i in range(args.depots)}
        attendus |= set(adresses)
        duree = time.monotonic() - debut
        print(f"données : {args.depots} dossiers, {args.laureats} lauréats ({duree:.1f} s)")

        # The broker goes away: something listened on the port, nothing does now.
        redis_server.start()
        redis_server.stop()
        with celery_broker(url):
            durees_depot = []
            for candidature, referent in depots:
                debut = time.perf_counter()
                workflow.deposer(candidature, by=referent)
                durees_depot.append(time.perf_counter() - debut)
            debut = time.perf_counter()
            publication.publier(edition)
            duree_publication = time.perf_counter() - debut
        dus = collections.Counter(Envoi.objects.filter(state__in=OWED).values_list("kind", flat=True))
        deposees = Candidature.objects.filter(edition__annee=2027, state=Candidature.State.DEPOSEE).count()

        redis_server.start()
        retour = timezone.now()
        mails.mkdir()
        with celery_broker(url), log_path.open("w") as log:
            process = worker(queue, log, mails, args.concurrence)
            pret = (timezone.now() - retour).total_seconds()
            remis = beat(args.timeout, args.beat)
        courriels = Envoi.objects.filter(kind=Envoi.Kind.COURRIEL)
        fin_recus = courriels.filter(key__startswith="recu:").aggregate(fin=Max("done_at"))["fin"]
        fin_resultats = courriels.filter(key__startswith="resultat:").aggregate(fin=Max("done_at"))["fin"]
        paires = envoyes(mails)
        distincts = set(paires)
        recus = {to for to, _subject in distincts}
        perdus = attendus - recus
        inattendus = recus - attendus
        print(
            f"broker arrêté : {deposees}/{args.depots} candidatures déposées, "
            f"workflow.deposer {ms(durees_depot)} ; "
            f"publication.publier ({args.laureats} lauréats) {duree_publication * 1000:.0f} ms"
        )
        print(
            f"dus pendant la panne : {dus[Envoi.Kind.COURRIEL]} e-mails (accusés de réception) et "
            f"{dus[Envoi.Kind.TACHE]} tâches (dont l'envoi des {args.laureats} e-mails des résultats)"
        )
        print(
            f"broker revenu : worker prêt en {pret:.1f} s, {len(remis)} relances ({sum(remis)} remises), "
            f"dernier e-mail envoyé {secondes(retour, max(fin_recus, fin_resultats))} s après le retour du "
            f"broker (accusés {secondes(retour, fin_recus)} s, résultats {secondes(retour, fin_resultats)} s)"
        )
        print(
            f"e-mails : attendus {len(attendus)} ({2 * args.depots} accusés + {args.laureats} résultats), "
            f"dus {courriels.count()}, envoyés {len(paires)}, distincts {len(distincts)}, "
            f"perdus {len(perdus)} (objectif 0), doublons {len(paires) - len(distincts)} (objectif 0), "
            f"inattendus {len(inattendus)}, en échec {courriels.filter(state=Envoi.State.ECHEC).count()}, "
            f"pris plus d'une fois {courriels.filter(attempts__gt=1).count()}"
        )
        if perdus or inattendus or len(paires) != len(distincts):
            sys.exit(f"Perdus : {sorted(perdus)[:10]} ; inattendus : {sorted(inattendus)[:10]}")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=60)
        redis_server.stop()
        connection.creation.destroy_test_db(ancien_nom, verbosity=0)
        shutil.rmtree(MEDIA, ignore_errors=True)


if __name__ == "__main__":
    main()
