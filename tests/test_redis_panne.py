"""Redis stops: the portal keeps serving. Pages are built from the database, sessions read from
it, counters and claims (rate limits, receipts' marks) kept in the process' memory; /sante/ says
« indisponible » with 200; once Redis is back the cache is used again.

The scenario starts a redis-server of its own on a free port and stops it halfway; the other
tests point the cache at a port where nothing listens."""

import datetime
import logging
import os
import signal

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from atlaas.views import donnees
from label.models import Candidature, Edition, Reponse
from outbox import envois
from outbox.models import Envoi
from tests.factories import CommuneFactory
from tests.services import RedisServer, free_port
from tests.test_depot import complete_dossier
from tests.test_fiche_publique import HTMX, contact_url, publiee
from tests.test_palmares import edition_close, laureat, publier
from villes_internet.cache import OncePerPeriod, garder_le_plus_grand

pytestmark = [pytest.mark.faults, pytest.mark.django_db]


def portal_cache(port):
    """Full mode's cache (its options from the settings) on the Redis of ``port``."""
    return {
        "default": {
            "BACKEND": "villes_internet.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "KEY_PREFIX": "vi",
            "OPTIONS": django_settings.REDIS_CACHE_OPTIONS,
        }
    }


@pytest.fixture
def full_mode():
    if django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("Panne de Redis : mode complet seulement (DATABASE_URL vers PostgreSQL).")


@pytest.fixture
def redis_server(settings):
    """The cache on a redis-server started for the test (sessions too: ``cached_db``)."""
    server = RedisServer()
    server.start()
    settings.CACHES = portal_cache(server.port)  # Django resets its cache handlers on the change
    cache.clear()
    yield server
    server.stop()


@pytest.fixture
def redis_absent(settings):
    """The cache on a port where no Redis listens: every call to Redis fails at once."""
    settings.CACHES = portal_cache(free_port())
    cache.clear()  # this process' memory of counters


def text(response):
    return " ".join(response.content.decode().split())


def cache_log(caplog):
    return [record for record in caplog.records if record.name == "villes_internet.cache"]


def test_portal_serves_logs_in_files_and_publishes_while_redis_is_down_then_uses_it_again(
    full_mode, redis_server, user, password, staff, mailoutbox, django_capture_on_commit_callbacks, caplog
):
    candidature, _referent, contributeur = complete_dossier()
    question = Reponse.objects.get(candidature=candidature).question
    passee = edition_close(annee=2025)
    laureat(passee, CommuneFactory(nom="Nérac"), 5)
    publier(passee)
    a_publier = edition_close(annee=2026)
    laureat(a_publier, CommuneFactory(nom="Boé"), 3)
    Edition.objects.filter(pk=a_publier.pk).update(resultats_clos_at=timezone.now())
    membre, equipe, public = Client(), Client(), Client()
    membre.force_login(contributeur.user)
    equipe.force_login(staff)
    pages = [reverse("home"), reverse("label:palmares", args=[2025]), reverse("atlaas:catalogue")]
    for url in pages:  # Redis up: the pages' parts go into the cache
        assert public.get(url).status_code == 200
    assert public.get(reverse("health")).json()["cache"] == "ok"
    assert redis.Redis(port=redis_server.port).dbsize() > 0

    redis_server.stop()

    for url in pages:
        assert public.get(url).status_code == 200, url
    assert "Nérac" in text(public.get(pages[1]))
    sante = public.get(reverse("health"))
    assert sante.status_code == 200
    assert sante.json()["database"] == "ok" and sante.json()["cache"] == "indisponible"
    # Logged in before the outage: still logged in (the session is read from the database).
    espace = membre.get(reverse("label:espace"))
    assert espace.status_code == 200 and espace.wsgi_request.user == contributeur.user
    # Logging in during the outage.
    visiteur = Client()
    response = visiteur.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302 and response.url == reverse("home")
    assert visiteur.get(reverse("label:espace")).wsgi_request.user == user
    # Autosave, then « déposer »: the receipts leave (their marks kept in the process' memory).
    response = membre.post(
        reverse("label:autosave", args=[candidature.pk]),
        {"version": candidature.version, f"q_{question.pk}": "150 000 euros par an"},
        **HTMX,
    )
    assert response.status_code == 200 and "Enregistré à" in text(response)
    assert Reponse.objects.get(question=question).valeur == "150 000 euros par an"
    with django_capture_on_commit_callbacks(execute=True):
        response = membre.post(reverse("label:deposer", args=[candidature.pk]), follow=True)
    assert response.status_code == 200 and "Candidature déposée." in text(response)
    candidature.refresh_from_db()
    assert candidature.state == Candidature.State.DEPOSEE
    assert len(mailoutbox) == 2
    # The staff's « publier »: the palmarès is public at once.
    with django_capture_on_commit_callbacks(execute=True):
        response = equipe.post(
            reverse("admin:label_edition_changelist"),
            {"action": "publish_palmares", "_selected_action": [a_publier.pk]},
            follow=True,
        )
    assert response.status_code == 200 and "Palmarès du" in text(response)
    a_publier.refresh_from_db()
    assert a_publier.publie_at is not None
    palmares = public.get(reverse("label:palmares", args=[2026]))
    assert palmares.status_code == 200 and "Boé" in text(palmares)
    # Hundreds of failed cache calls, a line or two in the log.
    assert 1 <= len(cache_log(caplog)) <= 2

    redis_server.start()

    cache.set("sonde", "de retour", 60)
    assert cache.get("sonde") == "de retour"
    assert public.get(reverse("health")).json()["cache"] == "ok"
    assert public.get(pages[1]).status_code == 200
    assert redis.Redis(port=redis_server.port).dbsize() > 1  # the page's parts, kept again
    assert membre.get(reverse("label:espace")).wsgi_request.user == contributeur.user


