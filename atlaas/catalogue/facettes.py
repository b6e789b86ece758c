"""The facets of the catalogue: their values, and their counts over a search's fiches.

The values of every facet (``TYPES``, ``STRATES``, the taxonomy, régions, départements, niveaux,
years), their names (``libelles``, kept in the cache) and their counts (``_comptes``: one SQL
query that runs the search once, over its ``PLAFOND`` most recent fiches at most, and on
PostgreSQL also returns the first ids of the results). ``facettes`` turns the counts into the
lists a page shows.
"""

import dataclasses
from contextlib import nullcontext

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import FloatField, Value
from django.db.models.expressions import RawSQL
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from atlaas.models import Collectivite, Departement, Enjeu, FicheAction, Region, Service

from .requete import _pertinence, a_du_sens, par_pertinence


def _libelle_village():
    return _("Village (moins de %(seuil)s habitants)") % {
        "seuil": number_format(settings.SEUIL_VILLAGE, force_grouping=True)
    }


# The type of a collectivité. The Atlaas knows no edition: a village is a commune of fewer
# inhabitants than settings.SEUIL_VILLAGE, the default threshold of the label's editions, and
# the filter's label says which.
TYPES = {
    "village": lazy(_libelle_village, str)(),
    "ville": _("Ville"),
    "territoire": _("Territoire (intercommunalité)"),
}
# Population strata of the label's statistics (DOMAIN.md §6): (label, lowest, highest excluded).
# Fixed by the association's published figures, they do not follow settings.SEUIL_VILLAGE.
STRATES = {
    "moins-3000": (_("Moins de 3 000 habitants"), 0, 3_000),
    "3000-20000": (_("De 3 000 à 20 000 habitants"), 3_000, 20_000),
    "20000-100000": (_("De 20 000 à 100 000 habitants"), 20_000, 100_000),
    "plus-100000": (_("Plus de 100 000 habitants"), 100_000, None),
}


def strate_de(population):
    """The key of a population's stratum (``STRATES``), or None without a population."""
    for cle, (_libelle, bas, haut) in STRATES.items():
        if population is not None and population >= bas and (haut is None or population < haut):
            return cle
    return None


# The facets of the catalogue's query string (``RechercheForm.FACETTES``), in the page's order.
FACETTES = ("categorie", "enjeu", "service", "type", "region", "departement", "strate", "niveau", "annee")

# PostgreSQL: each published fiche's services, enjeux and catégories, in one column outside the
# model (migration 0004, copied into FicheRecherche) for the facets: the sorted array of their
# distinct codes 4 × id + 1 for a service, + 2 for an enjeu, + 3 for a catégorie. One array is
# grouped and unnested faster than three.
TAXONOMIE = "taxonomie_ids"
RANGS = {"service": 1, "enjeu": 2, "categorie": 3}  # a code is 4 × id + its facet's rank
# A search of PostgreSQL (not the engine's, ``moteur``, which weighs every match) weighs at most
# this many fiches, the most recently published of those that match: beyond it, a word found in
# most fiches would make every search grow with the Atlaas. The page
# then says « au moins » and that its counts are those of these fiches; the CSV export keeps
# every match. Above the Atlaas' size today (15,000 fiches): its searches are all exact.
PLAFOND = 20_000
# PostgreSQL's settings for the facets' query: room to sort the PLAFOND most recent matches in
# memory (the default 4 MB spill them to disk); and the cost of reading a page at random, which
# the default (4, for disks) puts far above a page read in sequence, where the narrow copy of the
# fiches and its indexes are read from memory (the default made it read the whole copy rather
# than the index that holds the columns a search counts).
REGLAGES = {"work_mem": "16MB", "random_page_cost": "1.1"}
_REGLAGES_SQL = "SELECT " + ", ".join(
    f"set_config('{nom}', '{valeur}', true)" for nom, valeur in REGLAGES.items()
)


@dataclasses.dataclass
class Valeur:
    valeur: str
    libelle: str
    nombre: int


