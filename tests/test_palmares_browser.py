"""The public palmarès in Chromium: from the list of years to a year, two filters (région, then a
name typed without its accents), grouping by région, another year; accessible at each step; read
on a 320 px wide phone without scrolling sideways (WCAG reflow)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.a11y import assert_accessible
from tests.test_palmares import edition, publier, territoires  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_public_browses_and_filters_the_palmares(page, live_server, edition):  # noqa: F811
    publier(edition)
    page.goto(live_server.url + reverse("label:palmares_index"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Palmarès du label Territoires, Villes et Villages Internet"
    )
    assert_accessible(page)
    page.get_by_role("link", name="Palmarès 2027").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Palmarès 2027 du label Territoires, Villes et Villages Internet"
    )
    expect(page.get_by_role("heading", name="6 lauréats")).to_be_visible()
    expect(page.get_by_role("link", name="Nérac", exact=True)).to_be_visible()
    expect(page.locator(".palmares-lignes").first).to_contain_text(
        "Nérac (47) @@@@@ — Territoire d'excellence numérique, Arobase verte"
    )
    expect(page.get_by_role("heading", name="Outre-mer")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("combobox", name="Région").select_option(label="Nouvelle-Aquitaine")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("heading", name="4 lauréats sur 6")).to_be_visible()
    expect(page.get_by_role("link", name="Toulouse", exact=True)).to_have_count(0)
    expect(page.get_by_role("heading", name="Outre-mer")).to_have_count(0)
    assert_accessible(page)

    page.get_by_label("Nom de la collectivité").fill("saint etienne")
    page.get_by_role("radio", name="Région").check()
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("heading", name="1 lauréat sur 6")).to_be_visible()
    expect(page.get_by_role("heading", name="Nouvelle-Aquitaine (1)")).to_be_visible()
    expect(page.locator(".palmares-lignes")).to_have_text(
        "Saint-Étienne-de-Fougères (47) @ — première participation"
    )
    page.get_by_role("link", name="Saint-Étienne-de-Fougères").click()  # its details: its own page
    expect(page.get_by_role("heading", level=1)).to_contain_text("Saint-Étienne-de-Fougères")
    page.go_back()
    expect(page.get_by_role("combobox", name="Région")).to_have_value("75")
    assert_accessible(page)

    page.get_by_role("link", name="Retirer les filtres").click()
    expect(page.get_by_role("heading", name="6 lauréats")).to_be_visible()
    page.get_by_role("navigation", name="Palmarès des autres années").get_by_role("link", name="2026").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Palmarès 2026 du label Territoires, Villes et Villages Internet"
    )
    expect(page.get_by_text("repris de l'historique du label")).to_be_visible()
    for nom in ("Type", "Population"):  # not known for an imported year: disabled, and said why
        expect(page.get_by_role("combobox", name=nom)).to_be_disabled()
        expect(page.get_by_role("combobox", name=nom)).to_have_accessible_description(
            "Type et strate ne sont pas connus pour les années importées\u00a0: "
            "ces filtres ne s'appliquent pas."
        )
    assert_accessible(page)


def test_visitor_reads_the_palmares_in_english_with_no_cookie_but_the_language(
    page,
    live_server,
    edition,  # noqa: F811
):
    publier(edition)
    page.goto(live_server.url + reverse("label:palmares", args=[2027]) + "?region=75")
    assert page.context.cookies() == []  # the page kept for all sets none
    page.get_by_role("combobox", name="Langue").select_option("en")
    page.get_by_role("button", name="Changer de langue").click()  # the browser sends its Origin

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="4 award winners of 6")).to_be_visible()
    assert page.url.endswith("/palmares/2027/?region=75")
    assert [c["name"] for c in page.context.cookies()] == ["django_language"]


def test_palmares_reflows_on_a_320_px_phone(page, live_server, edition):  # noqa: F811
    publier(edition)
    page.set_viewport_size({"width": 320, "height": 640})
    for query in ("", "?par=region"):
        page.goto(live_server.url + reverse("label:palmares", args=[2027]) + query)
        expect(page.get_by_role("link", name="Saint-Étienne-de-Fougères")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        assert_accessible(page)
