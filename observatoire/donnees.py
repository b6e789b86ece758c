"""The observatoire's figures for a query string, kept in the cache until the next publication.

The cache key holds the Atlaas catalogue's version (``atlaas.catalogue.VERSION``: it changes at
each publication of a fiche, of a palmarès and after a correction of a result, see
``label.palmares.invalider``) and the label history's (``label.palmares.VERSION_HISTORIQUE``: it
changes on an import and a year declared complete): both are read in one round trip.
"""

import hashlib
import time
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.utils import translation

from atlaas import catalogue
from label import palmares

from . import chiffres, phrases, resume
from .forms import territoires
from .labels import labels

TTL = 24 * 3600


@dataclass
class Observatoire:
    choix: dict
    themes: chiffres.Themes
    labels: list  # [labels.LabelAnnee]
    comparaison: chiffres.Comparaison
    hausses: list  # [(sentence, service Theme)] of the rising themes
    baisses: list  # and of the falling ones
    des_fiches: str  # « des fiches des villages… »: whose fiches are counted

    @property
    def importees(self):
        """The span's years of imported history (no published edition)."""
        return [annee.annee for annee in self.labels if annee.importee]


def version():
    """« catalogue version:history version », what the figures are kept under (the fiches'
    summary under the first one)."""
    valeurs = cache.get_many([catalogue.VERSION, palmares.VERSION_HISTORIQUE])
    atlaas = valeurs.get(catalogue.VERSION) or cache.get_or_set(catalogue.VERSION, time.time_ns, None)
    historique = valeurs.get(palmares.VERSION_HISTORIQUE) or cache.get_or_set(
        palmares.VERSION_HISTORIQUE, lambda: uuid.uuid4().hex, None
    )
    return f"{atlaas}:{historique}"


def version_catalogue(version_):
    return version_.split(":", 1)[0]


def cle(choix, version_):
    empreinte = hashlib.md5(repr(sorted(choix.items())).encode(), usedforsecurity=False).hexdigest()
    return f"observatoire:{version_}:{translation.get_language()}:{empreinte}"


def groupes(par):
    """[(key, name)] of the groups a comparison may show."""
    if par == "region":
        return territoires()[0]
    if par == "type":
        return list(catalogue.TYPES.items())
    return [(cle_, libelle) for cle_, (libelle, _bas, _haut) in catalogue.STRATES.items()]


def construire(choix, version_=None):
    """The figures: the fiches' from the catalogue's summary (``resume``), the labels' read from
    the database (a constant number of queries)."""
    version_ = version_ or version()
    resume_ = resume.charger(version_catalogue(version_))
    themes = chiffres.themes(choix, resume_)
    regions, departements = territoires()
    noms = {"regions": dict(regions), "departements": dict(departements)}
    hausses, baisses = phrases.tendances(themes, choix, noms["regions"], noms["departements"])
    return Observatoire(
        choix=choix,
        themes=themes,
        labels=labels(choix, version_),
        comparaison=chiffres.comparaison(choix, groupes(choix["comparer"]), resume_),
        hausses=hausses,
        baisses=baisses,
        des_fiches=phrases.des_fiches(choix, noms["regions"], noms["departements"]),
    )


def charger(choix, version_=None):
    """The figures from the cache, built on a miss."""
    version_ = version_ or version()
    cle_ = cle(choix, version_)
    observatoire = cache.get(cle_)
    if observatoire is None:
        observatoire = construire(choix, version_)
        cache.set(cle_, observatoire, TTL)
    return observatoire
