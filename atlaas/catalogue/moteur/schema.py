"""The engine's fields, its words' analyser (PostgreSQL's ``french_unaccent``), and its index
opened once in each process: read as it is, or made (again) by the writer."""

import functools
import logging
import os
import shutil
from pathlib import Path

from django.conf import settings
from django.db import connection

from atlaas import francais

logger = logging.getLogger("atlaas.catalogue.moteur")

# A fiche's texts (``f``, its collectivité ``c``), weighed as search_vector's A, B, C and D (also
# ``catalogue.index``): {engine's field: (SQL of the text, PostgreSQL's weight, ts_rank's weight)}.
TEXTES = {
    "titre": ("f.titre", "A", 1.0),
    "resume": ("concat_ws(' ', f.sous_titre, c.nom)", "B", 0.4),
    "corps": ("concat_ws(' ', f.description, f.synthese, f.resultats)", "C", 0.2),
    "annexes": ("concat_ws(' ', f.recommandations, f.outils, f.partenaires, f.public_cible)", "D", 0.1),
}
CHAMPS = {champ: poids for champ, (_sql, _lettre, poids) in TEXTES.items()}
MEMOIRE = 128 * 1024 * 1024  # the writer's memory, for all its threads


class Indisponible(Exception):
    """The engine cannot answer (no index yet, a damaged folder): PostgreSQL answers instead."""


def actif():
    return bool(settings.ATLAAS_MOTEUR) and connection.vendor == "postgresql"


def _analyseur():
    import tantivy

    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.custom_stopword(sorted(francais.STOP_WORDS)))
        .filter(tantivy.Filter.stemmer("french"))
        .build()
    )


@functools.cache
def definition():
    import tantivy

    schema = tantivy.SchemaBuilder()
    schema.add_integer_field("id", indexed=True, fast=True)
    schema.add_integer_field("publiee", fast=True)  # microseconds since the epoch: the date order
    # Counted facets as words (raw text): tantivy counts them by their ordinals, ten times faster
    # than integers (the taxonomy's codes at 1.28 million fiches: 8 ms instead of 80).
    schema.add_text_field("annee", tokenizer_name="raw", fast=True, index_option="basic")
    schema.add_integer_field("collectivite", indexed=True)
    schema.add_text_field("nature", tokenizer_name="raw", fast=True, index_option="basic")
    schema.add_integer_field("population", indexed=True, fast=True)
    schema.add_text_field("groupe", tokenizer_name="raw", fast=True, index_option="basic")  # nature:stratum
    schema.add_text_field("niveau", tokenizer_name="raw", fast=True, index_option="basic")
    schema.add_text_field("departement", tokenizer_name="raw", fast=True, index_option="basic")
    schema.add_text_field("region", tokenizer_name="raw", fast=True, index_option="basic")
    schema.add_text_field("taxonomie", tokenizer_name="raw", index_option="basic")  # a code each, for filters
    # The fiche's codes as one word, for the counts: its fiches grouped by their codes first (a
    # thousand distinct sets, whatever the number of fiches), as PostgreSQL's query groups them;
    # counting every code of every fiche took 80 ms of the whole Atlaas' 97 at 1.28 million fiches.
    schema.add_text_field("taxonomies", tokenizer_name="raw", fast=True, index_option="basic")
    for champ in CHAMPS:
        schema.add_text_field(champ, tokenizer_name="fr", index_option="position")
    return schema.build()


_ouverts = {}


def index_ouvert(creer=False):
    """The engine's index in this process (one per folder and process: a forked worker opens
    its own). Raises Indisponible if the folder holds no index, or a damaged one; with
    ``creer``, an index is made there instead (a damaged one's files removed first)."""
    import tantivy

    dossier = Path(settings.ATLAAS_MOTEUR)
    cle = (os.getpid(), str(dossier))
    if cle not in _ouverts:
        try:
            if not creer and not tantivy.Index.exists(str(dossier)):
                raise Indisponible(f"aucun index dans {dossier}")
            dossier.mkdir(parents=True, exist_ok=True)
            index = _ouvrir(dossier, creer)
        except (OSError, ValueError) as exc:
            raise Indisponible(str(exc)) from exc
        index.register_tokenizer("fr", _analyseur())
        _ouverts[cle] = index
    return _ouverts[cle]


def _ouvrir(dossier, creer):
    """The index in ``dossier``: read as it is; or with ``creer``, made if there is none, made
    again if it is unreadable (damaged files) or of another schema (an index of an earlier
    release: its fields would take no document and answer wrongly)."""
    import tantivy

    if not creer:  # a reader never makes an index, even if the folder empties meanwhile
        index = tantivy.Index.open(str(dossier))
        if index.schema != definition():
            raise ValueError("index d'un autre schéma, à reconstruire")
        return index
    try:
        index = tantivy.Index(definition(), path=str(dossier), reuse=True)
        if index.schema == definition():
            return index
    except (OSError, ValueError):
        pass
    logger.warning("Index du moteur de l'Atlaas illisible ou d'un autre schéma (%s) : refait.", dossier)
    for chemin in dossier.iterdir():
        if chemin.is_dir():
            shutil.rmtree(chemin)
        else:
            chemin.unlink()
    return tantivy.Index(definition(), path=str(dossier), reuse=False)


def oublier():
    """Close the indexes this process opened (a test's folder, removed after it)."""
    _ouverts.clear()
