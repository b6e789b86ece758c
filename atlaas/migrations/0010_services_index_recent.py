"""The links of fiches to services read by service, newest fiche first: the candidates of a
fiche's similar fiches (``catalogue.similarite``) are each service's latest few hundred, read
backwards through this index instead of every fiche of the service. Plain SQL: the links' table
is Django's own (``FicheAction.services``), which declares no index; the same statement on
PostgreSQL and SQLite."""

from django.db import migrations

INDEX = "atlaas_ficheaction_services_service_recent"


class Migration(migrations.Migration):
    dependencies = [
        ("atlaas", "0009_fiche_publiee_collectivite"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {INDEX} ON atlaas_ficheaction_services (service_id, ficheaction_id DESC)",
            f"DROP INDEX {INDEX}",
        ),
    ]
