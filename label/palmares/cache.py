"""A public year, its version and its data, kept in the cache.

The laureates and key figures of a year are kept under a *version* of that year, the moment of
its last change (publication or the latest decision): ``publication.apres_correction`` owes
``invalider``, which writes the new one after a staff correction, so that every page and file
built on the old one is dropped. Every year is also kept under the version of the label history
(``VERSION_HISTORIQUE``): an import or a year declared complete changes the figures of imported
years and the first participations of the years after, and owes ``invalider_historique``.
"""

import datetime
import time
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.core.signals import setting_changed
from django.db.models import Max

from atlaas import catalogue
from villes_internet import pages

from ..models import Edition, Labellisation, Resultat
from ..selectors import annees_completes
from .carte import Carte, carte
from .chiffres import Chiffres, chiffres_cles
from .laureats import laureats_edition, laureats_historique

ANNEES = "palmares:annees"
ANNEES_TTL = 60  # a new publication shows in the other years' navigation within a minute
DONNEES_TTL = 24 * 3600
HISTORIQUE = "historique"  # the version of a year of imported history (its pages expire)
VERSION_HISTORIQUE = "palmares:historique"  # the version of the label history, for every year


@dataclass
class Palmares:
    annee: int
    edition: Edition | None  # None for a year of imported history without an edition
    historique: bool  # built from Labellisation rows: the edition has no results
    laureats: list
    chiffres: Chiffres
    carte: Carte | None = None  # laureates by département (``carte.carte``)


def _annees_en_base():
    editions = {
        annee: (pk, publie_at)
        for annee, pk, publie_at in Edition.objects.values_list("annee", "pk", "publie_at")
    }
    historique = (
        Labellisation.objects.exclude(annee__in=editions)
        .order_by()
        .values_list("annee", flat=True)
        .distinct()
    )
    publiques = dict.fromkeys(historique)
    publiques.update({annee: pk for annee, (pk, publie_at) in editions.items() if publie_at})
    # The token changes each time the entry is rebuilt: the pages the web processes keep whole
    # (villes_internet.pages.MEMOIRE, marked by views.palmares) live no longer than it.
    return dict(sorted(publiques.items(), reverse=True)), uuid.uuid4().hex


def annees():
    """{year: edition id or None} of the public years, latest first: the published editions
    and the years of imported history that no unpublished edition holds."""
    return _annees(cache.get_many([ANNEES, catalogue.VERSION]))[0]


def _annees(valeurs):
    """The cached list of years with its token, rebuilt after a minute, or at once after a
    publication: ``publication.publier`` calls ``catalogue.invalider``, whose version the entry
    was built under."""
    courante = valeurs.get(catalogue.VERSION)
    entree = valeurs.get(ANNEES)
    if entree is None or courante is None or entree[2] != courante:
        if courante is None:
            courante = cache.get_or_set(catalogue.VERSION, time.time_ns, None)
        entree = (*_annees_en_base(), courante)
        cache.set(ANNEES, entree, ANNEES_TTL)
    return entree[:2]


def _cle_version(annee):
    return f"palmares:version:{annee}"


def version_en_base(edition):
    """The moment of the edition's last change: its publication or a later decision."""
    derniere = Resultat.objects.filter(candidature__edition=edition).aggregate(m=Max("decided_at"))["m"]
    return max(filter(None, [edition.publie_at, derniere]))


@dataclass
class Etat:
    """What the cache says of a public year: one round trip to the cache when it knows."""

    edition_id: int | None
    version: str
    annees: list
    jeton: str  # changes with the list of years (see _annees_en_base)
    historique: str  # the version of the label history (VERSION_HISTORIQUE)

    @property
    def modifie(self):
        return datetime.datetime.fromisoformat(self.version) if self.edition_id else None

    @property
    def cle(self):
        """What the year's data and pages are kept under: its version and the history's."""
        return f"{self.version}:{self.historique}"


ETAT_SECONDES = 1.0  # how long a web process trusts its own copy of a year's Etat
_etats = {}