def test_health_without_redis_answers_200_and_says_the_cache_is_unavailable(redis_absent, client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["cache"] == "indisponible"


def test_rate_limit_keys_count_in_the_process_memory_while_redis_is_down(redis_absent):
    assert cache.add("allauth:rl:essai", 0, 60) is True
    assert cache.incr("allauth:rl:essai") == 1
    assert cache.add("allauth:rl:essai", 0, 60) is False
    assert cache.get("allauth:rl:essai") == 1
    cache.delete_many(["allauth:rl:essai", "palmares:une"])
    assert cache.get("allauth:rl:essai") is None
    # Any other key is a miss.
    cache.set("palmares:une", {"annee": 2026}, 60)
    assert cache.get("palmares:une") is None
    assert cache.add("palmares:une", 1) is None
    assert cache.get_or_set("version", 7) == 7


def test_login_failures_stay_limited_without_locking_others_out_while_redis_is_down(
    redis_absent, client, user, password, staff
):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "mauvais"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert "Trop de tentatives de connexion échouées" in response.content.decode()
    response = client.post(reverse("account_login"), {"login": staff.email, "password": password})
    assert response.status_code == 302


def test_contact_reveals_stay_limited_per_ip_while_redis_is_down(redis_absent, client):
    fiche = publiee()
    url = contact_url(fiche, fiche.contacts.get())
    for _ in range(20):
        assert client.post(url, **HTMX).status_code == 200
    assert client.post(url, **HTMX).status_code == 429
    assert client.post(url, REMOTE_ADDR="192.0.2.7").status_code == 200


def test_filtered_exports_stay_limited_per_ip_while_redis_is_down(redis_absent, client, monkeypatch):
    monkeypatch.setattr(donnees, "EXPORTS_PAR_HEURE", 2)
    url = reverse("atlaas:catalogue_csv")
    for _ in range(2):
        assert client.get(url, {"type": "ville"}).status_code == 200
    assert client.get(url, {"type": "ville"}).status_code == 429
    assert client.get(url, {"type": "ville"}, REMOTE_ADDR="192.0.2.7").status_code == 200


def test_redis_down_is_logged_once_not_at_each_cache_call(redis_absent, caplog):
    [once] = logging.getLogger("villes_internet.cache").filters
    once.last.clear()
    for n in range(50):
        cache.set(f"cle:{n}", n)
        assert cache.get(f"cle:{n}") is None
    [record] = cache_log(caplog)
    assert record.exc_info  # with the error's traceback


def test_once_per_period_lets_each_message_through_once_a_period():
    def record(message):
        return logging.LogRecord("villes_internet.cache", logging.ERROR, __file__, 1, message, None, None)

    once = OncePerPeriod(seconds=60)
    assert [once.filter(record("Exception ignored")) for _ in range(3)] == [True, False, False]
    assert once.filter(record("Redis ne répond pas"))
    always = OncePerPeriod(seconds=0)
    assert always.filter(record("Exception ignored")) and always.filter(record("Exception ignored"))


def test_a_session_closed_while_redis_hangs_is_forgotten_by_the_cache_once_it_answers(
    full_mode, redis_server, user, django_capture_on_commit_callbacks
):
    """Redis hung (SIGSTOP) keeps its data: the cached copy of a session closed meanwhile would
    log its cookie in again; the outbox drops it once Redis answers."""
    membre = Client()
    membre.force_login(user)
    assert membre.get(reverse("label:espace")).wsgi_request.user == user
    cookie = membre.cookies[django_settings.SESSION_COOKIE_NAME].value

    os.kill(redis_server.process.pid, signal.SIGSTOP)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            membre.post(reverse("account_logout"))
        oubli = Envoi.objects.get(task="accounts.tasks.oublier_session")
        assert oubli.state == Envoi.State.ATTENTE and "CacheIndisponible" in oubli.error
    finally:
        os.kill(redis_server.process.pid, signal.SIGCONT)

    ancien = Client()
    ancien.cookies[django_settings.SESSION_COOKIE_NAME] = cookie
    envois.relancer(now=timezone.now() + datetime.timedelta(minutes=5))  # the beat, once due
    oubli.refresh_from_db()
    assert oubli.state == Envoi.State.FAIT
    assert ancien.get(reverse("label:espace")).status_code == 302  # to the login page


def test_cache_moves_are_tried_again_while_the_cache_does_not_answer(
    redis_absent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        envoi = envois.tache("atlaas.tasks.invalider_catalogue")
    envoi.refresh_from_db()
    assert envoi.state == Envoi.State.ATTENTE
    assert envoi.error == "CacheIndisponible : Le cache ne répond pas : la tâche sera refaite."


def test_the_greater_number_is_kept_in_one_step_on_redis(redis_server, caplog):
    """``garder_le_plus_grand`` on a real Redis (the replica's position, atlaas.catalogue.lecture):
    noted in either order, the greater stays, read back as an integer; Redis gone, nothing is
    noted and nothing fails."""
    cache.delete("position")
    for nombre in (7_000_200, 7_000_100):
        garder_le_plus_grand("position", nombre)
    assert cache.get("position") == 7_000_200
    garder_le_plus_grand("position", 7_000_300)
    assert cache.get("position") == 7_000_300
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="villes_internet.cache"):
        garder_le_plus_grand("position", 7_000_400)
    assert "« position » n'est pas noté" in cache_log(caplog)[-1].getMessage()
