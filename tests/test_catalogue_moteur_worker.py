"""The Atlaas' engine written by a real Celery worker: built by the first run after a
publication, then following each publication and withdrawal (full mode)."""

import pytest
from django.db import transaction
from django.urls import reverse

from atlaas import catalogue
from atlaas.models import AIndexer, FicheAction
from atlaas.workflow import revision_for_edit, set_fiche_state
from tests.factories import FicheFactory
from tests.services import celery_broker, redis_server  # noqa: F401 - fixture
from tests.test_catalogue_moteur import dossier  # noqa: F401 - fixture
from tests.worker import celery_worker, require_full_mode, wait_for, worker_queue

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

State = FicheAction.State


def trouvees(q):
    return catalogue.moteur.chercher({"q": q}, 10)[1]


def indexee(fiche, q):
    try:
        return trouvees(q) == [fiche.pk]
    except catalogue.moteur.Indisponible:  # not built yet
        catalogue.moteur.oublier()
        return False


def test_the_worker_builds_the_engine_then_follows_publications(client, tmp_path, dossier):  # noqa: F811
    ancienne = FicheFactory(titre="Wifi public sur la place", state=State.SOUMISE)
    with worker_queue() as queue, celery_worker(queue, tmp_path, ATLAAS_MOTEUR=str(dossier)):
        with transaction.atomic():
            set_fiche_state(ancienne, State.PUBLIEE, by=None)  # owes the engine a run
        # No index yet: the worker builds it whole; meanwhile PostgreSQL answers the page.
        assert client.get(reverse("atlaas:catalogue"), {"q": "wifi"}).context["resultats"].total == 1
        wait_for(lambda: indexee(ancienne, "wifi"), message="index construit par le worker")

        nouvelle = FicheFactory(titre="Télémédecine au village", state=State.SOUMISE)
        with transaction.atomic():
            set_fiche_state(nouvelle, State.PUBLIEE, by=None)
        wait_for(lambda: trouvees("télémédecine") == [nouvelle.pk], message="publiée dans le moteur")
        wait_for(lambda: not AIndexer.objects.exists(), message="notes effacées")
        resultats = client.get(reverse("atlaas:catalogue"), {"q": "télémédecine"}).context["resultats"]
        assert [f.pk for f in resultats.fiches] == [nouvelle.pk] and resultats.plafond is None

        # A revision published: the engine reads the new words, the old ones no longer find it.
        nouvelle.refresh_from_db()
        revision = revision_for_edit(nouvelle, by=None)
        revision.titre = "Téléconsultation au village"
        revision.save()
        set_fiche_state(revision, State.SOUMISE, by=None)
        with transaction.atomic():
            set_fiche_state(revision, State.PUBLIEE, by=None)
        wait_for(lambda: trouvees("téléconsultation") == [nouvelle.pk], message="révision dans le moteur")
        assert trouvees("télémédecine") == []


@pytest.mark.faults
def test_a_publication_while_the_broker_is_down_reaches_the_engine_once_it_is_back(
    client,
    redis_server,  # noqa: F811
    tmp_path,
    dossier,  # noqa: F811
):
    """The broker (a redis-server of the test's own) stopped at the publication: the fiche is
    published, the page answers (the engine's previous state), and the worker writes it into
    the engine when the beat hands the owed run again."""
    import datetime

    from django.utils import timezone

    from outbox import envois
    from outbox.models import Envoi

    require_full_mode()
    catalogue.moteur.reconstruire()
    fiche = FicheFactory(titre="Télémédecine au village", state=State.SOUMISE)
    with worker_queue() as queue:
        with celery_broker(redis_server.url()), transaction.atomic():  # nothing listens there
            set_fiche_state(fiche, State.PUBLIEE, by=None)
        assert Envoi.objects.filter(task=catalogue.index.MOTEUR, state=Envoi.State.ATTENTE).exists()
        assert client.get(reverse("atlaas:catalogue"), {"q": "télémédecine"}).status_code == 200
        assert trouvees("télémédecine") == []  # not yet: the note waits in PostgreSQL
        assert AIndexer.objects.filter(fiche_id=fiche.pk).exists()

        redis_server.start()
        env = {"REDIS_URL": redis_server.url(), "ATLAAS_MOTEUR": str(dossier)}
        with celery_worker(queue, tmp_path, **env), celery_broker(redis_server.url()):
            plus_tard = timezone.now() + envois.RELANCE + datetime.timedelta(seconds=1)
            assert envois.relancer(now=plus_tard) >= 1
            wait_for(lambda: trouvees("télémédecine") == [fiche.pk], message="fiche dans le moteur")
        assert not AIndexer.objects.exists()
