"""The broker is away when a state change owes e-mails: nothing is lost, nothing is sent twice.

Full mode: a redis-server of the test's own is the broker, stopped during the change; a real
worker and the beat's hand-over (``envois.relancer``) run once it is back."""

import datetime
import email

import pytest
from django.urls import reverse
from django.utils import timezone

from label.models import Candidature, Document
from outbox import envois
from outbox.models import Envoi
from tests.factories import CommuneFactory, MembershipFactory
from tests.services import celery_broker, redis_server  # noqa: F401 - fixture
from tests.test_depot import complete_dossier
from tests.test_palmares import edition_close, laureat, publier
from tests.worker import celery_worker, wait_for, worker_queue

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def beat_later():
    """The beat's run, once what was owed has waited long enough to be handed again."""
    return envois.relancer(now=timezone.now() + envois.RELANCE + datetime.timedelta(seconds=1))


def sent(tmp_path):
    """The e-mails the worker sent: (recipient, subject, attachments' names) each."""
    mails = []
    for path in sorted((tmp_path / "mails").glob("*")):
        # The file backend writes one file per connection, its messages separated by a line of dashes.
        for chunk in path.read_text().split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                message = email.message_from_string(chunk)
                names = [part.get_filename() for part in message.walk() if part.get_filename()]
                mails.append((message["To"], message["Subject"], names))
    return mails


def test_broker_down_at_submission_every_receipt_arrives_once(client, redis_server, tmp_path):  # noqa: F811
    candidature, referent, contributeur = complete_dossier()
    with worker_queue() as queue:
        with celery_broker(redis_server.url()):  # nothing listens there yet
            client.force_login(contributeur.user)
            response = client.post(reverse("label:deposer", args=[candidature.pk]), follow=True)
        assert response.status_code == 200
        assert "chacun des 2 membres" in response.content.decode()
        candidature.refresh_from_db()
        assert candidature.state == Candidature.State.DEPOSEE
        assert list(Envoi.objects.values_list("state", flat=True)) == [Envoi.State.ATTENTE] * 2

        redis_server.start()
        with celery_worker(queue, tmp_path, REDIS_URL=redis_server.url()):
            with celery_broker(redis_server.url()):
                assert beat_later() == 2
                assert beat_later() == 0  # handed once, not again at the next run
            wait_for(lambda: Envoi.objects.filter(state=Envoi.State.FAIT).count() == 2, 60, "accusés envoyés")

    mails = sent(tmp_path)
    assert sorted(to for to, _subject, _names in mails) == sorted(
        [referent.user.email, contributeur.user.email]
    )
    assert all(names == [f"recapitulatif-agen-{candidature.edition.annee}.pdf"] for _to, _s, names in mails)


def test_broker_down_at_publication_every_results_email_arrives_once(redis_server, tmp_path):  # noqa: F811
    edition = edition_close()
    adresses = []
    for i in range(12):
        commune = CommuneFactory(nom=f"Commune {i}")
        laureat(edition, commune, niveau=1 + i % 5)
        adresses.append(MembershipFactory(collectivite=commune).user.email)
    with worker_queue() as queue:
        with celery_broker(redis_server.url()):
            publier(edition)
        owed = dict(Envoi.objects.values_list("task", "state"))
        assert owed == {
            "atlaas.tasks.invalider_catalogue": Envoi.State.ATTENTE,
            "label.tasks.generer_documents": Envoi.State.ATTENTE,
            "label.tasks.envoyer_resultats": Envoi.State.ATTENTE,
        }

        redis_server.start()
        with celery_worker(queue, tmp_path, REDIS_URL=redis_server.url()):
            with celery_broker(redis_server.url()):
                assert beat_later() == 3
            # The 3 tasks owed by the publication, the 12 results e-mails they owe in turn, and
            # whatever else follows (the Atlaas' export after its cache moved): all done.
            wait_for(
                lambda: (
                    Envoi.objects.filter(kind=Envoi.Kind.COURRIEL, state=Envoi.State.FAIT).count() == 12
                    and not Envoi.objects.exclude(state=Envoi.State.FAIT).exists()
                ),
                90,
                "tâches et e-mails des résultats faits",
            )
            wait_for(
                lambda: not Document.objects.exclude(state=Document.State.PRET).exists(), 90, "certificats"
            )

    mails = sent(tmp_path)
    assert sorted(to for to, _subject, _names in mails) == sorted(adresses)
    assert Document.objects.filter(kind=Document.Kind.CERTIFICAT).count() == 12
