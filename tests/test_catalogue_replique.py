"""The Atlaas on a streaming replica (``DATABASE_REPLICA_URL``): a search not in the cache reads the
replica when it has replayed the catalogue's last version, the primary when it is behind or does
not answer; a page of a search in the cache, and everything else, read the primary.

The replica here is the test database itself through a second connection (Django's TEST MIRROR,
tests/conftest.py): it sees committed rows only, so these tests commit (``transaction=True``).
It is no standby (it replays nothing: up to date); a replica behind is the function that reads
its position, patched.
"""

import logging

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atlaas import catalogue
from atlaas.catalogue import facettes, lecture, similarite, suggestions
from atlaas.models import FicheAction
from atlaas.workflow import set_fiche_state
from tests.factories import FicheFactory, ServiceFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a replica of PostgreSQL"),
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]

URL = reverse("atlaas:catalogue")
DESCRIPTION = "Une action de la collectivité."


@pytest.fixture(autouse=True)
def replique(settings):
    settings.ATLAAS_REPLIQUE = "replica"


def publiee(titre, **kwargs):
    kwargs.setdefault("published_at", timezone.now())
    return FicheFactory(titre=titre, description=DESCRIPTION, state=FicheAction.State.PUBLIEE, **kwargs)


def publier(titre):
    """A fiche published as moderation does, in a transaction whose commit renews the version."""
    fiche = FicheFactory(titre=titre, description=DESCRIPTION, state=FicheAction.State.SOUMISE)
    with transaction.atomic():
        set_fiche_state(fiche, FicheAction.State.PUBLIEE, by=None)
    return fiche


def visite(client, **params):
    """(titles of the page, queries on the primary, queries on the replica)."""
    replica = connections["replica"]
    with CaptureQueriesContext(connection) as primaire, CaptureQueriesContext(replica) as replique:
        response = client.get(URL, params)
    assert response.status_code == 200
    titres = [fiche.titre for fiche in response.context["resultats"].fiches]
    return titres, _sql(primaire), _sql(replique)


def _sql(requetes):
    return [requete["sql"] for requete in requetes.captured_queries]


def recherche(requetes):
    """The queries that search: the facets' counts, on the search's copy of the fiches."""
    return [sql for sql in requetes if "atlaas_ficherecherche" in sql]


def test_a_search_not_in_the_cache_reads_the_replica_and_its_pages_the_primary(client):
    publiee("Médiation numérique pour les seniors")
    publiee("Fibre optique dans les hameaux")

    titres, primaire, replique = visite(client, q="médiation")
    assert titres == ["Médiation numérique pour les seniors"]
    assert "pg_last_wal_replay_lsn" in replique[0]  # asked once, first
    assert sum("pg_last_wal_replay_lsn" in sql for sql in replique) == 1
    assert recherche(replique) and not recherche(primaire)
    assert any('FROM "atlaas_ficheaction"' in sql for sql in replique)  # the page's fiches

    # The same search again: its counts and ids from the cache, its page's fiches from the primary.
    titres, primaire, replique = visite(client, q="médiation", page="1")
    assert titres == ["Médiation numérique pour les seniors"]
    assert replique == []
    assert len(primaire) == 2


def test_similar_fiches_and_spelling_words_read_the_replica(client):
    services = [ServiceFactory(), ServiceFactory()]
    fiche = publiee("Médiation numérique", services=services)
    publiee("Médiation à la médiathèque", services=services)

    with CaptureQueriesContext(connections["replica"]) as replique:
        response = client.get(reverse("atlaas:fiche_publique", args=[fiche.pk]))
        vocabulaire = catalogue.vocabulaire(reconstruire=True)
    assert [f.titre for f in response.context["similaires"]] == ["Médiation à la médiathèque"]
    assert "mediatheque" in vocabulaire
    lues = _sql(replique)
    assert any("atlaas_ficheaction_services" in sql for sql in lues)
    assert any("ts_stat" in sql for sql in lues)


def test_a_publication_notes_the_primarys_position_after_its_commit():
    publiee("Médiation numérique pour les seniors")
    avant = cache.get(lecture.POSITION)
    publier("Tiers-lieu numérique")
    apres = cache.get(lecture.POSITION)
    assert avant < apres <= lecture.position_primaire()


def test_two_publications_noting_their_positions_in_either_order_leave_the_later(monkeypatch):
    """Each publication notes the primary's position after its commit: the one that committed
    first may note it last; the later position stays."""
    positions = iter([7_000_200, 7_000_100])
    monkeypatch.setattr(lecture, "position_primaire", lambda: next(positions))
    cache.delete(lecture.POSITION)
    lecture.noter_position()
    lecture.noter_position()
    assert cache.get(lecture.POSITION) == 7_000_200


