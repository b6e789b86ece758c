"""Background work goes through a real Celery worker process over Redis (full mode)."""

import email

import pytest
from django.urls import reverse

from tests.worker import celery_worker, wait_for, worker_queue

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_sends_verification_email_queued_while_it_was_down(client, tmp_path):
    mails = tmp_path / "mails"
    with worker_queue() as queue:
        response = client.post(
            reverse("account_signup"),
            {
                "email": "secretaire@mairie-agen.fr",
                "password1": "Arobase-2026-x!",
                "password2": "Arobase-2026-x!",
            },
        )
        assert response.status_code == 302  # signing up does not wait for any worker
        assert not mails.exists()

        with celery_worker(queue, tmp_path):
            wait_for(lambda: mails.exists() and any(mails.iterdir()), message="e-mail envoyé par le worker")

    [sent] = list(mails.iterdir())
    message = email.message_from_string(sent.read_text())
    assert message["To"] == "secretaire@mairie-agen.fr"
    assert "[Villes Internet]" in message["Subject"]
