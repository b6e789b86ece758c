"""Search of the published fiches actions: French full text, facets, similar fiches, suggestions.

PostgreSQL (full mode) keeps a weighted ``tsvector`` per fiche in ``FicheAction.search_vector``
under the ``french_unaccent`` configuration (migration 0003) and answers the ``websearch`` syntax
natively. SQLite (embedded mode) keeps the same words, stemmed in Python (``atlaas.francais``), in
the FTS5 table ``atlaas_fiche_fts``; the query is translated here into FTS5 syntax.

The index is written when a fiche is published (``workflow.set_fiche_state``) and rebuilt by
``manage.py index_atlaas``. Only published fiches are ever searched. On PostgreSQL it also holds
each fiche's services, enjeux and catégories as codes (``TAXONOMIE``), from which the facets are
counted and the taxonomy's filters read without joining the taxonomy; a change of the taxonomy
rewrites them (``invalider``). A trigger copies both, with the few other columns a search reads,
into the narrow rows of ``FicheRecherche`` (migration 0005), which the search reads instead of
the fiches. A search weighs at most ``PLAFOND`` fiches, the most recent of its matches, so that
its cost stops growing with the Atlaas.
"""

import dataclasses
import difflib
import functools
import hashlib
import re
import time
from collections import Counter, defaultdict
from contextlib import nullcontext

from django import forms
from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import BooleanField, Count, Exists, F, FloatField, OuterRef, Prefetch, Value
from django.db.models.expressions import RawSQL
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from outbox import envois

from . import francais
from .models import Categorie, Collectivite, Departement, Enjeu, FicheAction, FicheRecherche, Region, Service

CONFIG = "french_unaccent"
MAX_QUERY_LENGTH = 200
PAR_PAGE = 20


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
TRIS = {"pertinence": _("Pertinence"), "date": _("Les plus récentes")}


class RechercheForm(forms.Form):
    """The catalogue's query string. Invalid values are ignored by the page and refused by the API."""

    q = forms.CharField(label=_("Rechercher"), required=False)
    categorie = forms.ModelChoiceField(Categorie.objects.all(), to_field_name="slug", required=False)
    enjeu = forms.ModelChoiceField(Enjeu.objects.all(), to_field_name="slug", required=False)
    service = forms.ModelChoiceField(Service.objects.all(), to_field_name="slug", required=False)
    type = forms.ChoiceField(choices=TYPES.items(), required=False)
    region = forms.ModelChoiceField(Region.objects.all(), to_field_name="code", required=False)
    departement = forms.ModelChoiceField(Departement.objects.all(), to_field_name="code", required=False)
    strate = forms.ChoiceField(choices=[(k, v[0]) for k, v in STRATES.items()], required=False)
    niveau = forms.TypedChoiceField(
        choices=[(str(n), "@" * n) for n in range(1, 6)], coerce=int, required=False, empty_value=None
    )
    annee = forms.IntegerField(min_value=1990, max_value=2100, required=False)
    collectivite = forms.ModelChoiceField(Collectivite.objects.all(), to_field_name="code", required=False)
    tri = forms.ChoiceField(choices=TRIS.items(), required=False)
    page = forms.IntegerField(min_value=1, required=False)

    FACETTES = ("categorie", "enjeu", "service", "type", "region", "departement", "strate", "niveau", "annee")

    def clean_q(self):
        text = "".join(c if c.isprintable() else " " for c in self.cleaned_data["q"])
        return " ".join(text.split())[:MAX_QUERY_LENGTH]

    def filtres(self):
        """The valid part of the query string (call after ``is_valid()``)."""
        data = getattr(self, "cleaned_data", {})
        return {name: value for name, value in data.items() if value not in (None, "")}


# --- The query language ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Terme:
    stems: tuple  # one stem, or several for a phrase
    exclu: bool = False


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@functools.lru_cache(maxsize=256)
def analyser(q):
    """The ``websearch`` syntax as PostgreSQL reads it: groups that must all match, each a tuple
    of alternatives (``OR``); a term is a word or a "quoted phrase", ``-`` excludes it. A page
    asks for it a dozen times (filter, order, excerpts): it is read once."""
    groupes, ou = [], False
    for match in _TOKEN.finditer(francais.saints_developpes(q)):
        moins, phrase, mot = match.groups()
        if mot is not None and mot.lower() == "or":
            ou = bool(groupes)
            continue
        if mot is not None:
            moins, phrase = ("-" if mot.startswith("-") else ""), mot.lstrip("-")
        stems = tuple(francais.stems(phrase))
        if not stems:
            continue
        terme = Terme(stems, exclu=bool(moins))
        if ou and not terme.exclu and not groupes[-1][-1].exclu:
            groupes[-1].append(terme)
        else:
            groupes.append([terme])
        ou = False
    return tuple(tuple(groupe) for groupe in groupes)


