"""PostgreSQL: the catalogue searches a narrow copy of the published fiches (FicheRecherche).

The fiches' rows carry their long texts: a word found in a third of 150,000 fiches had the search
read 20,000 pages of them, more than PostgreSQL keeps in memory. The copy holds only what the
search reads (the words, the codes of the taxonomy, the collectivité, the dates), one row per
published fiche once indexed (``catalogue.indexer()``, in the transaction of its publication). A
trigger writes it with each insert, update or deletion of a fiche, whatever wrote it (publication,
revision, admin, deletion, import): it can be neither forgotten nor half-written. The indexes of
the search move from the fiches to the copy. SQLite (embedded mode) keeps searching the fiches:
its table stays empty.
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

COLONNES = "collectivite_id, published_at, date_debut, search_vector, taxonomie_ids"
NOUVELLES = ", ".join(f"NEW.{colonne}" for colonne in COLONNES.split(", "))
ANCIENNES = ", ".join(f"r.{colonne}" for colonne in COLONNES.split(", "))

POSTGRESQL = [
    "ALTER TABLE atlaas_ficherecherche ADD COLUMN taxonomie_ids bigint[]",
    f"""CREATE FUNCTION atlaas_copier_fiche_recherche() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM atlaas_ficherecherche WHERE id = OLD.id;
        ELSIF NEW.state <> 'publiee' OR NEW.revision_of_id IS NOT NULL THEN
            DELETE FROM atlaas_ficherecherche WHERE id = NEW.id;
        ELSIF NEW.search_vector IS NULL THEN
            -- Not indexed yet (its publication indexes it in the same transaction): no new row,
            -- and a fiche already in the copy keeps its row.
            UPDATE atlaas_ficherecherche AS r SET ({COLONNES}) = ({NOUVELLES})
            WHERE r.id = NEW.id AND ({ANCIENNES}) IS DISTINCT FROM ({NOUVELLES});
        ELSE
            INSERT INTO atlaas_ficherecherche AS r (id, {COLONNES}) VALUES (NEW.id, {NOUVELLES})
            ON CONFLICT (id) DO UPDATE SET ({COLONNES}) = ({NOUVELLES})
            WHERE ({ANCIENNES}) IS DISTINCT FROM ({NOUVELLES});  -- else nothing is written
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER atlaas_fiche_recherche AFTER INSERT OR DELETE OR UPDATE OF "
    f"state, revision_of_id, {COLONNES} ON atlaas_ficheaction "
    "FOR EACH ROW EXECUTE FUNCTION atlaas_copier_fiche_recherche()",
    # In the order of publication, as the trigger writes them from now on: a search that reads the
    # most recent first reads neighbouring rows.
    f"""INSERT INTO atlaas_ficherecherche (id, {COLONNES})
    SELECT id, {COLONNES} FROM atlaas_ficheaction
    WHERE state = 'publiee' AND revision_of_id IS NULL AND search_vector IS NOT NULL
    ORDER BY published_at, id""",
    "CREATE INDEX fiche_recherche_mots ON atlaas_ficherecherche USING gin (search_vector)",
    # The whole Atlaas (no text, no facet) reads its newest fiches from this index, in order, and
    # once VACUUM has marked the pages all-visible, its counts too (index-only scan).
    "CREATE INDEX fiche_recherche_recentes ON atlaas_ficherecherche (published_at DESC, id DESC) "
    "INCLUDE (collectivite_id, date_debut, taxonomie_ids)",
    "DROP INDEX fiche_search_vector",
    "DROP INDEX fiche_catalogue",
]
POSTGRESQL_REVERSE = [
    "CREATE INDEX fiche_search_vector ON atlaas_ficheaction USING gin (search_vector)",
    "CREATE INDEX fiche_catalogue ON atlaas_ficheaction (published_at DESC, id DESC) "
    "INCLUDE (collectivite_id, date_debut, taxonomie_ids) "
    "WHERE state = 'publiee' AND revision_of_id IS NULL",
    "DROP TRIGGER atlaas_fiche_recherche ON atlaas_ficheaction",
    "DROP FUNCTION atlaas_copier_fiche_recherche()",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("atlaas", "0004_fiche_taxonomie_ids"),
    ]

    operations = [
        migrations.CreateModel(
            name="FicheRecherche",
            fields=[
                (
                    "fiche",
                    models.OneToOneField(
                        db_column="id",
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="atlaas.ficheaction",
                    ),
                ),
                ("published_at", models.DateTimeField(null=True)),
                ("date_debut", models.DateField()),
                ("search_vector", django.contrib.postgres.search.SearchVectorField(null=True)),
                (
                    "collectivite",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="atlaas.collectivite",
                    ),
                ),
            ],
            options={
                "default_permissions": (),
            },
        ),
        migrations.RunPython(_run(POSTGRESQL), _run(POSTGRESQL_REVERSE)),
    ]