# The matching fiches are read once (m). Their collectivités' facets are counted over one row per
# combination of type, stratum, level, département and région (c), not one per fiche: on
# PostgreSQL from the collectivité's columns copied into each fiche's row of the catalogue
# (``FicheRecherche``), on SQLite from the collectivités, looked up once each. The years over one
# row per date. The taxonomy's, on PostgreSQL, from each fiche's array of codes (``TAXONOMIE``):
# the fiches are grouped by their array first (about a thousand distinct ones, whatever the number
# of fiches: t), which is then unnested, and a code counts a fiche once with COUNT(*) or SUM since
# each array holds distinct codes. No table is joined but the départements' and régions' codes.
# On SQLite, over one row per fiche and service (t), with COUNT(DISTINCT) for the enjeux and
# catégories.
_FACETTES_SQL = """
WITH m (id, debut, collectivite, publiee, rang{colonnes_m}) AS MATERIALIZED ({fiches}),
c (n, type, strate, niveau, dep, reg) AS MATERIALIZED (
    SELECT SUM(g.n), g.type, g.strate, g.niveau, d.code, r.code
    FROM ({groupes}) AS g
    LEFT JOIN {departements} d ON d.id = g.departement_id
    LEFT JOIN {regions} r ON r.id = g.region_id
    GROUP BY 2, 3, 4, 5, 6
),
{t}
SELECT 'annee', CAST({annee} AS TEXT) AS k, CAST(SUM(n) AS BIGINT)
    FROM (SELECT debut, COUNT(*) AS n FROM m GROUP BY debut) AS j GROUP BY k
UNION ALL SELECT 'type', type, CAST(SUM(n) AS BIGINT) FROM c GROUP BY type
UNION ALL SELECT 'strate', strate, CAST(SUM(n) AS BIGINT) FROM c GROUP BY strate
UNION ALL SELECT 'niveau', CAST(niveau AS TEXT), CAST(SUM(n) AS BIGINT) FROM c
    WHERE niveau IS NOT NULL GROUP BY niveau
UNION ALL SELECT 'departement', dep, CAST(SUM(n) AS BIGINT) FROM c GROUP BY dep
UNION ALL SELECT 'region', reg, CAST(SUM(n) AS BIGINT) FROM c GROUP BY reg
{taxonomie}{ids}"""
# The collectivités' facets, with the number of fiches of each combination (g): on PostgreSQL
# from the fiches' rows (a few hundred combinations), on SQLite from each collectivité.
_COLLECTIVITE = "nature, population, niveau, departement_id, region_id"
_CLES = """CASE WHEN nature = %s THEN 'territoire' WHEN population < %s THEN 'village' ELSE 'ville' END
    AS type, CASE {strates} END AS strate, niveau, departement_id, region_id"""
_GROUPES_PG = f"SELECT {_CLES}, COUNT(*) AS n FROM m GROUP BY 1, 2, 3, 4, 5"
_GROUPES_SQLITE = f"""SELECT {_CLES}, g.n
    FROM (SELECT collectivite, COUNT(*) AS n FROM m GROUP BY collectivite) AS g
    JOIN {{collectivites}} AS c ON c.id = g.collectivite"""