def test_a_replica_behind_the_last_publication_leaves_the_search_to_the_primary(client, monkeypatch):
    publiee("Médiation numérique pour les seniors")
    assert visite(client, q="numérique")[0] == ["Médiation numérique pour les seniors"]

    # The replica has not replayed the next publication's commit yet.
    ancienne = cache.get(lecture.POSITION)
    monkeypatch.setattr(lecture, "position_rejouee", lambda alias: ancienne)
    publier("Tiers-lieu numérique")
    titres, primaire, replique = visite(client, q="numérique")
    assert titres == ["Tiers-lieu numérique", "Médiation numérique pour les seniors"]
    assert recherche(primaire) and replique == []

    # Caught up: what the cache kept under the new version is the publication's state, not the
    # replica's older one.
    monkeypatch.setattr(lecture, "position_rejouee", lambda alias: lecture.position_primaire())
    titres, _primaire, replique = visite(client, q="numérique", page="1")
    assert titres == ["Tiers-lieu numérique", "Médiation numérique pour les seniors"]
    assert replique == []  # from the cache

    # A new search, once it has replayed: on the replica.
    titres, primaire, replique = visite(client, q="tiers-lieu")
    assert titres == ["Tiers-lieu numérique"]
    assert recherche(replique) and not recherche(primaire)


def test_a_replica_that_does_not_answer_leaves_the_search_to_the_primary(client, monkeypatch, caplog):
    publiee("Médiation numérique pour les seniors")
    demandes = []

    def injoignable(alias):
        demandes.append(alias)
        raise OperationalError("connection to server at 10.0.0.2 failed: Connection refused")

    monkeypatch.setattr(lecture, "position_rejouee", injoignable)
    with caplog.at_level(logging.WARNING, logger="atlaas.catalogue.lecture"):
        titres, primaire, replique = visite(client, q="médiation")
        assert visite(client, q="seniors")[0] == ["Médiation numérique pour les seniors"]
    assert titres == ["Médiation numérique pour les seniors"]
    assert recherche(primaire) and replique == []
    # Asked once, then left alone for a while: one warning, not one per search.
    assert demandes == ["replica"]
    [avertissement] = [r for r in caplog.records if r.name == "atlaas.catalogue.lecture"]
    assert avertissement.levelno == logging.WARNING
    assert "« replica » ne répond pas" in avertissement.getMessage()
    assert "Connection refused" in avertissement.getMessage()


def couper_la_replique():
    """The replica's connection cut by its server (a standby stopped or restarted), from the
    primary: the next query on it fails as it would in production."""
    pid = connections["replica"].connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])  # waits for its end


def test_a_replica_that_fails_during_a_search_leaves_it_to_the_primary(client, monkeypatch, caplog):
    publiee("Médiation numérique pour les seniors")
    comptes = facettes._comptes

    def coupee(qs, *args, **kwargs):
        if qs.db == "replica":
            couper_la_replique()
        return comptes(qs, *args, **kwargs)

    monkeypatch.setattr(facettes, "_comptes", coupee)
    with caplog.at_level(logging.WARNING, logger="atlaas.catalogue.lecture"):
        titres, primaire, replique = visite(client, q="médiation")
    assert titres == ["Médiation numérique pour les seniors"]  # a page, not an error
    assert recherche(primaire)  # the search done again on the primary
    [avertissement] = [r for r in caplog.records if r.name == "atlaas.catalogue.lecture"]
    assert "« replica » a échoué pendant une lecture, refaite sur la base" in avertissement.getMessage()
    # Left alone for a while: the next search reads the primary only, without asking it.
    titres, primaire, replique = visite(client, q="seniors")
    assert titres == ["Médiation numérique pour les seniors"] and replique == []


def test_similar_fiches_and_spelling_words_survive_a_replica_that_fails(client, monkeypatch):
    services = [ServiceFactory()]
    fiche = publiee("Médiation numérique", services=services)
    publiee("Médiation à la médiathèque", services=services)
    candidats, mots = similarite._candidats, suggestions._mots_publies

    def coupes(lecture_):
        def lire(*args):
            if args[-1] == "replica":  # the replica chosen, then cut while it is read
                couper_la_replique()
            return lecture_(*args)

        return lire

    monkeypatch.setattr(similarite, "_candidats", coupes(candidats))
    response = client.get(reverse("atlaas:fiche_publique", args=[fiche.pk]))
    assert [f.titre for f in response.context["similaires"]] == ["Médiation à la médiathèque"]

    lecture._absente_jusqu_a = 0.0  # the pause over
    monkeypatch.setattr(suggestions, "_mots_publies", coupes(mots))
    assert "mediatheque" in catalogue.vocabulaire(reconstruire=True)
