"""The catalogue's search index, written when fiches are published; cached searches forgotten on a change.

``indexer`` writes the index of the published fiches (PostgreSQL: ``search_vector`` and the
taxonomy's codes, ``TAXONOMIE``, which a trigger copies into ``FicheRecherche``; SQLite: the FTS5
table ``atlaas_fiche_fts``); ``indexer_taxonomie`` rewrites the codes after a change of the
taxonomy; ``invalider`` changes the searches' version (``VERSION``) so that no cached search
outlives a change, and owes a new full export (``export.demander``).
"""

import time

from django.core.cache import cache
from django.db import connection, transaction

from atlaas import francais
from atlaas.models import FicheAction
from outbox import envois
from villes_internet import pages

from . import export, lecture, moteur
from .facettes import LIBELLES, TAXONOMIE
from .recherche import VERSION

_PG_CODES = """
SELECT l.ficheaction_id AS fiche, v.code
FROM atlaas_ficheaction_services AS l
JOIN atlaas_service AS s ON s.id = l.service_id
JOIN atlaas_enjeu AS e ON e.id = s.enjeu_id
CROSS JOIN LATERAL (VALUES (l.service_id * 4 + 1), (s.enjeu_id * 4 + 2), (e.categorie_id * 4 + 3)) AS v (code)
"""
_PG_INDEX = f"""
UPDATE atlaas_ficheaction AS f SET search_vector = {
    " || ".join(
        f"setweight(to_tsvector('french_unaccent', {sql}), '{lettre}')"
        for sql, lettre, _poids in moteur.TEXTES.values()
    )
},
    {TAXONOMIE} = ARRAY(SELECT DISTINCT code FROM ({_PG_CODES}) AS codes WHERE fiche = f.id ORDER BY code)
FROM atlaas_collectivite AS c
WHERE c.id = f.collectivite_id AND f.state = 'publiee' AND f.revision_of_id IS NULL
"""
# A full rebuild also removes what the search's copy (FicheRecherche) would hold beyond the
# published fiches, whatever left it there (its trigger disabled for a restore, say).
_PG_COPIE_EN_TROP = """
DELETE FROM atlaas_ficherecherche AS r WHERE NOT EXISTS (
    SELECT 1 FROM atlaas_ficheaction AS f
    WHERE f.id = r.id AND f.state = 'publiee' AND f.revision_of_id IS NULL
)
"""
# After a change of the taxonomy (a service moved to another enjeu, an enjeu to another
# catégorie, a service deleted): the published fiches whose codes change, and only those.
_PG_TAXONOMIE = f"""
UPDATE atlaas_ficheaction AS f SET {TAXONOMIE} = n.codes
FROM (
    SELECT f.id, COALESCE(array_agg(DISTINCT codes.code ORDER BY codes.code)
        FILTER (WHERE codes.code IS NOT NULL), '{{}}')
    FROM atlaas_ficheaction AS f LEFT JOIN ({_PG_CODES}) AS codes ON codes.fiche = f.id
    WHERE f.state = 'publiee' AND f.revision_of_id IS NULL
    GROUP BY f.id
) AS n (id, codes)
WHERE f.id = n.id AND f.{TAXONOMIE} IS DISTINCT FROM n.codes
"""


# Tasks owed with the catalogue's own after a publication, to build what reads the catalogue before
# a visitor asks: the apps that read it add theirs (the observatoire, in its AppConfig.ready),
# since atlaas names none of them (DESIGN.md §2).
PREPARATIONS = []


def invalider(referentiel=False):
    """Forget the searches in the cache and owe a new full export: after a publication, a
    deletion, a change of a collectivité (and with ``referentiel``, of the taxonomy: its names,
    and on PostgreSQL the fiches' codes of services, enjeux and catégories, rewritten where they
    change). Called inside the change's transaction: the version changes at once, and again
    after the commit, since a search made meanwhile may have cached the old state (and a replica's
    position to wait for is that of the commit)."""
    if referentiel:
        indexer_taxonomie()
        cache.delete(LIBELLES)
    nouvelle_version()
    if connection.in_atomic_block:
        transaction.on_commit(_apres_taxonomie if referentiel else nouvelle_version)
    export.demander()
    if moteur.actif():  # the engine reads the change after its commit (and every minute)
        envois.tache(MOTEUR)


