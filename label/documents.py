"""Generating the files of a publication, one document at a time, safely run twice.

``generer_lot`` reads the waiting rows of its lot together, then claims each just before
rendering it, with a conditional UPDATE that names the row as it was read (a second worker, or a
correction meanwhile, and the claim gets nothing); it renders the whole file in memory, stores
it under a name free at that moment and only then points the row to it, « prêt », if the claim
is still this run's. A worker killed on the way leaves at most the row it was rendering « en
cours », without a file, and the rest of its lot « en attente ».

Nothing waits for the broker to give a killed worker's message back: every minute the beat run
of ``tasks.generer_documents`` (``a_envoyer``) sets back « en attente » the claims older than
their kind's lease (``BAIL``) and queues again the waiting rows whose last message is older than
``RENVOI_APRES``. For a waiting row, ``updated_at`` is the moment it was last queued or changed.
Each kind of document has its renderer, a function ``(document) -> (name, bytes)`` named in
``RENDUS``, given the row as ``lecture`` reads it.
"""

import datetime
import functools
import logging
import operator
from contextlib import contextmanager

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, Prefetch, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from outbox import envois

from .models import Document, Mention

logger = logging.getLogger(__name__)

RENDUS = {
    Document.Kind.CERTIFICAT: "label.certificats.certificat_pdf",
    Document.Kind.PALMARES_CSV: "label.palmares.palmares_csv",
    Document.Kind.PALMARES_JSON: "label.palmares.palmares_json",
    Document.Kind.PALMARES_PDF: "label.palmares.palmares_pdf",
}
# Kinds whose documents share work within a lot: ``(documents) -> None``, called once per lot
# before its first claim with the rows of that kind, leaves on each row what its renderer
# reuses (the certificates' pages, laid out together). A failure there costs only the sharing:
# each row is then rendered alone, and fails alone.
PREPARATIONS = {Document.Kind.CERTIFICAT: "label.certificats.preparer_lot"}

# A claim older than its kind's lease was interrupted (its worker died mid-render) and is taken
# again. About ten times the longest render measured on a busy machine (bench/README.md): a
# certificate renders in 25–50 ms, the palmarès of 1,000 laureates in 0.3 s (CSV, JSON) and 9 s
# (PDF). A render longer than its lease is done again by another run, which takes the row.
BAIL = {
    Document.Kind.CERTIFICAT: datetime.timedelta(seconds=45),
    Document.Kind.PALMARES_CSV: datetime.timedelta(seconds=45),
    Document.Kind.PALMARES_JSON: datetime.timedelta(seconds=45),
    Document.Kind.PALMARES_PDF: datetime.timedelta(seconds=90),
}
BLOQUE_APRES = max(BAIL.values())  # a document « en cours » longer than this was interrupted
# A waiting row queued longer ago than this lost its message (a worker killed with its lot in
# hand keeps it until the broker's visibility timeout), or is in a lot being run: the beat run
# queues it again (a lot run twice only does what is left). A row queued more recently keeps
# its message: the queue of a long generation is not doubled every minute.
RENVOI_APRES = datetime.timedelta(seconds=45)
BAIL_MISE_EN_PAGE = 600  # seconds a row stays marked by a lot's layout a process did not finish
ESSAIS = 3  # attempts of a document before it waits for staff (« relancer » in the admin)
EN_ATTENTE = [Document.State.ATTENTE, Document.State.ECHEC]
TACHE = "label.tasks.generer_documents"  # the generation, owed through the outbox by its name


def interrompus(now):
    """Documents « en cours » for longer than their kind's lease."""
    depuis = functools.reduce(
        operator.or_, (Q(kind=kind, updated_at__lt=now - bail) for kind, bail in BAIL.items())
    )
    return Document.objects.filter(depuis, state=Document.State.EN_COURS)


def a_generer(edition_id=None, now=None):
    """Documents waiting, failed or interrupted, claimed fewer than ``ESSAIS`` times: what a
    (re)run of the generation takes."""
    now = now or timezone.now()
    qs = Document.objects.filter(state__in=EN_ATTENTE) | interrompus(now)
    qs = qs.filter(tentatives__lt=ESSAIS)
    if edition_id:
        qs = qs.filter(edition_id=edition_id)
    return qs.order_by("pk")


def a_envoyer(edition_id=None, now=None):
    """The ids of the documents a run of the generation queues, marked as queued at ``now``.

    For an edition (its publication, a correction, staff), all it has to generate. For the beat
    run (no edition), what was not queued within ``RENVOI_APRES``: a message still waiting in
    the queue is not doubled. Interrupted claims go back « en attente »; interrupted at their
    last attempt, « échec »."""
    now = now or timezone.now()
    abandonnes = interrompus(now).filter(tentatives__gte=ESSAIS)
    qs = a_generer(edition_id, now)
    if edition_id:
        abandonnes = abandonnes.filter(edition_id=edition_id)
    else:
        qs = qs.filter(Q(state=Document.State.EN_COURS) | Q(updated_at__lt=now - RENVOI_APRES))
    abandonnes.update(
        state=Document.State.ECHEC,
        erreur=f"Génération non terminée au {ESSAIS}e essai : le worker s’est arrêté pendant le rendu, "
        "ou le rendu a dépassé son délai.",
        updated_at=now,
    )
    ids = list(qs.values_list("pk", flat=True))
    envoyes = Document.objects.filter(pk__in=ids)
    (envoyes & interrompus(now)).update(state=Document.State.ATTENTE)
    envoyes.filter(state__in=EN_ATTENTE).update(updated_at=now)
    return ids


