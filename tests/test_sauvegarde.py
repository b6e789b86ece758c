"""Backups: the database and the media files taken together with a manifest of checksums, and a
restore drill (into a fresh database and a fresh folder) that gives back the same rows and the
same bytes. A damaged backup, or a database that is not empty, is refused before anything moves."""

import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from psycopg import sql

from atlaas.models import FicheAction, FichierFiche
from label import publication
from label.models import Document, Edition, Labellisation, Resultat
from tests.factories import CandidatureFactory, EditionFactory, FicheFactory, MembershipFactory
from tests.fichiers import pdf_bytes, png_bytes

# pg_dump and the backup API read what is committed.
pytestmark = pytest.mark.django_db(transaction=True)

POSTGRESQL = connection.vendor == "postgresql"
PDF = pdf_bytes()


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lignes(cursor):
    """The rows the drill compares: the palmarès, the generated files and the uploaded ones."""
    requetes = {
        Labellisation: "id, collectivite_id, annee, niveau, ten, mentions",
        Document: "id, kind, candidature_id, uuid, fichier, state",
        FichierFiche: "id, fiche_id, nom, content_type, taille, fichier",
    }
    resultat = {}
    for model, colonnes in requetes.items():
        cursor.execute(f"SELECT {colonnes} FROM {model._meta.db_table} ORDER BY id")
        resultat[model.__name__] = [tuple(row) for row in cursor.fetchall()]
    return resultat


def fichiers_cites():
    return [d.fichier.name for d in Document.objects.all()] + [
        f.fichier.name for f in FichierFiche.objects.all()
    ]


def migrations_appliquees():
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, max(name) FROM django_migrations GROUP BY app")
        return dict(cursor.fetchall())


def sauvegarder(racine, **options):
    out = io.StringIO()
    call_command("sauvegarder", dossier=racine, stdout=out, **options)
    dossier = max(p for p in racine.iterdir() if (p / "manifeste.json").exists())
    return dossier, json.loads((dossier / "manifeste.json").read_text()), out.getvalue()


def restaurer(dossier, **options):
    out = io.StringIO()
    call_command("restaurer", dossier, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def donnees(client):
    """A published edition (its certificates and palmarès files generated after commit) and a
    fiche with a photo and a PDF uploaded by a member."""
    now = timezone.now()
    edition = EditionFactory(
        annee=2027,
        state=Edition.State.CLOSE,
        cloture=now - datetime.timedelta(days=60),
        resultats_clos_at=now,
        ceremonie_date=datetime.date(2027, 1, 28),
        ceremonie_lieu="Agen",
    )
    for nom, niveau in [("Nérac", 5), ("Marmande", 3)]:
        candidature = CandidatureFactory(edition=edition, state="deposee", collectivite__nom=nom)
        Resultat.objects.create(candidature=candidature, niveau=niveau, ten=niveau == 5)
    publication.publier(edition)
    membership = MembershipFactory(collectivite__nom="Agen", collectivite__code="47001")
    client.force_login(membership.user)
    fiche = FicheFactory(collectivite=membership.collectivite)
    for nom, contenu in [("Atelier à la médiathèque.png", png_bytes()), ("Bilan 2026.pdf", PDF)]:
        response = client.post(
            reverse("atlaas:fiche_fichier_ajouter", args=["47001", fiche.pk]),
            {"fichier": ContentFile(contenu, name=nom), "legende": ""},
        )
        assert response.status_code == 302
    assert Document.objects.filter(state=Document.State.PRET).count() == 5  # 2 certificates, 3 palmarès
    assert FichierFiche.objects.count() == 2
    return edition


def assert_meme_contenu(cursor_restauree, media_restaure):
    with connection.cursor() as cursor:
        origine = lignes(cursor)
    assert lignes(cursor_restauree) == origine
    assert len(origine["Labellisation"]) == 2 and len(origine["Document"]) == 5
    for nom in fichiers_cites():
        assert sha256(media_restaure / nom) == sha256(settings.MEDIA_ROOT / nom), nom


# --- The drill, full mode -----------------------------------------------------------------------


@pytest.fixture
def base_neuve():
    """An empty database beside the test database, dropped afterwards."""
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        if os.environ.get("CI"):
            pytest.fail("pg_dump et pg_restore manquent en CI (paquet postgresql-client).")
        pytest.skip("pg_dump et pg_restore manquent : installez postgresql-client.")
    base = connection.settings_dict
    nom = f"{base['NAME']}_restauration"
    parametres = {"host": base["HOST"] or None, "port": base["PORT"] or None, "user": base["USER"] or None}
    parametres["password"] = base["PASSWORD"] or None
    with psycopg.connect(dbname="postgres", autocommit=True, **parametres) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(nom)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(nom)))
    yield nom, parametres
    with psycopg.connect(dbname="postgres", autocommit=True, **parametres) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(nom)))


