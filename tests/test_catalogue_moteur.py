"""The catalogue's own search engine (atlaas/catalogue/moteur/): what PostgreSQL finds and
counts, every match weighed, following the fiches' changes, and PostgreSQL answering whenever
the engine cannot."""

import datetime

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from atlaas import catalogue
from atlaas.catalogue import facettes, moteur, recherche
from atlaas.forms import RechercheForm
from atlaas.models import AIndexer, Collectivite, FicheAction
from tests.factories import EpciFactory
from tests.test_catalogue import atlaas, publiee  # noqa: F401 - the catalogue's golden set
from tests.worker import database_url

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the engine follows PostgreSQL's copy"),
]

URL = reverse("atlaas:catalogue")


@pytest.fixture
def dossier(tmp_path, settings):
    """The engine on, its folder empty."""
    settings.ATLAAS_MOTEUR = str(tmp_path / "moteur")
    cache.clear()
    yield tmp_path / "moteur"
    moteur.oublier()


@pytest.fixture
def plus(atlaas):  # noqa: F811
    """The golden set, and what the engine's reading must meet as PostgreSQL's does: a phrase
    with a stop word inside, alternatives of several words, an intercommunalité, other years."""
    epci = EpciFactory(nom="Communauté de communes du Pic", population=45_000)
    return atlaas | {
        "musique": publiee(
            "École de musique en ligne", "Cours à distance.", date_debut=datetime.date(2021, 1, 1)
        ),
        "musique_inverse": publiee("La musique à l'école", "Une chorale.", collectivite=epci),
        "donnees": publiee("Données ouvertes", "Le portail open data de la ville."),
    }


def calculer(filtres, settings, dossier):
    """(counts, ids) of a search computed by PostgreSQL, then by the engine."""
    form = RechercheForm(filtres)
    assert form.is_valid(), form.errors
    filtres = form.filtres()
    settings.ATLAAS_MOTEUR = ""
    postgresql = recherche._calculer(filtres, "default")
    settings.ATLAAS_MOTEUR = str(dossier)
    engine = recherche._calculer(filtres, "default")
    assert postgresql[2] == facettes.PLAFOND and engine[2] is None  # the engine answered
    return postgresql[:2], engine[:2]


RECHERCHES = [
    {},
    {"q": "médiation"},
    {"q": "mediation numerique seniors"},
    {"q": "budget participatif"},
    {"q": "participatif -budget"},
    {"q": "wifi OR fibre"},
    {"q": "wifi public OR fibre optique"},  # (wifi and public) or (fibre and optique)
    {"q": "wifi OR fibre -hameaux"},  # wifi, or fibre without hameaux
    {"q": "données ouvertes OR open data"},
    {"q": '"école de musique"'},  # école, a word, musique: not « musique à l'école »
    {"q": "école musique"},
    {"q": '"école numérique"'},
    {"q": "-médiation"},
    {"q": "le la les"},
    {"q": "budget OR"},  # « or », a word: nothing
    {"q": "médiation", "tri": "date"},
    {"type": "village"},
    {"type": "ville"},
    {"type": "territoire"},
    {"strate": "moins-3000"},
    {"strate": "20000-100000"},
    {"region": "76", "q": "médiation"},
    {"departement": "34"},
    {"niveau": "4"},
    {"annee": "2024"},
    {"enjeu": "mediation"},
    {"service": "participation"},
    {"categorie": "vivre-ensemble"},
    {"collectivite": "93048"},
]


@pytest.mark.parametrize("filtres", RECHERCHES, ids=[repr(r) for r in RECHERCHES])
def test_the_engine_finds_and_counts_what_postgresql_does(plus, dossier, settings, filtres):
    catalogue.index.suivre_moteur()  # builds the index: the folder holds none yet
    (comptes_pg, ids_pg), (comptes, ids) = calculer(filtres, settings, dossier)
    assert comptes == comptes_pg
    mots = [t for termes in catalogue.analyser(filtres.get("q", "")) for t in termes if not t.exclu]
    if recherche.par_pertinence(filtres) and mots:
        assert set(ids) == set(ids_pg)  # each ranks in its own way (BM25 here)
    else:
        assert ids == ids_pg


