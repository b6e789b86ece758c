"""A search in the engine: the query of a search's filters, the counts of every facet, the
first ids in the results' order."""

import itertools

from django.conf import settings

from atlaas.models import Collectivite

from .. import facettes
from ..requete import analyser, par_pertinence, stems_cherches
from .schema import CHAMPS, Indisponible, definition, index_ouvert


def _terme(schema, terme):
    """A word or a phrase, in any of the text fields, weighted by field."""
    import tantivy

    clauses = []
    for champ, poids in CHAMPS.items():
        if len(terme.stems) == 1:
            requete = tantivy.Query.term_query(schema, champ, terme.stems[0])
        else:
            requete = tantivy.Query.phrase_query(
                schema, champ, list(zip(terme.positions, terme.stems, strict=True))
            )
        clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(requete, poids)))
    return tantivy.Query.boolean_query(clauses)


def _texte(schema, q):
    """The clause of the words typed: one of the alternatives, each of whose terms matches
    (an excluded one does not)."""
    from tantivy import Occur, Query

    alternatives = []
    for termes in analyser(q):
        clauses = [(Occur.MustNot if t.exclu else Occur.Must, _terme(schema, t)) for t in termes]
        if all(t.exclu for t in termes):
            clauses.append((Occur.Must, Query.all_query()))
        alternatives.append((Occur.Should, Query.boolean_query(clauses)))
    return [(Occur.Must, Query.boolean_query(alternatives))] if alternatives else []


def _filtre(schema, champ, valeur):
    import tantivy

    return tantivy.Occur.Must, tantivy.Query.term_query(schema, champ, valeur)


def _intervalle(schema, champ, bas, haut):
    """``bas`` <= field < ``haut`` (``haut`` None: no upper bound)."""
    import tantivy

    requete = tantivy.Query.range_query(
        schema, champ, tantivy.FieldType.Integer, bas, haut, include_upper=haut is None
    )
    return tantivy.Occur.Must, requete


def requete(filtres):
    """The engine's query of ``RechercheForm.filtres()``: the same fiches as ``recherche.filtrer``."""
    import tantivy

    schema = definition()
    clauses = _texte(schema, filtres.get("q", ""))
    for facette, rang in facettes.RANGS.items():
        if facette in filtres:
            clauses.append(_filtre(schema, "taxonomie", str(4 * filtres[facette].pk + rang)))
    for facette in ("region", "departement"):
        if facette in filtres:
            clauses.append(_filtre(schema, facette, filtres[facette].code))
    if "niveau" in filtres:
        clauses.append(_filtre(schema, "niveau", str(filtres["niveau"])))
    if "annee" in filtres:
        clauses.append(_filtre(schema, "annee", str(filtres["annee"])))
    if "collectivite" in filtres:
        clauses.append(_filtre(schema, "collectivite", filtres["collectivite"].pk))
    type_ = filtres.get("type")
    if type_ == "territoire":
        clauses.append(_filtre(schema, "nature", Collectivite.Nature.EPCI))
    elif type_:
        clauses.append(_filtre(schema, "nature", Collectivite.Nature.COMMUNE))
        bornes = (0, settings.SEUIL_VILLAGE) if type_ == "village" else (settings.SEUIL_VILLAGE, None)
        clauses.append(_intervalle(schema, "population", *bornes))
    if "strate" in filtres:
        _libelle, bas, haut = facettes.STRATES[filtres["strate"]]
        clauses.append(_intervalle(schema, "population", bas, haut))
    if not any(occur == tantivy.Occur.Must for occur, _r in clauses):
        clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
    return tantivy.Query.boolean_query(clauses)


def _agregations():
    """Tantivy's aggregations for the counts of every facet. The type and the stratum from each
    fiche's nature and stratum (``groupe``) when the village threshold is a stratum's bound (the
    label's, 3,000); else from the nature and the population's ranges, bounded by the strata and
    the threshold."""
    # Every value of a facet, exactly: tantivy refuses (and PostgreSQL answers) past 65,000
    # buckets in all, far above the referential's values and the fiches' sets of codes (1,185).
    grand = {"size": 65_000}
    noms = ("annee", "niveau", "departement", "region", "taxonomies")
    communs = {nom: {"terms": {"field": nom, **grand}} for nom in noms}
    if settings.SEUIL_VILLAGE in {bas for _l, bas, _h in facettes.STRATES.values()}:
        return communs | {"groupe": {"terms": {"field": "groupe", **grand}}}
    bornes = sorted({settings.SEUIL_VILLAGE, *(haut for _l, _b, haut in facettes.STRATES.values() if haut)})
    intervalles = [{"to": bornes[0]}, *({"from": a, "to": b} for a, b in itertools.pairwise(bornes))]
    intervalles.append({"from": bornes[-1]})
    return communs | {
        "nature": {
            "terms": {"field": "nature", **grand},
            "aggs": {"population": {"range": {"field": "population", "ranges": intervalles}}},
        },
    }


