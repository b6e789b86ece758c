"""Failed logins (accounts/connexion.py): an attacker is slowed, the owner still gets in (with
the right password from elsewhere, or with a code by e-mail), and is told once an hour."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts import connexion
from outbox.models import Envoi
from tests.jury import activer_mfa, code_totp
from tests.test_redis_panne import redis_absent  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

IP_A, IP_B = "203.0.113.7", "198.51.100.20"
INCORRECT = "L’adresse e-mail ou le mot de passe sont incorrects."
TROP = "Trop de tentatives de connexion échouées"


def essayer(email, password, ip):
    return Client(REMOTE_ADDR=ip).post(reverse("account_login"), {"login": email, "password": password})


def text(response):
    return response.content.decode()


def notices(mailoutbox, email):
    return [m for m in mailoutbox if m.to == [email] and "Tentatives de connexion" in m.subject]


def attaquer(email, ip, fois=20):
    return [text(essayer(email, "Devine-2026-peut-etre", ip)) for _ in range(fois)]


def test_login_attacker_from_one_ip_is_slowed_and_the_owner_still_gets_in_with_totp(
    settings, user, password, mailoutbox, django_capture_on_commit_callbacks
):
    activer_mfa(user)
    with django_capture_on_commit_callbacks(execute=True):
        pages = attaquer(user.email, IP_A)
    assert all(INCORRECT in page for page in pages[:5])
    assert all(TROP in page and INCORRECT not in page for page in pages[5:])
    # Slowed: refused attempts are not checked, the right password from A is refused too.
    assert TROP in text(essayer(user.email, password, IP_A))

    owner = Client(REMOTE_ADDR=IP_B)
    response = owner.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.url == reverse("mfa_authenticate")  # the second factor is still asked
    assert owner.post(response.url, {"code": code_totp()}).url == reverse("home")
    assert owner.get(reverse("label:espace")).wsgi_request.user == user

    [notice] = notices(mailoutbox, user.email)
    assert notice.subject == "[Villes Internet] Tentatives de connexion à votre compte"
    assert "Quelqu'un a tenté de se connecter à votre compte agent@mairie-agen.fr" in notice.body
    assert "5 fois en moins d'une heure" in notice.body
    assert "Si ce n'était pas vous\u00a0:" in notice.body
    assert settings.SITE_URL + reverse("account_login") in notice.body


def test_login_failures_per_ip_count_across_addresses(user, password):
    for n in range(10):
        assert INCORRECT in text(essayer(f"inconnu{n}@mairie.fr", "Devine-2026", IP_A))
    assert TROP in text(essayer(user.email, password, IP_A))  # 10 failures a minute per IP
    assert essayer(user.email, password, IP_B).status_code == 302


def test_login_throttled_owner_gets_a_code_by_email_then_totp(
    client, user, password, mailoutbox, django_capture_on_commit_callbacks
):
    """The owner shares the attacker's IP (same office): the password is refused, a code is
    offered for the address just typed, and the second factor is asked after it."""
    activer_mfa(user)
    attaquer(user.email, "127.0.0.1", fois=6)
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    page = text(response)
    assert TROP in page
    assert "Recevoir un code par e-mail" in page
    assert f'<input type="hidden" name="email" value="{user.email}">' in page
    assert 'action="/accounts/login/code/"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_request_login_code"), {"email": user.email})
    assert response.url == reverse("account_confirm_login_code")
    [message] = [m for m in mailoutbox if "Code de connexion" in m.subject]
    code = re.search(r"^([A-Z0-9-]{6,})$", message.body, re.MULTILINE).group(1)
    response = client.post(response.url, {"code": code})
    assert response.url == reverse("mfa_authenticate")
    assert client.post(response.url, {"code": code_totp()}).url == reverse("home")
    assert client.get(reverse("label:espace")).wsgi_request.user == user


def test_login_page_offers_no_code_before_the_password_is_refused(client, user):
    assert "Recevoir un code par e-mail" not in text(client.get(reverse("account_login")))
    page = text(client.post(reverse("account_login"), {"login": user.email, "password": "mauvais"}))
    assert INCORRECT in page and "Recevoir un code par e-mail" not in page


def test_login_failures_from_many_ips_close_the_password_for_the_address_not_the_code(
    settings, client, user, password, mailoutbox, django_capture_on_commit_callbacks
):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed_address": "8/h/key"}
    for _ in range(3):  # right passwords are not failures: they leave the address's limit alone
        assert essayer(user.email, password, IP_B).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(4):
            attaquer(user.email, f"192.0.2.{n + 1}", fois=2)
        page = text(client.post(reverse("account_login"), {"login": user.email, "password": password}))
        assert TROP in page and "Recevoir un code par e-mail" in page
        response = client.post(reverse("account_request_login_code"), {"email": user.email})
    [message] = [m for m in mailoutbox if "Code de connexion" in m.subject]
    code = re.search(r"^([A-Z0-9-]{6,})$", message.body, re.MULTILINE).group(1)
    assert client.post(response.url, {"code": code}).url == reverse("home")
    assert len(notices(mailoutbox, user.email)) == 1


def test_login_refused_for_the_address_leaves_the_budget_of_the_ip_alone(settings, user, password):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed_address": "8/h/key"}
    for n in range(4):
        attaquer(user.email, f"192.0.2.{n + 1}", fois=2)
    assert all(TROP in page for page in attaquer(user.email, IP_A, fois=6))
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed_address": "100/h/key"}
    assert essayer(user.email, password, IP_A).status_code == 302


def test_notice_is_owed_once_per_period_and_only_for_an_account(
    user, mailoutbox, django_capture_on_commit_callbacks
):
    heure = 1_790_000_000 // connexion.PERIODE * connexion.PERIODE
    with django_capture_on_commit_callbacks(execute=True):
        counts = [connexion.signaler_echec(user.email.upper(), now=heure + n) for n in range(12)]
        for n in range(6):
            connexion.signaler_echec(user.email, now=heure + connexion.PERIODE + n)
        for n in range(6):
            connexion.signaler_echec("personne@mairie.fr", now=heure + n)
    assert counts == list(range(1, 13))
    assert len(notices(mailoutbox, user.email)) == 2  # one per hour
    assert Envoi.objects.filter(key__startswith=f"connexion:echecs:{user.pk}:").count() == 2
    assert not notices(mailoutbox, "personne@mairie.fr")


def test_notice_is_owed_once_even_when_processes_count_apart(
    user, mailoutbox, django_capture_on_commit_callbacks
):
    """Redis away: each process counts in its memory and may reach the count; the outbox key
    keeps to one notice."""
    with django_capture_on_commit_callbacks(execute=True):
        for _process in range(2):
            cache.clear()
            for _ in range(connexion.AVIS_APRES):
                connexion.signaler_echec(user.email, now=1_790_000_000)
    assert len(notices(mailoutbox, user.email)) == 1


def test_password_reset_lifts_the_failures_of_the_address(
    settings, user, mailoutbox, django_capture_on_commit_callbacks
):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed_address": "4/h/key"}
    for n in range(2):
        attaquer(user.email, f"192.0.2.{n + 1}", fois=2)
    assert TROP in text(essayer(user.email, "Arobase-2026-secret!", IP_B))
    owner = Client(REMOTE_ADDR=IP_B)
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(reverse("account_reset_password"), {"email": user.email})
    link = re.search(r"https?://\S+", mailoutbox[-1].body).group(0)
    form_url = owner.get(link, follow=True).redirect_chain[-1][0]
    owner.post(form_url, {"password1": "Nouveau-2026-mdp!", "password2": "Nouveau-2026-mdp!"})
    assert essayer(user.email, "Nouveau-2026-mdp!", IP_B).status_code == 302


@pytest.mark.faults
def test_login_limits_hold_per_process_while_redis_is_down(
    redis_absent,  # noqa: F811
    user,
    password,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        pages = attaquer(user.email, IP_A)
    assert all(TROP in page for page in pages[5:])
    assert TROP in text(essayer(user.email, password, IP_A))
    assert essayer(user.email, password, IP_B).status_code == 302
    assert len(notices(mailoutbox, user.email)) == 1
