"""The catalogue as CSV: the full export, a file written in the background, and the lines of any
search.

A change of the catalogue (``index.invalider``: a publication, a deletion, a change of the
taxonomy or of a collectivité) calls ``demander`` inside its transaction: the one row
``ExportCatalogue`` counts one more change, and the outbox owes a run of ``exporter``, one a
minute at most (its key), however many fiches a burst publishes. ``exporter`` writes the file
again when the row counts changes the file has not read, at most once per ``INTERVALLE``; the
beat runs it every minute too, for the changes a run did not see (made while it read, or after
the minute's run) and for the first file of a new database, or one lost. With nothing to do,
a run costs one query and a look at its file.

A run claims the row under its lock, which waits for a change still being committed: every
change counted when it reads the row is visible to the queries that follow. It writes the whole
file under a new name (``AtomicFileSystemStorage``) before the row points to it, then deletes the
previous file (a download already under way keeps its open file).
"""

import csv
import dataclasses
import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from atlaas.models import ExportCatalogue
from outbox import envois
from villes_internet.tableur import cellule

from .recherche import fiches, filtrer, ids_ordonnes, type_de

TACHE = "atlaas.tasks.exporter_catalogue"
MORCEAU = 500  # fiches read at a time: two queries per chunk
LIGNES_MAX = 5000  # fiches in the export of a search; the full file holds them all
INTERVALLE = datetime.timedelta(minutes=1)  # at most one full export a minute
BAIL = datetime.timedelta(minutes=10)  # a claim older than this was interrupted (worker killed)
CLE = "atlaas:export-complet"  # the file's summary, for the catalogue's page
DUREE = 3600  # seconds the summary stays in the cache (a new file replaces it)

COLONNES = [
    "identifiant",
    "adresse",
    "titre",
    "résumé",
    "collectivité",
    "code",
    "type",
    "département",
    "région",
    "niveau",
    "catégories",
    "enjeux",
    "services",
    "début",
    "fin",
    "en cours",
    "publiée le",
]


def _iso(value):
    return value.isoformat() if value else None


def _ligne(fiche):
    collectivite = fiche.collectivite
    services = list(fiche.services.all())  # prefetched with their enjeu and catégorie
    categories = dict.fromkeys(s.enjeu.categorie.nom for s in services)
    enjeux = dict.fromkeys(s.enjeu.nom for s in services)
    publiee = timezone.localtime(fiche.published_at).strftime("%Y-%m-%d %H:%M") if fiche.published_at else ""
    valeurs = [
        fiche.pk,
        settings.SITE_URL + reverse("atlaas:fiche_publique", args=[fiche.pk]),
        fiche.titre,
        fiche.sous_titre,
        collectivite.nom,
        collectivite.code,
        type_de(collectivite),
        str(collectivite.departement) if collectivite.departement_id else "",
        collectivite.region.nom if collectivite.region_id else "",
        collectivite.niveau,
        " | ".join(categories),
        " | ".join(enjeux),
        " | ".join(s.nom for s in services),
        _iso(fiche.date_debut),
        _iso(fiche.date_fin),
        "oui" if fiche.en_cours else "non",
        publiee,
    ]
    return [cellule(valeur) for valeur in valeurs]


class _Echo:
    """A file-like object for ``csv.writer`` that hands back each line instead of storing it."""

    def write(self, value):
        return value


def ligne_csv(valeurs):
    """One CSV line of ``valeurs``, written as the export writes its lines."""
    return csv.writer(_Echo(), delimiter=";").writerow(valeurs)


def lignes_csv(ids):
    """The CSV text of the published fiches ``ids`` in that order, header first, a chunk of
    ``MORCEAU`` fiches at a time (two queries each, whatever their services)."""
    yield "\ufeff" + ligne_csv(COLONNES)  # the BOM tells spreadsheets it is UTF-8
    for debut in range(0, len(ids), MORCEAU):
        morceau = fiches(ids[debut : debut + MORCEAU], textes=False)
        yield "".join(ligne_csv(_ligne(fiche)) for fiche in morceau)


# --- The full export ----------------------------------------------------------------------------


def demander():
    """Inside the transaction of a change of the catalogue: the full export is out of date, and
    a run of ``exporter`` is owed (one a minute, however many changes)."""
    if not ExportCatalogue.objects.filter(pk=ExportCatalogue.UNIQUE).update(changements=F("changements") + 1):
        ExportCatalogue.objects.get_or_create(pk=ExportCatalogue.UNIQUE, defaults={"changements": 1})
    envois.tache(TACHE, key=f"atlaas:export:{timezone.now():%Y-%m-%dT%H:%M}")


def _a_refaire(export, now):
    if not export.fichier or not export.fichier.storage.exists(export.fichier.name):
        return True  # none yet, or lost (media restored from an older copy)
    return export.changements_lus < export.changements and now - export.genere_at >= INTERVALLE


def exporter(now=None):
    """Write the full export again if the catalogue changed since its file was read (or there
    is none yet), unless a run is at it or one ended less than ``INTERVALLE`` ago. True if this
    call wrote it."""
    now = now or timezone.now()
    export, _created = ExportCatalogue.objects.get_or_create(pk=ExportCatalogue.UNIQUE)
    if not _a_refaire(export, now):
        return False
    with transaction.atomic():
        export = ExportCatalogue.objects.select_for_update().get(pk=export.pk)
        if not _a_refaire(export, now) or (export.en_cours_depuis and export.en_cours_depuis > now - BAIL):
            return False
        export.en_cours_depuis = now
        export.save(update_fields=["en_cours_depuis"])
    ancien = export.fichier.name
    a_moi = ExportCatalogue.objects.filter(pk=export.pk, en_cours_depuis=now)
    try:
        ids = ids_ordonnes(filtrer({}), {})
        contenu = "".join(lignes_csv(ids)).encode()
        nom = f"exports/atlaas-{timezone.localtime(now):%Y-%m-%d-%H%M%S}.csv"
        nom = default_storage.save(nom, ContentFile(contenu))
    except Exception:
        a_moi.update(en_cours_depuis=None)  # the next run tries again at once
        raise
    if not a_moi.update(
        fichier=nom,
        lignes=len(ids),
        taille=len(contenu),
        genere_at=now,
        changements_lus=export.changements,
        en_cours_depuis=None,
    ):
        default_storage.delete(nom)  # a run that took over an older claim: its file stays
        return False
    cache.set(CLE, Fichier(now, len(ids), len(contenu)), DUREE)
    if ancien and ancien != nom:
        default_storage.delete(ancien)
    return True


@dataclasses.dataclass(frozen=True)
class Fichier:
    """What the catalogue's page says of the full export."""

    genere_at: datetime.datetime
    lignes: int
    taille: int

    @property
    def libelle(self):
        moment = timezone.localtime(self.genere_at)
        return _("Export complet du %(date)s à %(heure)s") % {
            "date": formats.date_format(moment, "j F Y"),
            "heure": moment.strftime("%Hh%M"),
        }


def courant():
    """The full export's row once a file was written, or None (one query)."""
    return ExportCatalogue.objects.filter(pk=ExportCatalogue.UNIQUE).exclude(fichier="").first()


def fichier_complet():
    """The full export's ``Fichier``, or None while it is being prepared; read from the cache,
    where each new file puts its own."""
    fichier = cache.get(CLE)
    if fichier is None:
        export = courant()
        fichier = Fichier(export.genere_at, export.lignes, export.taille) if export else False
        cache.set(CLE, fichier, DUREE)
    return fichier or None
