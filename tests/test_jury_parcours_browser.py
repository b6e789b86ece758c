"""The jury's cycle in Chromium: the president, signed in with a TOTP code, sees a juror's
submitted evaluation on the steering page, opens the deliberation, decides the level with the
keyboard and closes the deliberation; every page passes axe-core."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from jury.models import Evaluation, Jury, Note
from label.models import Edition, Resultat
from tests.a11y import assert_accessible
from tests.factories import CritereFactory, EditionFactory, EvaluationFactory, JureFactory
from tests.jury import activer_mfa
from tests.test_evaluation_browser import log_in_with_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_president_steers_decides_and_closes_the_deliberation(page, live_server, password):
    edition = EditionFactory(state=Edition.State.CLOSE, cloture=timezone.now() - datetime.timedelta(days=10))
    critere = CritereFactory(edition=edition, libelle="Services publics", echelle=5)
    president = JureFactory(edition=edition, nom="Bernard Martin", president=True)
    activer_mfa(president.user)
    evaluation = EvaluationFactory(
        jure__edition=edition,
        jure__nom="Claire Dupont",
        candidature__collectivite__nom="Agen",
        state=Evaluation.State.SOUMISE,
        niveau_propose=3,
    )
    Note.objects.create(evaluation=evaluation, critere=critere, score=4)
    log_in_with_totp(page, live_server, president.user, password)

    page.get_by_role("link", name="Jury").click()
    page.get_by_role("link", name="Suivi des évaluations").click()
    row = page.get_by_role("row").filter(has_text="Agen")
    expect(row).to_contain_text("1 / 1")
    expect(row).to_contain_text("80,0")  # 4 out of 5
    assert_accessible(page)

    page.goto(live_server.url + reverse("jury:deliberation", args=[edition.annee]))
    page.get_by_role("button", name="Ouvrir la délibération").press("Enter")
    expect(page.get_by_role("status").or_(page.locator(".messages"))).to_contain_text("ouverte")
    assert_accessible(page)

    page.get_by_role("link", name="Décider Agen").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agen")
    assert_accessible(page)
    niveau = page.get_by_role("radio", name="3 arobases", exact=True)
    niveau.focus()
    page.keyboard.press("Space")
    expect(niveau).to_be_checked()
    page.get_by_label("Motivation").fill("Une politique cohérente, portée par les élus.")
    page.get_by_role("button", name="Enregistrer la décision").press("Enter")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Délibération")
    expect(page.get_by_role("row").filter(has_text="Agen")).to_contain_text("3 arobases")
    page.get_by_role("button", name="Clore la délibération").press("Enter")
    expect(page.locator("main")).to_contain_text("close")
    assert_accessible(page)

    resultat = Resultat.objects.get(candidature=evaluation.candidature)
    assert (resultat.niveau, resultat.decided_by) == (3, president.user)
    assert Jury.objects.get(edition=edition).phase == Jury.Phase.CLOSE