def stems_cherches(q):
    """The stems a result should show highlighted."""
    return {stem for groupe in analyser(q) for terme in groupe if not terme.exclu for stem in terme.stems}


def _fts5(groupes):
    def terme(t):
        return '"' + " ".join(t.stems) + '"'  # stems are \w+ only: nothing to escape

    return " AND ".join("(" + " OR ".join(terme(t) for t in groupe) + ")" for groupe in groupes)


_FTS_IDS = "SELECT rowid FROM atlaas_fiche_fts WHERE atlaas_fiche_fts MATCH %s"
_FTS_WEIGHTS = "10.0, 4.0, 4.0, 1.0"  # titre, résumé, collectivité, corps


def _requete(q):
    """PostgreSQL's reading of ``q`` (« St Denis » looked for as « saint Denis », as names are written)."""
    return SearchQuery(francais.saints_developpes(q), config=CONFIG, search_type="websearch")


def _texte(qs, q):
    """``qs`` restricted to the fiches matching ``q``."""
    if connection.vendor == "postgresql":
        return qs.filter(search_vector=_requete(q))
    for groupe in analyser(q):
        positifs = [terme for terme in groupe if not terme.exclu]
        if positifs:
            qs = qs.filter(id__in=RawSQL(_FTS_IDS, [_fts5([positifs])]))
        for terme in groupe:
            if terme.exclu:
                qs = qs.exclude(id__in=RawSQL(_FTS_IDS, [_fts5([[terme]])]))
    return qs


def _pertinence(qs, q):
    """``qs`` (already restricted by ``_texte``) annotated with ``rank``, higher is better
    (PostgreSQL)."""
    return qs.annotate(rank=SearchRank(F("search_vector"), _requete(q)))


def _ids_par_pertinence(qs, q):
    """SQLite: the ids of ``qs`` best first. FTS5 ranks its matches in one pass; joining it to the
    fiches instead would run the full-text query once per fiche."""
    positifs = [[t for t in groupe if not t.exclu] for groupe in analyser(q)]
    expression = _fts5([groupe for groupe in positifs if groupe])
    retenus = set(qs.values_list("pk", flat=True))
    if not expression:
        return sorted(retenus, reverse=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM atlaas_fiche_fts WHERE atlaas_fiche_fts MATCH %s "
            f"ORDER BY bm25(atlaas_fiche_fts, {_FTS_WEIGHTS}), rowid DESC",
            [expression],
        )
        return [pk for (pk,) in cursor.fetchall() if pk in retenus]


def a_du_sens(q):
    """False for a query with no word to look for (punctuation, stop words only)."""
    return bool(analyser(q))


# --- Searching ------------------------------------------------------------------------------


def _avec_service(condition):
    liens = FicheAction.services.through.objects.filter(ficheaction_id=OuterRef("pk"), **condition)
    return Exists(liens)


# Each taxonomy facet: its lookup through the services (SQLite), its rank in the codes (PostgreSQL).
_TAXONOMIE_FILTRES = {
    "categorie": ("service__enjeu__categorie", 3),
    "enjeu": ("service__enjeu", 2),
    "service": ("service", 1),
}


def _taxonomie(qs, facette, valeur):
    """``qs`` restricted to the fiches of a catégorie, enjeu or service. PostgreSQL reads it in
    the fiche's codes (``TAXONOMIE``), which the index of the catalogue holds: no join."""
    lookup, rang = _TAXONOMIE_FILTRES[facette]
    if connection.vendor != "postgresql":
        return qs.filter(_avec_service({lookup: valeur}))
    # The column is not qualified by its table: in a subquery Django names the table U0, and the
    # column must be that row's (no other table of these queries has one of that name).
    code = RawSQL(
        f'"{TAXONOMIE}" @> ARRAY[%s]::bigint[]', (4 * valeur.pk + rang,), output_field=BooleanField()
    )
    return qs.filter(code)


