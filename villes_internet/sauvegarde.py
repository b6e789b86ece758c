"""Backups of the database and of the media files, taken together, and their restoration.

A backup is one folder named by its UTC time (``2026-12-06T031502Z``) holding the database
(``base.dump``: pg_dump's custom format; ``base.sqlite3`` in embedded mode), the media files
(``media.tar``) and ``manifeste.json``: size and sha256 of both parts, the last migration of each
app, the portal's version, and the media files the database names but the archive lacks.

Consistency: the database is dumped first, from one snapshot; the media files are archived
after. A file the dump names was written before the snapshot, so it is in the archive unless it
was deleted in between (a certificate generated again, a fiche's file removed): the manifest lists
those (``media.absents``), read from the dump's own snapshot. Files written after the snapshot
are harmless extras.

Only MEDIA_ROOT on the local disk is archived (FileSystemStorage); this module touches no app's
models: it finds the file columns through the app registry.
"""

import datetime
import errno
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import tomllib
from contextlib import closing
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.db.backends.postgresql.client import DatabaseClient
from django.db.utils import load_backend
from django.utils import timezone

MANIFESTE = "manifeste.json"
MEDIA = "media.tar"
BASE = {"postgresql": "base.dump", "sqlite": "base.sqlite3"}
NOM = re.compile(r"^\d{4}-\d\d-\d\dT\d{6}Z$")
TEMPORAIRE = ".restauration-"  # prefix of the folders a restoration works in, inside MEDIA_ROOT
FORMAT = 1
RAISONS = {
    errno.EACCES: "permission refusée",
    errno.EPERM: "permission refusée",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.ENOENT: "chemin introuvable",
    errno.ENOSPC: "disque plein",
}
MOTEURS = {"django.db.backends.postgresql": "postgresql", "django.db.backends.sqlite3": "sqlite"}


class SauvegardeErreur(Exception):
    """A backup or a restoration refused or failed; the message is for the operator, in French."""


# --- Backup ----------------------------------------------------------------------------------


def sauvegarder(racine, *, garder=7, media_root=None):
    """Dump the configured database, then archive MEDIA_ROOT, into ``racine/<time>/``; keep the
    ``garder`` most recent backups of ``racine``. Returns (folder, manifest, removed folders)."""
    racine, media_root = Path(racine), Path(media_root or settings.MEDIA_ROOT)
    now = timezone.now()
    nom = now.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H%M%SZ")
    dossier = racine / nom
    if dossier.exists():
        raise SauvegardeErreur(f"Une sauvegarde « {dossier} » existe déjà : relancez dans une seconde.")
    try:
        racine.mkdir(parents=True, exist_ok=True)
        partiel = Path(tempfile.mkdtemp(prefix=f".{nom}-", dir=racine))
    except OSError as exc:
        raison = RAISONS.get(exc.errno, exc.strerror)
        raise SauvegardeErreur(
            f"Le dossier de sauvegarde « {racine} » n'est pas accessible en écriture ({raison}) : "
            "donnez-en les droits à l'utilisateur qui lance la commande ou choisissez-en un autre "
            "avec --dossier."
        ) from None
    try:
        moteur = connection.vendor
        base = partiel / BASE[moteur]
        references, migrations = (_dump_postgresql if moteur == "postgresql" else _dump_sqlite)(base)
        archives = _archiver(media_root, partiel / MEDIA)
        manifeste = {
            "format": FORMAT,
            "horodatage": nom,
            "moteur": moteur,
            "base": {"fichier": base.name, **_empreinte(base)},
            "media": {
                "fichier": MEDIA,
                **_empreinte(partiel / MEDIA),
                "fichiers": len(archives),
                "absents": sorted(references - archives),
            },
            "migrations": migrations,
            "application": _version(),
            "duree_s": round((timezone.now() - now).total_seconds(), 1),
        }
        (partiel / MANIFESTE).write_text(json.dumps(manifeste, indent=2, ensure_ascii=False) + "\n")
        partiel.rename(dossier)
    except BaseException:
        shutil.rmtree(partiel, ignore_errors=True)
        raise
    anciennes = sorted(p for p in racine.iterdir() if NOM.match(p.name) and (p / MANIFESTE).is_file())
    supprimees = anciennes[: -max(garder, 1)]
    for ancienne in supprimees:
        shutil.rmtree(ancienne)
    return dossier, manifeste, supprimees


