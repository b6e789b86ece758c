"""The outbox (``outbox.envois``): what a state change owes is written with it, done once, and
handed again until it is done."""

import ast
import datetime
from pathlib import Path

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from outbox import envois
from outbox.models import Envoi

pytestmark = pytest.mark.django_db

State = Envoi.State
ROOT = Path(__file__).resolve().parent.parent


def plus_tard(minutes):
    return timezone.now() + datetime.timedelta(minutes=minutes)


def test_courriel_is_sent_after_commit_with_a_stable_message_id(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        envoi = envois.courriel("claire@agen.fr", "Sujet", "Corps", html="<p>Corps</p>", key="essai:1")
        assert mailoutbox == []  # nothing leaves before commit
    envoi.refresh_from_db()
    assert envoi.state == State.FAIT and envoi.done_at and envoi.attempts == 1
    [message] = mailoutbox
    assert message.to == ["claire@agen.fr"] and message.alternatives[0][1] == "text/html"
    assert message.extra_headers["Message-ID"] == envois.message_id(envoi)
    assert message.extra_headers["Message-ID"].endswith("@127.0.0.1>")


def test_courriel_of_a_rolled_back_change_is_never_written(mailoutbox, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
    ):
        envois.courriel("claire@agen.fr", "Sujet", "Corps")
        1 / 0  # noqa: B018 - the state change fails after its e-mail was owed
    assert not Envoi.objects.exists()
    assert mailoutbox == []


def test_the_same_key_owes_one_message(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        premier = envois.courriel("claire@agen.fr", "Sujet", "Corps", key="recu:1:1")
        second = envois.courriel("claire@agen.fr", "Sujet", "Corps", key="recu:1:1")
    assert premier.pk == second.pk
    assert len(mailoutbox) == 1


def test_a_row_handed_twice_is_done_once(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        envoi = envois.courriel("claire@agen.fr", "Sujet", "Corps")
    assert envois.executer(envoi.pk) is False
    assert len(mailoutbox) == 1


def test_broker_away_at_commit_the_beat_hands_it_again(
    mailoutbox, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    executer = envois._tache(envois.EXECUTER)
    tries = []

    def broker_absent(*args, **kwargs):
        tries.append(args)
        raise ConnectionError("Redis est arrêté")

    monkeypatch.setattr(executer, "apply_async", broker_absent)
    with django_capture_on_commit_callbacks(execute=True):
        envois.courriel("claire@agen.fr", "Sujet", "Corps")
        envois.courriel("paul@agen.fr", "Sujet", "Corps")
    assert "le broker ne répond pas" in caplog.text
    assert len(tries) == 1  # the second hand-over after commit did not wait for the broker again
    assert set(Envoi.objects.values_list("state", flat=True)) == {State.ATTENTE} and mailoutbox == []
    monkeypatch.undo()
    assert envois.relancer() == 0  # just owed: its message may still be on its way
    assert envois.relancer(now=plus_tard(3)) == 2  # the beat tries the broker at once
    assert set(Envoi.objects.values_list("state", flat=True)) == {State.FAIT} and len(mailoutbox) == 2
    assert envois.relancer(now=plus_tard(10)) == 0


def test_a_worker_killed_after_sending_sends_at_most_one_copy(mailoutbox):
    """The claim stays; after BAIL the row is handed again and sent a second time, once."""
    envoi = Envoi.objects.create(
        key="recu:9:9",
        kind=Envoi.Kind.COURRIEL,
        payload={"to": ["claire@agen.fr"], "subject": "Sujet", "body": "Corps"},
        state=State.EN_COURS,
        claimed_at=plus_tard(-1),
        attempts=1,
    )
    assert envois.executer(envoi.pk) is False  # the redelivered message: the claim is fresh
    assert envois.relancer() == 0
    Envoi.objects.filter(pk=envoi.pk).update(claimed_at=plus_tard(-6))  # five minutes later
    assert envois.relancer() == 1
    assert len(mailoutbox) == 1
    assert envois.relancer(now=plus_tard(20)) == 0
    envoi.refresh_from_db()
    assert envoi.state == State.FAIT and envoi.attempts == 2


class AbsentBackend(EmailBackend):
    def send_messages(self, messages):
        raise OSError("Connection refused")


def test_a_failing_row_is_retried_with_backoff_then_left_failed(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.test_outbox.AbsentBackend"
    with django_capture_on_commit_callbacks(execute=True):
        envoi = envois.courriel("claire@agen.fr", "Sujet", "Corps")
    envoi.refresh_from_db()
    assert (envoi.state, envoi.attempts, envoi.error) == (State.ATTENTE, 1, "OSError : Connection refused")
    assert envoi.next_attempt_at > timezone.now()
    for _essai in envois.ESSAIS:
        envois.executer(envoi.pk)
    envoi.refresh_from_db()
    assert envoi.state == State.ECHEC and envoi.attempts == len(envois.ESSAIS) + 1
    assert envois.relancer(now=plus_tard(24 * 60)) == 0  # a failed row waits for the team
    assert envois.etat()["echecs"] == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert envois.reessayer(Envoi.objects.all()) == 1
    envoi.refresh_from_db()
    assert envoi.state == State.FAIT and len(mailoutbox) == 1


def test_tache_runs_the_named_task(django_capture_on_commit_callbacks, settings):
    from django.core.cache import cache

    from atlaas import catalogue

    avant = cache.get(catalogue.VERSION)
    with django_capture_on_commit_callbacks(execute=True):
        envoi = envois.tache("atlaas.tasks.invalider_catalogue", key="essai:catalogue")
    envoi.refresh_from_db()
    assert envoi.state == State.FAIT
    assert cache.get(catalogue.VERSION) != avant


def test_rows_left_to_the_workers_are_not_handed_after_commit_but_by_the_beat(
    django_capture_on_commit_callbacks,
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        envois.aux_workers("atlaas.tasks.preparer_catalogue"),
    ):
        laissee = envois.tache("atlaas.tasks.preparer_catalogue", key="essai:preparer")
        faite = envois.tache("atlaas.tasks.invalider_catalogue", key="essai:catalogue")
    laissee.refresh_from_db()
    faite.refresh_from_db()
    assert (laissee.state, faite.state) == (State.ATTENTE, State.FAIT)
    assert envois.relancer(now=plus_tard(3)) == 1
    laissee.refresh_from_db()
    assert laissee.state == State.FAIT
    with django_capture_on_commit_callbacks(execute=True):  # outside the block, handed as usual
        envoi = envois.tache("atlaas.tasks.preparer_catalogue", key="essai:preparer:2")
    envoi.refresh_from_db()
    assert envoi.state == State.FAIT


def test_done_rows_are_deleted_after_the_retention_period(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        envois.courriel("claire@agen.fr", "Sujet", "Corps")
    envois.relancer(now=timezone.now() + envois.CONSERVATION - datetime.timedelta(days=1))
    assert Envoi.objects.exists()
    envois.relancer(now=timezone.now() + envois.CONSERVATION + datetime.timedelta(days=1))
    assert not Envoi.objects.exists()


def test_etat_gives_the_age_of_the_oldest_row_owed():
    assert envois.etat() == {"en_attente": 0, "echecs": 0, "plus_ancien_s": 0}
    Envoi.objects.create(key="a", kind=Envoi.Kind.TACHE, task="x", created_at=plus_tard(-7))
    assert envois.etat() == {"en_attente": 1, "echecs": 0, "plus_ancien_s": 420}


def test_staff_see_the_outbox_and_retry_a_failed_row(
    client, staff, mailoutbox, django_assert_max_num_queries
):
    for i in range(30):
        Envoi.objects.create(
            key=f"k{i}",
            kind=Envoi.Kind.COURRIEL,
            payload={"to": [f"m{i}@agen.fr"], "subject": f"Sujet {i}", "body": "Corps"},
            state=State.ECHEC if i == 0 else State.FAIT,
            error="SMTPServerDisconnected : Connection unexpectedly closed" if i == 0 else "",
        )
    client.force_login(staff)
    url = reverse("admin:outbox_envoi_changelist")
    with django_assert_max_num_queries(12):
        response = client.get(url, {"state__exact": "echec"})
    assert "Sujet 0 → m0@agen.fr" in response.content.decode()
    detail = client.get(reverse("admin:outbox_envoi_change", args=[Envoi.objects.get(key="k0").pk]))
    assert "SMTPServerDisconnected" in detail.content.decode()
    response = client.post(
        url,
        {"action": "reessayer", "_selected_action": [e.pk for e in Envoi.objects.all()]},
        follow=True,
    )
    assert "1 envoi remis en attente." in response.content.decode()
    assert Envoi.objects.get(key="k0").state == State.ATTENTE


def test_domain_modules_never_import_tasks():
    """Tasks are leaves: they import the domain, the domain owes them by name in the outbox."""
    coupables = []
    for app in ["outbox", "accounts", "atlaas", "label", "jury", "villes_internet"]:
        for path in (ROOT / app).rglob("*.py"):
            if path.name == "tasks.py" or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.ImportFrom):
                    names = [node.module or ""] + [a.name for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                if any(n == "tasks" or n.endswith(".tasks") for n in names):
                    coupables.append(str(path.relative_to(ROOT)))
    assert coupables == []
