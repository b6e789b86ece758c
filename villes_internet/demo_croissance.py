"""A large Atlaas for benchmarks, grown in SQL from the demo's published fiches (PostgreSQL).

``manage.py demo --fiches N`` above ``BASE`` (15,000) builds the usual demo of ``BASE`` fiches in
Python, then ``grandir`` copies its published fiches in a few SQL statements until the Atlaas has
as many published fiches as a demo of N would (the share of the ``BASE`` fiches published, about 17
in 20): each copy keeps its texts and services, its title gets one of ``SUITES`` (« … — deuxième
phase »), its dates go back by 0 to 364 days (a different number per fiche and copy), and it goes
to one of the referential's active collectivités, spread evenly over all of them: the Atlaas of
every commune describing its actions (about 40 fiches each at 1.5 million), not the demo's few
hundred collectivités with thousands of fiches each. The copies are written in the order of their
publication, their search vector is the source's with the words of the new title, subtitle and
collectivité (no long text is parsed again), and the trigger of migration 0005 writes the
catalogue's copy (``FicheRecherche``). The secondary indexes of the fiches and of that copy, and
the foreign keys of the fiches and of their services, are dropped during the load and built again
after it, which is faster than keeping them up to date and checking them row by row (the demo
command's ANALYZE follows). The copies have no contacts, history or dossiers: the catalogue's
search and pages are what they are for.
"""

import time

from django.db import connection, transaction
from django.db.models import F

from atlaas import catalogue
from atlaas.models import Collectivite, ExportCatalogue, FicheAction

from . import demo

BASE = 15_000
SUITES = [
    "deuxième phase",
    "nouvelle édition",
    "extension du dispositif",
    "volet jeunesse",
    "volet rural",
    "bilan et suite",
    "version intercommunale",
    "reprise du projet",
]
TABLES = ("atlaas_ficheaction", "atlaas_ficherecherche", "atlaas_ficheaction_services")

_PLAN = """
CREATE TEMPORARY TABLE croissance_plan ON COMMIT DROP AS
WITH sources AS (
    SELECT id, published_at, row_number() OVER (ORDER BY id) - 1 AS rn
    FROM atlaas_ficheaction WHERE state = 'publiee' AND revision_of_id IS NULL
), cibles AS (
    SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM atlaas_collectivite WHERE active
), copies AS (
    SELECT s.id AS source, r / n.p + 1 AS k, ((s.id * 37 + (r / n.p) * 101) %% 365)::int AS recul,
        s.published_at, r %% n.c AS cible
    FROM generate_series(0, %s - 1) AS r
    CROSS JOIN (SELECT (SELECT count(*) FROM sources) AS p, (SELECT count(*) FROM cibles) AS c) AS n
    JOIN sources AS s ON s.rn = r %% n.p
)
SELECT source, k, recul, published_at - make_interval(days => recul) AS publiee, c.id AS collectivite,
    (SELECT COALESCE(max(id), 0) FROM atlaas_ficheaction)
        + row_number() OVER (ORDER BY published_at - make_interval(days => recul), source, k) AS id
FROM copies JOIN cibles AS c ON c.rn = copies.cible
"""
_TITRE = "left(f.titre || ' — ' || (%s::text[])[1 + (p.k - 1) %% {n}], 200)"