def etat(annee):
    """The Etat of a public year, or None. A web process keeps it a second: on a ceremony-day
    crowd most requests then need no round trip to the cache; a correction reaches the other
    processes within that second (this one at once: ``invalider``)."""
    copie = _etats.get(annee)
    if copie and copie[0] > time.monotonic():
        return copie[1]
    resultat = _etat(annee)
    if resultat is not None:  # a year that becomes public shows at once
        _etats[annee] = (time.monotonic() + ETAT_SECONDES, resultat)
    return resultat


def oublier(**kwargs):
    """Forget this process' copies (after a correction; and when tests change settings, which
    they do at the start of each one: see the receiver below)."""
    _etats.clear()


setting_changed.connect(oublier, dispatch_uid="label.palmares.oublier")


def _etat(annee):
    valeurs = cache.get_many([ANNEES, catalogue.VERSION, _cle_version(annee), VERSION_HISTORIQUE])
    publiques, jeton = _annees(valeurs)
    if annee not in publiques:
        return None
    historique = valeurs.get(VERSION_HISTORIQUE) or cache.get_or_set(
        VERSION_HISTORIQUE, _nouvelle_version, None
    )
    edition_id = publiques[annee]
    if edition_id is None:
        return Etat(None, HISTORIQUE, list(publiques), jeton, historique)
    version = valeurs.get(_cle_version(annee))
    if version is None:
        version = version_en_base(Edition.objects.get(pk=edition_id)).isoformat()
        cache.add(_cle_version(annee), version, None)  # a correction's newer value wins
    return Etat(edition_id, version, list(publiques), jeton, historique)


def _nouvelle_version():
    return uuid.uuid4().hex


def invalider_historique():
    """The label history changed: every year's data and pages built on the old one are dropped
    (at once in this process, within a second in the others)."""
    cache.set(VERSION_HISTORIQUE, _nouvelle_version(), None)
    oublier()
    pages.oublier()  # the public pages kept for anonymous visitors follow it (villes_internet.pages)


def construire(annee, edition=None):
    """The palmarès of a public year, read from the database."""
    completes = annees_completes()
    if edition is not None:
        laureats = laureats_edition(edition, completes)
        if laureats or not Labellisation.objects.filter(annee=annee).exists():
            palmares = Palmares(annee, edition, False, laureats, chiffres_cles(laureats, edition))
            palmares.carte = carte(palmares)
            return palmares
    laureats = laureats_historique(annee, completes)
    palmares = Palmares(annee, edition, True, laureats, chiffres_cles(laureats))
    palmares.carte = carte(palmares)
    return palmares


def charger(annee, edition_id, version):
    """The palmarès of a public year from the cache, built on a miss; ``version``: ``Etat.cle``."""
    cle = f"palmares:donnees:{annee}:{version}"
    palmares = cache.get(cle)
    if palmares is None:
        edition = (
            Edition.objects.filter(pk=edition_id, publie_at__isnull=False).first() if edition_id else None
        )
        palmares = construire(annee, edition)
        cache.set(cle, palmares, DONNEES_TTL if edition_id else ANNEES_TTL * 60)
    return palmares


def a_la_une():
    """The latest public year's headline figures for the home page, or None (no query when
    cached): {"annee", "laureats", "communes", "habitants"}."""
    publiques = annees()
    if not publiques:
        return None
    annee = next(iter(publiques))
    etat_ = etat(annee)
    if etat_ is None:
        return None
    cle = f"palmares:une:{annee}:{etat_.cle}"
    une = cache.get(cle)
    if une is None:
        chiffres = charger(annee, etat_.edition_id, etat_.cle).chiffres
        une = {
            "annee": annee,
            "laureats": chiffres.laureats,
            "communes": chiffres.communes,
            "habitants": chiffres.habitants,
        }
        cache.set(cle, une, DONNEES_TTL)
    return une


def invalider(edition_id):
    """Write the edition's new version: pages and data of the old one are never read again."""
    edition = Edition.objects.get(pk=edition_id)
    cache.set(_cle_version(edition.annee), version_en_base(edition).isoformat(), None)
    oublier()
    catalogue.invalider()  # the Atlaas' « niveau » facet counts the collectivités' levels