def test_a_phrase_keeps_its_stop_words_places(plus, dossier, client):
    catalogue.index.suivre_moteur()
    resultats = client.get(URL, {"q": '"école de musique"'}).context["resultats"]
    assert [f.titre for f in resultats.fiches] == ["École de musique en ligne"]
    resultats = client.get(URL, {"q": "musique -école"}).context["resultats"]
    assert resultats.total == 0


def test_the_engine_weighs_every_match(plus, dossier, client, monkeypatch):
    """No cap: the total and counts are those of every match, and pages beyond the ids kept in
    the cache are the engine's too."""
    catalogue.index.suivre_moteur()
    monkeypatch.setattr(facettes, "PLAFOND", 1)
    monkeypatch.setattr(recherche, "EN_CACHE", 1)
    response = client.get(URL, {"q": "participatif"})
    assert response.context["resultats"].total == 2 and not response.context["resultats"].plafonne
    assert "Au moins" not in response.content.decode()
    pages = [recherche.rechercher({"q": "participatif", "tri": "date"}, page=n, par_page=1) for n in (1, 2)]
    assert [page.total for page in pages] == [2, 2]
    attendus = FicheAction.objects.filter(pk__in=[page.fiches[0].pk for page in pages])
    assert [page.fiches[0].pk for page in pages] == list(
        attendus.order_by("-published_at", "-pk").values_list("pk", flat=True)
    )


def test_the_engine_follows_the_fiches_and_their_collectivites(atlaas, dossier):  # noqa: F811
    catalogue.index.suivre_moteur()
    assert not AIndexer.objects.exists()
    village = Collectivite.objects.get(code="34270")
    nouvelle = publiee("Tiers-lieu numérique", "Un fablab au village.", collectivite=village)
    assert AIndexer.objects.filter(fiche_id=nouvelle.pk).exists()
    assert catalogue.index.suivre_moteur() >= 1
    assert not AIndexer.objects.exists()
    comptes, ids = moteur.chercher({"q": "fablab"}, 10)
    assert ids == [nouvelle.pk] and comptes["strate"] == {"moins-3000": 1}

    # The yearly populations, by a bulk update: the copy's rows follow, and the engine.
    Collectivite.objects.filter(pk=village.pk).update(population=25_000)
    catalogue.index.suivre_moteur()
    comptes, _ids = moteur.chercher({"q": "fablab"}, 10)
    assert comptes["strate"] == {"20000-100000": 1} and comptes["type"] == {"ville": 1}

    # Withdrawn, then deleted: out of the engine.
    FicheAction.objects.filter(pk=nouvelle.pk).update(state=FicheAction.State.BROUILLON)
    catalogue.index.suivre_moteur()
    assert moteur.chercher({"q": "fablab"}, 10) == ({name: {} for name in facettes.FACETTES}, [])
    atlaas["wifi"].delete()
    catalogue.index.suivre_moteur()
    assert moteur.chercher({"q": "wifi"}, 10)[1] == []


def test_a_write_that_changes_nothing_notes_nothing(atlaas):  # noqa: F811
    AIndexer.objects.all().delete()
    fiche = atlaas["wifi"]
    FicheAction.objects.filter(pk=fiche.pk).update(titre=fiche.titre)
    assert not AIndexer.objects.exists()
    FicheAction.objects.filter(pk=fiche.pk).update(titre="Wifi gratuit")
    catalogue.indexer([fiche.pk])
    assert list(AIndexer.objects.values_list("fiche_id", flat=True)) == [fiche.pk]


def test_a_change_made_while_the_engine_writes_is_written_by_the_next_run(atlaas, dossier, monkeypatch):  # noqa: F811
    catalogue.index.suivre_moteur()
    fiche = atlaas["wifi"]
    FicheAction.objects.filter(pk=fiche.pk).update(titre="Wifi gratuit sur la place")
    catalogue.indexer([fiche.pk])
    ecrire = moteur.ecriture._ecrire

    def puis_un_changement(writer, ids):
        ecrire(writer, ids)  # the engine has read the fiche; a colleague saves it again
        FicheAction.objects.filter(pk=fiche.pk).update(titre="Wifi gratuit et illimité")
        catalogue.indexer([fiche.pk])

    monkeypatch.setattr(moteur.ecriture, "_ecrire", puis_un_changement)
    catalogue.index.suivre_moteur()
    assert AIndexer.objects.filter(fiche_id=fiche.pk).exists()  # that change is still owed
    monkeypatch.setattr(moteur.ecriture, "_ecrire", ecrire)
    catalogue.index.suivre_moteur()
    assert not AIndexer.objects.exists()
    assert moteur.chercher({"q": "illimité"}, 10)[1] == [fiche.pk]


