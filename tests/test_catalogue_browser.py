"""The Atlaas catalogue in Chromium: search, refine with two facets, open a fiche, follow its
breadcrumb back to the catalogue; and the same search without JavaScript."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from atlaas.models import FicheAction
from tests.a11y import assert_accessible, assert_targets_large_enough
from tests.factories import (
    CategorieFactory,
    CommuneFactory,
    DepartementFactory,
    EnjeuFactory,
    FicheFactory,
    RegionFactory,
    ServiceFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def atlaas():
    vivre = CategorieFactory(nom="Vivre ensemble", slug="vivre-ensemble")
    mediation = EnjeuFactory(nom="Médiation", slug="mediation", categorie=vivre)
    education = EnjeuFactory(nom="Éducation", slug="education", categorie=vivre)
    seniors = ServiceFactory(nom="Accompagnement numérique des seniors", slug="seniors", enjeu=mediation)
    ecoles = ServiceFactory(nom="Soutien aux écoles", slug="ecoles", enjeu=education)
    bretagne = RegionFactory(code="53", nom="Bretagne")
    village = CommuneFactory(
        nom="Plouguerneau",
        code="29195",
        population=6_000,
        departement=DepartementFactory(code="29", nom="Finistère", region=bretagne),
    )
    village.population = 2_500
    village.save()
    ville = CommuneFactory(nom="Agen", code="47001", population=32_801)

    def publiee(titre, collectivite, service, description="Des ateliers chaque semaine."):
        return FicheFactory(
            titre=titre,
            description=description,
            collectivite=collectivite,
            services=[service],
            state=FicheAction.State.PUBLIEE,
            published_at=timezone.now(),
        )

    return {
        "cible": publiee("Médiation numérique pour les seniors du bourg", village, seniors),
        "ville": publiee("Médiation numérique à la médiathèque d'Agen", ville, seniors),
        "ecole": publiee("Médiation numérique à l'école", village, ecoles),
        "autre": publiee("Budget participatif", ville, ecoles, "Les habitants votent pour des projets."),
    }


def test_search_refine_with_two_facets_open_a_fiche_and_follow_its_breadcrumb(page, live_server, atlaas):
    page.goto(live_server.url + reverse("atlaas:catalogue"))
    expect(page.get_by_role("heading", level=2, name=re.compile("4 actions trouvées"))).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Rechercher une action").fill("mediation numerique")
    page.keyboard.press("Enter")
    resultats = page.locator("#resultats-titre")
    expect(resultats).to_contain_text("3 actions trouvées")
    expect(page).to_have_url(re.compile(r"\?q=mediation(\+|%20)numerique"))
    expect(page.locator(".resultat mark").first).to_have_text(re.compile("[Mm]édiation"))
    # The search box keeps the focus and the count is announced to screen readers.
    expect(page.get_by_label("Rechercher une action")).to_be_focused()
    expect(page.locator("#annonce")).to_have_text("3 actions trouvées")

    facettes = page.get_by_role("complementary", name="Affiner la recherche")
    expect(page).to_have_title(re.compile("«\u00a0mediation numerique\u00a0» dans l'Atlaas"))
    facettes.get_by_role("link", name=re.compile(r"^Médiation 2 actions")).click()
    expect(resultats).to_contain_text("2 actions trouvées")
    # The link followed is gone with the old results: the focus goes to the new ones.
    expect(page.locator("#resultats")).to_be_focused()
    facettes.get_by_role("link", name=re.compile(r"^Village \(moins de 3\s000 habitants\) 1 action")).click()
    expect(resultats).to_contain_text("1 action trouvée")
    expect(page).to_have_url(re.compile(r"enjeu=mediation"))
    expect(page).to_have_url(re.compile(r"type=village"))
    expect(facettes.get_by_role("region", name="Filtres choisis")).to_contain_text("Enjeu\u00a0: Médiation")
    assert_accessible(page)

    # The address is the search: reloading it shows the same results.
    page.reload()
    expect(resultats).to_contain_text("1 action trouvée")

    page.get_by_role("link", name="Médiation numérique pour les seniors du bourg").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Médiation numérique pour les seniors du bourg")
    page.get_by_role("navigation", name="Fil d'Ariane").get_by_role(
        "link", name="Accompagnement numérique des seniors"
    ).click()
    expect(page).to_have_url(re.compile(r"/atlaas/\?service=seniors$"))
    expect(resultats).to_contain_text("2 actions trouvées")

    # Back in history, the refined search is there again.
    page.go_back()
    page.go_back()
    expect(resultats).to_contain_text("1 action trouvée")


def test_the_catalogue_works_without_javascript(browser, live_server, atlaas):
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    page.goto(live_server.url + reverse("atlaas:catalogue") + "?q=médiation")
    expect(page.locator("#resultats-titre")).to_contain_text("3 actions trouvées")
    page.get_by_role("link", name=re.compile(r"^Village \(moins de 3\s000 habitants\) 2 actions")).click()
    expect(page.locator("#resultats-titre")).to_contain_text("2 actions trouvées")
    expect(page).to_have_url(re.compile(r"type=village"))
    page.get_by_label("Rechercher une action").fill("budget")
    page.get_by_role("button", name="Rechercher").click()
    # A new search keeps the filters chosen: none of Agen's fiches is in a village.
    expect(page.locator("#resultats-titre")).to_contain_text("Aucune action trouvée")
    page.get_by_role("link", name=re.compile(r"Type de collectivité\s: Village")).click()
    expect(page.locator("#resultats-titre")).to_contain_text("1 action trouvée")
    context.close()


def test_the_page_links_are_targets_of_at_least_24_by_24_pixels(page, live_server, atlaas):
    for numero in range(60):
        FicheFactory(
            titre=f"Atelier numérique {numero}",
            collectivite=atlaas["ville"].collectivite,
            services=[atlaas["ville"].services.first()],
            state=FicheAction.State.PUBLIEE,
            published_at=timezone.now(),
        )
    page.goto(live_server.url + reverse("atlaas:catalogue") + "?q=atelier&page=2")
    liens = page.get_by_role("navigation", name="Pages de résultats").get_by_role("link")
    expect(liens).to_have_count(6)  # previous, pages 1 to 4, next
    for lien in liens.all():
        box = lien.bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, (lien.inner_text(), box)
    assert_targets_large_enough(page)
    assert_accessible(page)
