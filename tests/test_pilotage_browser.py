"""The president steers 60 dossiers in Chromium: sort and filters by the GET form, pages by
links, with the keyboard; every page passes axe-core."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.a11y import assert_accessible
from tests.jury import activer_mfa
from tests.test_evaluation_browser import log_in_with_totp
from tests.test_pilotage_taille import ANNEE, edition_nationale

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_president_sorts_filters_and_pages_the_dossiers(page, live_server, password):
    _, president, jures, _ = edition_nationale(dossiers=60)
    activer_mfa(president.user)
    log_in_with_totp(page, live_server, president.user, password)
    page.goto(live_server.url + reverse("jury:pilotage", args=[ANNEE]))
    statut = page.get_by_role("status").filter(has_text="retenus")
    expect(statut).to_contain_text("60 dossiers retenus sur 60. Dossiers 1 à 50 ci-dessous.")
    assert_accessible(page)

    page.get_by_label("Trier par").select_option(label="Département")
    page.get_by_role("combobox", name="Juré").select_option(label=jures[7].nom)
    page.get_by_role("button", name="Appliquer").press("Enter")
    expect(statut).to_contain_text("8 dossiers retenus sur 60.")  # 9 assigned, one of them masked
    expect(page.get_by_label("Trier par")).to_have_value("departement")
    assert_accessible(page)

    page.get_by_role("combobox", name="Juré").select_option(label="Tous les jurés")
    page.get_by_role("button", name="Appliquer").press("Enter")
    page.get_by_role("link", name="Page suivante").press("Enter")
    expect(page.get_by_text("Page 2 sur 2")).to_be_visible()
    expect(statut).to_contain_text("Dossiers 51 à 60 ci-dessous.")
    expect(page.get_by_label("Trier par")).to_have_value("departement")  # the sort is kept
    expect(page.get_by_role("table").last.get_by_role("row")).to_have_count(11)  # header and 10
