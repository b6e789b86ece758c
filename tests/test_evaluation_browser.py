"""A juror scores a dossier in Chromium with the keyboard only: login with a TOTP code, the
dashboard, the dossier beside the form, autosave, submission; every page passes axe-core."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from jury.models import Evaluation
from label.models import Mention
from tests.a11y import assert_accessible
from tests.factories import CritereFactory, EditionFactory, EvaluationFactory, FicheFactory, JureFactory
from tests.jury import activer_mfa, code_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in_with_totp(page, live_server, user, password):
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Connexion").click()
    code = page.get_by_label("Code")
    expect(code).to_be_visible()
    assert_accessible(page)
    code.fill(code_totp())
    code.press("Enter")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def tab_until(page, locator, limit=40):
    """Press Tab until ``locator`` has the focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{locator} n'est pas atteint au clavier")


def test_a_juror_scores_a_dossier_with_the_keyboard_only(page, live_server, password, taxonomie):
    edition = EditionFactory()
    services = CritereFactory(
        edition=edition, libelle="Services publics", echelle=5, aide="Ampleur des services."
    )
    coherence = CritereFactory(edition=edition, libelle="Cohérence", echelle=10)
    mention = Mention.objects.create(edition=edition, nom="Arobase verte")
    jure = JureFactory(edition=edition, nom="Claire Dupont")
    activer_mfa(jure.user)
    evaluation = EvaluationFactory(jure=jure, candidature__collectivite__nom="Agen")
    evaluation.candidature.fiches.add(
        FicheFactory(
            collectivite=evaluation.candidature.collectivite,
            titre="Ateliers seniors",
            services=[taxonomie["inclusion"]],
        )
    )
    log_in_with_totp(page, live_server, jure.user, password)

    page.goto(live_server.url + reverse("jury:accueil"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes dossiers — jury du Label 2027")
    expect(page.get_by_role("cell", name="0 sur 2")).to_be_visible()
    assert_accessible(page)
    suivant = page.get_by_role("link", name="Dossier suivant à noter")
    tab_until(page, suivant)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Évaluation\u00a0: Agen")
    expect(page.get_by_role("heading", name="Ateliers seniors")).to_be_visible()
    expect(page.get_by_role("list", name="Services de «\u00a0Ateliers seniors\u00a0»")).to_contain_text(
        "Inclusion numérique — Médiation"
    )
    assert_accessible(page)

    # The in-page link brings the focus to the form: the next Tab is the first score group.
    tab_until(page, page.get_by_role("link", name="Aller au formulaire d'évaluation"))
    page.keyboard.press("Enter")
    first = page.get_by_role("group", name="Services publics")
    page.keyboard.press("Tab")
    expect(first.get_by_role("radio", name="0", exact=True)).to_be_focused()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    expect(first.get_by_role("radio", name="4", exact=True)).to_be_checked()
    page.keyboard.press("Tab")
    expect(first.get_by_label("Commentaire sur ce critère")).to_be_focused()
    page.keyboard.type("Des démarches en ligne nombreuses.")
    expect(page.locator("#autosave")).to_contain_text(re.compile(r"Brouillon enregistré à \d\d:\d\d"))

    page.keyboard.press("Tab")
    second = page.get_by_role("group", name="Cohérence")
    expect(second.get_by_role("radio", name="0", exact=True)).to_be_focused()
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    expect(second.get_by_role("radio", name="7", exact=True)).to_be_checked()
    page.keyboard.press("Tab")  # its comment stays empty
    page.keyboard.press("Tab")
    niveau = page.get_by_role("group", name="Niveau proposé")
    expect(niveau.get_by_role("radio", name="1 arobase", exact=True)).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(niveau.get_by_role("radio", name="3 arobases")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("checkbox", name="Arobase verte")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Commentaire pour la collectivité")).to_be_focused()
    page.keyboard.type("Bravo pour les ateliers.")
    page.keyboard.press("Tab")
    page.keyboard.type("À comparer avec Nérac.")
    assert_accessible(page)

    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Enregistrer le brouillon")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Soumettre l'évaluation")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Évaluation soumise.")
    expect(page.get_by_role("button", name="Rouvrir mon évaluation")).to_be_visible()
    expect(page.get_by_role("cell", name="7 sur 10")).to_be_visible()
    assert_accessible(page)

    evaluation = Evaluation.objects.get()
    assert evaluation.state == Evaluation.State.SOUMISE
    assert {n.critere_id: n.score for n in evaluation.notes.all()} == {services.pk: 4, coherence.pk: 7}
    assert evaluation.notes.get(critere=services).commentaire == "Des démarches en ligne nombreuses."
    assert evaluation.niveau_propose == 3
    assert list(evaluation.mentions_proposees.all()) == [mention]
    assert evaluation.commentaire_collectivite == "Bravo pour les ateliers."
    assert evaluation.note_jury == "À comparer avec Nérac."


def test_a_bad_score_typed_in_a_number_field_is_refused_with_its_message(page, live_server, password):
    edition = EditionFactory()
    CritereFactory(edition=edition, libelle="Budget", echelle=20)
    jure = JureFactory(edition=edition)
    activer_mfa(jure.user)
    evaluation = EvaluationFactory(jure=jure)
    log_in_with_totp(page, live_server, jure.user, password)
    page.goto(live_server.url + reverse("jury:evaluer", args=[edition.annee, evaluation.candidature_id]))
    note = page.get_by_label("Note sur 20")
    note.focus()
    page.keyboard.type("25")
    expect(page.locator("#autosave")).to_contain_text("Non enregistré, à corriger")
    page.get_by_role("button", name="Enregistrer le brouillon").press("Enter")
    expect(page.get_by_role("alert").first).to_contain_text("Rien n'est enregistré")
    expect(page.get_by_text("La note doit être un nombre entier de 0 à 20.")).to_be_visible()
    expect(page.get_by_label("Note sur 20")).to_have_value("25")
    expect(page.get_by_label("Note sur 20")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    assert not evaluation.notes.exists()


def test_a_juror_reads_a_fiche_in_short_then_in_full_and_comes_back(page, live_server, password, taxonomie):
    edition = EditionFactory()
    CritereFactory(edition=edition, libelle="Services publics", echelle=5)
    jure = JureFactory(edition=edition)
    activer_mfa(jure.user)
    evaluation = EvaluationFactory(jure=jure, candidature__collectivite__nom="Agen")
    evaluation.candidature.fiches.add(
        FicheFactory(
            collectivite=evaluation.candidature.collectivite,
            titre="Ateliers seniors",
            description="Deux médiateurs reçoivent les habitants chaque semaine. " * 20,
            resultats="Trois cents personnes formées en un an.",
            services=[taxonomie["inclusion"]],
        )
    )
    log_in_with_totp(page, live_server, jure.user, password)
    page.goto(live_server.url + reverse("jury:evaluer", args=[edition.annee, evaluation.candidature_id]))

    apercu = page.locator("summary", has_text="Aperçu")
    expect(page.get_by_text("Deux médiateurs reçoivent").first).to_be_hidden()
    apercu.focus()
    page.keyboard.press("Enter")  # a <details> opens with the keyboard
    expect(page.get_by_text("Deux médiateurs reçoivent").first).to_be_visible()
    expect(page.get_by_text("Trois cents personnes formées")).to_have_count(0)  # not on this page
    assert_accessible(page)

    page.get_by_role("link", name="Ateliers seniors").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ateliers seniors")
    expect(page.get_by_role("heading", name="Résultats")).to_be_visible()
    expect(page.get_by_text("Trois cents personnes formées en un an.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Retour à l'évaluation\u00a0: Agen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Évaluation\u00a0: Agen")
