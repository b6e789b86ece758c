"""/.well-known/security.txt (RFC 9116): where to report a vulnerability."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

SITE = "https://label.villes-internet.net"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def champs(response):
    return [ligne.split(": ", 1) for ligne in response.content.decode().splitlines()]


def test_security_txt_gives_the_contact_an_expiry_within_a_year_languages_and_its_address(client):
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().endswith("\n")
    lus = dict(champs(response))
    assert list(lus) == ["Contact", "Expires", "Preferred-Languages", "Canonical"]
    assert lus["Contact"] == "mailto:label@villes-internet.net"
    assert lus["Preferred-Languages"] == "fr, en"
    assert lus["Canonical"] == f"{SITE}/.well-known/security.txt" == SITE + reverse("security_txt")
    expires = datetime.datetime.strptime(lus["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    now = timezone.now()
    assert now + datetime.timedelta(days=364) < expires <= now + datetime.timedelta(days=365)


def test_security_txt_contact_comes_from_the_settings(client, settings):
    settings.SECURITY_CONTACT = "https://www.villes-internet.net/securite"
    assert dict(champs(client.get("/.well-known/security.txt")))["Contact"] == settings.SECURITY_CONTACT


def test_security_txt_is_read_only(client):
    assert client.post("/.well-known/security.txt").status_code == 405
