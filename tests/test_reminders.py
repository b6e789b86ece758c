"""Reminders before closing: 30, 7 and 1 day before, to the members of each draft, once each."""

import datetime
import email
from email.header import decode_header, make_header

import pytest
from django.utils import timezone

from atlaas.models import Membership
from atlaas.selectors import active_member_emails
from label.models import Candidature, Edition, Rappel
from label.submission import remind_drafts, reminder_threshold
from label.tasks import send_closing_reminders
from tests.factories import CandidatureFactory, EditionFactory, MembershipFactory
from tests.worker import celery_worker, wait_for, worker_queue

State = Candidature.State
DAY = datetime.timedelta(days=1)


def edition_closing_in(left):
    now = timezone.now()
    return EditionFactory(ouverture=now - 200 * DAY, cloture=now + left)


def draft_with_members(edition, members=2):
    candidature = CandidatureFactory(edition=edition)
    MembershipFactory.create_batch(members, collectivite=candidature.collectivite)
    MembershipFactory(collectivite=candidature.collectivite, state=Membership.State.PENDING)
    return candidature


def move_closing(edition, left):
    Edition.objects.filter(pk=edition.pk).update(cloture=timezone.now() + left)


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (40 * DAY, None),
        (30 * DAY + datetime.timedelta(minutes=1), None),
        (30 * DAY, 30),
        (8 * DAY, 30),
        (7 * DAY, 7),
        (2 * DAY, 7),
        (DAY, 1),
        (datetime.timedelta(hours=3), 1),
        (-datetime.timedelta(hours=3), None),
    ],
)
def test_reminder_threshold_is_the_smallest_reached(left, expected):
    now = timezone.now()
    edition = Edition(ouverture=now - 200 * DAY, cloture=now + left)
    assert reminder_threshold(edition, now) == expected


@pytest.mark.django_db
def test_reminders_are_sent_once_when_the_task_runs_twice(mailoutbox, django_capture_on_commit_callbacks):
    draft = draft_with_members(edition_closing_in(5 * DAY))

    with django_capture_on_commit_callbacks(execute=True):
        send_closing_reminders.delay()
    with django_capture_on_commit_callbacks(execute=True):
        send_closing_reminders.delay()

    assert list(Rappel.objects.values_list("candidature", "jours")) == [(draft.pk, 7)]
    assert len(mailoutbox) == 2
    [message, _other] = mailoutbox
    assert "clôture dans 5 jours" in message.subject  # the days really left, below the 7-day threshold
    assert draft.collectivite.nom in message.body
    assert f"/espace/candidatures/{draft.pk}/verification/" in message.body


@pytest.mark.django_db
def test_each_threshold_is_reminded_once(mailoutbox, django_capture_on_commit_callbacks):
    edition = edition_closing_in(20 * DAY)
    draft_with_members(edition, members=1)
    for left in (
        20 * DAY,
        19 * DAY,
        6 * DAY,
        5 * DAY,
        datetime.timedelta(hours=20),
        datetime.timedelta(hours=2),
    ):
        move_closing(edition, left)
        with django_capture_on_commit_callbacks(execute=True):
            remind_drafts()
    assert sorted(Rappel.objects.values_list("jours", flat=True)) == [1, 7, 30]
    assert [m.subject.rsplit(": ", 1)[1] for m in mailoutbox] == [
        "clôture dans 20 jours",
        "clôture dans 6 jours",
        "clôture dans 1 jour",
    ]


@pytest.mark.django_db
def test_only_drafts_of_the_open_edition_are_reminded(mailoutbox, django_capture_on_commit_callbacks):
    edition = edition_closing_in(5 * DAY)
    draft = draft_with_members(edition, members=1)
    for state in (State.DEPOSEE, State.RETIREE):
        CandidatureFactory(edition=edition, state=state)
    closed = EditionFactory(
        annee=2026,
        numero=27,
        state=Edition.State.CLOSE,
        ouverture=timezone.now() - 300 * DAY,
        cloture=timezone.now() + 2 * DAY,
    )
    draft_with_members(closed, members=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert remind_drafts() == 1

    assert [m.to for m in mailoutbox] == [
        [draft.collectivite.memberships.get(state=Membership.State.ACTIVE).user.email]
    ]


@pytest.mark.django_db
def test_no_reminder_after_closing(mailoutbox, django_capture_on_commit_callbacks):
    edition = edition_closing_in(5 * DAY)
    draft_with_members(edition)
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_drafts(now=edition.cloture + datetime.timedelta(minutes=1)) == 0
    assert not mailoutbox
    assert not Rappel.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_reminders_sent_once_by_a_real_worker_when_queued_twice(tmp_path):
    mails = tmp_path / "mails"
    log = tmp_path / "worker.log"
    with worker_queue() as queue:
        draft = draft_with_members(edition_closing_in(5 * DAY), members=2)
        send_closing_reminders.delay()
        send_closing_reminders.delay()

        with celery_worker(queue, tmp_path):
            # Both reminder tasks and the e-mail tasks they queued have run.
            wait_for(lambda: log.read_text().count(" succeeded in ") >= 4, message="tâches du worker")

    assert list(Rappel.objects.values_list("candidature", "jours")) == [(draft.pk, 7)]
    sent = [email.message_from_string(path.read_text()) for path in mails.iterdir()]
    assert len(sent) == 2
    assert {message["To"] for message in sent} == set(active_member_emails(draft.collectivite_id))
    assert all("5 jours" in str(make_header(decode_header(message["Subject"]))) for message in sent)
