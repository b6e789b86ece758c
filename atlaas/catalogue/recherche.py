"""Searching the catalogue: the fiches matching a query string, in order, a page at a time.

``filtrer`` turns the valid filters of ``RechercheForm`` into a query of the matching published
fiches' ids (``FicheRecherche`` on PostgreSQL); ``ids_ordonnes`` orders them, ``fiches`` reads
them. ``rechercher`` returns one page of ``Resultats`` with the facets' counts; a search's counts
and first ids stay in the cache until the index's version (``VERSION``) changes. A search not in
the cache is the search engine's when there is one (``moteur``), else reads the database
``lecture.base()`` gives (a replica, when there is one and it is up to date); the queries made of
``filtrer()``'s result read the same one (``qs.db``).
"""

import dataclasses
import functools
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Prefetch
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from atlaas.models import Collectivite, FicheAction, FicheRecherche, Service
from villes_internet.livraison import livraison

# The facets' module, not its names: ``facettes.PLAFOND`` is read when a search runs, one value
# for the counts and the pages (a test may lower it).
from . import facettes, lecture, moteur
from .requete import _ids_par_pertinence, _pertinence, _texte, a_du_sens, par_pertinence

logger = logging.getLogger(__name__)

PAR_PAGE = 20
TRIS = {"pertinence": _("Pertinence"), "date": _("Les plus récentes")}


def _avec_service(condition):
    liens = FicheAction.services.through.objects.filter(ficheaction_id=OuterRef("pk"), **condition)
    return Exists(liens)


# Each taxonomy facet: its lookup through the services (SQLite); PostgreSQL reads its rank in the
# codes (``facettes.RANGS``).
_TAXONOMIE_FILTRES = {
    "categorie": "service__enjeu__categorie",
    "enjeu": "service__enjeu",
    "service": "service",
}


def _taxonomie(qs, facette, valeur):
    """``qs`` restricted to the fiches of a catégorie, enjeu or service. PostgreSQL reads it in
    the fiche's codes (``TAXONOMIE``), which the index of the catalogue holds: no join."""
    if connection.vendor != "postgresql":
        return qs.filter(_avec_service({_TAXONOMIE_FILTRES[facette]: valeur}))
    # The column is not qualified by its table: in a subquery Django names the table U0, and the
    # column must be that row's (no other table of these queries has one of that name).
    code = 4 * valeur.pk + facettes.RANGS[facette]
    contient = RawSQL(f'"{facettes.TAXONOMIE}" @> ARRAY[%s]::bigint[]', (code,), output_field=BooleanField())
    return qs.filter(contient)


# A type or stratum filter becomes the list of the collectivités concerned when it names at most
# this many (the villages, or a type or stratum of a large Atlaas, name most of them: the join is
# right then; at 150,000 fiches the demo's 300 villages read as a list took 87–90 ms against 72–77
# through the join, a stratum of towns 8 ms against 18).
LISTE_MAX = 2_000


def _collectivites(using, limite=None, nombreuses=(), **conditions):
    """The ids of the collectivités that meet ``conditions`` and each of ``nombreuses`` (the
    type's and the stratum's conditions, each its own) and have a published fiche; None if
    there are more than ``limite``. Given to the fiches' query as a list, they let the database
    count each one's fiches from its statistics and read them through the index of the fiches'
    collectivité, combined with the words' index, instead of reading every fiche of the words to
    join it to its collectivité (« budget participatif » in towns of 20,000 to 100,000
    inhabitants, at 1.3 million fiches: 406 ms through the join). A région, a département or a
    level names few collectivités; a type or a stratum may name most of them, where the join is
    right: past ``limite`` the list is not used (its query stops there)."""
    publiees = _publiees(using).filter(collectivite=OuterRef("pk"))
    collectivites = Collectivite.objects.using(using).filter(Exists(publiees), **conditions).order_by("pk")
    for condition in nombreuses:
        collectivites = collectivites.filter(**condition)
    ids = collectivites.values_list("pk", flat=True)
    if limite is None:
        return list(ids)
    ids = list(ids[: limite + 1])
    return ids if len(ids) <= limite else None


def _publiees(using):
    """What a search reads: on PostgreSQL the narrow copy of the published fiches (its pk is the
    fiche's), on SQLite the fiches themselves. Both have the columns the filters name."""
    if connection.vendor == "postgresql":
        return FicheRecherche.objects.using(using)
    return FicheAction.objects.using(using).published()


def filtrer(filtres, using=lecture.PRIMAIRE):
    """The published fiches matching ``filtres`` (``RechercheForm.filtres()``), in no order: a
    query of their ids (``pk``), not of the fiches (``fiches()`` reads them), on the database
    ``using``."""
    qs = _publiees(using)
    for facette in _TAXONOMIE_FILTRES:
        if facette in filtres:
            qs = _taxonomie(qs, facette, filtres[facette])
    conditions = {nom: filtres[nom] for nom in ("region", "departement", "niveau") if nom in filtres}
    # The type's and the stratum's conditions, which may name most collectivités: each its own,
    # since both may bound the population (a ville and the stratum under 3,000: none).
    nombreuses = []
    if "type" in filtres:
        nombreuses.append(condition_type(filtres["type"]))
    if "strate" in filtres:
        _label, bas, haut = facettes.STRATES[filtres["strate"]]
        nombreuses.append({"population__gte": bas} | ({} if haut is None else {"population__lt": haut}))
    # Villages are most communes: their list would only be longer to read than the join.
    villages = filtres.get("type") == "village" or filtres.get("strate") == "moins-3000"
    ids = None
    if nombreuses and not villages:
        ids = _collectivites(using, LISTE_MAX, nombreuses, **conditions)
    if ids is not None:
        qs = qs.filter(collectivite__in=ids)
    else:
        for condition in nombreuses:  # one join to the collectivité, whatever the number of filters
            qs = qs.filter(**{f"collectivite__{cle}": valeur for cle, valeur in condition.items()})
        if conditions:
            qs = qs.filter(collectivite__in=_collectivites(using, **conditions))
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


