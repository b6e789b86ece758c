"""Excerpts of the catalogue's results: a fiche's summary, or the part of its description around
the first word searched, with the words searched highlighted (safe HTML).
"""

import functools

from django.utils.html import escape
from django.utils.safestring import mark_safe

from atlaas import francais

from .requete import stems_cherches

EXTRAIT = 260


def extrait(fiche, q):
    """The short summary, or the part of the description around the first word searched, with
    the words searched in ``<mark>``. Safe HTML."""
    cherches = stems_cherches(q) if q else set()
    texte = fiche.sous_titre or fiche.description
    if cherches and not _contient(fiche.sous_titre, cherches) and _contient(fiche.description, cherches):
        texte = fiche.description
    debut = 0
    if len(texte) > EXTRAIT and cherches:
        for match in francais.WORD.finditer(texte):
            if _stem_de(match.group()) in cherches:
                debut = max(0, match.start() - EXTRAIT // 3)
                break
    morceau = texte[debut : debut + EXTRAIT]
    if debut:
        morceau = "…" + morceau.split(" ", 1)[-1]
    if debut + EXTRAIT < len(texte):
        morceau = morceau.rsplit(" ", 1)[0] + "…"
    return surligner(morceau, cherches)


def surligner(texte, cherches):
    """``texte`` escaped, the words whose stem is in ``cherches`` in ``<mark>``."""
    if not cherches:
        return escape(texte)
    morceaux, fin = [], 0
    for match in francais.WORD.finditer(texte):
        if _stem_de(match.group()) in cherches:
            morceaux += [escape(texte[fin : match.start()]), "<mark>", escape(match.group()), "</mark>"]
            fin = match.end()
    morceaux.append(escape(texte[fin:]))
    return mark_safe("".join(morceaux))


@functools.lru_cache(maxsize=50_000)
def _stem_de(mot):
    return francais.stem(francais.sans_accents(mot))


def _contient(texte, cherches):
    return any(_stem_de(match.group()) in cherches for match in francais.WORD.finditer(texte))