@pytest.mark.skipif(not POSTGRESQL, reason="pg_dump / pg_restore: full mode (DATABASE_URL) only")
def test_sauvegarde_postgresql_restored_into_a_fresh_database_gives_back_rows_and_files(
    donnees, base_neuve, tmp_path
):
    dossier, manifeste, sortie = sauvegarder(tmp_path / "sauvegardes")
    assert sorted(p.name for p in dossier.iterdir()) == ["base.dump", "manifeste.json", "media.tar"]
    assert manifeste["moteur"] == "postgresql"
    assert manifeste["base"]["sha256"] == sha256(dossier / "base.dump")
    assert manifeste["media"]["sha256"] == sha256(dossier / "media.tar")
    # With the Atlaas' full export.
    assert (manifeste["media"]["fichiers"], manifeste["media"]["absents"]) == (8, [])
    assert manifeste["migrations"] == migrations_appliquees()
    assert "8 fichiers" in sortie

    nom, parametres = base_neuve
    sortie = restaurer(dossier, base=nom, media=tmp_path / "media_restaure")
    assert f"base (postgresql) « {nom} »" in sortie and "fichiers : 8" in sortie

    with psycopg.connect(dbname=nom, **parametres) as restauree:
        assert_meme_contenu(restauree.cursor(), tmp_path / "media_restaure")


# --- The drill, embedded mode -------------------------------------------------------------------


@pytest.mark.skipif(POSTGRESQL, reason="the embedded mode's path (SQLite's backup API)")
def test_sauvegarde_sqlite_restored_into_a_fresh_file_gives_back_rows_and_files(donnees, tmp_path):
    dossier, manifeste, _sortie = sauvegarder(tmp_path / "sauvegardes")
    assert sorted(p.name for p in dossier.iterdir()) == ["base.sqlite3", "manifeste.json", "media.tar"]
    assert (manifeste["moteur"], manifeste["media"]["fichiers"], manifeste["media"]["absents"]) == (
        "sqlite",
        8,  # with the Atlaas' full export
        [],
    )
    assert manifeste["migrations"] == migrations_appliquees()
    copie = tmp_path / "restauree.sqlite3"
    restaurer(dossier, base=str(copie), media=tmp_path / "media_restaure")
    with sqlite3.connect(copie) as restauree:
        assert_meme_contenu(restauree.cursor(), tmp_path / "media_restaure")


# --- Both modes ---------------------------------------------------------------------------------


