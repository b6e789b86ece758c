"""PostgreSQL: the fiches the catalogue's search engine must read again (``catalogue.moteur``),
noted by triggers on the narrow copy of the published fiches whatever writes it (a publication,
a withdrawal, a collectivité's or the taxonomy's change, a rebuild): one statement-level trigger
per event, each reading the rows it changed in bulk (a yearly import rewrites a million rows in
one statement), an update noted only for the rows that differ. Each note carries the number of
its change, so that the engine removes a note only if no later change came while it wrote."""

import importlib

from django.db import migrations, models

AVANT = importlib.import_module("atlaas.migrations.0005_fiche_recherche")

NOTER = """INSERT INTO atlaas_aindexer AS a (fiche_id, changement)
    SELECT id, nextval('atlaas_aindexer_changement') FROM ({}) AS changees
    ON CONFLICT (fiche_id) DO UPDATE SET changement = EXCLUDED.changement"""

POSTGRESQL = [
    "CREATE SEQUENCE atlaas_aindexer_changement",
    f"""CREATE FUNCTION atlaas_aindexer_noter() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {NOTER.format("SELECT id FROM nouvelles ORDER BY id")};
        ELSIF TG_OP = 'DELETE' THEN
            {NOTER.format("SELECT id FROM anciennes ORDER BY id")};
        ELSE
            {NOTER.format(
                "SELECT n.id FROM nouvelles AS n JOIN anciennes AS o ON o.id = n.id "
                "WHERE n IS DISTINCT FROM o ORDER BY n.id"
            )};
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER atlaas_aindexer_insert AFTER INSERT ON atlaas_ficherecherche "
    "REFERENCING NEW TABLE AS nouvelles FOR EACH STATEMENT EXECUTE FUNCTION atlaas_aindexer_noter()",
    "CREATE TRIGGER atlaas_aindexer_update AFTER UPDATE ON atlaas_ficherecherche "
    "REFERENCING OLD TABLE AS anciennes NEW TABLE AS nouvelles "
    "FOR EACH STATEMENT EXECUTE FUNCTION atlaas_aindexer_noter()",
    "CREATE TRIGGER atlaas_aindexer_delete AFTER DELETE ON atlaas_ficherecherche "
    "REFERENCING OLD TABLE AS anciennes FOR EACH STATEMENT EXECUTE FUNCTION atlaas_aindexer_noter()",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER atlaas_aindexer_delete ON atlaas_ficherecherche",
    "DROP TRIGGER atlaas_aindexer_update ON atlaas_ficherecherche",
    "DROP TRIGGER atlaas_aindexer_insert ON atlaas_ficherecherche",
    "DROP FUNCTION atlaas_aindexer_noter()",
    "DROP SEQUENCE atlaas_aindexer_changement",
]


class Migration(migrations.Migration):
    dependencies = [
        ("atlaas", "0012_fiche_recherche_collectivite"),
    ]

    operations = [
        migrations.CreateModel(
            name="AIndexer",
            fields=[
                ("fiche_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("changement", models.BigIntegerField(db_index=True)),
            ],
            options={"default_permissions": ()},
        ),
        migrations.RunPython(AVANT._run(POSTGRESQL), AVANT._run(POSTGRESQL_REVERSE)),
    ]
