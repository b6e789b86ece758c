"""Public pages: home, a collectivité of the referential, health, errors; weight and queries."""

import datetime
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from outbox.models import Envoi
from tests.factories import CommuneFactory, EpciFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def test_home_shows_key_figures_of_the_referential(client, django_assert_max_num_queries):
    epci = EpciFactory(population=3500)
    CommuneFactory(population=2000, epci=epci)
    CommuneFactory(population=1500, epci=epci)
    ServiceFactory.create_batch(3)
    with django_assert_max_num_queries(7):  # with the public years of the palmarès (then cached)
        response = client.get(reverse("home"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<strong>2</strong> communes" in page
    assert "<strong>1</strong> intercommunalités" in page
    assert "<strong>3\xa0500</strong> habitants" in page
    assert "3 services numériques référencés" in page


def test_home_and_stylesheet_weigh_under_100_kb(client):
    html = client.get(reverse("home")).content
    css = Path(finders.find("css/portail.css")).read_bytes()
    assert len(html) + len(css) < 100_000


def test_collectivite_page_of_an_epci_lists_its_members(client, django_assert_max_num_queries):
    epci = EpciFactory(nom="CA Agglomération d'Agen", population=3500)
    CommuneFactory(nom="Agen", code="47001", population=2000, epci=epci)
    CommuneFactory(nom="Boé", population=1500, epci=epci)
    with django_assert_max_num_queries(5):  # with the label history, the EPCI's and members' labels
        response = client.get(reverse("atlaas:collectivite", args=[epci.code]))
    page = response.content.decode()
    assert "2 communes membres" in page
    assert page.index("Agen") < page.index("Boé")  # largest first
    commune_page = client.get(reverse("atlaas:collectivite", args=["47001"])).content.decode()
    assert "CA Agglomération d&#x27;Agen" in commune_page


def test_collectivite_page_query_count_does_not_grow_with_members(client, django_assert_num_queries):
    small, large = EpciFactory(), EpciFactory()
    CommuneFactory(epci=small)
    CommuneFactory.create_batch(40, epci=large)
    with django_assert_num_queries(5):
        client.get(reverse("atlaas:collectivite", args=[small.code]))
    with django_assert_num_queries(5):
        client.get(reverse("atlaas:collectivite", args=[large.code]))


def test_unknown_collectivite_is_a_french_404(client):
    response = client.get("/collectivites/99999/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_health_reports_database_and_cache(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["cache"] == "ok"
    assert response.json()["envois"] == {"en_attente": 0, "echecs": 0, "plus_ancien_s": 0}


def test_health_reports_the_age_of_the_oldest_row_owed(client):
    Envoi.objects.create(
        key="recu:1:1", kind=Envoi.Kind.COURRIEL, created_at=timezone.now() - datetime.timedelta(minutes=12)
    )
    Envoi.objects.create(key="k", kind=Envoi.Kind.TACHE, task="x", state=Envoi.State.ECHEC)
    response = client.get(reverse("health"))
    assert response.status_code == 200  # a late outbox is a page for the team, not for the balancer
    assert response.json()["envois"] == {"en_attente": 1, "echecs": 1, "plus_ancien_s": 720}


def test_health_is_503_without_the_database(client, django_db_blocker):
    """Only the database takes an instance out of service; without Redis it answers 200
    (tests/test_redis_panne.py)."""
    with django_db_blocker.block():
        response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["database"].startswith("erreur")
    assert response.json()["cache"] == "ok"


def test_english_is_available(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in page
    assert "Skip to content" in page


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://ailleurs.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://ailleurs.example", "Sec-Fetch-Site": "same-origin"},
    ],
)
def test_language_change_from_another_site_is_refused(headers):
    from django.test import Client

    visiteur = Client(enforce_csrf_checks=True)
    response = visiteur.post(reverse("set_language"), {"language": "en", "next": "/"}, headers=headers)
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()
    assert '<html lang="fr">' in visiteur.get(reverse("home")).content.decode()


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://testserver"}, {"Sec-Fetch-Site": "same-origin"}, {}],
)
def test_language_change_needs_no_token_from_the_portal(headers):
    from django.test import Client

    visiteur = Client(enforce_csrf_checks=True)
    response = visiteur.post(reverse("set_language"), {"language": "en", "next": "/"}, headers=headers)
    assert response.status_code == 302
    assert '<html lang="en">' in visiteur.get(reverse("home")).content.decode()


def test_language_change_from_a_trusted_origin(settings):
    from django.test import Client

    settings.CSRF_TRUSTED_ORIGINS = ["https://*.villes-internet.net"]
    for origine, statut in [
        ("https://www.villes-internet.net", 302),
        ("https://villes-internet.net.ailleurs.example", 403),
        ("http://www.villes-internet.net", 403),
    ]:
        response = Client().post(reverse("set_language"), {"language": "en"}, headers={"Origin": origine})
        assert response.status_code == statut, origine


def test_language_change_is_a_post():
    from django.test import Client

    assert Client().get(reverse("set_language"), {"language": "en"}).status_code == 405


def test_english_catalog_translates_every_string():
    catalog = (Path(__file__).resolve().parent.parent / "locale/en/LC_MESSAGES/django.po").read_text()
    untranslated = [
        entry
        for entry in catalog.split("\n\n")[1:]
        if re.search(r'^msgstr(\[0\])? ""$', entry, re.M)
        and not re.search(r'^msgstr(\[0\])? ""\n"', entry, re.M)
    ]
    assert not untranslated, "\n\n".join(untranslated)
    # A fuzzy entry is not compiled: the English page would show the French text.
    vivantes = [entry for entry in catalog.split("\n\n")[1:] if re.search(r"^msgid ", entry, re.M)]  # not #~
    fuzzy = [entry for entry in vivantes if re.search(r"^#,.*\bfuzzy\b", entry, re.M)]
    assert not fuzzy, "\n\n".join(fuzzy)
    # xgettext does not read Python's \\u escapes: a msgid holding one is never looked up.
    escapes = [entry for entry in vivantes if re.search(r"\\\\u[0-9a-f]{4}", entry)]
    assert not escapes, "\n\n".join(escapes)


def test_collectivite_page_shows_its_level_and_links_to_its_actions(client):
    from atlaas.models import FicheAction
    from tests.factories import CommuneFactory, FicheFactory

    agen = CommuneFactory(nom="Agen", code="47001", niveau=4, niveau_millesime=2026)
    FicheFactory.create_batch(2, collectivite=agen, state=FicheAction.State.PUBLIEE)
    FicheFactory(collectivite=agen, state=FicheAction.State.BROUILLON)
    page = client.get(reverse("atlaas:collectivite", args=["47001"])).content.decode()
    assert "(niveau 4 sur 5, label 2026)" in page
    assert 'href="/atlaas/?collectivite=47001"' in page
    assert "Ses 2 actions numériques publiées dans l'Atlaas" in page


def test_legal_pages_name_publisher_host_and_contact(client, settings):
    settings.EDITEUR = "Association Villes Internet, 10 rue de l'Exemple, 75000 Paris"
    settings.HEBERGEUR = "Hébergeur Exemple SAS, 1 quai de l'Hébergement, 59100 Roubaix"
    settings.CONTACT_DONNEES = "donnees@villes-internet.net"
    page = client.get(reverse("mentions_legales")).content.decode()
    assert "10 rue de l&#x27;Exemple" in page
    assert "Hébergeur Exemple SAS" in page
    assert 'href="mailto:donnees@villes-internet.net"' in page
    assert f'href="{reverse("donnees_personnelles")}"' in page


def test_privacy_page_states_purposes_recipients_retention_rights(client, settings):
    settings.CONTACT_DONNEES = "donnees@villes-internet.net"
    response = client.get(reverse("donnees_personnelles"))
    page = response.content.decode()
    assert response.status_code == 200
    for heading in [
        "Responsable du traitement",
        "Qui les voit",
        "Combien de temps",
        "Vos droits",
        "Réclamation",
    ]:
        assert f">{heading}</h2>" in page
    assert "Après 3 ans sans connexion, il est supprimé" in page
    assert "un e-mail vous prévient 30 jours avant" in page
    assert "Les membres du jury de l'édition" in page
    assert "cnil.fr" in page
    assert 'href="mailto:donnees@villes-internet.net"' in page
    assert f'href="{reverse("rgpd:mes_donnees")}"' in page


def test_footer_sitemap_and_signup_link_to_the_legal_pages(client):
    legal = [reverse("mentions_legales"), reverse("donnees_personnelles")]
    for url in [reverse("home"), reverse("plan_du_site"), reverse("account_signup")]:
        page = client.get(url).content.decode()
        for link in legal:
            assert f'href="{link}"' in page, (url, link)
    signup = client.get(reverse("account_signup")).content.decode()
    assert signup.count(f'href="{reverse("donnees_personnelles")}"') == 2  # footer and form
