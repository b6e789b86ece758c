"""Writing the engine: the fiches noted since its last run (``appliquer``), or all of them
(``reconstruire``), and their notes forgotten once written."""

import datetime
from contextlib import contextmanager

from django.db import connection, transaction

from atlaas.models import AIndexer

from .recherche import strate
from .schema import CHAMPS, MEMOIRE, TEXTES, Indisponible, index_ouvert

LOT = 5_000  # fiches written per commit


_LIRE = f"""
SELECT r.id, r.published_at, r.date_debut, r.collectivite_id, r.nature, r.population, r.niveau,
    d.code, g.code, r.taxonomie_ids, {", ".join(sql for sql, _lettre, _poids in TEXTES.values())}
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
    document.add_text("groupe", f"{nature or ''}:{strate(population)}")
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


@contextmanager
def _ecrivain(index):
    """The index's writer, the only one (another process writing: Indisponible, its run takes
    these changes too). What it did not commit is dropped on a failure, and its lock released at
    the end either way."""
    try:
        writer = index.writer(MEMOIRE, 1)
    except ValueError as exc:
        raise Indisponible(str(exc)) from exc
    try:
        yield writer
    except BaseException:
        writer.rollback()  # its notes stay, for the next run
        raise
    finally:
        writer.wait_merging_threads()  # and its lock released


def appliquer():
    """Write into the engine the fiches whose copy changed (``AIndexer``), ``LOT`` per commit;
    the number of fiches written. Without an index yet, build it whole. Nothing noted: one
    query, and the writer's lock left to a run that has work."""
    try:
        index = index_ouvert()
    except Indisponible:
        return reconstruire()
    notees = AIndexer.objects.order_by("changement").values_list("fiche_id", "changement")
    if not (notes := list(notees[:LOT])):
        return 0
    fait = 0
    with _ecrivain(index) as writer:
        while notes:
            _ecrire(writer, [pk for pk, _c in notes])
            writer.commit()
            fait += len(notes)
            _oublier(notes)
            notes = list(notees[:LOT]) if len(notes) == LOT else []
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


def _oublier(notes):
    with connection.cursor() as cursor:
        for debut in range(0, len(notes), 10_000):
            morceau = notes[debut : debut + 10_000]
            cursor.execute(_OUBLIER, [[pk for pk, _c in morceau], [c for _pk, c in morceau]])


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
    index = index_ouvert(creer=True)
    notes = list(AIndexer.objects.values_list("fiche_id", "changement"))
    fait = 0
    with _ecrivain(index) as writer:
        writer.delete_all_documents()
        with transaction.atomic(), connection.chunked_cursor() as cursor:
            cursor.execute(_LIRE)
            while lignes := cursor.fetchmany(2_000):
                for ligne in lignes:
                    writer.add_document(_document(ligne))
                fait += len(lignes)
        writer.commit()
    _oublier(notes)
    return fait
