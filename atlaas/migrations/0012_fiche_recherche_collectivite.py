"""PostgreSQL: the collectivité's columns a search's facets count (type, stratum, level,
département, région) copied into the catalogue's narrow copy of the fiches (FicheRecherche), so
that a search groups its fiches by them instead of looking up each of their collectivités. The
copy's trigger reads them with the fiche; a trigger on the collectivités writes them again into
its fiches' rows when they change (a palmarès' levels, the yearly populations), whatever wrote
them. The index of the newest fiches includes them: the whole Atlaas is still counted from it
alone. SQLite keeps joining the collectivités: its copy stays empty.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

AVANT = importlib.import_module("atlaas.migrations.0005_fiche_recherche")
COLONNES = AVANT.COLONNES
NOUVELLES = AVANT.NOUVELLES
DE_LA_COLLECTIVITE = "nature, population, niveau, departement_id, region_id"
LUES = ", ".join(f"c.{colonne}" for colonne in DE_LA_COLLECTIVITE.split(", "))
TOUTES = f"{COLONNES}, {DE_LA_COLLECTIVITE}"
ANCIENNES = ", ".join(f"r.{colonne}" for colonne in TOUTES.split(", "))
EXCLUES = ", ".join(f"EXCLUDED.{colonne}" for colonne in TOUTES.split(", "))
RECENTES = (
    "CREATE INDEX fiche_recherche_recentes ON atlaas_ficherecherche (published_at DESC, id DESC) "
    "INCLUDE (collectivite_id, date_debut, taxonomie_ids{})"
)

POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION atlaas_copier_fiche_recherche() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        c record;
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM atlaas_ficherecherche WHERE id = OLD.id;
            RETURN NULL;
        ELSIF NEW.state <> 'publiee' OR NEW.revision_of_id IS NOT NULL THEN
            DELETE FROM atlaas_ficherecherche WHERE id = NEW.id;
            RETURN NULL;
        END IF;
        -- Locked until the commit: a change of the collectivité made meanwhile waits for it, then
        -- its trigger writes this row again (without the lock, a row written from the columns
        -- read before that change, or a new row that change could not see, would keep them).
        SELECT {DE_LA_COLLECTIVITE} INTO c FROM atlaas_collectivite WHERE id = NEW.collectivite_id
        FOR SHARE;
        IF NEW.search_vector IS NULL THEN
            -- Not indexed yet (its publication indexes it in the same transaction): no new row,
            -- and a fiche already in the copy keeps its row.
            UPDATE atlaas_ficherecherche AS r SET ({TOUTES}) = ({NOUVELLES}, {LUES})
            WHERE r.id = NEW.id AND ({ANCIENNES}) IS DISTINCT FROM ({NOUVELLES}, {LUES});
        ELSE
            INSERT INTO atlaas_ficherecherche AS r (id, {TOUTES}) VALUES (NEW.id, {NOUVELLES}, {LUES})
            ON CONFLICT (id) DO UPDATE SET ({TOUTES}) = ({EXCLUES})
            WHERE ({ANCIENNES}) IS DISTINCT FROM ({EXCLUES});  -- else nothing is written
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION atlaas_collectivite_recherche() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE atlaas_ficherecherche SET (nature, population, niveau, departement_id, region_id)
            = (NEW.nature, NEW.population, NEW.niveau, NEW.departement_id, NEW.region_id)
        WHERE collectivite_id = NEW.id;
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER atlaas_collectivite_recherche
    AFTER UPDATE OF {DE_LA_COLLECTIVITE} ON atlaas_collectivite FOR EACH ROW
    WHEN (({", ".join(f"OLD.{c}" for c in DE_LA_COLLECTIVITE.split(", "))})
        IS DISTINCT FROM ({", ".join(f"NEW.{c}" for c in DE_LA_COLLECTIVITE.split(", "))}))
    EXECUTE FUNCTION atlaas_collectivite_recherche()""",
    # A collectivité written after its fiches in one transaction (checks deferred to the commit).
    "CREATE TRIGGER atlaas_collectivite_recherche_creee AFTER INSERT ON atlaas_collectivite "
    "FOR EACH ROW EXECUTE FUNCTION atlaas_collectivite_recherche()",
    # The index of the newest fiches dropped before the rows are written: not kept up to date row
    # by row, built once after.
    "DROP INDEX fiche_recherche_recentes",
    f"""UPDATE atlaas_ficherecherche AS r SET ({DE_LA_COLLECTIVITE}) = ({LUES})
    FROM atlaas_collectivite AS c WHERE c.id = r.collectivite_id""",
    RECENTES.format(f", {DE_LA_COLLECTIVITE}"),
]
POSTGRESQL_REVERSE = [
    "DROP INDEX fiche_recherche_recentes",
    RECENTES.format(""),
    "DROP TRIGGER atlaas_collectivite_recherche_creee ON atlaas_collectivite",
    "DROP TRIGGER atlaas_collectivite_recherche ON atlaas_collectivite",
    "DROP FUNCTION atlaas_collectivite_recherche()",
    AVANT.POSTGRESQL[1].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1),
]


class Migration(migrations.Migration):
    dependencies = [
        ("atlaas", "0011_fiche_recherche_debut"),
    ]

    operations = [
        migrations.AddField(
            model_name="ficherecherche",
            name="departement",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="atlaas.departement",
            ),
        ),
        migrations.AddField(
            model_name="ficherecherche",
            name="nature",
            field=models.CharField(max_length=7, null=True),
        ),
        migrations.AddField(
            model_name="ficherecherche",
            name="niveau",
            field=models.PositiveSmallIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="ficherecherche",
            name="population",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="ficherecherche",
            name="region",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="atlaas.region",
            ),
        ),
        migrations.RunPython(AVANT._run(POSTGRESQL), AVANT._run(POSTGRESQL_REVERSE)),
    ]
