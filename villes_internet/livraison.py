"""The release running, named in the cache keys of the HTML kept for later visitors.

A page kept by the previous release names its static files by their old hashed names, which the
new image no longer has (its style sheet would answer 404 for the rest of the page's life in the
cache), and shows its old templates: the pages of ``villes_internet.pages``, the palmarès',
the observatoire's and the catalogue's facets carry ``livraison()`` in their keys, so a deploy
starts them afresh. It is ``settings.RELEASE`` (the ``RELEASE`` variable, e.g. the image's
commit) or, without it, a digest of what the pages are made of: the project's code, templates,
translations, static files and pinned requirements, read once per process (a few hundred files,
milliseconds).
"""

import functools
import hashlib
from pathlib import Path

from django.apps import apps
from django.conf import settings

SUFFIXES = {".py", ".html", ".txt", ".mo", ".css", ".js", ".svg", ".json"}


def livraison():
    return settings.RELEASE or _empreinte()


@functools.cache
def _empreinte():
    racine = Path(settings.BASE_DIR)
    dossiers = [racine / "templates", racine / "locale", racine / "static", racine / "requirements"]
    dossiers += [Path(app.path) for app in apps.get_app_configs() if _du_projet(Path(app.path), racine)]
    fichiers = {f for dossier in dossiers if dossier.is_dir() for f in dossier.rglob("*")}
    empreinte = hashlib.sha256()
    for fichier in sorted(f for f in fichiers if f.suffix in SUFFIXES):
        empreinte.update(str(fichier.relative_to(racine)).encode() + b"\0" + fichier.read_bytes() + b"\0")
    return empreinte.hexdigest()[:16]


def _du_projet(chemin, racine):
    """An app of the project itself (not one installed in a virtual environment under it)."""
    return chemin.is_relative_to(racine) and "site-packages" not in chemin.parts
