"""What a person does in Chromium: sign up, confirm, log in and out; every page passes axe-core."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.rules import mfa_active
from tests.a11y import assert_accessible
from tests.factories import CommuneFactory, EnjeuFactory, EpciFactory
from tests.jury import code_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_signup_verify_login_logout_in_the_browser(page, live_server, mailoutbox):
    page.goto(live_server.url + reverse("account_signup"))
    page.get_by_label("Adresse e-mail").fill("referente@mairie-agen.fr")
    page.get_by_label("Mot de passe", exact=True).fill("Arobase-2026-x!")
    page.get_by_label("Mot de passe (confirmation)").fill("Arobase-2026-x!")
    page.get_by_role("button", name="Création de compte").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vérifiez votre adresse e-mail")
    assert_accessible(page)

    [message] = mailoutbox
    link = re.search(r"https?://\S+", message.body).group(0)
    page.goto(link)
    assert_accessible(page)
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()

    page.get_by_role("link", name="Se connecter").click()
    page.get_by_label("Adresse e-mail").fill("referente@mairie-agen.fr")
    page.get_by_label("Mot de passe").fill("Arobase-2026-x!")
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def test_wrong_password_french_message_then_rate_limited(page, live_server, user):
    page.goto(live_server.url + reverse("account_login"))
    for _ in range(5):
        page.get_by_label("Adresse e-mail").fill(user.email)
        page.get_by_label("Mot de passe").fill("pas-le-bon")
        page.get_by_role("button", name="Connexion").click()
        expect(page.get_by_role("alert")).to_contain_text(
            "L’adresse e-mail ou le mot de passe sont incorrects."
        )
        expect(page.get_by_label("Adresse e-mail")).to_have_value(user.email)  # nothing typed is lost
    assert_accessible(page)
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("alert")).to_contain_text("Trop de tentatives de connexion échouées")


def test_skip_link_is_the_first_keyboard_stop(page, live_server):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    skip.press("Enter")
    expect(page.locator("#contenu")).to_be_focused()


PUBLIC_PAGES = [
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/confirm-email/",
    "/collectivites/47001/",
    "/collectivites/200000001/",
    "/collectivites/inconnue/",
    "/accessibilite/",
    "/plan-du-site/",
    "/mentions-legales/",
    "/donnees-personnelles/",
]
MEMBER_PAGES = [
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/2fa/",
    "/accounts/mes-donnees/",
    "/accounts/mes-donnees/supprimer/",  # the password is asked again first
    "/accounts/logout/",
]
STAFF_PAGES = [
    "/admin/",
    "/admin/atlaas/collectivite/",
    "/admin/atlaas/collectivite/?nature__exact=epci&q=agen",
    "/admin/accounts/user/",
    "/admin/accounts/user/add/",
    "/admin/atlaas/categorie/add/",
]


def log_in(page, live_server, user, password):
    """Sign in on allauth's page, with the TOTP code after the password when the account has an
    authenticator (staff: the ``staff`` fixture)."""
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Connexion").click()
    if mfa_active(user):
        page.get_by_label("Code").fill(code_totp())
        page.get_by_label("Code").press("Enter")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def check_pages(page, live_server, paths):
    for path in paths:
        page.goto(live_server.url + path)
        assert_accessible(page)


def test_every_page_passes_axe(page, live_server, user, staff, password):
    epci = EpciFactory(code="200000001", nom="CA Agglomération d'Agen")
    CommuneFactory(code="47001", nom="Agen", population=32801, epci=epci)
    enjeu = EnjeuFactory()
    check_pages(page, live_server, PUBLIC_PAGES)

    log_in(page, live_server, user, password)
    check_pages(page, live_server, MEMBER_PAGES)
    page.goto(live_server.url + reverse("mfa_activate_totp"))  # asks for the password again first
    assert_accessible(page)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Activer")
    assert_accessible(page)
    page.get_by_role("button", name="Se déconnecter").click()

    log_in(page, live_server, staff, password)
    check_pages(page, live_server, [*STAFF_PAGES, f"/admin/atlaas/enjeu/{enjeu.pk}/change/"])


def test_english_pages_pass_axe(browser, live_server):
    page = browser.new_context(locale="en-GB").new_page()
    page.goto(live_server.url + "/")
    expect(page.get_by_role("link", name="Skip to content")).to_be_attached()
    assert_accessible(page)
    page.goto(live_server.url + reverse("account_signup"))
    assert_accessible(page)


def test_pages_weigh_under_100_kb_transferred(page, live_server):
    EpciFactory(code="200000001")
    for path in ["/", "/accounts/login/", "/accounts/signup/", "/collectivites/200000001/"]:
        page.goto(live_server.url + path)
        transferred = page.evaluate(
            """() => performance.getEntries()
                .filter((entry) => ['navigation', 'resource'].includes(entry.entryType))
                .reduce((total, entry) => total + (entry.transferSize || entry.encodedBodySize), 0)"""
        )
        assert 0 < transferred < 100_000, f"{path} : {transferred} octets"
