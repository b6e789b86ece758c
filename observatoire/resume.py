"""The summary of the published fiches, built once per version of the catalogue: every page's
fiches figures are sums over it, whatever the span and the filters, without a query.

The fiches are counted per *cell* (the collectivités of one département, région, type, stratum
and level: every filter of the page is one of these) and per year and code of the taxonomy (0:
every fiche; 4 × id + 1: a service; 4 × id + 2: an enjeu, a fiche counted once for it): the number
of fiches and of distinct collectivités. A collectivité belongs to one cell only, so the
collectivités of several cells add up. The rows' number is bounded by cells × years × codes (33,000
for the demo's 500 collectivités, whatever its number of fiches).

A fiche's year is the year of its start (``date_debut``): the year the action began, known for
every fiche, where its publication date says only when it reached the Atlaas. Type and strata
read today's population and settings.SEUIL_VILLAGE, the level the collectivité's latest label, as
in the Atlaas.

On PostgreSQL one query reads the catalogue's narrow copy (``FicheRecherche``) and its codes of the
taxonomy (``TAXONOMIE``); on SQLite three ORM queries read the fiches and their services. The
summary is kept in the cache under the catalogue's version and in each process (``charger``).
"""

from array import array
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, CharField, Count, F, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import ExtractYear

from atlaas import catalogue
from atlaas.models import Collectivite, FicheAction, FicheRecherche, Service

TTL = 24 * 3600
TOTAL = 0  # the code of every fiche


def code_service(pk):
    return 4 * pk + 1


def code_enjeu(pk):
    return 4 * pk + 2


# The place of each filter in a cell's key.
RANGS = {"departement": 0, "region": 1, "type": 2, "strate": 3, "niveau": 4}


@dataclass
class Resume:
    enjeux: list  # [(id, name)] in the referential's order
    services: list  # [(id, name, enjeu's name)]
    # {(département, région, type, strate, niveau): rows}, the rows an array of integers
    # (year, code, fiches, collectivités, year, code…): a few bytes each, read back from the
    # cache at once (``lignes`` gives them as tuples)
    cellules: dict
    # The same summed over the cells of each région, type or stratum (a comparison's groups),
    # for the pages without a filter: {"region": {(None, région, None, None, None): [...]}, ...}
    marges: dict


def _marge(cellules, rang):
    """The cells' rows summed per value of the key's ``rang``-th part."""
    sommes = {}
    for cellule, lignes in cellules.items():
        cle = tuple(valeur if i == rang else None for i, valeur in enumerate(cellule))
        groupe = sommes.setdefault(cle, {})
        for annee, code, n, c in lignes_de(lignes):
            avant = groupe.get((annee, code), (0, 0))
            groupe[annee, code] = (avant[0] + n, avant[1] + c)
    return {
        cle: _compactes((a, code, n, c) for (a, code), (n, c) in groupe.items())
        for cle, groupe in sommes.items()
    }


def _compactes(lignes):
    return array("q", (x for ligne in lignes for x in ligne))


def lignes_de(compactes):
    """The (year, code, fiches, collectivités) of a cell's rows."""
    valeurs = iter(compactes)
    return zip(valeurs, valeurs, valeurs, valeurs, strict=True)


def taxonomie():
    """([(id, name)] of the enjeux, [(id, name, enjeu's name)] of the services), in the
    referential's order (one query)."""
    enjeux, services = {}, []
    lignes = Service.objects.values_list("pk", "nom", "enjeu_id", "enjeu__nom")
    for pk, nom, enjeu_id, enjeu in lignes:
        enjeux.setdefault(enjeu_id, enjeu)
        services.append((pk, nom, enjeu))
    return list(enjeux.items()), services


def groupe(par, vers="collectivite__"):
    """The SQL expression of a collectivité's stratum or type."""
    population = f"{vers}population"
    if par == "type":
        return Case(
            When(**{f"{vers}nature": Collectivite.Nature.EPCI}, then=Value("territoire")),
            When(**{f"{population}__lt": settings.SEUIL_VILLAGE}, then=Value("village")),
            default=Value("ville"),
            output_field=CharField(),
        )
    conditions = []
    for cle, (_libelle, bas, haut) in catalogue.STRATES.items():
        bornes = {f"{population}__gte": bas} | ({f"{population}__lt": haut} if haut is not None else {})
        conditions.append(When(**bornes, then=Value(cle)))
    return Case(*conditions, default=Value(""), output_field=CharField())


