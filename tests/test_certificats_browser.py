"""In Chromium: a laureate's member downloads the certificate from /espace/, gets the badge's
code, and the public checks the certificate on its verification page."""

import datetime
import subprocess

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from label import publication
from label.models import Document, Edition, Resultat
from tests.a11y import assert_accessible
from tests.factories import CandidatureFactory, CommuneFactory, EditionFactory, MembershipFactory
from tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_laureate_downloads_certificate_and_public_checks_it(page, live_server, password, tmp_path):
    edition = EditionFactory(
        annee=2027,
        state=Edition.State.CLOSE,
        cloture=timezone.now() - datetime.timedelta(days=60),
        resultats_clos_at=timezone.now(),
        ceremonie_date=datetime.date(2027, 1, 28),
        ceremonie_lieu="Agen",
    )
    commune = CommuneFactory(nom="Saint-Étienne-de-Tinée", code="06120")
    candidature = CandidatureFactory(edition=edition, collectivite=commune, state="deposee", type="village")
    Resultat.objects.create(candidature=candidature, niveau=4)
    membre = MembershipFactory(collectivite=commune).user
    publication.publier(edition)  # the certificates are generated at commit (Celery runs eagerly)
    document = Document.objects.get(kind=Document.Kind.CERTIFICAT)
    assert document.state == Document.State.PRET

    log_in(page, live_server, membre, password)
    page.goto(live_server.url + reverse("label:espace"))
    expect(page.get_by_role("cell", name="4 arobases")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Certificat 2027 (PDF)").click()
    assert download.value.suggested_filename == "certificat-saint-etienne-de-tinee-2027.pdf"
    fichier = tmp_path / "certificat.pdf"
    download.value.save_as(fichier)
    texte = subprocess.run(["pdftotext", str(fichier), "-"], capture_output=True, check=True).stdout.decode()
    assert "Saint-Étienne-de-Tinée" in texte and "4 arobases" in texte

    page.get_by_role("link", name="Badge 2027 pour votre site").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Badge du label 2027")
    code = page.get_by_label("Code HTML à copier dans une page de votre site")
    expect(code).to_have_attribute("readonly", "")
    expect(code).to_have_value(
        f'<a href="{settings.SITE_URL}/collectivites/06120/">'
        f'<img src="{settings.SITE_URL}/collectivites/06120/badge-2027.svg" '
        'alt="Saint-Étienne-de-Tinée\u00a0: '
        'label Territoires, Villes et Villages Internet 2027, 4 arobases" width="180" height="72"></a>'
    )
    expect(page.get_by_role("img", name="Saint-Étienne-de-Tinée\u00a0: label Territoires")).to_be_visible()
    assert_accessible(page)

    page.goto(live_server.url + reverse("label:certificat_verification", args=[document.uuid]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificat authentique")
    expect(page.get_by_text("Saint-Étienne-de-Tinée", exact=True)).to_be_visible()
    assert_accessible(page)

    response = page.goto(live_server.url + "/certificats/3f2b8c1e-0000-4000-8000-000000000000/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificat inconnu")
    assert_accessible(page)