def strate(population):
    """The stratum of a population; without one, the last (PostgreSQL's CASE in ``facettes``)."""
    return facettes.strate_de(population) or list(facettes.STRATES)[-1]


def _type(nature, cle=None, bas=None):
    """village, ville or territoire: from the stratum ``cle`` (the threshold one of its bounds)
    or the lowest population of a range."""
    if nature == Collectivite.Nature.EPCI:
        return "territoire"
    if cle is not None:
        haut = facettes.STRATES[cle][2]
        return "village" if haut is not None and haut <= settings.SEUIL_VILLAGE else "ville"
    return "village" if bas < settings.SEUIL_VILLAGE else "ville"


def _comptes(resultat):
    """{facet: {key: count}} from the aggregations, keyed as ``facettes._comptes`` keys them."""
    comptes = {nom: {} for nom in facettes.FACETTES}

    def seaux(nom):
        return resultat.get(nom, {}).get("buckets", [])

    for nom in ("annee", "niveau", "departement", "region"):
        for seau in seaux(nom):
            comptes[nom][seau["key"]] = seau["doc_count"]
    facette = {rang: nom for nom, rang in facettes.RANGS.items()}
    for seau in seaux("taxonomies"):
        for code in map(int, filter(None, seau["key"].split(","))):
            compte = comptes[facette[code % 4]]
            compte[str(code // 4)] = compte.get(str(code // 4), 0) + seau["doc_count"]
    collectivites = []  # (type, stratum, fiches)
    for seau in seaux("groupe"):
        nature, cle = seau["key"].split(":")
        collectivites.append((_type(nature, cle), cle, seau["doc_count"]))
    for seau in seaux("nature"):  # the threshold between two strata's bounds
        for intervalle in seau["population"]["buckets"]:
            bas = int(intervalle.get("from", 0))
            collectivites.append((_type(seau["key"], bas=bas), strate(bas), intervalle["doc_count"]))
    for type_, cle, nombre in collectivites:
        if nombre:
            comptes["type"][type_] = comptes["type"].get(type_, 0) + nombre
            comptes["strate"][cle] = comptes["strate"].get(cle, 0) + nombre
    return comptes


def _searcher():
    index = index_ouvert()
    try:
        index.reload()
        return index.searcher()
    except ValueError as exc:
        raise Indisponible(str(exc)) from exc


def chercher(filtres, limite):
    """(counts, first ``limite`` ids in the results' order) of a search, every match counted."""
    searcher = _searcher()
    requete_ = requete(filtres)
    try:
        comptes = _comptes(searcher.aggregate(requete_, _agregations()))
    except ValueError as exc:
        raise Indisponible(str(exc)) from exc
    return comptes, ids(filtres, limite, searcher, requete_)


def ids(filtres, limite, searcher=None, requete_=None):
    """The first ``limite`` ids of a search, in the results' order: by relevance (the engine's,
    equal scores in its own stable order); or by date then id, as PostgreSQL orders them (also
    when no word is looked for but excluded ones, where PostgreSQL's ranks are all equal)."""
    if not limite:
        return []
    searcher = searcher or _searcher()
    requete_ = requete_ or requete(filtres)
    try:
        if par_pertinence(filtres) and stems_cherches(filtres["q"]):
            hits = searcher.search(requete_, limit=limite, count=False).hits
            return searcher.fast_field_values("id", [adresse for _score, adresse in hits])
        return _par_date(searcher, requete_, limite)
    except ValueError as exc:
        raise Indisponible(str(exc)) from exc


def _par_date(searcher, requete_, limite):
    """The first ``limite`` ids by date, then id, both descending. The engine orders by date
    alone: the fiches of the last date kept are read again by their ids, so that a longer list
    always extends a shorter one (a demo publishes many fiches in the same second)."""
    import tantivy

    hits = searcher.search(requete_, limit=limite, count=False, order_by_field="publiee").hits
    if not hits:
        return []
    dates = [date for date, _adresse in hits]
    valeurs = searcher.fast_field_values("id", [adresse for _date, adresse in hits])
    fin = dates[-1]
    avant = sorted(((d, pk) for d, pk in zip(dates, valeurs, strict=True) if d > fin), reverse=True)
    derniere = tantivy.Query.range_query(definition(), "publiee", tantivy.FieldType.Integer, fin, fin)
    meme_date = tantivy.Query.boolean_query([(tantivy.Occur.Must, requete_), (tantivy.Occur.Must, derniere)])
    hits = searcher.search(meme_date, limit=limite - len(avant), count=False, order_by_field="id").hits
    return [pk for _d, pk in avant] + [pk for pk, _adresse in hits]
