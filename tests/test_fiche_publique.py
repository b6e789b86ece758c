"""The public page of a published fiche action: its fields, its collectivité, its contacts
(addresses shown on request only), its files, and nothing of the fiches not published."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atlaas.models import ContactFiche, FicheAction
from atlaas.workflow import revision_for_edit
from tests.factories import (
    CommuneFactory,
    EpciFactory,
    FicheFactory,
    ServiceFactory,
    UserFactory,
)
from tests.test_fiches import PDF, png_bytes, stored_file

pytestmark = pytest.mark.django_db

State = FicheAction.State
HTMX = {"HTTP_HX_REQUEST": "true"}


def publiee(days_ago=1, **kwargs):
    published_at = timezone.now() - datetime.timedelta(days=days_ago)
    return FicheFactory(state=State.PUBLIEE, published_at=published_at, **kwargs)


def page_url(fiche):
    return reverse("atlaas:fiche_publique", args=[fiche.pk])


def contact_url(fiche, contact):
    return reverse("atlaas:fiche_contact", args=[fiche.pk, contact.pk])


def fichier_url(fiche, fichier):
    return reverse("atlaas:fiche_publique_fichier", args=[fiche.pk, fichier.pk])


def text(response):
    """The page as read: entities decoded, runs of spaces and line breaks as one space."""
    return re.sub(r"[ \n]+", " ", html.unescape(response.content.decode()))


# --- The page ------------------------------------------------------------------------------------


def test_fiche_page_shows_every_published_field(client, taxonomie):
    agen = CommuneFactory(nom="Agen", code="47001", population=32801, niveau=3, niveau_millesime=2026)
    fiche = publiee(
        collectivite=agen,
        titre="Espace public numérique",
        sous_titre="Un lieu d'accès libre au numérique",
        description="Ouverture d'un espace.\nAteliers <chaque> semaine.",
        synthese="Une synthèse courte.",
        resultats="300 personnes accompagnées.",
        recommandations="Former les agents d'accueil.",
        outils="Logiciels libres",
        partenaires="Médiathèque de l'agglomération",
        liens="https://agen.fr/epn\nvoir le bulletin municipal\njavascript:alert(1)",
        public_cible="Seniors",
        date_debut=datetime.date(2024, 9, 2),
        en_cours=True,
        budget=12500,
        services=[taxonomie["demarches"], taxonomie["inclusion"]],
    )
    fiche.published_at = timezone.make_aware(datetime.datetime(2025, 1, 15, 10, 0))
    fiche.save()

    response = client.get(page_url(fiche))

    assert response.status_code == 200
    content = text(response)
    assert "<h1>Espace public numérique</h1>" in content
    assert "Un lieu d'accès libre au numérique" in content
    assert "<title> Espace public numérique — Villes Internet </title>" in content
    assert (
        '<meta name="description" content="Espace public numérique\u00a0: Un lieu d\'accès libre' in content
    )
    assert "Ouverture d'un espace.<br>Ateliers <chaque> semaine." in content  # shown as text
    assert "&lt;chaque&gt;" in response.content.decode()  # escaped before the line breaks
    for shown in (
        "Une synthèse courte.",
        "300 personnes accompagnées.",
        "Former les agents d'accueil.",
        "Logiciels libres",
        "Médiathèque de l'agglomération",
        "Seniors",
        "2 septembre 2024",
        "en cours",
        "12\xa0500\xa0€",
        "15 janvier 2025",
    ):
        assert shown in content
    lien = '<a href="https://agen.fr/epn" rel="nofollow noopener noreferrer">https://agen.fr/epn</a>'
    assert lien in content
    assert "voir le bulletin municipal" in content
    assert 'href="javascript' not in content
    # The collectivité
    assert 'Une action menée par <a href="/collectivites/47001/">Agen</a>' in content
    assert "Ville" in content
    assert "Lot-et-Garonne (47)" in content
    assert "32\xa0801 habitants" in content
    assert '<span class="arobases" role="img" aria-label="niveau 3 sur 5 (label 2026)">@@@</span>' in content


def test_fiche_page_omits_empty_fields(client):
    fiche = publiee(en_cours=False, date_fin=datetime.date(2025, 6, 30))
    content = text(client.get(page_url(fiche)))
    assert "30 juin 2025" in content
    assert "en cours" not in content
    for absent in ("synthese", "resultats", "recommandations", "outils", "partenaires", "liens", "fichiers"):
        assert f'id="{absent}"' not in content
    for absent in ("Budget", "Public visé", "Label", "Ses autres actions", "Actions similaires"):
        assert absent not in content


@pytest.mark.parametrize(
    "collectivite, label",
    [
        (lambda: CommuneFactory(population=2999), "Village (moins de 3\xa0000 habitants)"),
        (lambda: CommuneFactory(population=3000), "Ville"),
        (lambda: EpciFactory(population=80000), "Territoire (intercommunalité)"),
    ],
)
def test_fiche_page_gives_the_type_of_the_collectivite(client, collectivite, label):
    fiche = publiee(collectivite=collectivite())
    response = client.get(page_url(fiche))
    assert response.context["type_collectivite"] == label
    assert f"<dd> {label} </dd>" in text(response)


def test_fiche_page_level_without_millesime(client):
    fiche = publiee(collectivite=CommuneFactory(niveau=5))
    assert 'role="img" aria-label="niveau 5 sur 5">@@@@@</span>' in text(client.get(page_url(fiche)))


@pytest.mark.parametrize("state", [State.BROUILLON, State.SOUMISE, State.A_CORRIGER])
def test_fiche_page_of_an_unpublished_fiche_is_404(client, state):
    fiche = FicheFactory(state=state)
    assert client.get(page_url(fiche)).status_code == 404


def test_fiche_page_of_a_pending_revision_is_404_and_the_published_text_stays(client):
    fiche = publiee(titre="Texte publié")
    revision = revision_for_edit(fiche, UserFactory())
    revision.titre = "Texte en cours de modification"
    revision.state = State.SOUMISE
    revision.save()
    assert client.get(page_url(revision)).status_code == 404
    content = text(client.get(page_url(fiche)))
    assert "Texte publié" in content
    assert "Texte en cours de modification" not in content


def test_fiche_page_unknown_is_404(client):
    assert client.get("/atlaas/fiches/999999/").status_code == 404


def test_fiche_page_breadcrumb_and_services_link_to_the_filtered_catalogue(client, taxonomie):
    fiche = publiee(services=[taxonomie["inclusion"], taxonomie["demarches"]])
    content = text(client.get(page_url(fiche)))
    ariane = content.split('<nav aria-label="Fil d\'Ariane" class="ariane">')[1].split("</nav>")[0]
    # The first service in the order of the referential (catégorie, enjeu, service).
    assert '<a href="/atlaas/?categorie=democratie">Démocratie et services publics</a>' in ariane
    assert '<a href="/atlaas/?enjeu=services-publics">Services publics</a>' in ariane
    assert '<a href="/atlaas/?service=demarches">Dématérialisation des démarches</a>' in ariane
    assert "<ol>" in ariane
    services = content.split('<h2 id="services">Services</h2>')[1].split("</section>")[0]
    for slug, nom in (("demarches", "Dématérialisation des démarches"), ("inclusion", "Inclusion numérique")):
        assert f'<a href="/atlaas/?service={slug}">{nom}</a>' in services
    assert 'Enjeu\u00a0: <a href="/atlaas/?enjeu=services-publics">Services publics</a>' in services
    assert '<a href="/atlaas/?enjeu=mediation">Médiation</a>' in services


def test_fiche_page_shows_photos_and_documents(client):
    fiche = publiee(titre="Wifi & co à l'EPN")
    avec_legende = stored_file(fiche, "salle.png")
    avec_legende.legende = "La salle de l'EPN"
    avec_legende.save()
    sans_legende = stored_file(fiche, "borne.png")
    pdf = stored_file(fiche, "Délibération.pdf", PDF, "application/pdf")
    content = text(client.get(page_url(fiche)))
    assert f'<img src="{fichier_url(fiche, avec_legende)}"' in content
    assert 'alt="La salle de l\'EPN"' in content
    assert f'<img src="{fichier_url(fiche, sans_legende)}" alt="Photo' in content
    assert 'alt="Photo\u00a0: Wifi & co à l\'EPN"' in content  # escaped once
    assert content.count('loading="lazy"') == 2
    assert f'<a href="{fichier_url(fiche, pdf)}">Délibération.pdf</a>' in content
    assert f"({len(PDF)}\xa0octets)" in content


def test_fiche_page_lists_other_actions_of_the_collectivite(client):
    agen = CommuneFactory(nom="Agen", code="47001")
    fiche = publiee(collectivite=agen, days_ago=0)
    autres = [publiee(collectivite=agen, days_ago=n, titre=f"Autre {n}") for n in range(1, 9)]
    FicheFactory(collectivite=agen, titre="Brouillon d'Agen")
    response = client.get(page_url(fiche))
    assert [f.titre for f in response.context["autres"]] == [f.titre for f in autres[:6]]
    content = text(response)
    assert f'<a href="{page_url(autres[0])}">Autre 1</a>' in content
    assert "Autre 7" not in content
    assert "Brouillon d'Agen" not in content
    assert '8 autres actions publiées par <a href="/atlaas/?collectivite=47001">Agen</a> en tout.' in content


def test_fiche_page_other_actions_without_total_when_all_shown(client):
    fiche = publiee()
    publiee(collectivite=fiche.collectivite, titre="La seule autre")
    content = text(client.get(page_url(fiche)))
    assert "La seule autre" in content
    assert "en tout." not in content


def test_fiche_page_lists_similar_fiches_and_never_unpublished_ones(client, taxonomie):
    demarches = taxonomie["demarches"]
    fiche = publiee(titre="Démarches en ligne", services=[demarches])
    boe = CommuneFactory(nom="Boé", departement__code="47")
    similaire = publiee(collectivite=boe, titre="Démarches en ligne à Boé", services=[demarches])
    FicheFactory(titre="Brouillon similaire", services=[demarches])
    FicheFactory(titre="Soumise similaire", services=[demarches], state=State.SOUMISE)
    publiee(collectivite=fiche.collectivite, titre="Du même auteur", services=[demarches])
    response = client.get(page_url(fiche))
    assert response.context["similaires"] == [similaire]
    similaires = text(response).split('<h2 id="similaires">Actions similaires</h2>')[1]
    assert f'<a href="{page_url(similaire)}">Démarches en ligne à Boé</a>' in similaires
    assert "Boé (47)" in similaires
    assert "Brouillon similaire" not in similaires
    assert "Soumise similaire" not in similaires
    assert "Du même auteur" not in similaires


# --- Contacts ------------------------------------------------------------------------------------


def test_fiche_page_never_contains_the_contact_addresses(client):
    fiche = publiee(contacts=[])
    ContactFiche.objects.create(
        fiche=fiche, nom="Camille Martin", fonction="Chargée de mission", email="c@agen.fr"
    )
    ContactFiche.objects.create(fiche=fiche, nom="Dominique Roux", email="d.roux@agen.fr")
    response = client.get(page_url(fiche))
    content = text(response)
    assert "Camille Martin" in content and "Chargée de mission" in content and "Dominique Roux" in content
    assert "@agen.fr" not in content
    assert "mailto:" not in content
    assert "Afficher l'adresse e-mail de Camille Martin" in content
    assert "Afficher l'adresse e-mail de Dominique Roux" in content
    assert "csrfmiddlewaretoken" not in content  # the same page for every visitor (it is cached)
    assert response.context["contacts"][0].get_deferred_fields() == {"email"}


def test_contact_reveal_without_javascript_shows_the_page_with_that_address(client):
    fiche = publiee(titre="Wifi public", contacts=[])
    camille = ContactFiche.objects.create(fiche=fiche, nom="Camille Martin", email="c@agen.fr")
    ContactFiche.objects.create(fiche=fiche, nom="Dominique Roux", email="d.roux@agen.fr")
    response = client.post(contact_url(fiche, camille))
    assert response.status_code == 200
    content = text(response)
    assert "<h1>Wifi public</h1>" in content
    assert '<a href="mailto:c@agen.fr" autofocus>c@agen.fr</a>' in content
    assert "Afficher l'adresse e-mail de Camille Martin" not in content
    assert "d.roux@agen.fr" not in content
    assert "Afficher l'adresse e-mail de Dominique Roux" in content
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex"


def test_contact_reveal_with_htmx_answers_a_fragment(client):
    fiche = publiee()
    contact = fiche.contacts.get()
    response = client.post(contact_url(fiche, contact), **HTMX)
    assert response.status_code == 200
    content = text(response)
    assert "<html" not in content
    assert "Adresse e-mail de Camille Martin\u00a0:" in content
    assert '<a href="mailto:c.martin@mairie.fr" autofocus>c.martin@mairie.fr</a>' in content
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex"


def test_contact_form_swaps_itself_with_htmx(client):
    fiche = publiee()
    url = contact_url(fiche, fiche.contacts.get())
    content = text(client.get(page_url(fiche)))
    assert f'action="{url}" data-hx-post="{url}"' in content
    assert 'data-hx-target="this"' in content and 'data-hx-swap="outerHTML"' in content
    assert "vendor/htmx.min.js" in content


def test_contact_reveal_get_is_405(client):
    fiche = publiee()
    assert client.get(contact_url(fiche, fiche.contacts.get())).status_code == 405


@pytest.mark.parametrize(
    "headers", [{"Origin": "https://ailleurs.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}]
)
def test_contact_reveal_from_another_site_is_refused(headers):
    fiche = publiee()
    client = Client(enforce_csrf_checks=True)
    response = client.post(contact_url(fiche, fiche.contacts.get()), headers=headers, **HTMX)
    assert response.status_code == 403
    assert "mairie.fr" not in text(response)


def test_contact_reveal_needs_no_token_from_a_cached_page():
    """The page is kept for every anonymous visitor: its button carries no token, the reveal
    checks the request's origin instead."""
    fiche = publiee()
    premier, second = Client(), Client(enforce_csrf_checks=True)
    premier.get(page_url(fiche))
    page = second.get(page_url(fiche))
    assert page.context is None and "csrftoken" not in page.cookies  # the cached page
    reponse = second.post(
        contact_url(fiche, fiche.contacts.get()), headers={"Origin": "http://testserver"}, **HTMX
    )
    assert reponse.status_code == 200 and "mailto:" in text(reponse)


