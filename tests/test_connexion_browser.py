"""A juror whose password is refused after failures from many IPs gets in with a code by
e-mail, then the TOTP code, in Chromium; the pages pass axe-core."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.a11y import assert_accessible
from tests.jury import activer_mfa, code_totp
from tests.test_connexion import attaquer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_throttled_juror_gets_in_with_a_code_by_email_then_totp(
    settings, page, live_server, user, password, mailoutbox
):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed_address": "6/h/key"}
    activer_mfa(user)
    for n in range(3):
        attaquer(user.email, f"192.0.2.{n + 1}", fois=2)
    page.goto(live_server.url + reverse("account_request_login_code"))  # reachable by its address
    assert_accessible(page)

    page.goto(live_server.url + reverse("account_login"))
    expect(page.get_by_role("button", name="Recevoir un code par e-mail")).to_have_count(0)
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("alert")).to_contain_text("Trop de tentatives de connexion échouées")
    expect(page.get_by_label("Adresse e-mail")).to_have_value(user.email)
    expect(page.get_by_role("heading", name="Se connecter sans mot de passe")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Recevoir un code par e-mail").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Entrez le code de connexion")
    assert_accessible(page)
    [message] = [m for m in mailoutbox if "Code de connexion" in m.subject]
    assert message.to == [user.email]
    code = re.search(r"^([A-Z0-9-]{6,})$", message.body, re.MULTILINE).group(1)
    page.get_by_label("Code").fill(code)
    page.get_by_label("Code").press("Enter")

    totp = page.get_by_label("Code")  # the second factor, after the code by e-mail
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("Entrez le code de connexion")
    totp.fill(code_totp())
    totp.press("Enter")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
