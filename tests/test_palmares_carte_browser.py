"""The palmarès' map in Chromium: a keyboard user tabs to a département, sees where the focus
is, follows the link to its laureates; the map's page, its table's page and a collectivité's
situation map are accessible."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.a11y import assert_accessible
from tests.test_palmares import edition, publier, territoires  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUS = "rgb(255, 191, 71)"  # --focus


def test_keyboard_user_follows_a_departement_of_the_map(page, live_server, edition):  # noqa: F811
    publier(edition)
    page.goto(live_server.url + reverse("label:palmares", args=[2027]))
    lot = page.get_by_role("link", name=re.compile(r"^Lot-et-Garonne \(47\)"))
    expect(lot).to_have_accessible_name(
        "Lot-et-Garonne (47)\u00a0: 4 lauréats, meilleur niveau 5 arobases, 100\u202f% des communes couvertes"
    )
    expect(page.get_by_role("link", name=re.compile(r"^Haute-Garonne \(31\)"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^La Réunion \(974\)"))).to_be_visible()
    expect(page.get_by_text("Contours\u00a0: IGN Admin Express, Licence Ouverte")).to_be_visible()
    assert_accessible(page)

    # The data table, on its page beside the map, says the same; on a phone it scrolls, not the page.
    page.get_by_role("link", name="Tableau des lauréats par département").click()
    tableau = page.get_by_role("table", name="6 lauréats, par département")
    expect(tableau.get_by_role("row", name="Lot-et-Garonne (47) 4 5 arobases 100\u202f%")).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1280, "height": 800})
    page.go_back()

    chemin = page.locator('a[href="?departement=47#laureats-titre"] path')
    avant = chemin.evaluate("p => getComputedStyle(p).fill")
    for _ in range(80):  # from the top of the page, the keyboard only
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == "?departement=47#laureats-titre":
            break
    else:
        pytest.fail("Lot-et-Garonne n’est pas atteint au clavier")
    # A visible focus: the département turns to the focus colour, with a thick dark border.
    style = chemin.evaluate("p => [getComputedStyle(p).fill, getComputedStyle(p).strokeWidth]")
    assert style == [FOCUS, "2.5px"] and avant != FOCUS
    page.screenshot(path="/tmp/palmares_carte_focus.png")

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/palmares/2027/\?departement=47#laureats-titre$"))
    expect(page.get_by_role("heading", name="4 lauréats sur 6")).to_be_visible()
    expect(page.get_by_role("textbox", name="Département")).to_have_value("47")
    expect(lot).to_have_attribute("aria-current", "true")
    assert_accessible(page)


def test_collectivite_page_map_names_the_place(page, live_server, territoires):  # noqa: F811
    page.goto(live_server.url + reverse("atlaas:collectivite", args=["47001"]))
    carte = page.get_by_role("img", name="Agen, Lot-et-Garonne (47)")
    expect(carte).to_be_visible()
    assert carte.bounding_box()["width"] > 100
    expect(page.get_by_text("Contours\u00a0: IGN Admin Express, Licence Ouverte")).to_be_visible()
    page.screenshot(path="/tmp/collectivite_carte.png", full_page=True)
    assert_accessible(page)