def _collectivites(**conditions):
    """The ids of the collectivités that meet ``conditions`` and have a published fiche. Given to
    the fiches' query as a list, they let the database count each one's fiches from its
    statistics, instead of guessing through a join (a département's few collectivités with
    many fiches read through the index, not the whole table). For a région, a département or a
    level: few collectivités, found at once; a type or a population stratum takes most of them,
    where the join is right and finding the list would cost a pass over the référentiel."""
    publiees = _publiees().filter(collectivite=OuterRef("pk"))
    collectivites = Collectivite.objects.filter(Exists(publiees), **conditions).order_by("pk")
    return list(collectivites.values_list("pk", flat=True))


def _publiees():
    """What a search reads: on PostgreSQL the narrow copy of the published fiches (its pk is the
    fiche's), on SQLite the fiches themselves. Both have the columns the filters name."""
    if connection.vendor == "postgresql":
        return FicheRecherche.objects.all()
    return FicheAction.objects.published()


def filtrer(filtres):
    """The published fiches matching ``filtres`` (``RechercheForm.filtres()``), in no order: a
    query of their ids (``pk``), not of the fiches (``fiches()`` reads them)."""
    qs = _publiees()
    for facette in _TAXONOMIE_FILTRES:
        if facette in filtres:
            qs = _taxonomie(qs, facette, filtres[facette])
    if "type" in filtres:
        qs = qs.filter(**condition_type(filtres["type"], vers="collectivite__"))
    if "strate" in filtres:
        _label, bas, haut = STRATES[filtres["strate"]]
        qs = qs.filter(collectivite__population__gte=bas)
        if haut is not None:
            qs = qs.filter(collectivite__population__lt=haut)
    conditions = {nom: filtres[nom] for nom in ("region", "departement", "niveau") if nom in filtres}
    if conditions:
        qs = qs.filter(collectivite__in=_collectivites(**conditions))
    if "annee" in filtres:
        qs = qs.filter(date_debut__year=filtres["annee"])
    if "collectivite" in filtres:
        qs = qs.filter(collectivite=filtres["collectivite"])
    if a_du_sens(filtres.get("q", "")):
        qs = _texte(qs, filtres["q"])
    return qs


def type_de(collectivite):
    """village, ville or territoire, as the ``type`` facet counts it."""
    if collectivite.nature == Collectivite.Nature.EPCI:
        return "territoire"
    return "village" if collectivite.population < settings.SEUIL_VILLAGE else "ville"


def condition_type(value, vers=""):
    """The filter of collectivités of a ``type`` (village, ville, territoire), for a query on
    them, or with ``vers="collectivite__"`` on their fiches."""
    if value == "territoire":
        condition = {"nature": Collectivite.Nature.EPCI}
    elif value == "village":
        condition = {"nature": Collectivite.Nature.COMMUNE, "population__lt": settings.SEUIL_VILLAGE}
    else:
        condition = {"nature": Collectivite.Nature.COMMUNE, "population__gte": settings.SEUIL_VILLAGE}
    return {vers + cle: valeur for cle, valeur in condition.items()}


def par_pertinence(filtres):
    """True when results go by relevance (title above body): a text query and no other order asked."""
    return filtres.get("tri", "pertinence") == "pertinence" and a_du_sens(filtres.get("q", ""))


def ids_ordonnes(qs, filtres, limite=None):
    """The ids of ``qs`` in the order of the results (the first ``limite`` of them)."""
    if not par_pertinence(filtres):
        ids = qs.order_by("-published_at", "-pk").values_list("pk", flat=True)
    elif connection.vendor == "postgresql":
        ids = (
            _pertinence(qs, filtres["q"])
            .order_by("-rank", "-published_at", "-pk")
            .values_list("pk", flat=True)
        )
    else:
        ids = _ids_par_pertinence(qs, filtres["q"])
    return list(ids[:limite] if limite else ids)


LONGS_TEXTES = ("description", "synthese", "resultats", "recommandations", "outils", "partenaires")


