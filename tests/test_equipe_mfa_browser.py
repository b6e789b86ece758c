"""A staff member without an authenticator app in Chromium: sent from the admin to activate
one, told why, then back on the admin page they asked for; every page passes axe-core."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.a11y import assert_accessible
from tests.jury import code_totp
from tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_activate_totp_on_the_way_to_the_admin_and_come_back(
    page, live_server, staff_sans_mfa, password
):
    log_in(page, live_server, staff_sans_mfa, password)
    page.goto(live_server.url + reverse("admin:accounts_user_changelist") + "?q=equipe")

    # Why, said on the first page on the way: allauth asks for the password again first.
    expect(page.get_by_text("il doit être protégé par la double authentification")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Activer")
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("input[name=code]").fill(code_totp(secret))
    page.get_by_role("button", name="Activer").click()

    expect(page.locator("#recovery_codes")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Revenir à la page demandée").click()
    expect(page).to_have_url(re.compile(r"/admin/accounts/user/\?q=equipe$"))
    expect(page.get_by_role("link", name=staff_sans_mfa.email)).to_be_visible()
