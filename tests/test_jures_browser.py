"""An invited juror in Chromium: signs up from the invitation, accepts it, activates TOTP on
allauth's page, fills their profile and declares a conflict; every page passes axe-core."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from jury.models import Jure
from tests.a11y import assert_accessible
from tests.factories import CommuneFactory, DepartementFactory, JureFactory
from tests.jury import code_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_invited_juror_signs_up_accepts_activates_totp_and_fills_the_profile(
    page, live_server, mailoutbox, taxonomie
):
    jure = JureFactory(user=None, email="prof@univ-bordeaux.fr", nom="Dominique Prof", accepted_at=None)
    CommuneFactory(code="47001", nom="Agen", slug="agen")
    DepartementFactory(code="33", nom="Gironde")
    password = "Jury-2027-secret!"

    page.goto(live_server.url + reverse("jury:invitation", args=[jure.token]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitation au jury du label 2027")
    assert_accessible(page)
    page.get_by_role("link", name="Créer mon compte pour accepter").click()
    expect(page.get_by_label("Adresse e-mail")).to_have_value("prof@univ-bordeaux.fr")
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_label("Mot de passe (confirmation)").fill(password)
    page.get_by_role("button", name="Création de compte").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vérifiez votre adresse e-mail")

    [confirmation] = mailoutbox
    page.goto(re.search(r"https?://\S+", confirmation.body).group(0))
    page.get_by_role("button", name="Confirmer").click()

    # Back on the invitation, signed in with the invited address.
    expect(page).to_have_url(re.compile(f"/jury/invitation/{jure.token}/$"))
    assert_accessible(page)
    page.get_by_role("button", name="Accepter l'invitation").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Activez la double authentification")
    expect(page.get_by_text("Bienvenue au jury du Label 2027.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Activer l'application d'authentification").click()
    if page.get_by_label("Mot de passe").count():  # allauth may ask for the password again
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Confirmer").click()
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("input[name=code]").fill(code_totp(secret))
    page.get_by_role("button", name="Activer").click()
    expect(page.locator("#recovery_codes")).to_be_visible()

    page.goto(live_server.url + reverse("jury:profil", args=[2027]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon profil de juré, label 2027")
    assert_accessible(page)
    page.get_by_label("Organisation").fill("Université Bordeaux Montaigne")
    page.get_by_role("group", name="Vivre ensemble").get_by_label("Médiation").check()
    page.get_by_label("Département de résidence").select_option(label="Gironde (33)")
    page.get_by_role("button", name="Enregistrer le profil").click()
    expect(page.get_by_text("Votre profil est enregistré.")).to_be_visible()
    expect(page.get_by_label("Médiation")).to_be_checked()

    page.get_by_label(re.compile("^Collectivité")).fill("47001")
    page.get_by_label("Motif").fill("Adjoint au maire")
    page.get_by_role("button", name="Déclarer le conflit").click()
    expect(page.get_by_text("Conflit d'intérêts déclaré\u00a0: Agen (47).")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Agen (47)")).to_be_visible()
    assert_accessible(page)

    jure = Jure.objects.get(pk=jure.pk)
    assert jure.organisation == "Université Bordeaux Montaigne"
    assert jure.departement.code == "33"
    assert [c.motif for c in jure.conflits.all()] == ["Adjoint au maire"]
