"""Lost updates of the autosave under true concurrency: races of two saves made from the same
version, sent at the same moment through the views, counted as silent overwrites (goal: 0) or
conflicts shown to their author.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<base> .venv/bin/python bench/autosave.py [--courses 200]

PostgreSQL only. The script builds its data in a throwaway test database (``test_<base>``,
created and dropped), then runs ``--courses`` races of each kind below. A race: each of two
threads (each with its own Django test client and its own database connection) prepares the
form its page holds, waits at a barrier, then posts it; the two requests run at once.

- questionnaire, same answer: two members of one collectivité, pages at the same version, each
  changes « Stratégie » (the autosave posts the whole form, as the page does);
- questionnaire, clear against change: one empties « Stratégie », the other changes it;
- evaluation, two tabs: one juror, two tabs at the same version, each changes the scores and notes;
- evaluation, save against submit: one tab autosaves while the other presses « Soumettre ».

A save is acknowledged when its answer says so (« Enregistré », « Évaluation soumise »), shown a
conflict when it says why nothing was written. Neither save of a race has seen the other, so an
acknowledged save whose values are not the stored ones after the race (or a submit whose
evaluation is a draft again) was silently overwritten. Prints, per kind: races, both
acknowledged, conflicts shown, silent overwrites, and the median time of a race.
"""

import argparse
import datetime
import logging
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villes_internet.settings")

import django

django.setup()

from allauth.mfa.totp.internal.auth import TOTP  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.messages import get_messages  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from atlaas.models import Collectivite, Departement, Membership, Region  # noqa: E402
from jury import evaluation as domaine  # noqa: E402
from jury.models import Critere, Evaluation, Jure, Jury  # noqa: E402
from label.dossier import save_answers  # noqa: E402
from label.forms import field_name  # noqa: E402
from label.models import Candidature, Edition, Question, Section, TypeCandidature  # noqa: E402
from label.selectors import answers_of  # noqa: E402

HTMX = {"HTTP_HX_REQUEST": "true"}
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


# --- Data ------------------------------------------------------------------------------------------


def construire():
    """An open edition; a commune's draft candidature with two members and two questions; another
    commune's filed dossier assigned to a juror (with MFA), a grid of two criteria."""
    now = timezone.now()
    User = get_user_model()
    region = Region.objects.create(code="75", nom="Nouvelle-Aquitaine")
    departement = Departement.objects.create(code="47", nom="Lot-et-Garonne", region=region)
    agen, nerac = (
        Collectivite.objects.create(
            nature=Collectivite.Nature.COMMUNE,
            code=code,
            nom=nom,
            slug=nom.lower(),
            departement=departement,
            region=region,
            population=10_000,
        )
        for code, nom in [("47001", "Agen"), ("47195", "Nérac")]
    )
    edition = Edition.objects.create(
        annee=2027,
        numero=28,
        state=Edition.State.OUVERTE,
        ouverture=now - datetime.timedelta(days=100),
        cloture=now + datetime.timedelta(days=30),
    )
    membres = [
        User.objects.create_user(f"{nom}@mairie-agen.fr", first_name=nom) for nom in ("claire", "dominique")
    ]
    for user, role in zip(membres, [Membership.Role.REFERENT, Membership.Role.CONTRIBUTEUR], strict=True):
        Membership.objects.create(user=user, collectivite=agen, role=role, state=Membership.State.ACTIVE)
    candidature = Candidature.objects.create(
        edition=edition, collectivite=agen, type=TypeCandidature.VILLE, created_by=membres[0]
    )
    section = Section.objects.create(edition=edition, titre="Gouvernance numérique")
    questions = [
        Question.objects.create(section=section, libelle="Stratégie", kind=Question.Kind.LONG_TEXT, ordre=1),
        Question.objects.create(
            section=section, libelle="Élu chargé du numérique", kind=Question.Kind.TEXT, ordre=2
        ),
    ]
    juror = User.objects.create_user("jure@universite.fr", first_name="Claire")
    TOTP.activate(juror, TOTP_SECRET)
    jure = Jure.objects.create(
        edition=edition, user=juror, email=juror.email, nom="Claire Dupont", invited_at=now, accepted_at=now
    )
    dossier = Candidature.objects.create(
        edition=edition,
        collectivite=nerac,
        type=TypeCandidature.VILLE,
        state=Candidature.State.DEPOSEE,
        submitted_at=now,
    )
    Jury.objects.create(edition=edition)
    criteres = [
        Critere.objects.create(edition=edition, libelle="Services publics", poids=1, echelle=5, ordre=1),
        Critere.objects.create(
            edition=edition, libelle="Cohérence et ambition", poids=1, echelle=10, ordre=2
        ),
    ]
    evaluation = Evaluation.objects.create(jure=jure, candidature=dossier)
    return candidature, questions, membres, evaluation, criteres


