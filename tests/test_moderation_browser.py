"""Staff moderate in Chromium: the queue, a revision's diff, sending it back with the keyboard."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from atlaas.models import FicheAction
from atlaas.workflow import revision_for_edit, set_fiche_state
from tests.a11y import assert_accessible
from tests.factories import FicheFactory, MembershipFactory
from tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

State = FicheAction.State


def test_staff_read_a_revision_diff_and_send_it_back_with_the_keyboard(page, live_server, password, staff):
    membership = MembershipFactory(collectivite__nom="Agen", collectivite__code="47001")
    published = FicheFactory(
        collectivite=membership.collectivite,
        titre="Ateliers numériques",
        description="Des ateliers pour les seniors le mardi.",
        state=State.PUBLIEE,
    )
    revision = revision_for_edit(published, membership.user)
    revision.description = "Des ateliers pour les familles le mardi."
    revision.save()
    set_fiche_state(revision, State.SOUMISE, by=membership.user)
    set_fiche_state(
        FicheFactory(collectivite=membership.collectivite, titre="Wifi public"),
        State.SOUMISE,
        by=membership.user,
    )
    log_in(page, live_server, staff, password)

    page.goto(live_server.url + reverse("atlaas:moderation"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Modération des fiches actions")
    expect(page.get_by_role("heading", level=2)).to_have_text("2 fiches à modérer")
    assert_accessible(page)
    page.get_by_label("Type de demande").select_option(label="Modifications de fiches publiées")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("1 fiche à modérer")
    expect(page.get_by_role("cell", name="Modification d'une fiche publiée")).to_be_visible()
    page.get_by_role("link", name="Ateliers numériques").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Ateliers numériques")
    changes = page.locator("section", has=page.get_by_role("heading", name="Modifications par rapport"))
    expect(changes.locator("del")).to_have_text("supprimé\u00a0: seniors")
    expect(changes.locator("ins")).to_have_text("ajouté\u00a0: familles")
    expect(changes.get_by_text("Titre", exact=True)).to_have_count(0)  # unchanged fields are left out
    assert_accessible(page)

    # Keyboard only: from « Publier », Tab to the message, then to « Renvoyer pour correction ».
    message = page.get_by_label("Message à la collectivité")
    page.get_by_role("button", name="Publier").focus()
    page.keyboard.press("Tab")
    expect(message).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Renvoyer pour correction")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Écrivez ce qu'il faut corriger.")).to_be_visible()
    expect(message).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    message.focus()
    page.keyboard.type("Précisez le public des ateliers.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(
        "Fiche «\u00a0Ateliers numériques\u00a0» renvoyée à la collectivité pour correction."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Modération des fiches actions")
    expect(page.get_by_role("link", name="Wifi public")).to_be_visible()  # the next fiche
    assert_accessible(page)

    revision.refresh_from_db()
    assert revision.state == State.A_CORRIGER
    assert revision.moderation_message == "Précisez le public des ateliers."
    published.refresh_from_db()
    assert published.description == "Des ateliers pour les seniors le mardi."
