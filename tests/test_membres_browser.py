"""In Chromium: find one's collectivité and ask to join it; a référent invites a colleague who
accepts; every page passes axe-core."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from atlaas.models import Invitation, Membership
from tests.a11y import assert_accessible
from tests.factories import CommuneFactory, DepartementFactory, MembershipFactory, UserFactory
from tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_user_finds_saint_etienne_du_rouvray_and_asks_to_join_as_referent(page, live_server, user, password):
    sedr = CommuneFactory(
        nom="Saint-Étienne-du-Rouvray",
        slug="saint-etienne-du-rouvray",
        code="76575",
        codes_postaux="76800",
        population=28_000,
        departement=DepartementFactory(
            code="76", nom="Seine-Maritime", region__code="28", region__nom="Normandie"
        ),
    )
    CommuneFactory(nom="Rouvray", code="21531")
    log_in(page, live_server, user, password)

    page.goto(live_server.url + reverse("atlaas:rejoindre"))
    assert_accessible(page)
    page.get_by_label("Nom, code INSEE, SIREN ou code postal").fill("saint etienne du rouvray")
    page.get_by_label("Nom, code INSEE, SIREN ou code postal").press("Enter")
    expect(page.get_by_role("heading", name="1 résultat")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Saint-Étienne-du-Rouvray (76)").click()
    expect(
        page.get_by_role("heading", name="Demander à rejoindre Saint-Étienne-du-Rouvray (76)")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Référent", exact=True).check()
    page.get_by_label("Votre fonction").fill("Directrice des systèmes d'information")
    page.get_by_role("button", name="Envoyer la demande").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Votre demande pour Saint-Étienne-du-Rouvray (76) est envoyée."
    )
    expect(page.get_by_role("region", name="Vos collectivités")).to_contain_text(
        "demande en attente (Référent)"
    )
    assert_accessible(page)
    membership = Membership.objects.get(user=user, collectivite=sedr)
    assert (membership.state, membership.role) == (Membership.State.PENDING, Membership.Role.REFERENT)


def test_referent_invites_a_colleague_who_accepts(page, live_server, password, mailoutbox):
    referent = MembershipFactory(role=Membership.Role.REFERENT, user__email="referente@mairie.fr")
    MembershipFactory(collectivite=referent.collectivite, state=Membership.State.PENDING, message="Bonjour !")
    collegue = UserFactory(email="collegue@mairie.fr")
    members_url = live_server.url + reverse("atlaas:membres", args=[referent.collectivite.code])

    log_in(page, live_server, referent.user, password)
    page.goto(members_url)
    assert_accessible(page)
    page.get_by_label("Adresse e-mail de votre collègue").fill("pas une adresse")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.get_by_label("Adresse e-mail de votre collègue")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.get_by_label("Adresse e-mail de votre collègue").fill("collegue@mairie.fr")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation envoyée à collegue@mairie.fr")
    assert_accessible(page)
    page.get_by_role("button", name="Se déconnecter").click()

    invitation = Invitation.objects.get()
    [mail] = [m for m in mailoutbox if m.to == ["collegue@mairie.fr"]]
    assert f"/invitations/{invitation.token}/" in mail.body
    page.goto(live_server.url + reverse("atlaas:invitation", args=[invitation.token]))
    assert_accessible(page)
    page.get_by_role("main").get_by_role("link", name="Se connecter").click()
    page.get_by_label("Adresse e-mail").fill(collegue.email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Connexion").click()
    expect(page).to_have_url(re.compile(f"/invitations/{invitation.token}/$"))
    page.get_by_role("button", name="Accepter l'invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Bienvenue")
    assert_accessible(page)
    assert Membership.objects.get(user=collegue).is_active

    Invitation.objects.filter(pk=invitation.pk).update(
        accepted_at=None, expires_at=timezone.now() - datetime.timedelta(days=1)
    )
    page.goto(live_server.url + reverse("atlaas:invitation", args=[invitation.token]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitation expirée")
    assert_accessible(page)