def test_contact_of_another_fiche_is_404(client):
    fiche, autre = publiee(), publiee()
    response = client.post(contact_url(fiche, autre.contacts.get()))
    assert response.status_code == 404
    assert "mairie.fr" not in text(response)


@pytest.mark.parametrize("state", [State.BROUILLON, State.SOUMISE, State.A_CORRIGER])
def test_contact_of_an_unpublished_fiche_is_404(client, state):
    fiche = FicheFactory(state=state)
    assert client.post(contact_url(fiche, fiche.contacts.get())).status_code == 404


def test_contact_of_a_pending_revision_is_404(client):
    fiche = publiee()
    revision = revision_for_edit(fiche, UserFactory())
    contact = revision.contacts.get()
    assert client.post(contact_url(revision, contact)).status_code == 404
    assert client.post(contact_url(fiche, contact)).status_code == 404


def test_contact_reveal_is_limited_to_twenty_an_hour_per_ip(client):
    fiche = publiee()
    url = contact_url(fiche, fiche.contacts.get())
    for _ in range(20):
        assert client.post(url, **HTMX).status_code == 200
    response = client.post(url, **HTMX)
    assert response.status_code == 429
    assert "réessayez dans une heure" in text(response)
    assert "c.martin@mairie.fr" not in text(response)
    assert response["Cache-Control"] == "private, no-store"
    response = client.post(url)  # without JavaScript: the page, with the message
    assert response.status_code == 429
    content = text(response)
    assert "réessayez dans une heure" in content
    assert "c.martin@mairie.fr" not in content
    assert "<h1>" in content
    # Another address is not concerned.
    assert client.post(url, REMOTE_ADDR="192.0.2.7").status_code == 200


