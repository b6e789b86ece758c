"""PostgreSQL: each published fiche's services, enjeux and catégories, for the catalogue's facets.

One column on atlaas_ficheaction, outside the model (no field: the ORM neither loads nor writes
it, so saving a fiche never overwrites it): the sorted array of the fiche's distinct codes
4 × id + 1 for a service, + 2 for an enjeu, + 3 for a catégorie. atlaas.catalogue.indexer() writes
it with the search vector, and rewrites it when the taxonomy changes. SQLite (embedded mode) has
none of this: its facets join the taxonomy.
"""

from django.db import migrations

POSTGRESQL = [
    "ALTER TABLE atlaas_ficheaction ADD COLUMN taxonomie_ids bigint[]",
    # The published fiches, as atlaas.catalogue.indexer() writes them.
    """UPDATE atlaas_ficheaction AS f SET taxonomie_ids = ARRAY(
        SELECT DISTINCT v.code
        FROM atlaas_ficheaction_services AS l
        JOIN atlaas_service AS s ON s.id = l.service_id
        JOIN atlaas_enjeu AS e ON e.id = s.enjeu_id
        CROSS JOIN LATERAL (VALUES (l.service_id * 4 + 1), (s.enjeu_id * 4 + 2), (e.categorie_id * 4 + 3))
            AS v (code)
        WHERE l.ficheaction_id = f.id
        ORDER BY v.code
    )
    WHERE f.state = 'publiee' AND f.revision_of_id IS NULL""",
    # The whole Atlaas (no text, no facet) reads its newest fiches from this index, in order, and
    # once VACUUM has marked the pages all-visible (autovacuum, index_atlaas), its counts too
    # (index-only scan: narrow rows instead of the wide fiches).
    "CREATE INDEX fiche_catalogue ON atlaas_ficheaction (published_at DESC, id DESC) "
    "INCLUDE (collectivite_id, date_debut, taxonomie_ids) "
    "WHERE state = 'publiee' AND revision_of_id IS NULL",
]
POSTGRESQL_REVERSE = [
    "DROP INDEX IF EXISTS fiche_catalogue",
    "ALTER TABLE atlaas_ficheaction DROP COLUMN IF EXISTS taxonomie_ids",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("atlaas", "0003_catalogue"),
    ]

    operations = [
        migrations.RunPython(_run(POSTGRESQL), _run(POSTGRESQL_REVERSE)),
    ]