def queue_generation(edition_id):
    """Owe a run of the generation of the edition's waiting documents, after commit (the outbox
    hands it to a worker, and again until it ran)."""
    return envois.tache(TACHE, edition_id)


def generer(document_id, now=None):
    """Render and store one document; True if this call did it."""
    return generer_lot([document_id], now) == 1


def lecture():
    """Documents with what their renderers read: the certificate's result, mentions and place."""
    return Document.objects.select_related(
        "edition", "candidature__collectivite__departement", "candidature__resultat"
    ).prefetch_related(
        Prefetch("candidature__resultat__mentions", queryset=Mention.objects.order_by("ordre", "nom"))
    )


def generer_lot(document_ids, now=None):
    """Render and store documents, each claimed just before its render; the number this call did.

    The waiting rows are read together first (and what they share prepared, ``PREPARATIONS``),
    then each is claimed if it is still as read: a correction made before the claim set the
    row back « en attente » at its own moment, and the run it queued takes the row with what it
    reads. The claim's moment is the run's token: a correction made after it sets the row back
    « en attente » (and a new run claims it at its own moment), so this run's final conditional
    UPDATE, which names its moment, gives up."""
    lus = lecture().filter(state__in=EN_ATTENTE).in_bulk(document_ids)
    _preparer(lus.values())
    fait = 0
    for pk in document_ids:
        if pk in lus:
            with _sans_attendre_le_journal():
                pris = _prendre(lus[pk], now or timezone.now())
            if pris:
                fait += _generer(lus[pk])
    return fait


@contextmanager
def _sans_attendre_le_journal():
    """On PostgreSQL, a transaction whose commit does not wait for the write-ahead log to reach
    the disk (``SET LOCAL synchronous_commit``: for this transaction only, whatever connection a
    pooler in transaction mode gives it): a document's claim, and its final UPDATE. A crash of the
    database server may lose the last of them: the row is then back « en attente » or « en
    cours », never « prêt » without its file (a file and its name are on disk before its row
    points to it), and a later run renders it again, as after a worker killed."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO off")
        yield


MISE_EN_PAGE = "documents:mise-en-page:{}"  # a row being laid out with its lot (cache key)


def _preparer(documents):
    """Lay out together what the rows of each kind share. Each row is marked in the cache while
    its lot is laid out: a process that dies there (out of memory, the text engine) has claimed
    nothing, so its lot would come back as it was, forever; a row found still marked is left out
    of any lot and rendered alone, where its claim counts the attempt (``ESSAIS``)."""
    marques = {MISE_EN_PAGE.format(document.pk): document for document in documents}
    deja = cache.get_many(marques)  # two round trips a lot, not one a row
    cache.set_many(dict.fromkeys(marques.keys() - deja.keys(), True), BAIL_MISE_EN_PAGE)
    par_kind = {}
    for cle, document in marques.items():
        if cle not in deja:
            par_kind.setdefault(document.kind, []).append(document)
    for kind, lot in par_kind.items():
        if kind in PREPARATIONS and len(lot) > 1:
            try:
                import_string(PREPARATIONS[kind])(lot)
            except Exception:  # each row is then rendered alone, and fails alone
                logger.exception("Échec de la préparation d'un lot de documents (%s)", kind)
    cache.delete_many([MISE_EN_PAGE.format(d.pk) for lot in par_kind.values() for d in lot])


def _prendre(document, now):
    """Claim a row read waiting if nothing changed it since: ``now`` becomes its token."""
    if not Document.objects.filter(
        pk=document.pk, state=document.state, tentatives=document.tentatives, updated_at=document.updated_at
    ).update(state=Document.State.EN_COURS, tentatives=F("tentatives") + 1, updated_at=now):
        return False
    document.state, document.tentatives, document.updated_at = (
        Document.State.EN_COURS,
        document.tentatives + 1,
        now,
    )
    return True


def _generer(document):
    """Render a claimed row, store the file under a name free at that moment (a run never
    writes over another's file), then point the row to it if the claim is still this run's."""
    a_moi = Document.objects.filter(
        pk=document.pk,
        state=Document.State.EN_COURS,
        tentatives=document.tentatives,
        updated_at=document.updated_at,
    )
    ancien = document.fichier.name
    storage = document.fichier.storage
    try:
        nom, contenu = import_string(RENDUS[document.kind])(document)
        cible = document.fichier.field.generate_filename(document, nom)
        # A full disk raises OSError here and leaves no file: the row says why, like any failure.
        document.fichier.save(nom, ContentFile(contenu), save=False)
    except Exception as exc:  # any failure is shown to staff with its reason, and retried
        logger.exception("Échec de la génération du document %s", document.pk)
        with _sans_attendre_le_journal():
            a_moi.update(
                state=Document.State.ECHEC,
                erreur=f"{type(exc).__name__} : {exc}"[:2000],
                updated_at=timezone.now(),
            )
        return False
    with _sans_attendre_le_journal():
        a_moi_encore = a_moi.update(
            fichier=document.fichier.name, state=Document.State.PRET, erreur="", updated_at=timezone.now()
        )
    if not a_moi_encore:
        storage.delete(document.fichier.name)  # this run's own file only
        return False
    # The row is this run's: the previous version, or what an interrupted run left under the
    # row's name, goes.
    for reste in {ancien, cible} - {"", document.fichier.name}:
        storage.delete(reste)
    return True
