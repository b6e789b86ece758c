"""The catalogue's own search engine (tantivy, on disk), for an Atlaas too large for PostgreSQL's
memory: a search's words and facets read from its posting lists and columns, whatever the
number of fiches, and every match counted (no ``PLAFOND``).

On when ``settings.ATLAAS_MOTEUR`` names a folder (PostgreSQL only), shared by the web processes,
which read it, and the Celery workers, which write it. ``chercher`` answers what
``recherche._calculer`` answers with PostgreSQL: the counts of every facet and the first ids in
the results' order; a search the engine cannot answer (no index yet, a damaged folder) is made by
PostgreSQL instead, as without it.

The engine follows the narrow copy of the published fiches (``FicheRecherche``): a trigger
(migration 0013) notes each fiche whose copy is written or removed in ``AIndexer``, with the
number of that change; ``appliquer`` (a Celery task after each change of the catalogue, and
every minute) writes those fiches into the engine, then removes their notes if no later change
came meanwhile. A worker killed half-way leaves the notes: the next run writes them again.
``reconstruire`` writes every fiche (``manage.py index_atlaas --moteur``, and by itself when
the folder holds no index).

The words are those of PostgreSQL's ``french_unaccent`` and of ``atlaas.francais`` (accents
removed, case folded, French stop words dropped, Snowball's French stemmer), in four fields
weighted as ``search_vector``'s A, B, C and D; the query is ``requete.analyser``'s reading. Where
they differ: PostgreSQL keeps an address (``www.ville.fr``, ``contact@ville.fr``, a URL) or a
decimal (``3.5``) as one word, which the engine splits into its words; and PostgreSQL's stemmer
differs from Snowball's on rare words (« malais »).
"""

import datetime
import functools
import itertools
import logging
import os
import shutil
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from atlaas import francais
from atlaas.models import AIndexer, Collectivite

from . import facettes
from .requete import analyser, par_pertinence

logger = logging.getLogger(__name__)

# The text fields and their weights, those of ts_rank for search_vector's A, B, C and D.
CHAMPS = {"titre": 1.0, "resume": 0.4, "corps": 0.2, "annexes": 0.1}
LOT = 5_000  # fiches written per commit
MEMOIRE = 128 * 1024 * 1024  # the writer's memory, for all its threads


class Indisponible(Exception):
    """The engine cannot answer (no index yet, a damaged folder): PostgreSQL answers instead."""


def actif():
    return bool(settings.ATLAAS_MOTEUR) and connection.vendor == "postgresql"


def _analyseur():
    import tantivy

    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.custom_stopword(sorted(francais.STOP_WORDS)))
        .filter(tantivy.Filter.stemmer("french"))
        .build()
    )


@functools.cache
def _schema():
    import tantivy

    schema = tantivy.SchemaBuilder()
    schema.add_integer_field("id", indexed=True, fast=True)
    schema.add_integer_field("publiee", fast=True)  # microseconds since the epoch: the date order
    # Counted facets as words (raw text): tantivy counts them by their ordinals, ten times faster
    # than integers (the taxonomy's codes at 1.28 million fiches: 8 ms instead of 80).
    schema.add_text_field("annee", tokenizer_name="raw", fast=True, index_option="basic")
    schema.add_integer_field("collectivite", indexed=True)
    schema.add_text_field("nature", tokenizer_name="raw", fast=True, index_option="basic")
    schema.add_integer_field("population", indexed=True, fast=True)
    schema.add_text_field("groupe", tokenizer_name="raw", fast=True, index_option="basic")  # nature:stratum
    schema.add_text_field("niveau", tokenizer_name="raw", fast=True, index_option="basic")
    schema.add_text_field("departement", tokenizer_name="raw", fast=True, index_option="basic")
    schema.add_text_field("region", tokenizer_name="raw", fast=True, index_option="basic")
    schema.add_text_field("taxonomie", tokenizer_name="raw", index_option="basic")  # a code each, for filters
    # The fiche's codes as one word, for the counts: its fiches grouped by their codes first (a
    # thousand distinct sets, whatever the number of fiches), as PostgreSQL's query groups them;
    # counting every code of every fiche took 80 ms of the whole Atlaas' 97 at 1.28 million fiches.
    schema.add_text_field("taxonomies", tokenizer_name="raw", fast=True, index_option="basic")
    for champ in CHAMPS:
        schema.add_text_field(champ, tokenizer_name="fr", index_option="position")
    return schema.build()


_ouverts = {}


