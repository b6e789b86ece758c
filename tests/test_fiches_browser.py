"""A member writes a fiche action in Chromium, choosing its services with the keyboard only."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from atlaas.models import FicheAction
from tests.a11y import assert_accessible
from tests.factories import CategorieFactory, EnjeuFactory, FicheFactory, MembershipFactory, ServiceFactory
from tests.fichiers import png_bytes
from tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_writes_a_fiche_with_the_keyboard_and_submits_it(page, live_server, password):
    membership = MembershipFactory(collectivite__nom="Agen", collectivite__code="47001")
    democratie = CategorieFactory(nom="Démocratie et services publics", ordre=1)
    vivre = CategorieFactory(nom="Vivre ensemble", ordre=2)
    ServiceFactory(
        enjeu=EnjeuFactory(categorie=democratie, nom="Services publics", ordre=1),
        nom="Dématérialisation des démarches",
    )
    ServiceFactory(
        enjeu=EnjeuFactory(categorie=democratie, nom="Démocratie locale", ordre=2),
        nom="Participation citoyenne",
    )
    ServiceFactory(enjeu=EnjeuFactory(categorie=vivre, nom="Médiation"), nom="Inclusion numérique")
    log_in(page, live_server, membership.user, password)

    page.goto(live_server.url + reverse("atlaas:fiches", args=["47001"]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fiches actions d'Agen")
    assert_accessible(page)
    page.get_by_role("link", name="Nouvelle fiche").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nouvelle fiche action")
    assert_accessible(page)

    page.get_by_label(re.compile(r"^Titre")).fill("Espace public numérique")
    page.get_by_label("Ce qui a été fait").fill("Ouverture d'un espace public numérique à la médiathèque.")
    page.get_by_label("Date de début").fill("2025-03-01")
    first_contact = page.get_by_role("group", name="Contact 1")
    first_contact.get_by_label(re.compile(r"^Nom")).fill("Camille Martin")
    first_contact.get_by_label("Adresse e-mail").fill("c.martin@agen.fr")
    page.get_by_role("button", name="Enregistrer la fiche").click()

    # No service chosen: the message stands next to the group and nothing typed is lost.
    expect(page.get_by_text("Choisissez au moins un service.")).to_be_visible()
    expect(page.get_by_label(re.compile(r"^Titre"))).to_have_value("Espace public numérique")
    assert_accessible(page)

    # Keyboard only: Tab from the field before the picker, Space to tick, Tab to move on.
    demarches = page.get_by_role("checkbox", name="Dématérialisation des démarches")
    participation = page.get_by_role("checkbox", name="Participation citoyenne")
    inclusion = page.get_by_role("checkbox", name="Inclusion numérique")
    page.get_by_label("Recommandations").focus()
    page.keyboard.press("Tab")
    expect(demarches).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(participation).to_be_focused()
    page.keyboard.press("Tab")
    expect(inclusion).to_be_focused()
    page.keyboard.press("Space")
    expect(demarches).to_be_checked()
    expect(participation).not_to_be_checked()
    expect(inclusion).to_be_checked()

    page.get_by_role("button", name="Ajouter un contact").click()
    second_contact = page.get_by_role("group", name="Contact 2")
    expect(second_contact.get_by_label(re.compile(r"^Nom"))).to_be_focused()
    second_contact.get_by_label(re.compile(r"^Nom")).fill("Dominique Roux")
    second_contact.get_by_label("Adresse e-mail").fill("d.roux@agen.fr")
    page.get_by_role("button", name="Enregistrer la fiche").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Espace public numérique")
    expect(page.get_by_role("status")).to_contain_text("Fiche enregistrée en brouillon")
    assert_accessible(page)
    page.get_by_role("button", name="Soumettre à la modération").click()
    expect(page.get_by_role("status")).to_contain_text("Fiche soumise à la modération")
    expect(page.get_by_role("button", name="Retirer de la modération")).to_be_visible()
    assert_accessible(page)

    fiche = FicheAction.objects.get()
    assert fiche.state == FicheAction.State.SOUMISE
    assert sorted(s.nom for s in fiche.services.all()) == [
        "Dématérialisation des démarches",
        "Inclusion numérique",
    ]
    assert [c.nom for c in fiche.contacts.all()] == ["Camille Martin", "Dominique Roux"]

    page.get_by_role("link", name="Fiches actions d'Agen").click()
    expect(page.get_by_role("link", name="Espace public numérique")).to_be_visible()
    assert_accessible(page)


def test_staff_send_a_fiche_back_and_the_member_adds_a_photo(page, live_server, password, staff):
    membership = MembershipFactory(collectivite__nom="Boé", collectivite__code="47031")
    fiche = FicheFactory(
        collectivite=membership.collectivite, titre="Wifi public", state=FicheAction.State.SOUMISE
    )
    log_in(page, live_server, staff, password)
    page.goto(live_server.url + reverse("admin:atlaas_ficheaction_changelist"))
    page.locator(f"input[name='_selected_action'][value='{fiche.pk}']").check()
    page.locator("select[name='action']").select_option("renvoyer_a_corriger")
    page.locator("button[name='index']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Renvoyer à corriger")
    assert_accessible(page)
    page.get_by_label("Message à la collectivité").fill("Ajoutez une photo de l'espace.")
    page.get_by_role("button", name="Renvoyer à corriger").click()
    expect(page.get_by_text("1 fiche traitée.")).to_be_visible()

    page.context.clear_cookies()
    log_in(page, live_server, membership.user, password)
    page.goto(live_server.url + reverse("atlaas:fiche", args=["47031", fiche.pk]))
    expect(page.get_by_role("blockquote")).to_have_text("Ajoutez une photo de l'espace.")
    page.get_by_label(re.compile(r"^Photo ou document PDF")).set_input_files(
        {"name": "Salle de l'EPN.png", "mimeType": "image/png", "buffer": png_bytes((1, 1))}
    )
    page.get_by_label(re.compile(r"^Légende")).fill("La salle de l'espace public numérique")
    page.get_by_role("button", name="Ajouter le fichier").click()
    expect(page.get_by_role("img", name="La salle de l'espace public numérique")).to_be_visible()
    assert page.get_by_role("img").first.evaluate("img => img.naturalWidth") == 1  # served to the member
    assert_accessible(page)
    page.get_by_role("button", name="Soumettre à la modération").click()
    expect(page.get_by_role("status")).to_contain_text("Fiche soumise à la modération")
