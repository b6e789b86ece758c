"""Two members edit one dossier in Chromium: autosave, then the conflict with both versions;
every page of the dossier passes axe-core."""

import re
import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from atlaas.models import Membership
from label.models import Question, Reponse
from tests.a11y import assert_accessible
from tests.factories import (
    CandidatureFactory,
    CommuneFactory,
    EditionFactory,
    EnjeuFactory,
    FicheFactory,
    MembershipFactory,
    QuestionFactory,
    SectionFactory,
    ServiceFactory,
)
from tests.fichiers import pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = pdf_bytes()


def sign_in(context, live_server, user):
    """Open a session for the user in this browser context (the login form is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def watch_csp(page):
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text)
            if "Content Security Policy" in message.text and message.location.get("url")
            else None
        ),
    )
    return blocked


@pytest.fixture
def dossier():
    edition = EditionFactory()
    commune = CommuneFactory(nom="Agen", code="47001", population=32801)
    referente = MembershipFactory(
        collectivite=commune,
        role=Membership.Role.REFERENT,
        user__first_name="Claire",
        user__last_name="Durand",
    ).user
    collegue = MembershipFactory(
        collectivite=commune, user__first_name="Dominique", user__last_name="Lefèvre"
    ).user
    section = SectionFactory(edition=edition, titre="Gouvernance numérique")
    elu = QuestionFactory(
        section=section, libelle="Élu chargé du numérique", aide="Nom et délégation.", required=True
    )
    QuestionFactory(
        section=section, libelle="Stratégie numérique", kind=Question.Kind.LONG_TEXT, required=False
    )
    QuestionFactory(section=section, libelle="Schéma directeur adopté", kind=Question.Kind.YES_NO)
    QuestionFactory(section=section, libelle="Délibération", kind=Question.Kind.FILE, required=False)
    candidature = CandidatureFactory(edition=edition, collectivite=commune, created_by=referente)
    return {"candidature": candidature, "referente": referente, "collegue": collegue, "elu": elu}


def test_two_members_autosave_then_the_second_gets_the_conflict_with_both_versions(
    page, browser, live_server, dossier
):
    candidature, elu = dossier["candidature"], dossier["elu"]
    address = live_server.url + reverse("label:questionnaire", args=[candidature.pk])
    sign_in(page.context, live_server, dossier["referente"])
    other_context = browser.new_context(locale="fr-FR")
    sign_in(other_context, live_server, dossier["collegue"])
    other = other_context.new_page()
    other.set_default_timeout(8_000)
    other_blocked = watch_csp(other)

    page.goto(address)
    other.goto(address)  # both pages are made from version 1
    assert_accessible(page)

    field = page.get_by_label("Élu chargé du numérique")
    typed_at = time.perf_counter()
    with page.expect_response(lambda response: "/autosave/" in response.url) as autosave:
        field.fill("Mme Claire Durand, adjointe au numérique")
    expect(page.locator("#autosave")).to_contain_text(re.compile(r"Enregistré à \d\d:\d\d"))
    shown_after = time.perf_counter() - typed_at
    timing = autosave.value.request.timing
    round_trip = timing["responseEnd"] - timing["requestStart"] if timing["responseEnd"] > 0 else None
    server_round_trip = page.evaluate(
        """() => performance.getEntriesByType('resource')
            .filter((entry) => entry.name.includes('/autosave/'))
            .map((entry) => entry.responseEnd - entry.startTime)[0]"""
    )
    print(
        f"\nautosave : aller-retour {server_round_trip:.1f} ms (Resource Timing), "
        f"{round_trip if round_trip is None else round(round_trip, 1)} ms (Playwright), "
        f"statut affiché {shown_after * 1000:.0f} ms après la saisie (dont 1 s d'attente de fin de frappe)"
    )
    expect(page.locator("#id_version")).to_have_value("2")
    assert Reponse.objects.get(question=elu).valeur == "Mme Claire Durand, adjointe au numérique"
    assert_accessible(page)

    other.get_by_label("Élu chargé du numérique").fill("M. Dominique Lefèvre")
    status = other.locator("#autosave")
    expect(status).to_contain_text("Non enregistré\u00a0: Claire Durand a modifié le dossier")
    conflict = other.locator("#conflit")
    expect(conflict).to_contain_text("Claire Durand a enregistré le questionnaire")
    expect(conflict.locator(".conflit__leur")).to_have_text("Mme Claire Durand, adjointe au numérique")
    expect(conflict.locator(".conflit__mien")).to_have_text("M. Dominique Lefèvre")
    expect(other.get_by_label("Élu chargé du numérique")).to_have_value("M. Dominique Lefèvre")  # kept
    assert Reponse.objects.get(question=elu).valeur == "Mme Claire Durand, adjointe au numérique"
    assert_accessible(other)

    other.get_by_role("button", name="Garder ma version").click()
    expect(other.get_by_role("status").first).to_contain_text("Brouillon enregistré à")
    expect(other.get_by_label("Élu chargé du numérique")).to_have_value("M. Dominique Lefèvre")
    assert Reponse.objects.get(question=elu).valeur == "M. Dominique Lefèvre"

    # The first member's page is now behind: typing shows the conflict, and they take the other one.
    strategie = page.get_by_label("Stratégie numérique")
    strategie.fill("Un plan en trois axes.")
    expect(page.locator("#conflit")).to_contain_text("Dominique Lefèvre a enregistré le questionnaire")
    with page.expect_response(lambda response: "/autosave/" in response.url):
        strategie.blur()  # leaving the field saves it at once (here: the conflict again)
    page.get_by_role("link", name="Prendre sa version (abandonner la mienne)").click()
    expect(page.get_by_label("Élu chargé du numérique")).to_have_value("M. Dominique Lefèvre")
    expect(page.get_by_label("Stratégie numérique")).to_have_value("")
    other_context.close()
    assert not other_blocked


def test_every_page_of_the_dossier_passes_axe(page, live_server, dossier):
    candidature = dossier["candidature"]
    commune = candidature.collectivite
    enjeu = EnjeuFactory(nom="Médiation numérique")
    FicheFactory(collectivite=commune, titre="Ateliers seniors", services=[ServiceFactory(enjeu=enjeu)])
    FicheFactory(
        collectivite=commune,
        titre="Ancien portail",
        date_debut=candidature.edition.closing_date().replace(year=2010),
        date_fin=candidature.edition.closing_date().replace(year=2011),
        en_cours=False,
    )
    FicheFactory(titre="Tiers-lieu numérique", services=[ServiceFactory()], state="publiee")
    other = CommuneFactory(nom="Boé", population=5000)
    MembershipFactory(collectivite=other, user=dossier["referente"], role=Membership.Role.REFERENT)
    sign_in(page.context, live_server, dossier["referente"])

    page.goto(live_server.url + reverse("label:candidature_start", args=[other.code]))
    expect(page.get_by_role("button", name="Démarrer la candidature")).to_be_visible()
    assert_accessible(page)

    page.goto(live_server.url + reverse("label:candidature", args=[candidature.pk]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dossier de candidature")
    assert_accessible(page)

    page.get_by_role("link", name="Fiches", exact=True).click()
    expect(page.get_by_text("Non éligible\u00a0: terminée depuis plus de deux ans.")).to_be_visible()
    expect(page.get_by_label("Ancien portail")).to_be_disabled()
    assert_accessible(page)
    page.get_by_label("Ateliers seniors").check()
    expect(page.locator("#selection-statut")).to_contain_text("Sélection enregistrée à")
    expect(page.locator("#selection-statut")).to_contain_text("1 enjeu couvert sur 3")
    assert candidature.fiches.count() == 1
    assert_accessible(page)

    page.get_by_role("link", name="Pièces jointes").click()
    page.get_by_label("Fichier").set_input_files(
        {"name": "délibération.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Ajouter au dossier").click()
    expect(page.get_by_role("link", name="délibération.pdf")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Fichier").set_input_files(
        {"name": "script.pdf", "mimeType": "application/pdf", "buffer": b"#!/bin/sh\necho"}
    )
    page.get_by_role("button", name="Ajouter au dossier").click()
    expect(page.get_by_text("Ce fichier n'est pas accepté")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Mosaïque").click()
    expect(page.get_by_text("Tiers-lieu numérique")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Questionnaire").click()
    page.get_by_label("Élu chargé du numérique").fill("x" * 301)
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator(".field--error .errorlist")).to_contain_text("au plus 300 caractères")
    assert_accessible(page)
