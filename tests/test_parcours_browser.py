"""The whole journey of a collectivité in Chromium: sign up, join, write two fiches (services
chosen with the keyboard), renew last year's dossier and submit it."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from atlaas.models import Membership, Service
from atlaas.workflow import approve_membership
from label.models import Candidature, Edition, Question, Reponse
from tests.a11y import assert_accessible
from tests.factories import (
    CandidatureFactory,
    CommuneFactory,
    EditionFactory,
    FicheFactory,
    QuestionFactory,
    UserFactory,
)
from tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LIBELLE = "Présentez votre politique numérique en quelques lignes."


def write_fiche(page, titre, service_names):
    page.get_by_role("link", name="Nouvelle fiche").click()
    page.get_by_label(re.compile(r"^Titre")).fill(titre)
    page.get_by_label("Ce qui a été fait").fill(f"{titre} : ce que la commune a réalisé cette année.")
    page.get_by_label("Date de début").fill("2026-02-01")
    contact = page.get_by_role("group", name="Contact 1")
    contact.get_by_label(re.compile(r"^Nom")).fill("Camille Martin")
    contact.get_by_label("Adresse e-mail").fill("c.martin@ser.fr")
    # The taxonomy picker with the keyboard only: Tab into it, Space on the wanted services.
    page.get_by_label("Recommandations").focus()
    for _ in range(Service.objects.count()):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.labels?.[0]?.textContent.trim()")
        if focused in service_names:
            page.keyboard.press("Space")
    for name in service_names:
        expect(page.get_by_role("checkbox", name=name)).to_be_checked()
    page.get_by_role("button", name="Enregistrer la fiche").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(titre)
    page.get_by_role("link", name=re.compile("Fiches actions")).first.click()


def test_from_sign_up_to_a_renewed_and_submitted_candidature(page, live_server, mailoutbox, staff):
    call_command("import_taxonomie", verbosity=0)
    commune = CommuneFactory(
        nom="Saint-Étienne-du-Rouvray", slug="saint-etienne-du-rouvray", code="76575", population=28_000
    )
    previous = EditionFactory(
        annee=2026,
        numero=27,
        state=Edition.State.CLOSE,
        ouverture=timezone.now() - datetime.timedelta(days=600),
        cloture=timezone.now() - datetime.timedelta(days=370),
    )
    current = EditionFactory(annee=2027, numero=28)
    QuestionFactory(section__edition=previous, libelle=LIBELLE, kind=Question.Kind.LONG_TEXT)
    QuestionFactory(section__edition=current, libelle=LIBELLE, kind=Question.Kind.LONG_TEXT)
    last_year = CandidatureFactory(edition=previous, collectivite=commune, state=Candidature.State.DEPOSEE)
    Reponse.objects.create(
        candidature=last_year, question=previous.sections.get().questions.get(), valeur="Un numérique sobre."
    )
    last_year.fiches.add(
        FicheFactory(
            collectivite=commune,
            titre="Ancienne action",
            en_cours=False,
            date_debut=datetime.date(2019, 1, 1),
            date_fin=datetime.date(2020, 1, 1),
        )
    )

    # Sign up and confirm the address.
    page.goto(live_server.url + reverse("account_signup"))
    page.get_by_label("Adresse e-mail").fill("referente@ser.fr")
    page.get_by_label("Mot de passe", exact=True).fill("Arobase-2026-x!")
    page.get_by_label("Mot de passe (confirmation)").fill("Arobase-2026-x!")
    page.get_by_role("button", name="Création de compte").click()
    page.goto(re.search(r"https?://\S+", mailoutbox[-1].body).group(0))
    page.get_by_role("button", name="Confirmer").click()

    # Join the collectivité, found without accents nor hyphens.
    nav = page.get_by_role("navigation", name="Navigation principale")
    nav.get_by_role("link", name="Mon espace").click()
    assert_accessible(page)
    page.get_by_role("link", name="Trouver ma collectivité").click()
    page.get_by_label("Nom, code INSEE, SIREN ou code postal").fill("saint etienne du rouvray")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name=re.compile("Saint-Étienne-du-Rouvray")).click()
    page.get_by_label("Référent").check()
    page.get_by_role("button", name="Envoyer la demande").click()
    membership = Membership.objects.get(user__email="referente@ser.fr")
    approve_membership(membership, staff)  # the first référent is approved by staff

    # Two fiches.
    nav.get_by_role("link", name="Mon espace").click()
    page.get_by_role("link", name=re.compile("Fiches actions")).first.click()
    write_fiche(page, "Budget participatif en ligne", {"Participation citoyenne en ligne"})
    write_fiche(
        page, "Ateliers numériques seniors", {"Accompagnement numérique des seniors", "Cybersécurité"}
    )

    # Renew last year's dossier, check and submit.
    nav.get_by_role("link", name="Mon espace").click()
    page.get_by_role("link", name="Reprendre le dossier de l'an dernier").click()
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Reprendre")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reprise du dossier précédent")
    expect(page.get_by_text("Budget participatif en ligne").first).to_be_visible()  # new since last year
    expect(page.get_by_text("Ancienne action").first).to_be_visible()  # no longer eligible
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Vérifier le dossier|Vérification")).first.click()
    expect(page.get_by_text("Rien ne manque")).to_be_visible()
    page.get_by_role("button", name="Déposer la candidature").click()
    expect(page.get_by_text("Déposée").first).to_be_visible()
    assert_accessible(page)

    candidature = Candidature.objects.get(edition=current, collectivite=commune)
    assert candidature.state == Candidature.State.DEPOSEE
    assert candidature.reponses.get().valeur == "Un numérique sobre."
    assert set(candidature.fiches.values_list("titre", flat=True)) == {
        "Budget participatif en ligne",
        "Ateliers numériques seniors",
    }
    receipt = mailoutbox[-1]
    assert receipt.to == ["referente@ser.fr"]
    assert receipt.attachments and receipt.attachments[0][2] == "application/pdf"


def test_closing_the_questionnaire_right_after_typing_loses_nothing(page, live_server, password):
    candidature = CandidatureFactory()
    question = QuestionFactory(
        section__edition=candidature.edition, kind=Question.Kind.LONG_TEXT, libelle="Stratégie"
    )
    referent = Membership.objects.create(
        user=UserFactory(),
        collectivite=candidature.collectivite,
        role=Membership.Role.REFERENT,
        state=Membership.State.ACTIVE,
    )
    log_in(page, live_server, referent.user, password)
    page.goto(live_server.url + reverse("label:questionnaire", args=[candidature.pk]))
    page.get_by_label(re.compile("^Stratégie")).fill("Un numérique sobre et partagé.")
    page.goto(live_server.url + reverse("label:espace"))  # leaves at once, within the autosave delay

    for _ in range(50):
        if Reponse.objects.filter(candidature=candidature, question=question).exists():
            break
        page.wait_for_timeout(100)
    assert (
        Reponse.objects.get(candidature=candidature, question=question).valeur
        == "Un numérique sobre et partagé."
    )