# --- Races ---------------------------------------------------------------------------------------


def courir(pool, *envois):
    """Run the calls at once on the pool's threads; each call prepares, calls ``go()`` (the
    barrier that releases both), then sends. Returns their results and the race's wall time."""
    barrier = threading.Barrier(len(envois))
    depart = []

    def go():
        barrier.wait(timeout=30)
        depart.append(time.perf_counter())

    futures = [pool.submit(envoi, go) for envoi in envois]
    results = [future.result() for future in futures]
    return results, time.perf_counter() - min(depart)


OK, CONFLIT, ERREUR = "ok", "conflit", "erreur"


class Bilan:
    def __init__(self, nom):
        self.nom, self.courses, self.deux, self.conflits, self.erreurs, self.ecrasees = nom, 0, 0, 0, 0, 0
        self.durees = []

    def compter(self, issues, ecrasees, duree):
        self.courses += 1
        self.deux += issues.count(OK) == 2
        self.conflits += issues.count(CONFLIT)
        self.erreurs += issues.count(ERREUR)
        self.ecrasees += ecrasees
        self.durees.append(duree)

    def ligne(self):
        return (
            f"{self.nom:<44} {self.courses:>7} {self.deux:>10} {self.conflits:>9} {self.erreurs:>8} "
            f"{self.ecrasees:>9}   {statistics.median(self.durees) * 1000:6.1f} ms"
        )


def issue(response, ok, conflit):
    """What the author of a request was told: saved, why not (a conflict, a refusal), or an error."""
    text = response.content.decode()
    messages = " ".join(str(message) for message in get_messages(response.wsgi_request))
    if response.status_code < 500 and (ok in text or ok in messages):
        return OK
    if response.status_code < 500 and (conflit in text or conflit in messages or response.status_code == 409):
        return CONFLIT
    return ERREUR


def envoi(client, url, data, ok, conflit, **extra):
    """A call of a race: post ``data`` once released, and say what its author was told."""

    def call(go):
        client.cookies.pop("messages", None)  # a previous race's, never shown (no redirect followed)
        go()
        return issue(client.post(url, data, **extra), ok, conflit)

    return call


def questionnaire(pool, clients, candidature, questions, membre, n, effacer):
    strategie, elu = questions
    url = reverse("label:autosave", args=[candidature.pk])
    bilan = Bilan("questionnaire, " + ("effacer contre changer" if effacer else "la même réponse"))
    for i in range(n):
        if not answers_of(candidature).get(strategie.pk):  # something to clear, or to change
            candidature.refresh_from_db()
            save_answers(candidature, candidature.version, {strategie.pk: f"Plan {i}"}, membre)
        candidature.refresh_from_db()
        page = {"version": candidature.version, field_name(elu): answers_of(candidature).get(elu.pk, "")}
        valeurs = ["" if effacer else f"Plan {i} de Claire", f"Plan {i} de Dominique"]
        issues, duree = courir(
            pool,
            *(
                envoi(c, url, {**page, field_name(strategie): v}, "autosave__ok", "Non enregistré", **HTMX)
                for c, v in zip(clients, valeurs, strict=True)
            ),
        )
        stockee = answers_of(candidature).get(strategie.pk, "")
        acquittees = [v for v, r in zip(valeurs, issues, strict=True) if r == OK]
        bilan.compter(issues, sum(v != stockee for v in acquittees), duree)
    return bilan


def formulaire(evaluation, criteres, i, onglet):
    """What a tab's evaluation form posts: every criterion scored, a level, words of its own."""
    data = {
        "version": evaluation.version,
        "niveau_propose": 1 + (i + onglet) % 5,
        "commentaire_collectivite": "",
        "note_jury": f"Note de l'onglet {onglet}, course {i}",
    }
    for critere in criteres:
        data[f"score_{critere.pk}"] = (i + onglet) % (critere.echelle + 1)
        data[f"commentaire_{critere.pk}"] = f"Onglet {onglet}, course {i}"
    return data