def grandir(fiches, stdout=None, chrono=None):
    """Copy the published fiches until there are as many as a demo of ``fiches`` would publish.
    Returns the number of copies written. ``chrono`` (``demo.Chrono``) times its phases."""
    if connection.vendor != "postgresql" or fiches <= BASE:
        return 0
    toutes = FicheAction.objects.count()
    publiees = FicheAction.objects.published().count()
    copies = round(fiches * publiees / toutes) - publiees
    if copies <= 0 or not publiees or not Collectivite.objects.actives().exists():
        return 0
    debut = time.monotonic()
    chrono = chrono or demo.Chrono()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        # A demo lost in a crash is built again: its commit need not wait for the disk.
        cursor.execute("SET LOCAL synchronous_commit = off")
        # The checks still pending in a caller's transaction that wrote fiches are done now: a
        # table with checks pending can be neither altered nor indexed.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        index, cles = _index_secondaires(cursor), _cles_etrangeres(cursor)
        for nom, _definition in index:
            cursor.execute(f'DROP INDEX "{nom}"')
        for table, nom, _definition in cles:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{nom}"')
        with chrono.phase("plan des copies"):
            cursor.execute(_PLAN, [copies])
            cursor.execute("CREATE INDEX ON croissance_plan (id)")
            cursor.execute("ANALYZE croissance_plan")
        with chrono.phase(f"{copies} copies de fiches (et leur copie de recherche)"):
            _copier(cursor)
        with chrono.phase("leurs services"):
            cursor.execute(
                """INSERT INTO atlaas_ficheaction_services (ficheaction_id, service_id)
                SELECT p.id, l.service_id FROM croissance_plan AS p
                JOIN atlaas_ficheaction_services AS l ON l.ficheaction_id = p.source"""
            )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('atlaas_ficheaction', 'id'), "
            "(SELECT max(id) FROM atlaas_ficheaction))"
        )
        with chrono.phase(f"{len(index)} index et {len(cles)} clés étrangères"):
            for _nom, definition in index:
                cursor.execute(definition)
            for table, nom, definition in cles:  # each checked by one query over the table
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{nom}" {definition}')
        # The full export is owed (Celery beat writes it); the cached searches are forgotten.
        ExportCatalogue.objects.filter(pk=ExportCatalogue.UNIQUE).update(changements=F("changements") + 1)
        transaction.on_commit(catalogue.index.nouvelle_version)  # as a publication renews it
    if stdout:
        stdout.write(f"Atlaas agrandi de {copies} fiches publiées en {time.monotonic() - debut:.1f} s.")
    return copies


def _index_secondaires(cursor):
    """(name, definition) of the indexes of ``TABLES`` that no constraint owns."""
    cursor.execute(
        """SELECT i.indexname, i.indexdef FROM pg_indexes AS i
        WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conname = i.indexname)
        ORDER BY i.tablename, i.indexname""",
        [list(TABLES)],
    )
    return cursor.fetchall()


def _cles_etrangeres(cursor):
    """(table, name, definition) of the foreign keys of ``TABLES``: checked row by row while the
    copies are written, they took longer than the copies themselves; added again after the load,
    each is checked by one query."""
    cursor.execute(
        """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint AS c
        WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])
        ORDER BY 1, 2""",
        [list(TABLES)],
    )
    return cursor.fetchall()


def _copier(cursor):
    """The copies, in the order of their ids (that of their publication): read through the plan's
    index with the sources found by their primary key, nothing sorted."""
    colonnes = [f.column for f in FicheAction._meta.concrete_fields if f.column != "id"]
    titre = _TITRE.format(n=len(SUITES))
    valeurs = {
        "titre": titre,
        "date_debut": "f.date_debut - p.recul",
        "date_fin": "f.date_fin - p.recul",
        "collectivite_id": "p.collectivite",
        "published_at": "p.publiee",
        "created_at": "p.publiee",
        "updated_at": "p.publiee",
        # As catalogue.index writes it, the source's long texts (weights C and D) kept as they are.
        "search_vector": f"setweight(to_tsvector('french_unaccent', {titre}), 'A') "
        "|| setweight(to_tsvector('french_unaccent', concat_ws(' ', f.sous_titre, c.nom)), 'B') "
        "|| ts_filter(f.search_vector, '{c,d}')",
    }
    select = ", ".join(valeurs.get(colonne, f"f.{colonne}") for colonne in colonnes)
    cursor.execute("SET LOCAL enable_hashjoin = off")
    cursor.execute("SET LOCAL enable_mergejoin = off")
    cursor.execute("SET LOCAL enable_sort = off")
    cursor.execute(
        f"""INSERT INTO atlaas_ficheaction (id, {", ".join(colonnes)}, {catalogue.TAXONOMIE})
        SELECT p.id, {select}, f.{catalogue.TAXONOMIE}
        FROM croissance_plan AS p JOIN atlaas_ficheaction AS f ON f.id = p.source
        JOIN atlaas_collectivite AS c ON c.id = p.collectivite
        ORDER BY p.id""",
        [SUITES, SUITES],
    )