def _dump_postgresql(cible):
    """pg_dump from a snapshot this transaction exports; the files named and the migrations
    applied are read in the same snapshot."""
    base = connection.settings_dict
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _client(
            [
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={cible}",
                f"--dbname={base['NAME']}",
            ],
            base,
        )
        return _references(cursor, "postgresql"), _migrations(cursor)


def _dump_sqlite(cible):
    """SQLite's online backup API: a consistent copy while the portal keeps running."""
    connection.ensure_connection()
    with closing(sqlite3.connect(cible)) as copie:
        connection.connection.backup(copie)
        return _references(copie.cursor(), "sqlite"), _migrations(copie.cursor())


COLONNES = {
    "postgresql": "SELECT table_name, column_name FROM information_schema.columns "
    "WHERE table_schema = current_schema()",
    "sqlite": "SELECT m.name, c.name FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS c "
    "WHERE m.type = 'table'",
}


def _references(cursor, moteur):
    """The media files the database names: every FileField's column that exists in it (a
    database behind the code's migrations lacks the newest ones)."""
    cursor.execute(COLONNES[moteur])
    colonnes = {tuple(row) for row in cursor.fetchall()}
    noms = set()
    for model in apps.get_models():
        table = model._meta.db_table
        for field in model._meta.local_concrete_fields:
            if isinstance(field, models.FileField) and (table, field.column) in colonnes:
                cursor.execute(f'SELECT "{field.column}" FROM "{table}" WHERE "{field.column}" <> \'\'')
                noms.update(row[0] for row in cursor.fetchall())
    return noms


def _migrations(cursor):
    """The last migration applied of each app."""
    cursor.execute("SELECT app, name FROM django_migrations")
    dernieres = {}
    for app, name in cursor.fetchall():
        dernieres[app] = max(dernieres.get(app, ""), name)
    return dict(sorted(dernieres.items()))


def _archiver(media_root, cible):
    """Archive MEDIA_ROOT under ``media/``; returns the names of the files archived."""
    temporaires = re.compile(rf"^media/{re.escape(TEMPORAIRE)}")
    with tarfile.open(cible, "w") as tar:
        if media_root.is_dir():
            tar.add(media_root, arcname="media", filter=lambda i: None if temporaires.match(i.name) else i)
        return {m.name.removeprefix("media/") for m in tar.getmembers() if m.isfile()}


def _empreinte(chemin):
    with chemin.open("rb") as fichier:
        return {"taille": chemin.stat().st_size, "sha256": hashlib.file_digest(fichier, "sha256").hexdigest()}


def _version():
    with (settings.BASE_DIR / "pyproject.toml").open("rb") as fichier:
        version = tomllib.load(fichier)["project"]["version"]
    try:
        git = subprocess.run(
            ["git", "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"], capture_output=True, text=True
        )
    except OSError:  # no git in the image
        return {"version": version, "commit": None}
    return {"version": version, "commit": git.stdout.strip() if git.returncode == 0 else None}