def _index(creer=False):
    """The engine's index in this process (one per folder and process: a forked worker opens
    its own). Raises Indisponible if the folder holds no index, or a damaged one; with
    ``creer``, an index is made there instead (a damaged one's files removed first)."""
    import tantivy

    dossier = Path(settings.ATLAAS_MOTEUR)
    cle = (os.getpid(), str(dossier))
    if cle not in _ouverts:
        try:
            if not creer and not tantivy.Index.exists(str(dossier)):
                raise Indisponible(f"aucun index dans {dossier}")
            dossier.mkdir(parents=True, exist_ok=True)
            index = _ouvrir(dossier, creer)
        except (OSError, ValueError) as exc:
            raise Indisponible(str(exc)) from exc
        index.register_tokenizer("fr", _analyseur())
        _ouverts[cle] = index
    return _ouverts[cle]


def _ouvrir(dossier, creer):
    """The index in ``dossier``: read as it is; or with ``creer``, made if there is none, made
    again if it is unreadable (damaged files) or of another schema (an index of an earlier
    release: its fields would take no document and answer wrongly)."""
    import tantivy

    if not creer:  # a reader never makes an index, even if the folder empties meanwhile
        index = tantivy.Index.open(str(dossier))
        if index.schema != _schema():
            raise ValueError("index d'un autre schéma, à reconstruire")
        return index
    try:
        index = tantivy.Index(_schema(), path=str(dossier), reuse=True)
        if index.schema == _schema():
            return index
    except (OSError, ValueError):
        pass
    logger.warning("Index du moteur de l'Atlaas illisible ou d'un autre schéma (%s) : refait.", dossier)
    for chemin in dossier.iterdir():
        if chemin.is_dir():
            shutil.rmtree(chemin)
        else:
            chemin.unlink()
    return tantivy.Index(_schema(), path=str(dossier), reuse=False)


def oublier():
    """Close the indexes this process opened (a test's folder, removed after it)."""
    _ouverts.clear()


# --- Searching -----------------------------------------------------------------------------


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
    import tantivy
    from tantivy import Occur

    alternatives = []
    for termes in analyser(q):
        clauses = [(Occur.MustNot if t.exclu else Occur.Must, _terme(schema, t)) for t in termes]
        if all(t.exclu for t in termes):
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        alternatives.append((tantivy.Occur.Should, tantivy.Query.boolean_query(clauses)))
    return [(tantivy.Occur.Must, tantivy.Query.boolean_query(alternatives))] if alternatives else []


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

    schema = _schema()
    clauses = _texte(schema, filtres.get("q", ""))
    rangs = {"service": 1, "enjeu": 2, "categorie": 3}
    for facette, rang in rangs.items():
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


def _strate(population):
    """The stratum of a population; without one, the last (PostgreSQL's CASE in ``facettes``)."""
    for cle, (_libelle, bas, haut) in facettes.STRATES.items():
        if population is not None and population >= bas and (haut is None or population < haut):
            return cle
    return list(facettes.STRATES)[-1]


