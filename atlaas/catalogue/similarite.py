"""Similar fiches, shown on a published fiche's page: the fiches of other collectivités that share
the most services with it, then the most words of its title and summary.

The candidates are, for each of the fiche's services, the ``CANDIDATS`` fiches most recently
created with that service (read backwards through the index of the services' links on
``(service_id, ficheaction_id DESC)``, migration 0010), not every fiche sharing a service: the
cost is that of a few hundred index entries and rows read by primary key, whatever the size of
the Atlaas (it grew with it: 679 ms at 1.5 M fiches). The shared services are counted among
those candidates; a recent fiche is always fully counted.

Chosen over similar fiches computed in the background and stored: nothing to keep up to date
(a new fiche is a candidate at once, an unpublished one is gone at once), no column, no task
and no job to fill the fiches never computed. Read through ``lecture.lire`` (a replica, else the
primary): the fiche's page is kept in the cache under the catalogue's version, as a search is.
"""

from collections import Counter

from django.db import connections

from atlaas import francais
from atlaas.models import FicheAction

from . import lecture

CANDIDATS = 200  # per service of the fiche
LUS = 50  # candidates read and compared word for word: those sharing the most services, newest first
LIENS = FicheAction.services.through._meta.db_table


def _candidats(services_ids, using):
    """{fiche id: number of ``services_ids`` it shares}, among each service's ``CANDIDATS``
    latest fiches (one query: a bounded read of the index per service)."""
    services_ids = sorted(set(services_ids))
    # One sub-select per service, each ordered and limited on its own (SQLite refuses ORDER BY
    # and LIMIT on the parts of a UNION, PostgreSQL and SQLite accept them in a FROM).
    parts = [
        f"SELECT ficheaction_id FROM (SELECT ficheaction_id FROM {LIENS} WHERE service_id = %s "
        f"ORDER BY ficheaction_id DESC LIMIT {CANDIDATS}) AS s{i}"
        for i in range(len(services_ids))
    ]
    with connections[using].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), services_ids)
        return Counter(pk for (pk,) in cursor.fetchall())


def similaires(fiche, services_ids, nombre=4):
    """Published fiches of other collectivités sharing the most services with ``fiche``; among
    those, the ones whose title and summary share the most words with its own. Two queries,
    reading at most ``CANDIDATS`` links per service and ``LUS`` fiches."""
    if not services_ids:
        return []
    return lecture.lire(lambda using: _similaires(fiche, services_ids, nombre, using))[1]


def _similaires(fiche, services_ids, nombre, using):
    communs = _candidats(services_ids, using)
    communs.pop(fiche.pk, None)
    if not communs:
        return []
    lus = sorted(communs, key=lambda pk: (communs[pk], pk), reverse=True)[:LUS]
    mots = set(francais.stems(f"{fiche.titre} {fiche.sous_titre}"))
    candidats = (
        FicheAction.objects.using(using)
        .published()
        .filter(pk__in=lus)
        .exclude(collectivite_id=fiche.collectivite_id)
        .select_related("collectivite__departement")
        .order_by()
        .only(
            "pk",
            "titre",
            "sous_titre",
            "published_at",
            "collectivite__nom",
            "collectivite__departement__code",
        )
    )

    def score(candidat):
        mots_communs = len(mots & set(francais.stems(f"{candidat.titre} {candidat.sous_titre}")))
        return communs[candidat.pk], mots_communs, candidat.published_at, candidat.pk

    return sorted(candidats, key=score, reverse=True)[:nombre]