def test_contact_reveal_limit_uses_the_client_ip_behind_a_proxy(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    fiche = publiee()
    url = contact_url(fiche, fiche.contacts.get())
    for _ in range(20):
        assert client.post(url, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert client.post(url, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    assert client.post(url, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200


# --- Files ---------------------------------------------------------------------------------------


def test_fiche_file_served_publicly_and_cached(client):
    fiche = publiee()
    photo = stored_file(fiche, "photo.png")
    pdf = stored_file(fiche, "Délibération du conseil.pdf", PDF, "application/pdf")
    response = client.get(fichier_url(fiche, photo))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["X-Content-Type-Options"] == "nosniff"
    response = client.get(fichier_url(fiche, pdf))
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "public, max-age=86400"


def test_fiche_file_of_another_fiche_is_404(client):
    fiche, autre = publiee(), publiee()
    fichier = stored_file(autre)
    assert client.get(fichier_url(fiche, fichier)).status_code == 404


@pytest.mark.parametrize("state", [State.BROUILLON, State.SOUMISE, State.A_CORRIGER])
def test_fiche_file_of_an_unpublished_fiche_is_404(client, state):
    fiche = FicheFactory(state=state)
    assert client.get(fichier_url(fiche, stored_file(fiche))).status_code == 404


def test_fiche_file_of_a_pending_revision_is_404(client):
    fiche = publiee()
    revision = revision_for_edit(fiche, UserFactory())
    nouveau = stored_file(revision, "nouvelle-photo.png")
    assert client.get(fichier_url(revision, nouveau)).status_code == 404
    assert client.get(fichier_url(fiche, nouveau)).status_code == 404


# --- Queries -------------------------------------------------------------------------------------


def test_fiche_page_query_count_does_not_grow(client, django_assert_num_queries):
    counts = []
    for size in (1, 5):
        collectivite = CommuneFactory()
        services = [ServiceFactory() for _ in range(size)]
        fiche = publiee(collectivite=collectivite, services=services, contacts=[])
        for n in range(size):
            ContactFiche.objects.create(fiche=fiche, nom=f"Contact {n}", email=f"c{n}@mairie.fr")
            stored_file(fiche, f"photo{n}.png")
            stored_file(fiche, f"doc{n}.pdf", PDF, "application/pdf")
            publiee(collectivite=collectivite, services=services)
            publiee(services=services[:1])  # similar, elsewhere
        url = page_url(fiche)
        if not counts:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
        else:
            with django_assert_num_queries(counts[0]):
                response = client.get(url)
            assert len(response.context["services"]) == 5
            assert len(response.context["contacts"]) == 5
            assert len(response.context["autres"]) == 5
            assert len(response.context["similaires"]) == 4
    print(f"fiche publique : {counts[0]} requêtes")
    assert counts[0] <= 8


def test_contact_reveal_limit_counts_an_ipv6_network_as_one_client(client):
    fiche = publiee()
    url = contact_url(fiche, fiche.contacts.get())
    for n in range(20):
        assert client.post(url, REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}").status_code == 200
    assert client.post(url, REMOTE_ADDR="2001:db8:1:2:ffff::1").status_code == 429
    assert client.post(url, REMOTE_ADDR="2001:db8:1:3::1").status_code == 200
