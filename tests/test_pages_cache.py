"""Public pages kept in the cache for anonymous visitors (``villes_internet.pages``): the home
page, the Atlaas' landing page, a fiche's page and a collectivité's page. A second anonymous
visit reads no session and makes no query; a publication or a change shows at once; signed-in
visitors, other languages, query strings and HTMX get their own page."""

import datetime
import gzip
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.handlers.base import BaseHandler
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import timezone

from atlaas import catalogue
from atlaas.models import FicheAction
from atlaas.workflow import revision_for_edit, set_fiche_state
from tests.factories import CommuneFactory, FicheFactory, StaffFactory, UserFactory
from villes_internet import pages

pytestmark = pytest.mark.django_db

State = FicheAction.State


@pytest.fixture
def fiche():
    agen = CommuneFactory(nom="Agen", code="47001")
    return FicheFactory(
        collectivite=agen,
        titre="Wifi public",
        state=State.PUBLIEE,
        published_at=timezone.now() - datetime.timedelta(days=1),
    )


def adresses(fiche):
    return [
        reverse("home"),
        reverse("atlaas:catalogue"),
        reverse("atlaas:fiche_publique", args=[fiche.pk]),
        reverse("atlaas:collectivite", args=[fiche.collectivite.code]),
    ]


def publier(fiche, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        set_fiche_state(fiche, State.SOUMISE, by=UserFactory())
        return set_fiche_state(fiche, State.PUBLIEE, by=StaffFactory())


@pytest.mark.parametrize("page", range(4))
def test_second_anonymous_visit_is_a_cache_hit_without_query(fiche, page, django_assert_num_queries):
    url = adresses(fiche)[page]
    premiere = Client().get(url)
    assert premiere.status_code == 200 and premiere.context is not None
    visiteur = Client()
    with django_assert_num_queries(0):
        seconde = visiteur.get(url)
    assert seconde.status_code == 200
    assert seconde.context is None  # nothing rendered
    assert seconde.content == premiere.content
    assert not seconde.cookies  # no session, no CSRF cookie
    assert "csrfmiddlewaretoken" not in seconde.content.decode()


def test_a_publication_shows_at_once_on_every_cached_page(fiche, django_capture_on_commit_callbacks):
    visiteur = Client()
    for url in adresses(fiche):
        visiteur.get(url)
    nouvelle = FicheFactory(collectivite=fiche.collectivite, titre="Médiathèque numérique")
    publier(nouvelle, django_capture_on_commit_callbacks)
    accueil, atlaas, page, collectivite = (visiteur.get(url).content.decode() for url in adresses(fiche))
    assert "<strong>2</strong> actions numériques publiées" in accueil
    assert "Médiathèque numérique" in atlaas
    assert "Médiathèque numérique" in page  # « ses autres actions »
    assert "Ses 2 actions numériques publiées" in collectivite


def test_a_change_of_the_fiche_shows_at_once(client, fiche, django_capture_on_commit_callbacks):
    url = reverse("atlaas:fiche_publique", args=[fiche.pk])
    assert "<h1>Wifi public</h1>" in client.get(url).content.decode()
    revision = revision_for_edit(fiche, UserFactory())
    revision.titre = "Wifi public et gratuit"
    revision.save()
    publier(revision, django_capture_on_commit_callbacks)
    assert "<h1>Wifi public et gratuit</h1>" in client.get(url).content.decode()


def test_a_signed_in_member_gets_the_live_page(fiche):
    for url in adresses(fiche):
        Client().get(url)  # kept for anonymous visitors
        membre = Client()
        membre.force_login(UserFactory(first_name="Camille"))
        response = membre.get(url)
        assert response.context is not None, url  # rendered for them
        assert "Se déconnecter" in response.content.decode()
        assert "csrfmiddlewaretoken" in response.content.decode()  # their sign-out form's


def test_each_language_has_its_page(fiche):
    url = reverse("atlaas:fiche_publique", args=[fiche.pk])
    assert '<html lang="fr">' in Client().get(url).content.decode()
    anglophone = Client(headers={"Accept-Language": "en"})
    assert '<html lang="en">' in anglophone.get(url).content.decode()
    anglophone.cookies["django_language"] = "en"
    assert '<html lang="en">' in anglophone.get(url).content.decode()
    assert '<html lang="fr">' in Client().get(url).content.decode()


def test_a_query_string_or_htmx_gets_the_live_page(fiche):
    url = reverse("atlaas:catalogue")
    Client().get(url)
    assert Client().get(url, {"q": "wifi"}).context is not None
    assert Client().get(url, headers={"HX-Request": "true"}).context is not None
    assert Client().get(url).context is None


def test_a_pending_message_gets_the_live_page(fiche):
    url = reverse("home")
    Client().get(url)
    visiteur = Client()
    visiteur.cookies["messages"] = "x"
    assert visiteur.get(url).context is not None


def test_a_missing_page_is_not_kept(client):
    url = reverse("atlaas:fiche_publique", args=[999999])
    assert client.get(url).status_code == 404
    assert client.get(url).status_code == 404


def test_a_cache_emptied_drops_the_pages_of_every_process(client, fiche):
    """Redis emptied (or its versions lost): new versions, so that no process' memory serves a
    page of before; each process notices within ``VERSIONS_SECONDES`` (here: at once)."""
    url = reverse("atlaas:collectivite", args=[fiche.collectivite.code])
    assert "Son action numérique publiée" in client.get(url).content.decode()
    FicheAction.objects.filter(pk=fiche.pk).update(state=State.BROUILLON)
    cache.clear()
    pages.oublier()  # the second this process trusts its copy of the versions has passed
    assert "Son action numérique publiée" not in client.get(url).content.decode()


# --- Served again whole, before Django's views (PagesGardees) ----------------------------------------


def test_a_kept_page_is_served_again_before_any_url_is_resolved(fiche):
    url = reverse("atlaas:fiche_publique", args=[fiche.pk])
    premiere = Client().get(url)
    with mock.patch.object(BaseHandler, "resolve_request", side_effect=AssertionError("résolue")):
        seconde = Client().get(url)
    assert seconde.content == premiere.content
    # Every middleware's headers, as the page was first sent.
    for entete in ("Content-Security-Policy", "X-Frame-Options", "Content-Language", "Vary"):
        assert seconde[entete] == premiere[entete], entete


def test_a_kept_page_is_sent_compressed_as_it_was_first_compressed(fiche):
    url = reverse("atlaas:collectivite", args=[fiche.collectivite.code])
    gzip_ = {"Accept-Encoding": "gzip, deflate, br"}
    premiere = Client().get(url, headers=gzip_)
    seconde = Client().get(url, headers=gzip_)
    assert seconde["Content-Encoding"] == "gzip"
    # Django's gzip writes each stream differently (BREACH): the same bytes are the kept ones.
    assert seconde.content == premiere.content
    brute = Client().get(url)  # a client without gzip gets the page uncompressed
    assert "Content-Encoding" not in brute
    assert gzip.decompress(seconde.content) == brute.content


def test_a_conditional_or_head_request_goes_the_whole_way(fiche):
    url = reverse("home")
    Client().get(url)
    resolues = []
    resoudre = BaseHandler.resolve_request

    def compter(handler, request):
        resolues.append(request.method)
        return resoudre(handler, request)

    with mock.patch.object(BaseHandler, "resolve_request", compter):
        Client().get(url)  # from memory
        assert resolues == []
        assert Client().head(url).status_code == 200
        for entete in ("If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since"):
            Client().get(url, headers={entete: '"x"'})
        Client().get(url, headers={"HX-Request": "true"})
    assert resolues == ["HEAD", "GET", "GET", "GET", "GET", "GET"]


def test_a_kept_page_is_not_sent_for_a_host_the_portal_does_not_serve(fiche):
    url = reverse("home")
    assert Client().get(url).status_code == 200
    assert Client().get(url, headers={"Host": "ailleurs.example"}).status_code == 400


def test_a_page_whose_data_changed_while_it_was_built_is_not_kept_as_new(fiche):
    """The page carries the token of the data it was read from: a publication committed by
    another process while it was being built does not make it pass for the new version's."""
    url = reverse("atlaas:fiche_publique", args=[fiche.pk])

    def changer(sender, template, **kwargs):  # while the page is rendered
        if template.name == "atlaas/publication/fiche.html":
            template_rendered.disconnect(changer)
            FicheAction.objects.filter(pk=fiche.pk).update(titre="Wifi public et gratuit")
            catalogue.invalider()

    template_rendered.connect(changer)
    assert "<h1>Wifi public</h1>" in Client().get(url).content.decode()
    assert "<h1>Wifi public et gratuit</h1>" in Client().get(url).content.decode()


def test_a_kept_page_is_not_sent_once_the_cache_stops_answering(fiche):
    """Without the versions no process can tell a page of before: the kept one is not sent, and
    nothing is kept."""
    url = reverse("home")
    Client().get(url)
    assert pages.MEMOIRE.pages
    muet = mock.Mock(get_many=mock.Mock(return_value={}), get=mock.Mock(return_value=None))
    with mock.patch.object(pages, "cache", muet):
        pages.oublier()  # the second this process trusts its copy of the versions has passed
        assert Client().get(url).context is not None  # built again
        assert not pages.MEMOIRE.pages


def test_the_memory_drops_the_least_recently_served_page():
    memoire = pages._Memoire(3)
    for cle in "abc":
        memoire.set(cle, 60, None, b"", {})
    assert memoire.get("a") is not None  # a crowd reads it
    memoire.set("d", 60, None, b"", {})  # a crawler's next page
    assert list(memoire.pages) == ["c", "a", "d"]
    memoire.set("e", 60, None, b"", {})
    assert memoire.get("a") is not None and memoire.get("c") is None


def test_an_answer_that_carries_a_csrf_token_is_never_kept(rf):
    request = rf.get("/")
    get_token(request)  # a template asked for one: it would be the first visitor's
    assert not pages._gardable(request, HttpResponse("<form>"))
    assert pages._gardable(rf.get("/"), HttpResponse("<p>"))


@pytest.mark.parametrize("page", range(4))
def test_a_page_kept_by_the_previous_release_is_built_again(fiche, page, settings):
    """A deploy's pages name its own static files: none kept by the release before is served."""
    url = adresses(fiche)[page]
    settings.RELEASE = "ancienne"
    Client().get(url)
    assert Client().get(url).context is None  # kept
    settings.RELEASE = "nouvelle"  # a deploy: a new process, which keeps nothing in memory yet
    assert Client().get(url).context is not None