def _cellule(vers="collectivite__"):
    """The expressions of a collectivité's cell, from its fiches (or with ``vers=""`` itself)."""
    return {
        "departement": F(f"{vers}departement__code"),
        "region": F(f"{vers}region__code"),
        "type_": groupe("type", vers),
        "strate": groupe("strate", vers),
        "niveau": F(f"{vers}niveau"),
    }


CELLULE = _cellule()

# Fiches per collectivité, year and code first (no DISTINCT: a hash aggregation), then summed per
# cell of their collectivités: twice as fast as counting distinct collectivités per cell.
_PG = """
SELECT x.annee, x.code, k.k_departement, k.k_region, k.k_type_, k.k_strate, k.k_niveau,
    SUM(x.n)::bigint, COUNT(*)
FROM (
    SELECT r.annee, c.code, r.collectivite_id, COUNT(*) AS n
    FROM ({fiches}) AS r CROSS JOIN LATERAL unnest(array_append(r.codes, 0::bigint)) AS c (code)
    WHERE c.code %% 4 IN (0, 1, 2)
    GROUP BY 1, 2, 3
) AS x JOIN ({collectivites}) AS k ON k.id = x.collectivite_id
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""


def _lignes_pg():
    codes = RawSQL(f'"{FicheRecherche._meta.db_table}"."{catalogue.TAXONOMIE}"', ())
    fiches = FicheRecherche.objects.order_by().values(
        "collectivite_id", annee=ExtractYear("date_debut"), codes=codes
    )
    cellule = {f"k_{nom}": expression for nom, expression in _cellule("").items()}  # no field's name
    collectivites = Collectivite.objects.order_by().values("id", **cellule)
    sql_fiches, params_fiches = fiches.query.sql_with_params()
    sql_collectivites, params_collectivites = collectivites.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            _PG.format(fiches=sql_fiches, collectivites=sql_collectivites),
            (*params_fiches, *params_collectivites),
        )
        return cursor.fetchall()


def _lignes_orm():
    qs = FicheAction.objects.published().order_by().annotate(annee=ExtractYear("date_debut"))
    cellule = ("annee", *CELLULE)
    colonnes = [*cellule[:1], "code", *cellule[1:]]

    def lignes(requete, code):
        for r in requete:
            yield (*(code(r) if nom == "code" else r[nom] for nom in colonnes), r["n"], r["c"])

    qs = qs.values("annee", **CELLULE)
    total = qs.annotate(n=Count("pk"), c=Count("collectivite", distinct=True))
    services = qs.values(*cellule, service=F("services")).annotate(
        n=Count("pk"), c=Count("collectivite", distinct=True)
    )
    # A fiche with two services of one enjeu counts once for it.
    enjeux = qs.values(*cellule, enjeu=F("services__enjeu")).annotate(
        n=Count("pk", distinct=True), c=Count("collectivite", distinct=True)
    )
    return [
        *lignes(total, lambda r: TOTAL),
        *lignes((r for r in services if r["service"] is not None), lambda r: code_service(r["service"])),
        *lignes((r for r in enjeux if r["enjeu"] is not None), lambda r: code_enjeu(r["enjeu"])),
    ]


def construire():
    """The summary, read from the database (two queries on PostgreSQL, four on SQLite)."""
    enjeux, services = taxonomie()
    cellules = {}
    for annee, code, *cellule, n, c in _lignes_pg() if connection.vendor == "postgresql" else _lignes_orm():
        cellules.setdefault(tuple(cellule), []).append((int(annee), code, n, c))  # a Decimal on PostgreSQL
    cellules = {cellule: _compactes(lignes) for cellule, lignes in cellules.items()}
    marges = {par: _marge(cellules, RANGS[par]) for par in ("region", "type", "strate")}
    return Resume(enjeux, services, cellules, marges)


_copie = (None, None)  # (version, summary): this process' copy


def charger(version):
    """The summary of the catalogue's ``version``: this process' copy, else the cache's, else
    built (and kept in the cache for the other processes)."""
    global _copie
    if _copie[0] == version:
        return _copie[1]
    cle = f"observatoire:resume:{version}"
    resume = cache.get(cle)
    if resume is None:
        resume = construire()
        cache.set(cle, resume, TTL)
    _copie = (version, resume)
    return resume
