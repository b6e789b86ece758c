"""Generating the files of a publication, a lot of document rows at a time, safely run twice.

``generer_lot`` claims each row with a conditional UPDATE (a second worker gets nothing to do),
reads the claimed rows together, then for each renders the whole file in memory, stores it under
a name free at that moment and only then points the row to it, « prêt », if the claim is still
this run's: a worker killed on the way leaves rows « en cours » without a file, and the beat run
of ``tasks.generer_documents`` takes them again once they are older than ``BLOQUE_APRES``. Each
kind of document has its renderer, a function ``(document) -> (name, bytes)`` named in
``RENDUS``, given the row as ``lecture`` reads it.
"""

import datetime
import logging

from django.core.files.base import ContentFile
from django.db.models import F, Prefetch, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from outbox import envois

from .models import Document, Mention

logger = logging.getLogger(__name__)
BLOQUE_APRES = datetime.timedelta(minutes=15)  # a document « en cours » longer than this was interrupted

RENDUS = {
    Document.Kind.CERTIFICAT: "label.certificats.certificat_pdf",
    Document.Kind.PALMARES_CSV: "label.palmares.palmares_csv",
    Document.Kind.PALMARES_JSON: "label.palmares.palmares_json",
    Document.Kind.PALMARES_PDF: "label.palmares.palmares_pdf",
}


def queue_generation(edition_id):
    """Owe a run of the generation of the edition's waiting documents, after commit (the outbox
    hands it to a worker, and again until it ran)."""
    return envois.tache("label.tasks.generer_documents", edition_id)


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
    """Render and store documents; the number this call did.

    Each row is claimed first, then the claimed ones are read together (after their claim: a
    correction made before it is in what is read). The claim's moment is the run's token: a
    correction made after it sets the row back « en attente » (and a new run claims it at its
    own moment), so this run's final conditional UPDATE, which names its moment, gives up."""
    now = now or timezone.now()
    pris = [pk for pk in document_ids if _prendre(pk, now)]
    lus = lecture().in_bulk(pris)
    return sum(_generer(lus[pk], now) for pk in pris if pk in lus)


def _prendre(document_id, now):
    return (
        Document.objects.filter(pk=document_id)
        .filter(
            Q(state__in=[Document.State.ATTENTE, Document.State.ECHEC])
            | Q(state=Document.State.EN_COURS, updated_at__lt=now - BLOQUE_APRES)
        )
        .update(state=Document.State.EN_COURS, tentatives=F("tentatives") + 1, updated_at=now)
    )


def _generer(document, pris_le):
    """Render a claimed row, store the file under a name free at that moment (a run never
    writes over another's file), then point the row to it if the claim is still this run's."""
    a_moi = Document.objects.filter(
        pk=document.pk, state=Document.State.EN_COURS, tentatives=document.tentatives, updated_at=pris_le
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
        a_moi.update(
            state=Document.State.ECHEC,
            erreur=f"{type(exc).__name__} : {exc}"[:2000],
            updated_at=timezone.now(),
        )
        return False
    if not a_moi.update(
        fichier=document.fichier.name, state=Document.State.PRET, erreur="", updated_at=timezone.now()
    ):
        storage.delete(document.fichier.name)  # this run's own file only
        return False
    # The row is this run's: the previous version, or what an interrupted run left under the
    # row's name, goes.
    for reste in {ancien, cible} - {"", document.fichier.name}:
        storage.delete(reste)
    return True