def deux_onglets(pool, clients, evaluation, criteres, n):
    annee, pk = evaluation.candidature.edition.annee, evaluation.candidature_id
    url = reverse("jury:autosave", args=[annee, pk])
    bilan = Bilan("évaluation, deux onglets")
    for i in range(n):
        evaluation.refresh_from_db()
        onglets = [formulaire(evaluation, criteres, i, onglet) for onglet in (1, 2)]
        issues, duree = courir(
            pool,
            *(
                envoi(c, url, d, "autosave__ok", "autosave__ko", **HTMX)
                for c, d in zip(clients, onglets, strict=True)
            ),
        )
        stockee = Evaluation.objects.get(pk=evaluation.pk).note_jury
        acquittees = [d for d, r in zip(onglets, issues, strict=True) if r == OK]
        bilan.compter(issues, sum(d["note_jury"] != stockee for d in acquittees), duree)
    return bilan


def enregistrer_contre_soumettre(pool, clients, evaluation, criteres, n):
    annee, pk = evaluation.candidature.edition.annee, evaluation.candidature_id
    autosave = reverse("jury:autosave", args=[annee, pk])
    soumettre = reverse("jury:soumettre", args=[annee, pk])
    bilan = Bilan("évaluation, enregistrement contre soumission")
    for i in range(n):
        evaluation.refresh_from_db()
        if evaluation.state == Evaluation.State.SOUMISE:
            domaine.rouvrir(evaluation, evaluation.jure.user)
        onglets = [formulaire(evaluation, criteres, i, onglet) for onglet in (1, 2)]

        issues, duree = courir(
            pool,
            envoi(clients[0], autosave, onglets[0], "autosave__ok", "autosave__ko", **HTMX),
            envoi(clients[1], soumettre, onglets[1], "Évaluation soumise", "déjà soumise"),
        )
        stockee = Evaluation.objects.get(pk=evaluation.pk)
        ecrasees = (issues[0] == OK and stockee.note_jury != onglets[0]["note_jury"]) + (
            issues[1] == OK
            and (stockee.state != Evaluation.State.SOUMISE or stockee.note_jury != onglets[1]["note_jury"])
        )
        bilan.compter(issues, ecrasees, duree)
    return bilan


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=200, help="races of each kind (200)")
    n = parser.parse_args().courses
    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL seulement : lancez-le avec DATABASE_URL=postgres://…")
    setup_test_environment()
    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # the 500s are counted, not printed
    ancien_nom = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        candidature, questions, membres, evaluation, criteres = construire()
        # An error answers 500 (counted), as it would to a browser, instead of stopping the run.
        clients = [Client(raise_request_exception=False) for _ in membres]
        for client, user in zip(clients, membres, strict=True):
            client.force_login(user)
        onglets = [Client(raise_request_exception=False) for _ in range(2)]
        for client in onglets:
            client.force_login(evaluation.jure.user)
        with ThreadPoolExecutor(max_workers=2) as pool:
            bilans = [
                questionnaire(pool, clients, candidature, questions, membres[0], n, effacer=False),
                questionnaire(pool, clients, candidature, questions, membres[0], n, effacer=True),
                deux_onglets(pool, onglets, evaluation, criteres, n),
                enregistrer_contre_soumettre(pool, onglets, evaluation, criteres, n),
            ]

            def fermer(go):
                go()  # both threads wait here: each closes its own connection
                connections.close_all()

            courir(pool, fermer, fermer)
        print(f"{connection.vendor} — {n} courses de chaque sorte, deux requêtes simultanées par course")
        print(
            f"{'sorte':<44} {'courses':>7} {'deux acq.':>10} {'conflits':>9} {'erreurs':>8} "
            f"{'écrasées':>9}   médiane"
        )
        for bilan in bilans:
            print(bilan.ligne())
        ecrasees, conflits = sum(b.ecrasees for b in bilans), sum(b.conflits for b in bilans)
        print(f"écrasements silencieux : {ecrasees} (objectif 0) ; conflits montrés : {conflits}")
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(ancien_nom, verbosity=0)


if __name__ == "__main__":
    main()
