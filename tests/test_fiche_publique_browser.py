"""A visitor reads a published fiche in Chromium and asks for a contact's address, keyboard only."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from atlaas.models import ContactFiche, FicheAction
from tests.a11y import assert_accessible
from tests.factories import CategorieFactory, CommuneFactory, EnjeuFactory, FicheFactory, ServiceFactory
from tests.test_fiches import PDF, stored_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_reveals_a_contact_address_with_the_keyboard(page, live_server):
    categorie = CategorieFactory(nom="Vivre ensemble", slug="vivre-ensemble")
    service = ServiceFactory(
        enjeu=EnjeuFactory(categorie=categorie, nom="Médiation", slug="mediation"),
        nom="Inclusion numérique",
        slug="inclusion-numerique",
    )
    agen = CommuneFactory(nom="Agen", code="47001", population=32801, niveau=4, niveau_millesime=2026)
    fiche = FicheFactory(
        collectivite=agen,
        titre="Espace public numérique",
        sous_titre="Un lieu d'accès libre au numérique",
        liens="https://agen.fr/epn",
        budget=12500,
        services=[service],
        contacts=[],
        state=FicheAction.State.PUBLIEE,
        published_at=timezone.now() - datetime.timedelta(days=3),
    )
    ContactFiche.objects.create(
        fiche=fiche, nom="Camille Martin", fonction="Médiatrice", email="c.martin@agen.fr"
    )
    stored_file(fiche, "Bilan.pdf", PDF, "application/pdf")
    FicheFactory(
        titre="Ateliers numériques à Boé",
        services=[service],
        state=FicheAction.State.PUBLIEE,
        published_at=timezone.now(),
    )

    page.goto(live_server.url + reverse("atlaas:fiche_publique", args=[fiche.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Espace public numérique")
    expect(page.get_by_role("img", name="niveau 4 sur 5 (label 2026)")).to_have_text("@@@@")
    expect(page.get_by_role("link", name="Ateliers numériques à Boé")).to_be_visible()
    assert "c.martin@agen.fr" not in page.content()
    assert_accessible(page)

    # Keyboard only: Tab from the collectivité's link to the button, Enter; no page load.
    page.evaluate("window.memePage = true")
    page.get_by_role("region", name="La collectivité").get_by_role("link", name="Agen").focus()
    page.keyboard.press("Tab")
    button = page.get_by_role("button", name="Afficher l'adresse e-mail de Camille Martin")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    adresse = page.get_by_role("link", name="c.martin@agen.fr")
    expect(adresse).to_be_visible()
    expect(adresse).to_have_attribute("href", "mailto:c.martin@agen.fr")
    expect(adresse).to_be_focused()
    expect(button).to_have_count(0)
    assert page.evaluate("window.memePage") is True
    assert_accessible(page)

    ariane = page.get_by_role("navigation", name="Fil d'Ariane")
    ariane.get_by_role("link", name="Inclusion numérique").click()
    expect(page).to_have_url(re.compile(r"/atlaas/\?service=inclusion-numerique$"))
