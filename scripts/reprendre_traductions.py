"""Give back their translation to the msgids that changed only by their no-break spaces.

French typography puts a no-break space before « : » and inside « », a narrow one before
« ; ! ? ». When a French source string gains one, ``makemessages`` (msgmerge --previous) marks
its entry fuzzy and keeps the former msgid in « #| » lines; a fuzzy entry is not compiled, so
the English page would show the French text. When the former msgid differs from the new one
only by those spaces, the translation still holds: this script removes the fuzzy flag and the
« #| » lines of such entries, and leaves every other fuzzy entry to a translator.

    python scripts/reprendre_traductions.py locale/en/LC_MESSAGES/django.po   (run by make messages)
"""

import re
import sys
from pathlib import Path

ESPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


def _texte(lignes, mot):
    """The string of ``mot`` (msgid, msgid_plural…) in the entry's lines, or None."""
    morceaux, dedans = [], False
    for ligne in lignes:
        if ligne.startswith(f"{mot} "):
            dedans = True
            ligne = ligne[len(mot) + 1 :]
        elif not (dedans and ligne.startswith('"')):
            dedans = False
            continue
        morceaux.append(ligne.strip()[1:-1])
    return "".join(morceaux) if morceaux else None


def _meme_texte(entree):
    """True when a fuzzy entry's former msgid (and plural) differ from the new ones only by spaces."""
    anciennes = [ligne[3:] for ligne in entree if ligne.startswith("#| ")]
    if not anciennes:
        return False
    for mot in ("msgctxt", "msgid", "msgid_plural"):
        ancien, nouveau = _texte(anciennes, mot), _texte(entree, mot)
        if (ancien or "").translate(ESPACES) != (nouveau or "").translate(ESPACES):
            return False
    return True


def reprendre(texte):
    """The .po ``texte`` with the fuzzy entries that changed only by their spaces made whole again;
    and how many."""
    entrees, reprises = texte.split("\n\n"), 0
    for i, bloc in enumerate(entrees):
        lignes = bloc.split("\n")
        drapeaux = next((ligne for ligne in lignes if ligne.startswith("#,")), "")
        if "fuzzy" not in drapeaux or not _meme_texte(lignes):
            continue
        autres = [d.strip() for d in drapeaux[2:].split(",") if d.strip() != "fuzzy"]
        lignes = [
            (f"#, {', '.join(autres)}" if autres else None) if ligne == drapeaux else ligne
            for ligne in lignes
            if not ligne.startswith("#| ")
        ]
        entrees[i] = "\n".join(ligne for ligne in lignes if ligne is not None)
        reprises += 1
    return "\n\n".join(entrees), reprises


if __name__ == "__main__":
    for chemin in map(Path, sys.argv[1:]):
        texte, reprises = reprendre(chemin.read_text(encoding="utf-8"))
        chemin.write_text(texte, encoding="utf-8")
        restantes = len(re.findall(r"^#,.*\bfuzzy\b", texte, re.M))
        print(f"{chemin} : {reprises} traductions reprises, {restantes} encore à revoir (fuzzy).")