def test_restaurer_with_ecraser_replaces_the_live_database_and_files(donnees, tmp_path):
    dossier, _manifeste, _sortie = sauvegarder(tmp_path / "sauvegardes")
    with connection.cursor() as cursor:
        avant = lignes(cursor)
    photo = FichierFiche.objects.get(nom__endswith=".png")
    Labellisation.objects.filter(collectivite__nom="Nérac").delete()
    (settings.MEDIA_ROOT / photo.fichier.name).write_bytes(b"abime")
    (settings.MEDIA_ROOT / "ajout-apres.txt").write_text("écrit après la sauvegarde")

    restaurer(dossier, ecraser=True)

    with connection.cursor() as cursor:
        assert lignes(cursor) == avant
    assert (settings.MEDIA_ROOT / photo.fichier.name).read_bytes() == png_bytes()
    assert sorted(settings.MEDIA_ROOT.iterdir()) == [
        settings.MEDIA_ROOT / "documents",
        settings.MEDIA_ROOT / "exports",
        settings.MEDIA_ROOT / "fiches",
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the Atlaas' engine follows PostgreSQL")
def test_restaurer_rebuilds_the_atlaas_engine_from_the_data_restored(donnees, tmp_path, settings):
    """The engine's folder is not in the backup: after a restore it says what the data says."""
    from atlaas import catalogue

    settings.ATLAAS_MOTEUR = str(tmp_path / "moteur")
    dossier, _manifeste, _sortie = sauvegarder(tmp_path / "sauvegardes")
    apres = FicheFactory(
        titre="Télémédecine au village", state=FicheAction.State.PUBLIEE, published_at=timezone.now()
    )
    try:
        catalogue.index.suivre_moteur()
        assert catalogue.moteur.chercher({"q": "télémédecine"}, 10)[1] == [apres.pk]

        sortie = restaurer(dossier, ecraser=True)

        assert "Moteur de l'Atlaas reconstruit" in sortie
        assert catalogue.moteur.chercher({"q": "télémédecine"}, 10)[1] == []
    finally:
        catalogue.moteur.oublier()  # not left open on a folder about to go


def test_restaurer_refuses_a_database_that_is_not_empty_without_ecraser(donnees, tmp_path):
    dossier, _manifeste, _sortie = sauvegarder(tmp_path / "sauvegardes")
    Labellisation.objects.all().delete()
    with pytest.raises(CommandError, match=r"n'est pas vide .*Relancez avec --ecraser"):
        restaurer(dossier)
    assert not Labellisation.objects.exists()
    assert sorted(p.name for p in settings.MEDIA_ROOT.iterdir()) == ["documents", "exports", "fiches"]


def test_restaurer_refuses_a_damaged_backup_and_changes_nothing(donnees, tmp_path):
    dossier, _manifeste, _sortie = sauvegarder(tmp_path / "sauvegardes")
    archive = bytearray((dossier / "media.tar").read_bytes())
    archive[600] ^= 1
    (dossier / "media.tar").write_bytes(archive)
    (dossier / "base.dump" if POSTGRESQL else dossier / "base.sqlite3").unlink()
    Labellisation.objects.all().delete()
    message = (
        r"abîmée, rien n'a été restauré : base\.\w+ manque ; media\.tar ne correspond pas à son empreinte"
    )
    with pytest.raises(CommandError, match=message):
        restaurer(dossier, ecraser=True)
    assert not Labellisation.objects.exists()


def test_restaurer_refuses_a_folder_without_manifest(tmp_path):
    with pytest.raises(
        CommandError, match=r"ne contient pas de manifeste\.json : ce n'est pas une sauvegarde"
    ):
        restaurer(tmp_path)


def test_sauvegarde_lists_the_files_the_database_names_but_the_disk_lacks(donnees, tmp_path):
    pdf = FichierFiche.objects.get(nom__endswith=".pdf")
    (settings.MEDIA_ROOT / pdf.fichier.name).unlink()
    _dossier, manifeste, sortie = sauvegarder(tmp_path / "sauvegardes")
    assert manifeste["media"]["absents"] == [pdf.fichier.name]
    assert "1 fichiers cités par la base manquent dans l'archive" in sortie


def test_sauvegarde_refuses_a_folder_it_cannot_write_to(tmp_path):
    (tmp_path / "un-fichier").write_text("")
    with pytest.raises(CommandError, match=r"« .*un-fichier/sauvegardes » n'est pas accessible en écriture"):
        sauvegarder(tmp_path / "un-fichier" / "sauvegardes")


def test_sauvegarde_keeps_the_most_recent_backups(tmp_path):
    racine = tmp_path / "sauvegardes"
    for nom in ["2026-01-01T031500Z", "2026-01-02T031500Z", "2026-01-03T031500Z"]:
        (racine / nom).mkdir(parents=True)
        (racine / nom / "manifeste.json").write_text("{}")
    (racine / "notes").mkdir()  # not a backup: left alone
    dossier, _manifeste, sortie = sauvegarder(racine, garder=2)
    assert sorted(p.name for p in racine.iterdir()) == ["2026-01-03T031500Z", dossier.name, "notes"]
    assert "2026-01-01T031500Z, 2026-01-02T031500Z" in sortie
