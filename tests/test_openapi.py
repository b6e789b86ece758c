"""The API keeps the contract of its OpenAPI document: Schemathesis, in the test process, sends
the requests it draws from /api/openapi.json to the Django application (WSGI) and runs all its
checks on the answers (statuses, content types and bodies the document gives, schema-valid
requests accepted, schema-violating ones refused, 405 with Allow, no 500)."""

import datetime

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.utils import timezone
from schemathesis.engine import Status, events, from_schema

from atlaas.models import FicheAction
from tests.factories import CommuneFactory, DepartementFactory, EpciFactory, FicheFactory, RegionFactory

# Examples, coverage, fuzzing and stateful phases: about 600 requests, 7 s here (15 s under load).
EXEMPLES_PAR_OPERATION = 20
GRAINE = 19  # the same requests at each run (issue 19)
PUBLICATION = timezone.make_aware(datetime.datetime(2026, 1, 10, 9, 0))


class Portail:
    """The portal's WSGI handler (villes_internet/wsgi.py's, without its second django.setup(),
        which would configure the logging again). Schemathesis calls it from threads of its own: the
        database connection each of them opens is kept for its next requests, and closed at the end
        of the run, before the test's database goes. Its WSGI client decodes no compressed body: the
    requests ask for none (``GZipMiddleware`` answers uncompressed), as a client that sends no
    ``Accept-Encoding``."""

    def __init__(self):
        self.handler = WSGIHandler()
        self.connexions = set()

    def __call__(self, environ, start_response):
        environ.pop("HTTP_ACCEPT_ENCODING", None)
        try:
            return self.handler(environ, start_response)
        finally:
            self.connexions.update(connections.all(initialized_only=True))

    def fermer(self):
        for connexion in self.connexions:
            connexion.inc_thread_sharing()  # closed from this thread, which did not open it
            connexion.close()
            connexion.dec_thread_sharing()


@pytest.fixture
def atlaas(taxonomie):
    """A small Atlaas: two régions, three départements, communes (one inactive) and an EPCI,
    fiches published on either, with services, and a draft that must never show."""
    aquitaine = RegionFactory(code="75", nom="Nouvelle-Aquitaine")
    occitanie = RegionFactory(code="76", nom="Occitanie")
    lot = DepartementFactory(code="47", nom="Lot-et-Garonne", region=aquitaine)
    DepartementFactory(code="33", nom="Gironde", region=aquitaine)
    gers = DepartementFactory(code="32", nom="Gers", region=occitanie)
    agglo = EpciFactory(code="200035459", siren="200035459", nom="Agglomération d'Agen", departement=lot)
    agen = CommuneFactory(code="47001", nom="Agen", departement=lot, epci=agglo, population=32_801, niveau=4)
    auch = CommuneFactory(code="32013", nom="Auch", departement=gers, population=21_000)
    CommuneFactory(code="47999", nom="Agen-Ancienne", departement=lot, active=False)
    for i, collectivite in enumerate([agen, agen, auch, agglo, agglo]):
        FicheFactory(
            collectivite=collectivite,
            titre=f"Médiation numérique {i}",
            state=FicheAction.State.PUBLIEE,
            published_at=PUBLICATION + datetime.timedelta(days=i),
            services=[taxonomie["inclusion" if i % 2 else "demarches"]],
        )
    FicheFactory(collectivite=agen, titre="Brouillon", state=FicheAction.State.BROUILLON)


def _echecs(evenements):
    """The failed checks of a run, one line each, and the number of requests sent."""
    echecs, requetes = [], 0
    for evenement in evenements:
        if isinstance(evenement, (events.NonFatalError, events.FatalError)):
            echecs.append(f"erreur de Schemathesis : {evenement!r}")
        if not isinstance(evenement, events.ScenarioFinished):
            continue
        enregistrement = evenement.recorder
        requetes += len(enregistrement.interactions)
        for cas, verifications in enregistrement.checks.items():
            for verification in verifications:
                if verification.status != Status.FAILURE:
                    continue
                echange = enregistrement.interactions.get(cas)
                requete = f"{echange.request.method} {echange.request.uri}" if echange else "?"
                statut = echange.response.status_code if echange and echange.response else "?"
                message = verification.failure_info.failure.message.splitlines()[0]
                echecs.append(f"{verification.name} : {requete} → {statut} ({message})")
    return sorted(set(echecs)), requetes


@pytest.mark.contract
@pytest.mark.django_db(transaction=True)  # the requests come from other threads
def test_api_keeps_the_contract_of_its_openapi_document(atlaas):
    config = schemathesis.Config.from_dict(
        {
            "seed": GRAINE,
            "cache": {"enabled": False},
            "generation": {"max-examples": EXEMPLES_PAR_OPERATION, "deterministic": True, "database": "none"},
            "checks": {"enabled": True},
        }
    )
    portail = Portail()
    try:
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", portail, config=config)
        echecs, requetes = _echecs(from_schema(schema).execute())
    finally:
        portail.fermer()
    assert not echecs, "\n".join(echecs)
    assert requetes >= 500  # a few hundred: all phases ran
