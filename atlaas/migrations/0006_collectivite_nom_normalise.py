"""Collectivités are searched by a normalised name (``francais.normaliser_nom``), stored beside it.

The referential already loaded (about 36,000 rows) gets its column in one statement: the keys are
computed in Python (the function is Python's, the same the code uses) and written by one UPDATE
joined to arrays on PostgreSQL, one prepared UPDATE repeated on SQLite.
"""

from django.db import migrations, models

from atlaas.francais import normaliser_nom


def remplir(apps, schema_editor):
    Collectivite = apps.get_model("atlaas", "Collectivite")
    ids, cles = [], []
    for pk, nom in Collectivite.objects.values_list("pk", "nom").iterator(chunk_size=5000):
        ids.append(pk)
        cles.append(normaliser_nom(nom))
    if not ids:
        return
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE atlaas_collectivite AS c SET nom_normalise = v.cle "
                "FROM unnest(%s::bigint[], %s::text[]) AS v (id, cle) WHERE c.id = v.id",
                [ids, cles],
            )
        else:
            cursor.executemany(
                "UPDATE atlaas_collectivite SET nom_normalise = %s WHERE id = %s", list(zip(cles, ids))
            )


class Migration(migrations.Migration):

    dependencies = [
        ("atlaas", "0005_fiche_recherche"),
    ]

    operations = [
        migrations.AddField(
            model_name="collectivite",
            name="nom_normalise",
            field=models.CharField(blank=True, editable=False, max_length=200, verbose_name="nom normalisé"),
        ),
        migrations.RunPython(remplir, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="collectivite",
            index=models.Index(fields=["nom_normalise"], name="atlaas_coll_nom_nor_3a4fd1_idx"),
        ),
    ]
