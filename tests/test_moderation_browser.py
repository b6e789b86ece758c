"""Staff moderate in Chromium: the queue, a revision's diff, sending it back with the keyboard."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from atlaas.models import FicheAction
from atlaas.workflow import revision_for_edit, set_fiche_state
from tests.a11y import assert_accessible, assert_targets_large_enough
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


def test_staff_search_filter_and_sort_the_queue_without_javascript(
    browser, page, live_server, password, staff
):
    agen = MembershipFactory(collectivite__nom="Agen", collectivite__code="47001")
    for numero in range(53):
        set_fiche_state(
            FicheFactory(collectivite=agen.collectivite, titre=f"Atelier numérique {numero}"),
            State.SOUMISE,
            by=agen.user,
        )
    rouen = MembershipFactory(collectivite__nom="Rouen", collectivite__code="76540")
    wifi = FicheFactory(collectivite=rouen.collectivite, titre="Wifi public")
    set_fiche_state(wifi, State.SOUMISE, by=rouen.user)
    log_in(page, live_server, staff, password)
    page.goto(live_server.url + reverse("atlaas:moderation") + "?q=atelier")
    assert_accessible(page)
    pages = page.get_by_role("navigation", name="Pages de la file de modération")
    expect(pages.get_by_role("link")).to_have_count(1)  # « Page suivante »
    for lien in pages.get_by_role("link").all():
        box = lien.bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, (lien.inner_text(), box)
    assert_targets_large_enough(page)

    # The same session in a browser without JavaScript: the form and the pages are plain links.
    context = browser.new_context(
        java_script_enabled=False, locale="fr-FR", storage_state=page.context.storage_state()
    )
    sans_js = context.new_page()
    sans_js.goto(live_server.url + reverse("atlaas:moderation"))
    expect(sans_js.get_by_role("heading", level=2)).to_have_text("54 fiches à modérer")
    recherche = sans_js.get_by_role("search", name="Rechercher et filtrer les fiches à modérer")
    recherche.get_by_label("Rechercher").fill("atelier agen")
    recherche.get_by_label("Département").select_option("47")
    recherche.get_by_label("Ordre").select_option(label="La plus récemment soumise d'abord")
    recherche.get_by_role("button", name="Filtrer").click()
    expect(sans_js.get_by_role("heading", level=2)).to_have_text("53 fiches à modérer")
    expect(sans_js.get_by_role("row").nth(1)).to_contain_text("Atelier numérique 52")
    sans_js.get_by_role("navigation", name="Pages de la file de modération").get_by_role(
        "link", name="Page suivante"
    ).click()
    expect(sans_js.get_by_role("row").nth(1)).to_contain_text("Atelier numérique 2")
    expect(recherche.get_by_label("Rechercher")).to_have_value("atelier agen")  # kept across pages
    expect(recherche.get_by_label("Département")).to_have_value("47")
    context.close()