def test_a_second_writer_leaves_the_changes_to_the_first(atlaas, dossier):  # noqa: F811
    catalogue.index.suivre_moteur()
    publiee("Tiers-lieu numérique")
    writer = moteur.schema.index_ouvert().writer(moteur.MEMOIRE, 1)  # another worker is writing
    try:
        assert catalogue.index.suivre_moteur() == 0
        assert AIndexer.objects.exists()
    finally:
        writer.rollback()
        del writer
    assert catalogue.index.suivre_moteur() == 1


def test_without_its_index_postgresql_answers(atlaas, dossier, client, caplog):  # noqa: F811
    """No index yet (a new folder), or a damaged one: the searches are PostgreSQL's, capped."""
    resultats = client.get(URL, {"q": "participatif"}).context["resultats"]
    assert resultats.total == 2 and resultats.plafond == facettes.PLAFOND
    assert "ne répond pas" in caplog.text
    catalogue.index.suivre_moteur()
    moteur.oublier()
    for fichier in dossier.glob("*"):
        if fichier.is_file():
            fichier.write_bytes(b"\x00 abime")
    cache.clear()
    resultats = client.get(URL, {"q": "participatif"}).context["resultats"]
    assert resultats.total == 2 and resultats.plafond == facettes.PLAFOND

    # Rebuilt by the command (or by the worker's next run), the engine answers again.
    moteur.oublier()
    call_command("index_atlaas", "--moteur")
    cache.clear()
    resultats = client.get(URL, {"q": "participatif"}).context["resultats"]
    assert resultats.total == 2 and resultats.plafond is None


def test_a_publication_owes_the_engine_a_run(atlaas, dossier, django_capture_on_commit_callbacks):  # noqa: F811
    from outbox.models import Envoi

    with django_capture_on_commit_callbacks():
        catalogue.invalider()
    assert Envoi.objects.filter(task=catalogue.index.MOTEUR).count() == 1


def test_the_command_rebuilds_the_index(atlaas, dossier, settings, capsys):  # noqa: F811
    call_command("index_atlaas", "--moteur")
    assert "7 fiches" in capsys.readouterr().out
    assert moteur.chercher({}, 100)[1]
    settings.ATLAAS_MOTEUR = ""
    with pytest.raises(CommandError):
        call_command("index_atlaas", "--moteur")


def test_pages_beyond_the_cache_follow_postgresql_order_when_dates_are_equal(atlaas, dossier, monkeypatch):  # noqa: F811
    """Eight fiches published the same second (as a demo publishes them), equally relevant:
    every page of one fiche is another one; by date, in PostgreSQL's order (the newest, then the
    highest id)."""
    moment = atlaas["wifi"].published_at
    nouvelles = [publiee(f"Borne de recharge {n}", published_at=moment) for n in range(8)]
    catalogue.index.suivre_moteur()
    monkeypatch.setattr(recherche, "EN_CACHE", 3)

    def pages(**filtres):
        return [recherche.rechercher(filtres, page=n, par_page=1).fiches[0].pk for n in range(1, 9)]

    assert sorted(pages(q="recharge")) == sorted(f.pk for f in nouvelles)
    assert pages(q="recharge", tri="date") == sorted((f.pk for f in nouvelles), reverse=True)
    exclus = [recherche.rechercher({"q": "-recharge"}, page=n, par_page=1).fiches[0].pk for n in range(1, 4)]
    assert exclus == list(
        FicheAction.objects.published()
        .exclude(titre__startswith="Borne")
        .order_by("-published_at", "-pk")
        .values_list("pk", flat=True)[:3]
    )


