"""The observatoire in Chromium: reached from the site's navigation, a filter and a comparison
chosen with the keyboard-usable GET form (no JavaScript needed), an invalid value in the address
said next to its field; accessible (axe-core) at each step."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.a11y import assert_accessible
from tests.test_observatoire import fiches, services  # noqa: F401 - fixtures
from tests.test_palmares import edition, publiee, territoires  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NBSP, NNBSP = "\u00a0", "\u202f"


def test_public_reads_the_observatoire(page, live_server, fiches, publiee):  # noqa: F811
    page.goto(live_server.url + reverse("home"))
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Observatoire"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Observatoire du label")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("combobox", name="De l’année").select_option("2019")
    page.get_by_role("combobox", name="À l’année").select_option("2027")
    page.get_by_role("button", name="Afficher").click()
    expect(
        page.get_by_text(f"passe de 25{NNBSP}% à 67{NNBSP}% des fiches entre 2019 et 2026")
    ).to_be_visible()
    expect(page.get_by_role("img", name="Lauréats du label par niveau, de 2019 à 2027")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("combobox", name="Type de collectivité").select_option(label="Village")
    page.get_by_role("radio", name="Région").check()
    page.get_by_role("button", name="Afficher").click()
    assert "type=village" in page.url and "comparer=region" in page.url  # a shareable address
    expect(page.get_by_text("des fiches des villages entre 2019 et 2026").first).to_be_visible()
    expect(
        page.get_by_role("table", name="Part des fiches de 2019 à 2027 par enjeu, selon le groupe")
    ).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Les chiffres détaillés").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Les chiffres détaillés de l’observatoire")
    expect(page.get_by_role("table", name="Part des fiches de l’année, par service")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Revenir à l’observatoire").click()
    assert "type=village" in page.url and "comparer=region" in page.url  # the same choices

    page.goto(live_server.url + reverse("observatoire:observatoire") + "?region=XX&type=village")
    expect(page.get_by_role("combobox", name="Région")).to_have_value("")
    expect(page.locator(".errorlist")).to_contain_text("Sélectionnez un choix valide")
    expect(page.get_by_role("combobox", name="Type de collectivité")).to_have_value("village")
    assert_accessible(page)


def test_observatoire_reflows_on_a_phone(page, live_server, fiches, publiee):  # noqa: F811
    """At 320 px (WCAG reflow) the page does not scroll sideways: a wide table scrolls in its own
    box, which the keyboard reaches."""
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(live_server.url + reverse("observatoire:observatoire") + "?debut=2019&fin=2027&comparer=region")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    boite = page.locator(".table-defilante:visible").first
    boite.focus()
    expect(boite).to_be_focused()
    assert_accessible(page)