_T_PG = "t (taxonomie, n) AS MATERIALIZED (SELECT taxonomie, COUNT(*) FROM m GROUP BY taxonomie)"
_TAXONOMIE_PG = """UNION ALL SELECT
        CASE mod(k, 4) WHEN 1 THEN 'service' WHEN 2 THEN 'enjeu' ELSE 'categorie' END,
        CAST(k / 4 AS TEXT), CAST(SUM(n) AS BIGINT)
    FROM (SELECT unnest(taxonomie) AS k, n FROM t) AS u GROUP BY k
"""
_T_SQLITE = """t (id, service, enjeu, categorie) AS MATERIALIZED (
    SELECT m.id, l.service_id, s.enjeu_id, e.categorie_id FROM m
    JOIN {liens} l ON l.ficheaction_id = m.id
    JOIN {services} s ON s.id = l.service_id
    JOIN {enjeux} e ON e.id = s.enjeu_id
)"""
_TAXONOMIE_SQLITE = """UNION ALL SELECT 'service', CAST(service AS TEXT), COUNT(*) FROM t GROUP BY service
UNION ALL SELECT 'enjeu', CAST(enjeu AS TEXT), COUNT(DISTINCT id) FROM t GROUP BY enjeu
UNION ALL SELECT 'categorie', CAST(categorie AS TEXT), COUNT(DISTINCT id) FROM t GROUP BY categorie
"""
# PostgreSQL also returns the first ids in the results' order, so the search runs once in all:
# sorted from m; or for the whole Atlaas (no text, no facet), the newest fiches read in that order
# from the index fiche_recherche_recentes (migration 0005), which stops at the first ones instead of
# sorting every fiche (with a filter, reading the index in order would run the filter again).
_IDS_SQL = """UNION ALL SELECT 'ids', array_to_string(ARRAY({premiers}), ','), NULL
"""
_IDS_PAR_RANG = "SELECT id FROM m ORDER BY rang DESC, publiee DESC, id DESC LIMIT %s"


def _restreint(filtres):
    """False for the whole Atlaas: no facet chosen, no text (or only words too common)."""
    return any(nom in filtres for nom in (*FACETTES, "collectivite")) or a_du_sens(filtres.get("q", ""))


def _comptes(qs, filtres=None, limite=0):
    """{facet: {key: count}} over ``qs`` (``filtrer()``'s result), computed in SQL in one query
    that runs the search once, over its PLAFOND most recent fiches at most, on ``qs``'s database.
    On PostgreSQL, with ``limite``, also the first ids of the results in their order, under the
    key "ids"."""
    filtres = filtres or {}
    connection = connections[qs.db]
    postgresql = connection.vendor == "postgresql"
    avec_ids = bool(limite) and postgresql
    if avec_ids and par_pertinence(filtres):
        qs = _pertinence(qs, filtres["q"])
    else:
        qs = qs.annotate(rank=Value(0.0, output_field=FloatField()))
    colonnes = ["pk", "date_debut", "collectivite", "published_at", "rank"]
    fiches = qs
    if postgresql:  # the column of migration 0004, outside the model, and the collectivité's
        colonnes += [TAXONOMIE, *(colonne.removesuffix("_id") for colonne in _COLLECTIVITE.split(", "))]
        fiches = qs.annotate(**{TAXONOMIE: RawSQL(f'"{qs.model._meta.db_table}"."{TAXONOMIE}"', ())})
    fiches = fiches.values(*colonnes).order_by("-published_at", "-pk")[:PLAFOND]
    try:
        sql_fiches, params = fiches.query.get_compiler(qs.db).as_sql()
    except EmptyResultSet:  # a filter that nothing can meet (no collectivité of that kind)
        return {name: {} for name in FACETTES} | ({"ids": []} if avec_ids else {})
    strates = []
    params = [*params, Collectivite.Nature.EPCI, settings.SEUIL_VILLAGE]
    for key, (_label, _bas, haut) in STRATES.items():
        if haut is None:
            strates.append(f"ELSE '{key}'")
        else:
            strates.append(f"WHEN population < %s THEN '{key}'")
            params.append(haut)
    # The years from the dates grouped first: a few thousand of them, not a year per fiche.
    annee, params_annee = connection.ops.date_extract_sql("year", "debut", ())
    params += params_annee
    ids = ""
    if avec_ids and not _restreint(filtres):
        recents, params_recents = (
            qs.order_by("-published_at", "-pk").values("pk")[:limite].query.get_compiler(qs.db).as_sql()
        )
        ids = _IDS_SQL.format(premiers=recents)
        params += params_recents
    elif avec_ids:
        ids = _IDS_SQL.format(premiers=_IDS_PAR_RANG)
        params.append(limite)
    jointure = _T_SQLITE.format(
        liens=FicheAction.services.through._meta.db_table,
        services=Service._meta.db_table,
        enjeux=Enjeu._meta.db_table,
    )
    groupes = (_GROUPES_PG if postgresql else _GROUPES_SQLITE).format(
        strates=" ".join(strates), collectivites=Collectivite._meta.db_table
    )
    sql = _FACETTES_SQL.format(
        fiches=sql_fiches,
        annee=annee,
        colonnes_m=f", taxonomie, {_COLLECTIVITE}" if postgresql else "",
        groupes=groupes,
        departements=Departement._meta.db_table,
        regions=Region._meta.db_table,
        t=_T_PG if postgresql else jointure,
        taxonomie=_TAXONOMIE_PG if postgresql else _TAXONOMIE_SQLITE,
        ids=ids,
    )
    comptes = {name: {} for name in FACETTES}
    # PostgreSQL: the settings of this query, in a transaction of its own. Inside another one
    # (a test) they would last until its end: the query runs without them.
    reglages = postgresql and not connection.in_atomic_block
    with connection.cursor() as cursor, transaction.atomic(qs.db) if reglages else nullcontext():
        if reglages:
            cursor.execute(_REGLAGES_SQL)
        cursor.execute(sql, params)
        lignes = cursor.fetchall()
    for facette, key, nombre in lignes:
        if facette == "ids":
            comptes["ids"] = [int(pk) for pk in key.split(",")] if key else []
        elif key is not None:
            comptes[facette][key] = nombre
    return comptes


