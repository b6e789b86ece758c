"""The year filter of a search read from an index of the fiches' start dates, combined with the
words' index (see FicheRecherche.Meta)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("atlaas", "0010_services_index_recent"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ficherecherche",
            index=models.Index(fields=["date_debut"], name="fiche_recherche_debut"),
        ),
    ]
