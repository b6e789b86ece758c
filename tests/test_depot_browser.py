"""In Chromium: reviewing a dossier, submitting it, reopening it, renewing last year's one."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from atlaas.models import FicheAction, Membership
from label.models import Candidature, Edition, Reponse
from tests.a11y import assert_accessible
from tests.factories import (
    CandidatureFactory,
    CommuneFactory,
    EditionFactory,
    FicheFactory,
    MembershipFactory,
    QuestionFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Arobase-2026-secret!"


def log_in(page, live_server, user):
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def dossier(complete=True):
    edition = EditionFactory()
    commune = CommuneFactory(nom="Agen", code="47001")
    referent = MembershipFactory(collectivite=commune, role=Membership.Role.REFERENT)
    contributeur = MembershipFactory(collectivite=commune)
    candidature = CandidatureFactory(edition=edition, collectivite=commune)
    question = QuestionFactory(section__edition=edition, libelle="Qui pilote la stratégie numérique ?")
    Reponse.objects.create(candidature=candidature, question=question, valeur="Une adjointe au numérique")
    if complete:
        candidature.fiches.add(FicheFactory(collectivite=commune))
    return candidature, referent, contributeur


def test_verification_lists_what_is_missing_and_refuses_a_contributeur_reopening(page, live_server):
    candidature, _referent, contributeur = dossier(complete=False)
    log_in(page, live_server, contributeur.user)

    page.goto(live_server.url + reverse("label:verification", args=[candidature.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérification et dépôt")
    expect(page.get_by_role("main")).to_contain_text("Sélectionnez au moins une fiche action éligible")
    expect(page.get_by_role("button", name="Déposer la candidature")).to_have_count(0)
    assert_accessible(page)

    page.goto(live_server.url + reverse("label:rouvrir", args=[candidature.pk]))
    expect(page.get_by_role("main")).to_contain_text("Seul un référent de la collectivité peut rouvrir")
    assert_accessible(page)


def test_submit_a_complete_dossier_then_reopen_it(page, live_server, mailoutbox):
    candidature, referent, _contributeur = dossier()
    log_in(page, live_server, referent.user)

    page.goto(live_server.url + reverse("label:verification", args=[candidature.pk]))
    expect(page.get_by_role("main")).to_contain_text("Rien ne manque")
    assert_accessible(page)
    page.get_by_role("button", name="Déposer la candidature").click()

    expect(page.get_by_role("heading", name="Déposée le")).to_contain_text(f"par {referent.user}")
    expect(page.get_by_role("status")).to_contain_text("Candidature déposée.")
    expect(page.get_by_role("button", name="Déposer la candidature")).to_have_count(0)
    assert_accessible(page)
    assert len(mailoutbox) == 2

    page.get_by_role("link", name="Historique").click()
    expect(page.get_by_role("table")).to_contain_text("Déposée")
    assert_accessible(page)

    page.get_by_role("link", name="Vérification et dépôt").click()
    page.get_by_role("link", name="Retirer la candidature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retirer la candidature")
    assert_accessible(page)
    page.get_by_role("link", name="Annuler").click()

    page.get_by_role("link", name="Rouvrir la candidature").click()
    assert_accessible(page)
    page.get_by_role("button", name="Rouvrir la candidature").click()
    expect(page.get_by_role("status")).to_contain_text("La candidature est rouverte")
    expect(page.get_by_role("button", name="Déposer la candidature")).to_be_visible()
    assert Candidature.objects.get(pk=candidature.pk).state == Candidature.State.BROUILLON


def test_renew_last_year_dossier_and_read_the_summary(page, live_server):
    edition = EditionFactory()
    referent = MembershipFactory(role=Membership.Role.REFERENT, collectivite=CommuneFactory(nom="Agen"))
    now = timezone.now()
    previous_edition = EditionFactory(
        annee=2026,
        numero=27,
        state=Edition.State.CLOSE,
        ouverture=now - datetime.timedelta(days=600),
        cloture=now - datetime.timedelta(days=340),
    )
    previous = CandidatureFactory(
        edition=previous_edition,
        collectivite=referent.collectivite,
        state=Candidature.State.DEPOSEE,
        submitted_at=now - datetime.timedelta(days=345),
    )
    ended = FicheFactory(
        collectivite=referent.collectivite,
        titre="Borne interactive",
        date_debut=datetime.date(2020, 1, 1),
        date_fin=datetime.date(2024, 6, 1),
        en_cours=False,
    )
    FicheAction.objects.filter(pk=ended.pk).update(created_at=now - datetime.timedelta(days=400))
    previous.fiches.add(ended)
    FicheFactory(collectivite=referent.collectivite, titre="Application mobile")
    log_in(page, live_server, referent.user)

    page.goto(live_server.url + reverse("label:reprendre", args=[referent.collectivite.code]))
    assert_accessible(page)
    page.get_by_role("button", name="Reprendre le dossier 2026").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Reprise du dossier précédent")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Borne interactive — terminée depuis plus de deux ans")
    expect(main).to_contain_text("Application mobile — ajoutée à la sélection")
    assert_accessible(page)
    assert Candidature.objects.get(edition=edition).renewed_from == previous
