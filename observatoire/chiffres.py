"""The fiches' figures: the share of fiches and of collectivités per enjeu and per service, year
by year, and the enjeux compared between strata, types or régions.

A fiche's year is the year of its start (``date_debut``): the year the action began, known for
every fiche, where its publication date says only when it reached the Atlaas. Only published
fiches count. Each figure is one SQL aggregation (``values(...).annotate(Count(...))``): the
number of queries does not grow with the span. On PostgreSQL the fiches are read from the
catalogue's narrow copy (``FicheRecherche``), whose codes of the taxonomy (``TAXONOMIE``: 4 × id
+ 1 for a service, + 2 for an enjeu, each once per fiche) give the services, the enjeux and, with
a code 0 added to each fiche, the totals in one pass without joining the taxonomy. The filters
are those of the Atlaas (its type and strata read today's population and settings.SEUIL_VILLAGE;
its level is the collectivité's latest label).
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Case, CharField, Count, F, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import ExtractYear

from atlaas import catalogue
from atlaas.models import Collectivite, FicheAction, FicheRecherche, Service


@dataclass
class Theme:
    """An enjeu or a service: its fiches and collectivités, {year: number}."""

    id: int
    nom: str
    enjeu: str = ""  # a service's enjeu
    fiches: dict = field(default_factory=dict)
    collectivites: dict = field(default_factory=dict)


@dataclass
class Themes:
    annees: list  # every year of the span, in order
    fiches: dict  # {year: fiches that started that year}
    collectivites: dict  # {year: collectivités with such a fiche}
    enjeux: list  # [Theme]
    services: list  # [Theme]

    def part(self, theme, annee, quoi="fiches"):
        """The theme's share of the year's fiches (or collectivités), in percent, None without
        any fiche that year."""
        total = getattr(self, quoi).get(annee, 0)
        return 100 * getattr(theme, quoi).get(annee, 0) / total if total else None


@dataclass
class Comparaison:
    par: str  # "strate", "type" or "region"
    groupes: list  # [(key, name)] with fiches, in the filter's order
    totaux: dict  # {key: fiches}
    enjeux: list  # [(id, name)]
    fiches: dict  # {(key, enjeu id): fiches}

    def part(self, groupe, enjeu):
        total = self.totaux.get(groupe, 0)
        return 100 * self.fiches.get((groupe, enjeu), 0) / total if total else None


def fiches(choix, copie=False):
    """The published fiches that started in the span and match the filters; ``copie``: their
    rows of the catalogue's copy (PostgreSQL)."""
    qs = (FicheRecherche.objects.all() if copie else FicheAction.objects.published()).filter(
        date_debut__gte=datetime.date(choix["debut"], 1, 1),
        date_debut__lt=datetime.date(choix["fin"] + 1, 1, 1),
    )
    if "region" in choix:
        qs = qs.filter(collectivite__region__code=choix["region"])
    if "departement" in choix:
        qs = qs.filter(collectivite__departement__code=choix["departement"])
    if "type" in choix:
        qs = qs.filter(**catalogue.condition_type(choix["type"], vers="collectivite__"))
    if "strate" in choix:
        _libelle, bas, haut = catalogue.STRATES[choix["strate"]]
        qs = qs.filter(collectivite__population__gte=bas)
        if haut is not None:
            qs = qs.filter(collectivite__population__lt=haut)
    if "niveau" in choix:
        qs = qs.filter(collectivite__niveau=choix["niveau"])
    return qs.order_by()


def taxonomie():
    """([(id, name)] of the enjeux, [(id, name, enjeu's name)] of the services), in the
    referential's order (one query)."""
    enjeux, services = {}, []
    lignes = Service.objects.values_list("pk", "nom", "enjeu_id", "enjeu__nom")
    for pk, nom, enjeu_id, enjeu in lignes:
        enjeux.setdefault(enjeu_id, enjeu)
        services.append((pk, nom, enjeu))
    return list(enjeux.items()), services


def themes(choix, referentiel=None):
    """The fiches and collectivités per year, per enjeu and per service (three queries, four
    without ``referentiel``, the ``taxonomie()``)."""
    enjeux, services = referentiel or taxonomie()
    annees = list(range(choix["debut"], choix["fin"] + 1))
    if connection.vendor == "postgresql":
        return _themes_pg(choix, enjeux, services, annees)
    qs = fiches(choix).annotate(annee=ExtractYear("date_debut"))
    totaux = {
        r["annee"]: r
        for r in qs.values("annee").annotate(n=Count("pk"), c=Count("collectivite", distinct=True))
    }
    par_service = qs.values("annee", theme=F("services")).annotate(
        n=Count("pk"), c=Count("collectivite", distinct=True)
    )
    # A fiche with two services of one enjeu counts once for it.
    par_enjeu = qs.values("annee", theme=F("services__enjeu")).annotate(
        n=Count("pk", distinct=True), c=Count("collectivite", distinct=True)
    )
    return Themes(
        annees=annees,
        fiches={a: totaux[a]["n"] if a in totaux else 0 for a in annees},
        collectivites={a: totaux[a]["c"] if a in totaux else 0 for a in annees},
        enjeux=_remplir([Theme(pk, nom) for pk, nom in enjeux], par_enjeu),
        services=_remplir([Theme(pk, nom, enjeu) for pk, nom, enjeu in services], par_service),
    )