@pytest.mark.django_db(transaction=True)
def test_a_note_being_changed_is_left_for_the_next_run(dossier):
    """A publication that notes its fiches while the engine forgets the notes it wrote: the
    engine leaves the note that transaction holds (no deadlock: it does not wait for it), and
    writes the change once committed."""
    import psycopg

    fiche = publiee("Wifi public sur la place")
    catalogue.index.suivre_moteur()
    FicheAction.objects.filter(pk=fiche.pk).update(titre="Wifi gratuit sur la place")
    catalogue.indexer([fiche.pk])
    with psycopg.connect(database_url()) as autre:
        with autre.cursor() as cursor:  # a colleague's save, not yet committed: its note is locked
            cursor.execute("UPDATE atlaas_ficheaction SET titre = 'Wifi illimité' WHERE id = %s", [fiche.pk])
            cursor.execute(
                "UPDATE atlaas_ficheaction SET search_vector = to_tsvector('french_unaccent', titre) "
                "WHERE id = %s",
                [fiche.pk],
            )
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = '5s'")  # waiting would be the defect
        try:
            assert catalogue.index.suivre_moteur() == 1
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")
        assert moteur.chercher({"q": "gratuit"}, 10)[1] == [fiche.pk]
        autre.commit()
    assert AIndexer.objects.filter(fiche_id=fiche.pk).exists()
    catalogue.index.suivre_moteur()
    assert moteur.chercher({"q": "illimité"}, 10)[1] == [fiche.pk]
    assert not AIndexer.objects.exists()


@pytest.mark.parametrize("seuil", [3_000, 3_500, 150_000])
def test_types_and_strata_are_postgresql_s_whatever_the_village_threshold(plus, dossier, settings, seuil):
    """At a stratum's bound (the label's 3,000) the engine counts them from each fiche's stratum;
    between two bounds, from the populations' ranges."""
    settings.SEUIL_VILLAGE = seuil
    catalogue.index.suivre_moteur()
    for filtres in ({}, {"type": "village"}, {"type": "ville"}, {"strate": "3000-20000"}, {"q": "numérique"}):
        (comptes_pg, _ids), (comptes, _ids) = calculer(filtres, settings, dossier)
        assert (comptes["type"], comptes["strate"]) == (comptes_pg["type"], comptes_pg["strate"])


def test_an_index_of_an_earlier_schema_is_rebuilt(atlaas, dossier, client):  # noqa: F811
    """After a release that changed the engine's fields, the index on disk is not read (its
    fields would answer wrongly, and take no document): PostgreSQL answers until the worker's
    next run rebuilds it."""
    import tantivy

    ancien = tantivy.SchemaBuilder()
    ancien.add_integer_field("id", indexed=True, fast=True)
    ancien.add_integer_field("annee", indexed=True, fast=True)
    dossier.mkdir()
    tantivy.Index(ancien.build(), path=str(dossier))
    resultats = client.get(URL, {"q": "participatif"}).context["resultats"]
    assert resultats.total == 2 and resultats.plafond == facettes.PLAFOND
    moteur.oublier()
    assert catalogue.index.suivre_moteur() == 7
    cache.clear()
    resultats = client.get(URL, {"q": "participatif"}).context["resultats"]
    assert resultats.total == 2 and resultats.plafond is None


def test_the_engine_s_results_are_browsed_to_a_bounded_depth(plus, dossier, monkeypatch):
    """Every match counted, but pages only down to PROFONDEUR results: a page far down reads
    no more than that of the engine's order."""
    catalogue.index.suivre_moteur()
    monkeypatch.setattr(recherche, "PROFONDEUR", 2)
    lues, ids = [], moteur.ids

    def lire(filtres, limite, *args):
        lues.append(limite)
        return ids(filtres, limite, *args)

    monkeypatch.setattr(moteur, "ids", lire)
    monkeypatch.setattr(recherche, "EN_CACHE", 1)
    resultats = recherche.rechercher({"tri": "date"}, page=500, par_page=1)
    assert resultats.total == FicheAction.objects.published().count() > 2
    assert (resultats.pages, resultats.page, len(resultats.fiches)) == (2, 2, 1)
    assert lues == [2]