def libelles():
    """Names and order of every facet's values. The referential's part (taxonomy, régions,
    départements) is kept ten minutes in the cache; the rest is translated for each request."""
    valeurs = cache.get(LIBELLES)
    if valeurs is None:
        valeurs = {"categorie": {}, "enjeu": {}, "service": {}}
        for service in Service.objects.select_related("enjeu__categorie").order_by(
            "enjeu__categorie__ordre", "enjeu__ordre", "ordre", "nom"
        ):
            enjeu, categorie = service.enjeu, service.enjeu.categorie
            valeurs["categorie"].setdefault(str(categorie.pk), (categorie.slug, categorie.nom))
            valeurs["enjeu"].setdefault(str(enjeu.pk), (enjeu.slug, enjeu.nom))
            valeurs["service"][str(service.pk)] = (service.slug, service.nom)
        valeurs["region"] = {
            code: (code, nom) for code, nom in Region.objects.order_by("nom").values_list("code", "nom")
        }
        valeurs["departement"] = {
            code: (code, f"{nom} ({code})")
            for code, nom in Departement.objects.order_by("code").values_list("code", "nom")
        }
        cache.set(LIBELLES, valeurs, 600)
    return {
        **valeurs,
        "type": {key: (key, str(label)) for key, label in TYPES.items()},
        "strate": {key: (key, str(label)) for key, (label, _b, _h) in STRATES.items()},
        "niveau": {str(n): (str(n), libelle_niveau(n)) for n in range(5, 0, -1)},
    }


LIBELLES = "atlaas:libelles"


def libelle_niveau(niveau):
    """« @@@ (niveau 3) »: the arobases as printed on the town sign, and words for screen readers."""
    return _("%(arobases)s (niveau %(niveau)s)") % {"arobases": "@" * niveau, "niveau": niveau}


def facettes(comptes):
    """{facet: [Valeur, …]} from ``_comptes()``, in the order of the referential."""
    resultat = {}
    for facette, valeurs in libelles().items():
        resultat[facette] = [
            Valeur(valeur, libelle, comptes[facette][key])
            for key, (valeur, libelle) in valeurs.items()
            if comptes[facette].get(key)
        ]
    resultat["annee"] = [Valeur(a, a, n) for a, n in sorted(comptes["annee"].items(), reverse=True)]
    return {name: resultat[name] for name in FACETTES}
