"""« Mes données » in Chromium: an archive asked, followed while it is prepared, downloaded; then
the account deleted once its consequences are read and confirmed."""

import json
import zipfile

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from atlaas.models import Membership
from outbox import envois
from rgpd import export
from rgpd.models import Archive
from tests.a11y import assert_accessible
from tests.factories import MembershipFactory, UserFactory
from tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def redonner_mot_de_passe(page, password):
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirmer")
    assert_accessible(page)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Confirmer").click()


def test_mes_donnees_archive_followed_until_ready_then_account_deleted(
    page, live_server, password, monkeypatch
):
    user = UserFactory(email="camille@mairie-agen.fr", first_name="Camille", last_name="Martin")
    MembershipFactory(user=user, role=Membership.Role.REFERENT, collectivite__nom="Agen")
    # No worker takes the outbox's rows until the test plays it: the archive stays « en cours ».
    monkeypatch.setattr(envois, "remettre", lambda ids, apres_commit=False: 0)
    log_in(page, live_server, user, password)

    page.get_by_role("link", name="Mon compte").click()
    page.get_by_role("link", name="Mes données").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes données")
    assert_accessible(page)
    page.get_by_role("button", name="Préparer mon archive").click()
    redonner_mot_de_passe(page, password)
    status = page.get_by_role("status").filter(has_text="Archive du")
    expect(status).to_contain_text("en cours de préparation")
    assert_accessible(page)

    export.generer(Archive.objects.get(user=user).pk)  # the worker's run
    link = page.get_by_role("link", name="Télécharger l'archive")
    expect(link).to_be_visible()  # the page follows the preparation by itself
    expect(status).to_contain_text("prête")
    with page.expect_download() as download:
        link.click()
    with zipfile.ZipFile(download.value.path()) as archive:
        assert json.loads(archive.read("donnees.json"))["compte"]["email"] == "camille@mairie-agen.fr"

    page.get_by_role("link", name="Voir comment supprimer mon compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Supprimer mon compte")
    expect(page.get_by_role("heading", name="Vous êtes le seul référent de Agen (47)")).to_be_visible()
    expect(page.get_by_text("signé «\u00a0un ancien membre\u00a0»")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    expect(
        page.get_by_text("Cochez cette case pour confirmer la suppression de votre compte.")
    ).to_be_visible()
    assert_accessible(page)
    assert get_user_model().objects.filter(pk=user.pk).exists()

    page.get_by_label("J'ai lu ce qui précède et je supprime mon compte, définitivement.").check()
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    expect(page.get_by_role("status")).to_contain_text("Votre compte est supprimé.")
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()
    assert not get_user_model().objects.filter(pk=user.pk).exists()