def _client(commande, base):
    """Run a PostgreSQL client program with the connection settings of ``base``."""
    env = {**os.environ, **(DatabaseClient.settings_to_cmd_args_env(base, [])[1] or {})}
    for variable, cle in [("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")]:
        if base.get(cle):
            env[variable] = str(base[cle])
    try:
        resultat = subprocess.run(commande, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise SauvegardeErreur(
            f"{commande[0]} est introuvable : installez le paquet postgresql-client."
        ) from None
    if resultat.returncode:
        raise SauvegardeErreur(f"{commande[0]} a échoué : {resultat.stderr.strip()}")


# --- Restoration -----------------------------------------------------------------------------


def verifier(dossier):
    """Read a backup's manifest and check the size and sha256 of its parts."""
    dossier = Path(dossier)
    try:
        manifeste = json.loads((dossier / MANIFESTE).read_text())
    except FileNotFoundError:
        raise SauvegardeErreur(
            f"« {dossier} » ne contient pas de {MANIFESTE} : ce n'est pas une sauvegarde du portail."
        ) from None
    except (OSError, ValueError) as exc:
        raise SauvegardeErreur(f"{MANIFESTE} de « {dossier} » est illisible : {exc}") from None
    if manifeste.get("format") != FORMAT:
        raise SauvegardeErreur(f"Format de sauvegarde inconnu : {manifeste.get('format')!r}.")
    abimes = []
    for partie in (manifeste["base"], manifeste["media"]):
        chemin = dossier / partie["fichier"]
        if not chemin.is_file():
            abimes.append(f"{partie['fichier']} manque")
        elif _empreinte(chemin) != {"taille": partie["taille"], "sha256": partie["sha256"]}:
            abimes.append(f"{partie['fichier']} ne correspond pas à son empreinte")
    if abimes:
        raise SauvegardeErreur(
            f"Sauvegarde « {dossier} » abîmée, rien n'a été restauré : {' ; '.join(abimes)}."
        )
    return manifeste


def tables(base):
    """The number of tables of the database ``base`` (a DATABASES entry)."""
    cible = load_backend(base["ENGINE"]).DatabaseWrapper(base, alias="restauration")
    try:
        with cible.cursor() as cursor:
            return len(cible.introspection.table_names(cursor))
    except DatabaseError as exc:
        raise SauvegardeErreur(f"La base « {base['NAME']} » ne répond pas : {exc}".strip()) from None
    finally:
        cible.close()


def restaurer(dossier, *, base, media_root, ecraser=False):
    """Restore the backup ``dossier`` into the database ``base`` and the folder ``media_root``.

    Checks first, changes nothing on a refusal; the media files are unpacked beside the current
    ones, then the database is restored in one transaction, then the files take the place of the
    old ones by renames. Returns the manifest."""
    dossier, media_root = Path(dossier), Path(media_root)
    manifeste = verifier(dossier)
    moteur = MOTEURS.get(base["ENGINE"], base["ENGINE"])
    if manifeste["moteur"] != moteur:
        raise SauvegardeErreur(
            f"Cette sauvegarde vient d'une base {manifeste['moteur']} ; la base cible est {moteur}."
        )
    existantes = tables(base)
    if existantes and not ecraser:
        raise SauvegardeErreur(
            f"La base « {base['NAME']} » n'est pas vide ({existantes} tables) : la restauration "
            "remplacerait ses données. Relancez avec --ecraser pour confirmer."
        )
    nouveau = _extraire(dossier / MEDIA, media_root)
    try:
        if moteur == "postgresql":
            # One transaction: a failure leaves the database as it was.
            _client(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    f"--dbname={base['NAME']}",
                    str(dossier / manifeste["base"]["fichier"]),
                ],
                base,
            )
        else:
            _restaurer_sqlite(dossier / manifeste["base"]["fichier"], base["NAME"])
    except BaseException:
        shutil.rmtree(nouveau, ignore_errors=True)
        raise
    _remplacer(media_root, nouveau)
    return manifeste


def _restaurer_sqlite(copie, nom):
    """The backup API the other way: the whole target replaced in one write transaction."""
    nom = str(nom)
    with (
        closing(sqlite3.connect(copie)) as source,
        closing(sqlite3.connect(nom, uri=nom.startswith("file:"))) as cible,
    ):
        source.backup(cible)


def _extraire(archive, media_root):
    """Unpack the archive into a new folder inside MEDIA_ROOT (same disk: the final moves are
    renames, and MEDIA_ROOT may be a mount point that cannot itself be renamed)."""
    media_root.mkdir(parents=True, exist_ok=True)
    nouveau = Path(tempfile.mkdtemp(prefix=f"{TEMPORAIRE}nouveau-", dir=media_root))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(nouveau, filter="data")
        (nouveau / "media").mkdir(exist_ok=True)
    except BaseException:
        shutil.rmtree(nouveau, ignore_errors=True)
        raise
    return nouveau


def _remplacer(media_root, nouveau):
    """Move the current files aside, move the restored ones in, then drop the old ones."""
    ancien = Path(tempfile.mkdtemp(prefix=f"{TEMPORAIRE}ancien-", dir=media_root))
    for entree in list(media_root.iterdir()):
        if entree not in (nouveau, ancien):
            entree.rename(ancien / entree.name)
    for entree in list((nouveau / "media").iterdir()):
        entree.rename(media_root / entree.name)
    shutil.rmtree(ancien)
    shutil.rmtree(nouveau)