MOTEUR = "atlaas.tasks.suivre_moteur"


def suivre_moteur():
    """The search engine, when there is one, reads the fiches changed since it last did
    (``moteur.appliquer``); the searches it answered before are then forgotten. Returns the
    number of fiches it wrote (0 while another process writes: that one takes them)."""
    if not moteur.actif():
        return 0
    try:
        fait = moteur.appliquer()
    except moteur.Indisponible:
        return 0
    if fait:
        nouvelle_version()
    return fait


def reconstruire_moteur():
    """The search engine rewritten whole from the database (``manage.py index_atlaas --moteur``,
    after a restore); the searches it answered before are then forgotten. Returns the number of
    fiches; raises ``moteur.Indisponible`` while another process writes it."""
    fait = moteur.reconstruire()
    nouvelle_version()
    return fait


def nouvelle_version():
    """The version is a time, so that it never comes back to a value used before even if the
    cache lost it. The public pages kept for anonymous visitors follow it (at once in this
    process, within a second in the others). With a replica, the primary's position is noted
    first (``lecture.noter_position``): no search of the new version reads a replica behind it."""
    lecture.noter_position()
    cache.set(VERSION, time.time_ns(), None)
    pages.oublier()


def _apres_taxonomie():
    cache.delete(LIBELLES)
    nouvelle_version()


def indexer_taxonomie():
    """PostgreSQL: write again the codes of services, enjeux and catégories of the published
    fiches that changed with the taxonomy (one UPDATE; the rows that stay the same are not
    written). Returns the number of fiches rewritten."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_PG_TAXONOMIE)
        return cursor.rowcount


def indexer(ids=None):
    """Write the search index of the published fiches ``ids`` (all of them when None)."""
    invalider()
    if cache.add("atlaas:preparer", 1, 10):  # once for a batch of publications
        envois.tache("atlaas.tasks.preparer_catalogue")
        for tache in PREPARATIONS:
            envois.tache(tache)
    if ids is not None:
        ids = list(ids)
        if not ids:
            return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if ids is None:
                cursor.execute(_PG_INDEX)  # its trigger writes the copy's missing rows again
                cursor.execute(_PG_COPIE_EN_TROP)
            else:
                cursor.execute(_PG_INDEX + " AND f.id = ANY(%s)", [ids])
            return
        fiches = FicheAction.objects.published().select_related("collectivite")
        if ids is None:
            cursor.execute("DELETE FROM atlaas_fiche_fts")
        else:
            fiches = fiches.filter(pk__in=ids)
            for debut in range(0, len(ids), 500):
                morceau = ids[debut : debut + 500]
                cursor.execute(
                    f"DELETE FROM atlaas_fiche_fts WHERE rowid IN ({', '.join(['%s'] * len(morceau))})",
                    morceau,
                )
        lignes = []
        for fiche in fiches.iterator(chunk_size=1000):
            lignes.append((fiche.pk, *_colonnes_fts(fiche)))
            if len(lignes) >= 1000:
                _inserer_fts(cursor, lignes)
                lignes = []
        _inserer_fts(cursor, lignes)


def _colonnes_fts(fiche):
    corps = " ".join(
        [
            fiche.description,
            fiche.synthese,
            fiche.resultats,
            fiche.recommandations,
            fiche.outils,
            fiche.partenaires,
            fiche.public_cible,
        ]
    )
    return tuple(
        " ".join(francais.stems(texte))
        for texte in (fiche.titre, fiche.sous_titre, fiche.collectivite.nom, corps)
    )


def _inserer_fts(cursor, lignes):
    if lignes:
        cursor.executemany(
            "INSERT INTO atlaas_fiche_fts (rowid, titre, resume, collectivite, corps) "
            "VALUES (%s, %s, %s, %s, %s)",
            lignes,
        )