def fiches(ids, textes=True, using=lecture.PRIMAIRE):
    """The fiches ``ids`` in that order, with their collectivité and services (two queries);
    without their long texts when ``textes`` is False (lists that show none of them)."""
    par_pk = (
        FicheAction.objects.using(using)
        .published()
        .select_related("collectivite__departement", "collectivite__region")
        .prefetch_related(Prefetch("services", Service.objects.select_related("enjeu__categorie")))
        .defer("search_vector", *([] if textes else LONGS_TEXTES))
        .in_bulk(ids)
    )
    return [par_pk[pk] for pk in ids if pk in par_pk]


@dataclasses.dataclass
class Resultats:
    total: int  # at most ``plafond``
    comptes: dict
    fiches: list
    page: int
    pages: int
    cle: str  # the search's cache key: changes with its filters and at each publication
    plafond: int | None = None  # the fiches a search weighs at most (None: every match, the engine)

    @property
    def plafonne(self):
        """More fiches may match: the total and counts are those of the ``plafond`` most recent."""
        return self.plafond is not None and self.total >= self.plafond

    @functools.cached_property
    def facettes(self):
        return facettes.facettes(self.comptes)


VERSION = "atlaas:version"
EN_CACHE = 1000  # ids kept in the cache per search: the first fifty pages
# The results a search can be browsed to, page by page: as many as PostgreSQL weighs (PLAFOND).
# The engine counts every match, but reading its order down to the 1,200,000th result took
# 0.85 s and a list of that many ids (the last page of « numérique » at 1.5 million fiches):
# beyond, the page is the last one and the visitor refines the search.
PROFONDEUR = 20_000


def rechercher(filtres, page=1, par_page=PAR_PAGE):
    """One page of results with the facets. A search's counts and first ids stay in the cache
    until the next publication (``indexer`` changes the version), so browsing its pages, or
    coming back to it, costs two small queries, on the primary. A search computed reads the
    database ``lecture.base()`` gives, its page's fiches too (``lecture.lire``: the primary if
    the replica fails meanwhile)."""
    cle = _cle(filtres)
    trouve = cache.get(cle)
    using = None
    if trouve is None:
        using, trouve = lecture.lire(functools.partial(_calculer, filtres))
        cache.set(cle, trouve, 3600)
    comptes, ids, plafond = trouve
    total = _total(comptes)
    pages = max(1, -(-min(total, PROFONDEUR) // par_page))
    page = min(max(1, page or 1), pages)
    debut = (page - 1) * par_page
    if debut + par_page > len(ids) and total > len(ids):  # beyond the ids kept: the search again
        ids = _au_moteur(moteur.ids, filtres, debut + par_page) if plafond is None else None
        if ids is None:

            def plus_loin(alias):
                qs = _plafonner(filtrer(filtres, alias), total)
                return ids_ordonnes(qs, filtres, limite=debut + par_page)

            using, ids = lecture.lire(plus_loin, using)
    page_ids = ids[debut : debut + par_page]
    using, page_fiches = lecture.lire(lambda alias: fiches(page_ids, using=alias), using or lecture.PRIMAIRE)
    return Resultats(total, comptes, page_fiches, page, pages, cle, plafond)


def _calculer(filtres, using):
    """(counts, first ids, the fiches weighed at most) of a search: the engine's, when there is
    one and it answers (every match weighed: None), else on the database ``using``."""
    if moteur.actif() and (trouve := _au_moteur(moteur.chercher, filtres, EN_CACHE)) is not None:
        return (*trouve, None)
    qs = filtrer(filtres, using)
    comptes = facettes._comptes(qs, filtres, limite=EN_CACHE)
    ids = comptes.pop("ids", None)  # PostgreSQL's, read with the counts
    if ids is None:
        ids = ids_ordonnes(_plafonner(qs, _total(comptes)), filtres, limite=EN_CACHE)
    return comptes, ids, facettes.PLAFOND


def _au_moteur(question, *args):
    """The engine's answer to ``question(*args)``; None when it cannot answer (PostgreSQL
    answers then)."""
    try:
        return question(*args)
    except moteur.Indisponible as exc:
        logger.warning("Le moteur de l'Atlaas ne répond pas (%s) : PostgreSQL cherche.", exc)
        return None


def _total(comptes):
    """The number of fiches a search weighs (every fiche has a year)."""
    return sum(comptes["annee"].values())


def _plafonner(qs, total):
    """``qs`` kept to the fiches its counts are about: the PLAFOND most recent, when it reached it."""
    if total < facettes.PLAFOND:
        return qs
    return qs.filter(pk__in=qs.order_by("-published_at", "-pk").values("pk")[: facettes.PLAFOND])


def _cle(filtres):
    """The cache key of a search: the index version, the village threshold (the ``type``
    facet's), the filters, page apart, and the release (the page's facets are kept under it)."""
    valeurs = sorted(
        (name, str(getattr(value, "pk", value))) for name, value in filtres.items() if name != "page"
    )
    empreinte = hashlib.sha256(repr(valeurs).encode()).hexdigest()[:32]
    return f"atlaas:recherche:{version()}:{settings.SEUIL_VILLAGE}:{livraison()}:{empreinte}"


def version():
    """The catalogue's version: it changes with every publication (``index.invalider``)."""
    return cache.get_or_set(VERSION, time.time_ns, None)