# One pass over the copy's rows: each fiche's codes of the taxonomy and a 0 for the totals.
_PG_CODES = """
SELECT {groupe} AS groupe, c.code, COUNT(*) AS n{distinctes}
FROM ({fiches}) AS r CROSS JOIN LATERAL unnest(array_append(r.codes, 0::bigint)) AS c (code)
WHERE c.code %% 4 IN ({rangs})
GROUP BY 1, 2
"""


def _codes_pg(qs, groupe, rangs, distinctes):
    """[(group, code, fiches, collectivités or None)] over ``qs`` (FicheRecherche rows)."""
    codes = RawSQL(f'"{FicheRecherche._meta.db_table}"."{catalogue.TAXONOMIE}"', ())
    colonnes = qs.annotate(codes=codes, groupe_=groupe).values("collectivite_id", "codes", "groupe_")
    sql, params = colonnes.query.sql_with_params()
    requete = _PG_CODES.format(
        groupe="r.groupe_",
        fiches=sql,
        rangs=", ".join(map(str, rangs)),
        distinctes=", COUNT(DISTINCT r.collectivite_id) AS c" if distinctes else ", NULL AS c",
    )
    with connection.cursor() as cursor:
        cursor.execute(requete, params)
        return cursor.fetchall()


def _themes_pg(choix, enjeux, services, annees):
    lignes = _codes_pg(fiches(choix, copie=True), ExtractYear("date_debut"), (0, 1, 2), True)
    par_code = {}
    for annee, code, n, c in lignes:
        par_code.setdefault(code, ({}, {}))
        par_code[code][0][annee] = n
        par_code[code][1][annee] = c

    def theme(pk, nom, rang, enjeu=""):
        nombres, collectivites = par_code.get(4 * pk + rang, ({}, {}))
        return Theme(pk, nom, enjeu, nombres, collectivites)

    totaux = par_code.get(0, ({}, {}))
    return Themes(
        annees=annees,
        fiches={a: totaux[0].get(a, 0) for a in annees},
        collectivites={a: totaux[1].get(a, 0) for a in annees},
        enjeux=[theme(pk, nom, 2) for pk, nom in enjeux],
        services=[theme(pk, nom, 1, enjeu) for pk, nom, enjeu in services],
    )


def _remplir(liste, lignes):
    par_id = {theme.id: theme for theme in liste}
    for ligne in lignes:
        theme = par_id.get(ligne["theme"])
        if theme is not None:
            theme.fiches[ligne["annee"]] = ligne["n"]
            theme.collectivites[ligne["annee"]] = ligne["c"]
    return liste


def _groupe(par):
    """The SQL expression of a fiche's group: its collectivité's stratum, type or région."""
    population = "collectivite__population"
    if par == "region":
        return F("collectivite__region__code")
    if par == "type":
        return Case(
            When(collectivite__nature=Collectivite.Nature.EPCI, then=Value("territoire")),
            When(**{f"{population}__lt": settings.SEUIL_VILLAGE}, then=Value("village")),
            default=Value("ville"),
            output_field=CharField(),
        )
    conditions = []
    for cle, (_libelle, bas, haut) in catalogue.STRATES.items():
        bornes = {f"{population}__gte": bas} | ({f"{population}__lt": haut} if haut is not None else {})
        conditions.append(When(**bornes, then=Value(cle)))
    return Case(*conditions, default=Value(""), output_field=CharField())


def comparaison(choix, noms_groupes, referentiel=None):
    """The span's fiches per enjeu in each group of ``choix["comparer"]`` (two queries, three
    without ``referentiel``); ``noms_groupes``: [(key, name)] of the possible groups."""
    enjeux, _services = referentiel or taxonomie()
    par = choix["comparer"]
    groupes = [(cle, str(nom)) for cle, nom in noms_groupes]
    if connection.vendor == "postgresql":
        lignes = _codes_pg(fiches(choix, copie=True), _groupe(par), (0, 2), False)
        totaux = {groupe: n for groupe, code, n, _c in lignes if code == 0}
        return Comparaison(
            par=par,
            groupes=[(cle, nom) for cle, nom in groupes if totaux.get(cle)],
            totaux=totaux,
            enjeux=enjeux,
            fiches={(groupe, (code - 2) // 4): n for groupe, code, n, _c in lignes if code},
        )
    qs = fiches(choix).annotate(groupe=_groupe(par))
    totaux = {r["groupe"]: r["n"] for r in qs.values("groupe").annotate(n=Count("pk"))}
    lignes = qs.values("groupe", enjeu=F("services__enjeu")).annotate(n=Count("pk", distinct=True))
    return Comparaison(
        par=par,
        groupes=[(cle, nom) for cle, nom in groupes if totaux.get(cle)],
        totaux=totaux,
        enjeux=enjeux,
        fiches={(r["groupe"], r["enjeu"]): r["n"] for r in lignes},
    )