def fiches(ids, textes=True):
    """The fiches ``ids`` in that order, with their collectivité and services (two queries);
    without their long texts when ``textes`` is False (lists that show none of them)."""
    par_pk = (
        FicheAction.objects.published()
        .select_related("collectivite__departement", "collectivite__region")
        .prefetch_related(Prefetch("services", Service.objects.select_related("enjeu__categorie")))
        .defer("search_vector", *([] if textes else LONGS_TEXTES))
        .in_bulk(ids)
    )
    return [par_pk[pk] for pk in ids if pk in par_pk]


@dataclasses.dataclass
class Resultats:
    total: int  # at most PLAFOND
    comptes: dict
    fiches: list
    page: int
    pages: int
    cle: str  # the search's cache key: changes with its filters and at each publication

    @property
    def plafonne(self):
        """More fiches may match: the total and counts are those of the PLAFOND most recent."""
        return self.total >= PLAFOND

    @functools.cached_property
    def facettes(self):
        return facettes(self.comptes)


VERSION = "atlaas:version"
EN_CACHE = 1000  # ids kept in the cache per search: the first fifty pages
# A search weighs at most this many fiches, the most recently published of those that match:
# beyond it, a word found in most fiches would make every search grow with the Atlaas. The page
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


def rechercher(filtres, page=1, par_page=PAR_PAGE):
    """One page of results with the facets. A search's counts and first ids stay in the cache
    until the next publication (``indexer`` changes the version), so browsing its pages, or
    coming back to it, costs two small queries."""
    cle = _cle(filtres)
    trouve = cache.get(cle)
    if trouve is None:
        qs = filtrer(filtres)
        comptes = _comptes(qs, filtres, limite=EN_CACHE)
        ids = comptes.pop("ids", None)  # PostgreSQL's, read with the counts
        if ids is None:
            ids = ids_ordonnes(_plafonner(qs, _total(comptes)), filtres, limite=EN_CACHE)
        trouve = (comptes, ids)
        cache.set(cle, trouve, 3600)
    comptes, ids = trouve
    total = _total(comptes)
    pages = max(1, -(-total // par_page))
    page = min(max(1, page or 1), pages)
    debut = (page - 1) * par_page
    if debut + par_page > len(ids) and total > len(ids):
        ids = ids_ordonnes(_plafonner(filtrer(filtres), total), filtres, limite=debut + par_page)
    return Resultats(total, comptes, fiches(ids[debut : debut + par_page]), page, pages, cle)


def _total(comptes):
    """The number of fiches a search weighs (every fiche has a year)."""
    return sum(comptes["annee"].values())


def _plafonner(qs, total):
    """``qs`` kept to the fiches its counts are about: the PLAFOND most recent, when it reached it."""
    if total < PLAFOND:
        return qs
    return qs.filter(pk__in=qs.order_by("-published_at", "-pk").values("pk")[:PLAFOND])


def _cle(filtres):
    """The cache key of a search: the index version, the village threshold (the ``type``
    facet's) and the filters, page apart."""
    version = cache.get_or_set(VERSION, time.time_ns, None)
    valeurs = sorted(
        (name, str(getattr(value, "pk", value))) for name, value in filtres.items() if name != "page"
    )
    empreinte = hashlib.sha256(repr(valeurs).encode()).hexdigest()[:32]
    return f"atlaas:recherche:{version}:{settings.SEUIL_VILLAGE}:{empreinte}"


# --- Facets ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Valeur:
    valeur: str
    libelle: str
    nombre: int


# The matching fiches are read once (m). Their collectivités' facets are counted over one row per
# collectivité (c), not one per fiche; the years over one row per date. The taxonomy's, on
# PostgreSQL, from each fiche's array of codes (``TAXONOMIE``): the fiches are grouped by their
# array first (about a thousand distinct ones, whatever the number of fiches: t), which is then
# unnested, and a code counts a fiche once with COUNT(*) or SUM since each array holds distinct
# codes. No table is joined. On SQLite, over one row per fiche and service (t), with
# COUNT(DISTINCT) for the enjeux and catégories.
_FACETTES_SQL = """
WITH m (id, debut, collectivite, publiee, rang{taxonomie_m}) AS MATERIALIZED ({fiches}),
c (n, nature, population, niveau, dep, reg) AS MATERIALIZED (
    SELECT g.n, c.nature, c.population, c.niveau, d.code, r.code
    FROM (SELECT collectivite, COUNT(*) AS n FROM m GROUP BY collectivite) g
    JOIN {collectivites} c ON c.id = g.collectivite
    LEFT JOIN {departements} d ON d.id = c.departement_id
    LEFT JOIN {regions} r ON r.id = c.region_id
),
{t}
SELECT 'annee', CAST({annee} AS TEXT) AS k, CAST(SUM(n) AS BIGINT)
    FROM (SELECT debut, COUNT(*) AS n FROM m GROUP BY debut) AS j GROUP BY k
UNION ALL SELECT 'type', CASE WHEN nature = %s THEN 'territoire' WHEN population < %s THEN 'village'
    ELSE 'ville' END AS k, CAST(SUM(n) AS BIGINT) FROM c GROUP BY k
UNION ALL SELECT 'strate', CASE {strates} END AS k, CAST(SUM(n) AS BIGINT) FROM c GROUP BY k
UNION ALL SELECT 'niveau', CAST(niveau AS TEXT), CAST(SUM(n) AS BIGINT) FROM c
    WHERE niveau IS NOT NULL GROUP BY niveau
UNION ALL SELECT 'departement', dep, CAST(SUM(n) AS BIGINT) FROM c GROUP BY dep
UNION ALL SELECT 'region', reg, CAST(SUM(n) AS BIGINT) FROM c GROUP BY reg
{taxonomie}{ids}"""
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
    return any(nom in filtres for nom in (*RechercheForm.FACETTES, "collectivite")) or a_du_sens(
        filtres.get("q", "")
    )


def _comptes(qs, filtres=None, limite=0):
    """{facet: {key: count}} over ``qs`` (``filtrer()``'s result), computed in SQL in one query
    that runs the search once, over its PLAFOND most recent fiches at most. On PostgreSQL, with
    ``limite``, also the first ids of the results in their order, under the key "ids"."""
    filtres = filtres or {}
    postgresql = connection.vendor == "postgresql"
    avec_ids = bool(limite) and postgresql
    if avec_ids and par_pertinence(filtres):
        qs = _pertinence(qs, filtres["q"])
    else:
        qs = qs.annotate(rank=Value(0.0, output_field=FloatField()))
    colonnes = ["pk", "date_debut", "collectivite", "published_at", "rank"]
    fiches = qs
    if postgresql:  # the column of migration 0004, outside the model
        colonnes.append(TAXONOMIE)
        fiches = qs.annotate(**{TAXONOMIE: RawSQL(f'"{qs.model._meta.db_table}"."{TAXONOMIE}"', ())})
    fiches = fiches.values(*colonnes).order_by("-published_at", "-pk")[:PLAFOND]
    try:
        sql_fiches, params = fiches.query.sql_with_params()
    except EmptyResultSet:  # a filter that nothing can meet (no collectivité of that kind)
        return {name: {} for name in RechercheForm.FACETTES} | ({"ids": []} if avec_ids else {})
    # The years from the dates grouped first: a few thousand of them, not a year per fiche.
    annee, params_annee = connection.ops.date_extract_sql("year", "debut", ())
    strates = []
    params = [*params, *params_annee, Collectivite.Nature.EPCI, settings.SEUIL_VILLAGE]
    for key, (_label, _bas, haut) in STRATES.items():
        if haut is None:
            strates.append(f"ELSE '{key}'")
        else:
            strates.append(f"WHEN population < %s THEN '{key}'")
            params.append(haut)
    ids = ""
    if avec_ids and not _restreint(filtres):
        recents, params_recents = (
            qs.order_by("-published_at", "-pk").values("pk")[:limite].query.sql_with_params()
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
    sql = _FACETTES_SQL.format(
        fiches=sql_fiches,
        annee=annee,
        taxonomie_m=", taxonomie" if postgresql else "",
        collectivites=Collectivite._meta.db_table,
        departements=Departement._meta.db_table,
        regions=Region._meta.db_table,
        t=_T_PG if postgresql else jointure,
        strates=" ".join(strates),
        taxonomie=_TAXONOMIE_PG if postgresql else _TAXONOMIE_SQLITE,
        ids=ids,
    )
    comptes = {name: {} for name in RechercheForm.FACETTES}
    # PostgreSQL: the settings of this query, in a transaction of its own. Inside another one
    # (a test) they would last until its end: the query runs without them.
    reglages = postgresql and not connection.in_atomic_block
    with connection.cursor() as cursor, transaction.atomic() if reglages else nullcontext():
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
    return {name: resultat[name] for name in RechercheForm.FACETTES}


# --- Excerpts -------------------------------------------------------------------------------

EXTRAIT = 260


def extrait(fiche, q):
    """The short summary, or the part of the description around the first word searched, with
    the words searched in ``<mark>``. Safe HTML."""
    cherches = stems_cherches(q) if q else set()
    texte = fiche.sous_titre or fiche.description
    if cherches and not _contient(fiche.sous_titre, cherches) and _contient(fiche.description, cherches):
        texte = fiche.description
    debut = 0
    if len(texte) > EXTRAIT and cherches:
        for match in francais.WORD.finditer(texte):
            if _stem_de(match.group()) in cherches:
                debut = max(0, match.start() - EXTRAIT // 3)
                break
    morceau = texte[debut : debut + EXTRAIT]
    if debut:
        morceau = "…" + morceau.split(" ", 1)[-1]
    if debut + EXTRAIT < len(texte):
        morceau = morceau.rsplit(" ", 1)[0] + "…"
    return surligner(morceau, cherches)


def surligner(texte, cherches):
    """``texte`` escaped, the words whose stem is in ``cherches`` in ``<mark>``."""
    if not cherches:
        return escape(texte)
    morceaux, fin = [], 0
    for match in francais.WORD.finditer(texte):
        if _stem_de(match.group()) in cherches:
            morceaux += [escape(texte[fin : match.start()]), "<mark>", escape(match.group()), "</mark>"]
            fin = match.end()
    morceaux.append(escape(texte[fin:]))
    return mark_safe("".join(morceaux))


@functools.lru_cache(maxsize=50_000)
def _stem_de(mot):
    return francais.stem(francais.sans_accents(mot))


def _contient(texte, cherches):
    return any(_stem_de(match.group()) in cherches for match in francais.WORD.finditer(texte))


# --- Similar fiches -------------------------------------------------------------------------


def similaires(fiche, services_ids, nombre=4, candidats=200):
    """Published fiches of other collectivités sharing the most services with ``fiche``; among
    those, the ones whose title and summary share the most words with its own. Two queries."""
    mots = set(francais.stems(f"{fiche.titre} {fiche.sous_titre}"))
    lignes = (
        FicheAction.objects.published()
        .exclude(collectivite_id=fiche.collectivite_id)
        .filter(services__in=services_ids)
        .values("pk", "titre", "sous_titre")
        .annotate(communs=Count("services"))
        .order_by("-communs", "-published_at")[:candidats]
    )

    def score(ligne):
        return ligne["communs"], len(mots & set(francais.stems(f"{ligne['titre']} {ligne['sous_titre']}")))

    meilleurs = [ligne["pk"] for ligne in sorted(lignes, key=score, reverse=True)[:nombre]]
    par_pk = FicheAction.objects.select_related("collectivite__departement").in_bulk(meilleurs)
    return [par_pk[pk] for pk in meilleurs]


# --- Spelling suggestions -------------------------------------------------------------------

VOCABULAIRE = "atlaas:vocabulaire"


_PG_VOCABULAIRE = """
SELECT word, nentry FROM ts_stat($$
    SELECT to_tsvector('simple', concat_ws(' ', f.titre, f.sous_titre, c.nom))
    FROM atlaas_ficheaction f JOIN atlaas_collectivite c ON c.id = f.collectivite_id
    WHERE f.state = 'publiee' AND f.revision_of_id IS NULL
$$)
"""


def vocabulaire(reconstruire=False):
    """Words of the published titles, summaries and collectivités, and of the services:
    {word without accents: (the word as most often written, frequency)}. Kept six hours in the
    cache: a word published meanwhile is found by the search, just not suggested yet."""
    vocab = None if reconstruire else cache.get(VOCABULAIRE)
    if vocab is not None:
        return vocab
    formes = defaultdict(Counter)
    for mot, nombre in _mots_publies():
        if len(mot) >= 3 and not mot.isdigit() and francais.WORD.fullmatch(mot):
            formes[francais.sans_accents(mot)][mot] += nombre
    for nom in Service.objects.values_list("nom", flat=True):
        for mot in francais.WORD.findall(nom.lower()):
            if len(mot) >= 3:
                formes[francais.sans_accents(mot)][mot] += 1
    vocab = {cle: (compte.most_common(1)[0][0], sum(compte.values())) for cle, compte in formes.items()}
    cache.set(VOCABULAIRE, vocab, 6 * 3600)
    return vocab


def _mots_publies():
    """(word in lower case, number of fiches using it) over the published fiches."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_PG_VOCABULAIRE)  # counted by PostgreSQL, not in Python
            return cursor.fetchall()
    compte = Counter()
    textes = FicheAction.objects.published().order_by()
    for ligne in textes.values_list("titre", "sous_titre", "collectivite__nom").iterator(chunk_size=2000):
        compte.update(set(francais.WORD.findall(" ".join(ligne).lower())))
    return compte.items()


MOTS_CORRIGES = 6  # words of a query looked at for a suggestion


def suggestion(q):
    """A close query made of known words ("Vouliez-vous dire …"), or None. A word is compared
    with the known words of its initial and about its length only; the answer for a query is
    kept in the cache as long as the words."""
    cle_cache = f"atlaas:suggestion:{hashlib.sha256(q.encode()).hexdigest()[:32]}"
    trouve = cache.get(cle_cache)
    if trouve is not None:
        return trouve or None
    vocab = vocabulaire()
    mots, change = [], False
    for mot in francais.WORD.findall(q)[:MOTS_CORRIGES]:
        cle = francais.sans_accents(mot)
        if cle in vocab or len(cle) < 3 or cle in francais.STOP_WORDS or cle.isdigit():
            mots.append(mot)
            continue
        voisins = [w for w in vocab if w[0] == cle[0] and abs(len(w) - len(cle)) <= 2]
        proches = difflib.get_close_matches(cle, voisins, n=5, cutoff=0.75)
        if not proches:
            mots.append(mot)
            continue
        meilleur = max(
            proches, key=lambda w: (round(difflib.SequenceMatcher(None, cle, w).ratio(), 1), vocab[w][1])
        )
        mots.append(vocab[meilleur][0])
        change = True
    resultat = " ".join(mots) if change else ""
    cache.set(cle_cache, resultat, 6 * 3600)
    return resultat or None


# --- The index ------------------------------------------------------------------------------

# PostgreSQL: each published fiche's services, enjeux and catégories, in one column outside the
# model (migration 0004, copied into FicheRecherche) for the facets: the sorted array of their
# distinct codes 4 × id + 1 for a service, + 2 for an enjeu, + 3 for a catégorie. One array is
# grouped and unnested faster than three.
TAXONOMIE = "taxonomie_ids"
_PG_CODES = """
SELECT l.ficheaction_id AS fiche, v.code
FROM atlaas_ficheaction_services AS l
JOIN atlaas_service AS s ON s.id = l.service_id
JOIN atlaas_enjeu AS e ON e.id = s.enjeu_id
CROSS JOIN LATERAL (VALUES (l.service_id * 4 + 1), (s.enjeu_id * 4 + 2), (e.categorie_id * 4 + 3)) AS v (code)
"""
_PG_INDEX = f"""
UPDATE atlaas_ficheaction AS f SET search_vector =
    setweight(to_tsvector('french_unaccent', f.titre), 'A')
    || setweight(to_tsvector('french_unaccent', concat_ws(' ', f.sous_titre, c.nom)), 'B')
    || setweight(to_tsvector('french_unaccent', concat_ws(' ', f.description, f.synthese, f.resultats)), 'C')
    || setweight(to_tsvector('french_unaccent',
        concat_ws(' ', f.recommandations, f.outils, f.partenaires, f.public_cible)), 'D'),
    {TAXONOMIE} = ARRAY(SELECT DISTINCT code FROM ({_PG_CODES}) AS codes WHERE fiche = f.id ORDER BY code)
FROM atlaas_collectivite AS c
WHERE c.id = f.collectivite_id AND f.state = 'publiee' AND f.revision_of_id IS NULL
"""
# A full rebuild also removes what the search's copy (FicheRecherche) would hold beyond the
# published fiches, whatever left it there (its trigger disabled for a restore, say).
_PG_COPIE_EN_TROP = """
DELETE FROM atlaas_ficherecherche AS r WHERE NOT EXISTS (
    SELECT 1 FROM atlaas_ficheaction AS f
    WHERE f.id = r.id AND f.state = 'publiee' AND f.revision_of_id IS NULL
)
"""
# After a change of the taxonomy (a service moved to another enjeu, an enjeu to another
# catégorie, a service deleted): the published fiches whose codes change, and only those.
_PG_TAXONOMIE = f"""
UPDATE atlaas_ficheaction AS f SET {TAXONOMIE} = n.codes
FROM (
    SELECT f.id, COALESCE(array_agg(DISTINCT codes.code ORDER BY codes.code)
        FILTER (WHERE codes.code IS NOT NULL), '{{}}')
    FROM atlaas_ficheaction AS f LEFT JOIN ({_PG_CODES}) AS codes ON codes.fiche = f.id
    WHERE f.state = 'publiee' AND f.revision_of_id IS NULL
    GROUP BY f.id
) AS n (id, codes)
WHERE f.id = n.id AND f.{TAXONOMIE} IS DISTINCT FROM n.codes
"""


def invalider(referentiel=False):
    """Forget the searches in the cache: after a publication, a deletion, a change of a
    collectivité (and with ``referentiel``, of the taxonomy: its names, and on PostgreSQL the
    fiches' codes of services, enjeux and catégories, rewritten where they change). The version
    is a time, so that it never comes back to a value used before even if the cache lost it."""
    if referentiel:
        indexer_taxonomie()
        cache.delete(LIBELLES)
        transaction.on_commit(_apres_taxonomie)  # again, as indexer() does
    cache.set(VERSION, time.time_ns(), None)


def _apres_taxonomie():
    cache.delete(LIBELLES)
    invalider()


def indexer_taxonomie():
    """PostgreSQL: write again the codes of services, enjeux and catégories of the published
    fiches that changed with the taxonomy (one UPDATE; the rows that stay the same are not
    written). Returns the number of fiches rewritten."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_PG_TAXONOMIE)
        return cursor.rowcount


def indexer(ids=None):
    """Write the search index of the published fiches ``ids`` (all of them when None)."""
    invalider()
    transaction.on_commit(invalider)  # again: a search made meanwhile may have cached the old state
    if cache.add("atlaas:preparer", 1, 10):  # once for a batch of publications
        envois.tache("atlaas.tasks.preparer_catalogue")
    if ids is not None:
        ids = list(ids)
        if not ids:
            return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if ids is None:
                cursor.execute(_PG_INDEX)  # its trigger writes the copy's missing rows again
                cursor.execute(_PG_COPIE_EN_TROP)
            else:
                cursor.execute(_PG_INDEX + " AND f.id = ANY(%s)", [ids])
            return
        fiches = FicheAction.objects.published().select_related("collectivite")
        if ids is None:
            cursor.execute("DELETE FROM atlaas_fiche_fts")
        else:
            fiches = fiches.filter(pk__in=ids)
            for debut in range(0, len(ids), 500):
                morceau = ids[debut : debut + 500]
                cursor.execute(
                    f"DELETE FROM atlaas_fiche_fts WHERE rowid IN ({', '.join(['%s'] * len(morceau))})",
                    morceau,
                )
        lignes = []
        for fiche in fiches.iterator(chunk_size=1000):
            lignes.append((fiche.pk, *_colonnes_fts(fiche)))
            if len(lignes) >= 1000:
                _inserer_fts(cursor, lignes)
                lignes = []
        _inserer_fts(cursor, lignes)


def _colonnes_fts(fiche):
    corps = " ".join(
        [
            fiche.description,
            fiche.synthese,
            fiche.resultats,
            fiche.recommandations,
            fiche.outils,
            fiche.partenaires,
            fiche.public_cible,
        ]
    )
    return tuple(
        " ".join(francais.stems(texte))
        for texte in (fiche.titre, fiche.sous_titre, fiche.collectivite.nom, corps)
    )


def _inserer_fts(cursor, lignes):
    if lignes:
        cursor.executemany(
            "INSERT INTO atlaas_fiche_fts (rowid, titre, resume, collectivite, corps) "
            "VALUES (%s, %s, %s, %s, %s)",
            lignes,
        )