def _type(nature, strate=None, bas=None):
    """village, ville or territoire: from the stratum (the threshold one of its bounds) or the
    lowest population of a range."""
    if nature == Collectivite.Nature.EPCI:
        return "territoire"
    if strate is not None:
        haut = facettes.STRATES[strate][2]
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
    noms = {1: "service", 2: "enjeu", 3: "categorie"}
    for seau in seaux("taxonomies"):
        for code in map(int, filter(None, seau["key"].split(","))):
            compte = comptes[noms[code % 4]]
            compte[str(code // 4)] = compte.get(str(code // 4), 0) + seau["doc_count"]
    groupes = [(*seau["key"].split(":"), seau["doc_count"]) for seau in seaux("groupe")]
    for seau in seaux("nature"):  # the threshold between two strata's bounds
        for intervalle in seau["population"]["buckets"]:
            bas = int(intervalle.get("from", 0))
            groupes.append((seau["key"], _strate(bas), _type(seau["key"], bas=bas), intervalle["doc_count"]))
    for nature, strate, *reste in groupes:
        type_, nombre = reste if len(reste) == 2 else (_type(nature, strate), reste[0])
        if nombre:
            comptes["type"][type_] = comptes["type"].get(type_, 0) + nombre
            comptes["strate"][strate] = comptes["strate"].get(strate, 0) + nombre
    return comptes


def _searcher():
    index = _index()
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
        if par_pertinence(filtres) and any(not t.exclu for termes in analyser(filtres["q"]) for t in termes):
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
    derniere = tantivy.Query.range_query(_schema(), "publiee", tantivy.FieldType.Integer, fin, fin)
    meme_date = tantivy.Query.boolean_query([(tantivy.Occur.Must, requete_), (tantivy.Occur.Must, derniere)])
    hits = searcher.search(meme_date, limit=limite - len(avant), count=False, order_by_field="id").hits
    return [pk for _d, pk in avant] + [pk for pk, _adresse in hits]


# --- Writing -------------------------------------------------------------------------------

_LIRE = """
SELECT r.id, r.published_at, r.date_debut, r.collectivite_id, r.nature, r.population, r.niveau,
    d.code, g.code, r.taxonomie_ids, f.titre, concat_ws(' ', f.sous_titre, c.nom),
    concat_ws(' ', f.description, f.synthese, f.resultats),
    concat_ws(' ', f.recommandations, f.outils, f.partenaires, f.public_cible)
FROM atlaas_ficherecherche AS r
JOIN atlaas_ficheaction AS f ON f.id = r.id
JOIN atlaas_collectivite AS c ON c.id = r.collectivite_id
LEFT JOIN atlaas_departement AS d ON d.id = r.departement_id
LEFT JOIN atlaas_region AS g ON g.id = r.region_id
"""
EPOQUE = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECONDE = datetime.timedelta(microseconds=1)


def _document(ligne):
    import tantivy

    pk, publiee, debut, collectivite, nature, population, niveau, departement, region, codes, *textes = ligne
    document = tantivy.Document()
    document.add_integer("id", pk)
    document.add_integer("publiee", (publiee - EPOQUE) // MICROSECONDE if publiee else 0)
    document.add_text("annee", str(debut.year))
    document.add_integer("collectivite", collectivite)
    document.add_text("nature", nature or "")
    document.add_text("groupe", f"{nature or ''}:{_strate(population)}")
    if population is not None:  # PostgreSQL's filters leave it out, its counts in the last stratum
        document.add_integer("population", population)
    if niveau is not None:
        document.add_text("niveau", str(niveau))
    if departement:
        document.add_text("departement", departement)
    if region:
        document.add_text("region", region)
    for code in codes or ():
        document.add_text("taxonomie", str(code))
    document.add_text("taxonomies", ",".join(map(str, sorted(set(codes or ())))))
    for champ, texte in zip(CHAMPS, textes, strict=True):
        document.add_text(champ, texte or "")
    return document


def _writer(index):
    try:
        return index.writer(MEMOIRE, 1)
    except ValueError as exc:  # another process writes: its run takes these changes too
        raise Indisponible(str(exc)) from exc


def appliquer(lot=LOT):
    """Write into the engine the fiches whose copy changed (``AIndexer``), a lot per commit;
    the number of fiches written. Without an index yet, build it whole."""
    try:
        index = _index()
    except Indisponible:
        return reconstruire()
    writer = _writer(index)
    fait = 0
    try:
        notees = AIndexer.objects.order_by("changement").values_list("fiche_id", "changement")
        while notes := list(notees[:lot]):
            _ecrire(writer, [pk for pk, _c in notes])
            writer.commit()
            fait += len(notes)
            with connection.cursor() as cursor:  # a change noted since stays, for the next run
                cursor.execute(_OUBLIER, [[pk for pk, _c in notes], [c for _pk, c in notes]])
            if len(notes) < lot:
                break
    except BaseException:
        writer.rollback()  # what was not committed: its notes stay
        writer.wait_merging_threads()  # the writer's lock released at once
        raise
    writer.wait_merging_threads()  # and the writer's lock released
    return fait


# A note is forgotten if it still holds the change written. One that a transaction is changing
# (locked) is left for the next run: waiting for it could deadlock with that transaction, which
# may go on to note a fiche of this lot.
_OUBLIER = """DELETE FROM atlaas_aindexer WHERE fiche_id IN (
    SELECT a.fiche_id FROM atlaas_aindexer AS a
    JOIN unnest(%s::bigint[], %s::bigint[]) AS n (id, changement)
        ON a.fiche_id = n.id AND a.changement = n.changement
    FOR UPDATE OF a SKIP LOCKED
)"""


def _ecrire(writer, ids):
    """Replace the fiches ``ids`` in the writer: removed, and added again if still published."""
    for pk in ids:
        writer.delete_documents_by_term("id", pk)
    with connection.cursor() as cursor:
        cursor.execute(_LIRE + " WHERE r.id = ANY(%s)", [ids])
        for ligne in cursor.fetchall():
            writer.add_document(_document(ligne))


def reconstruire():
    """Write every published fiche into the engine (the folder made if needed); the number.
    The changes noted before it began are then forgotten, each if it is still the last one of
    its fiche."""
    index = _index(creer=True)
    notes = list(AIndexer.objects.values_list("fiche_id", "changement"))
    writer = _writer(index)
    fait = 0
    try:
        writer.delete_all_documents()
        with transaction.atomic(), connection.chunked_cursor() as cursor:
            cursor.execute(_LIRE)
            while lignes := cursor.fetchmany(2_000):
                for ligne in lignes:
                    writer.add_document(_document(ligne))
                fait += len(lignes)
        writer.commit()
    except BaseException:
        writer.rollback()
        writer.wait_merging_threads()
        raise
    writer.wait_merging_threads()
    with connection.cursor() as cursor:
        for debut in range(0, len(notes), 10_000):
            morceau = notes[debut : debut + 10_000]
            cursor.execute(_OUBLIER, [[pk for pk, _c in morceau], [c for _pk, c in morceau]])
    return fait
