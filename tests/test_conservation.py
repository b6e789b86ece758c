"""The daily retention run: inactive accounts warned then deleted, old data purged, as
/donnees-personnelles/ says. Time passes through ``now=``."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from atlaas.models import Invitation, Membership
from outbox.models import Envoi
from rgpd.conservation import ARCHIVES, INACTIVITE, PREAVIS, conserver
from rgpd.models import Archive, AvisInactivite
from tests.factories import CommuneFactory, JureFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

JOUR = datetime.timedelta(days=1)
NOW = timezone.now().replace(microsecond=0)  # accounts created by the tests are active
User = get_user_model()


def avertissements(user):
    return Envoi.objects.filter(kind=Envoi.Kind.COURRIEL, payload__to__0=user.email)


def test_inactive_account_is_warned_once_then_deleted_after_the_notice(
    mailoutbox, django_capture_on_commit_callbacks
):
    user = UserFactory(last_login=NOW - INACTIVITE + PREAVIS - JOUR)
    MembershipFactory(user=user)
    actif = UserFactory(last_login=NOW - 10 * JOUR)

    with django_capture_on_commit_callbacks(execute=True):
        assert conserver(now=NOW)["avertis"] == 1
    [message] = mailoutbox
    assert message.to == [user.email]
    assert message.subject.startswith("[Villes Internet] Votre compte sera supprimé le ")
    assert reverse("account_login") in message.body
    assert reverse("rgpd:mes_donnees") in message.body
    assert AvisInactivite.objects.get(user=user).sent_at == NOW

    assert conserver(now=NOW + JOUR)["avertis"] == 0  # once
    assert avertissements(user).count() == 1
    assert conserver(now=NOW + PREAVIS - JOUR)["supprimes"] == 0
    assert conserver(now=NOW + PREAVIS)["supprimes"] == 1
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Membership.objects.filter(user_id=user.pk).exists()
    assert User.objects.filter(pk=actif.pk).exists()


def test_login_after_the_warning_keeps_the_account(django_capture_on_commit_callbacks):
    user = UserFactory(last_login=NOW - INACTIVITE + PREAVIS - JOUR)
    conserver(now=NOW)
    user.last_login = NOW + 5 * JOUR
    user.save()
    assert conserver(now=NOW + PREAVIS + JOUR)["supprimes"] == 0
    assert User.objects.filter(pk=user.pk).exists()
    # Inactive again for the whole period: warned again, then deleted.
    later = user.last_login + INACTIVITE
    assert conserver(now=later - PREAVIS + JOUR)["avertis"] == 1
    assert conserver(now=later + JOUR)["supprimes"] == 1


def test_account_past_the_period_but_never_warned_gets_its_full_notice():
    """A retention run that did not run for months (beat stopped) does not delete anyone
    unwarned: the notice starts with the e-mail."""
    never_logged_in = UserFactory(date_joined=NOW - 2 * INACTIVITE)
    done = conserver(now=NOW)
    assert (done["avertis"], done["supprimes"]) == (1, 0)
    assert AvisInactivite.objects.filter(user=never_logged_in, sent_at=NOW).exists()
    assert conserver(now=NOW + PREAVIS - JOUR)["supprimes"] == 0
    assert conserver(now=NOW + PREAVIS)["supprimes"] == 1


def test_staff_accounts_are_left_to_the_association(staff):
    staff.last_login = NOW - 2 * INACTIVITE
    staff.save()
    assert conserver(now=NOW)["avertis"] == 0
    assert conserver(now=NOW + PREAVIS)["supprimes"] == 0
    assert User.objects.filter(pk=staff.pk).exists()


def test_inactive_juror_is_deleted_and_the_jury_keeps_the_pseudonymised_row():
    jure = JureFactory(user__last_login=NOW - INACTIVITE, nom="Juliette Marchand")
    conserver(now=NOW)
    conserver(now=NOW + PREAVIS)
    jure.refresh_from_db()
    assert jure.user is None
    assert jure.nom == f"Ancien juré n°\u00a0{jure.pk}"


def test_purge_of_archives_invitations_failed_emails_and_expired_sessions():
    user = UserFactory(last_login=NOW)
    old = Archive.objects.create(
        user=user,
        state=Archive.State.PRETE,
        created_at=NOW - ARCHIVES - JOUR,
        fichier=ContentFile(b"z", "a.zip"),
    )
    name, storage = old.fichier.name, old.fichier.storage
    recent = Archive.objects.create(user=user, created_at=NOW - ARCHIVES + JOUR)
    commune = CommuneFactory()
    expired_long_ago = Invitation.objects.create(
        collectivite=commune, email="a@mairie.fr", expires_at=NOW - 31 * JOUR
    )
    expired_lately = Invitation.objects.create(
        collectivite=commune, email="b@mairie.fr", expires_at=NOW - 5 * JOUR
    )
    accepted = Invitation.objects.create(
        collectivite=commune, email="c@mairie.fr", expires_at=NOW - 90 * JOUR, accepted_at=NOW - 95 * JOUR
    )
    failed_old = Envoi.objects.create(
        key="k1", kind=Envoi.Kind.COURRIEL, state=Envoi.State.ECHEC, created_at=NOW - 31 * JOUR
    )
    failed_recent = Envoi.objects.create(
        key="k2", kind=Envoi.Kind.COURRIEL, state=Envoi.State.ECHEC, created_at=NOW - 2 * JOUR
    )
    session = SessionStore()
    session["x"] = 1
    session.set_expiry(-1)  # already expired
    session.create()
    live = SessionStore()
    live.create()

    counts = conserver(now=NOW)
    assert counts == {**counts, "archives": 1, "invitations": 1, "courriels": 1}
    assert list(Archive.objects.all()) == [recent]
    assert not storage.exists(name)
    assert set(Invitation.objects.all()) == {expired_lately, accepted}
    assert set(Envoi.objects.filter(pk__in=[failed_old.pk, failed_recent.pk])) == {failed_recent}
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert expired_long_ago.pk not in Invitation.objects.values_list("pk", flat=True)


def test_retention_job_is_scheduled_daily(settings):
    [job] = [j for j in settings.CELERY_BEAT_SCHEDULE.values() if j["task"] == "rgpd.tasks.conserver"]
    assert job["schedule"].hour == {3}
