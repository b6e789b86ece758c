"""A visitor reads a collectivité's label history in Chromium: the chart, its summary, the
distinctions, the year-by-year table; then goes from the commune to its intercommunalité."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from atlaas.models import FicheAction
from label.models import HistoriqueComplet, Labellisation
from tests.a11y import assert_accessible
from tests.factories import CommuneFactory, EpciFactory, FicheFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_reads_a_label_history_and_goes_to_the_intercommunalite(page, live_server):
    epci = EpciFactory(nom="Agglomération d'Agen", code="200035459")
    agen = CommuneFactory(
        nom="Agen", code="47001", population=32801, epci=epci, niveau=5, niveau_millesime=2026
    )
    CommuneFactory(nom="Boé", code="47031", population=5700, epci=epci)
    FicheFactory(collectivite=agen, state=FicheAction.State.PUBLIEE)
    for annee, niveau, ten, mentions in [
        (2009, 2, False, ""),
        (2012, 3, False, "Mention libre"),
        (2021, 5, True, ""),
        (2022, 5, False, "Arobase verte\nDémocratie locale"),
        (2026, 5, True, ""),
    ]:
        Labellisation.objects.create(
            collectivite=agen, annee=annee, niveau=niveau, ten=ten, mentions=mentions
        )
    Labellisation.objects.create(collectivite=epci, annee=2025, niveau=3)
    HistoriqueComplet.objects.create(annee=2010)  # the whole 2010 palmarès is loaded

    page.goto(live_server.url + reverse("atlaas:collectivite", args=["47001"]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Agen")
    chart = page.get_by_role("img", name="Niveau du label de 2009 à 2026, de 1 à 5 arobases")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] > 300
    expect(chart.locator("rect.historique__barre")).to_have_count(5)
    expect(chart.locator("rect.historique__absence")).to_have_count(1)  # 2010: no label
    expect(chart.locator("text.historique__inconnu")).to_have_count(12)  # no data for those years
    expect(page.get_by_text("«\u00a0?\u00a0»\u00a0: aucune donnée pour cette année-là")).to_be_visible()
    expect(page.locator("figcaption")).to_have_text("Label obtenu 5 fois depuis 2009, 5@ en 2026.")
    expect(page.get_by_text("Territoire d'excellence numérique 2026, valable jusqu'en 2028")).to_be_visible()
    expect(page.get_by_text("Mentions 2022\u00a0: Arobase verte, Démocratie locale")).to_be_visible()
    expect(page.get_by_role("link", name="Son action numérique publiée dans l'Atlaas")).to_be_visible()
    assert_accessible(page)

    table = page.get_by_role("table", name="Labels obtenus par Agen")
    expect(table).to_be_hidden()
    summary = page.get_by_text("Tous les labels obtenus, année par année")
    summary.focus()
    page.keyboard.press("Enter")
    expect(table).to_be_visible()
    expect(table.get_by_role("row")).to_have_count(6)
    expect(table.get_by_role("row", name="2012")).to_contain_text("Mention libre")
    expect(table.get_by_role("img", name="niveau 3 sur 5")).to_have_text("@@@")
    assert_accessible(page)

    expect(page.get_by_text("dernier label en 2025")).to_be_visible()
    page.get_by_role("link", name="Agglomération d'Agen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agglomération d'Agen")
    expect(page.get_by_role("heading", name="2 communes membres")).to_be_visible()
    members = page.get_by_role("table", name="Communes membres, leur population et leur dernier label")
    expect(members.get_by_role("row", name="Agen")).to_contain_text("2026")
    expect(members.get_by_role("row", name="Boé")).to_contain_text("aucun label")
    expect(page.get_by_role("img", name="Niveau du label en 2025, de 1 à 5 arobases")).to_be_visible()
    assert_accessible(page)
