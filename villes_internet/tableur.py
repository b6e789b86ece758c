"""Cells of the CSV and XLSX exports (Atlaas, palmarès, jury steering)."""

FORMULE = ("=", "+", "-", "@", "\t", "\r")


def cellule(valeur):
    """A spreadsheet cell that is never a formula: text starting with = + - @ (after any
    spaces or control characters a spreadsheet would skip) gets a leading quote."""
    if valeur is None:
        return ""
    if isinstance(valeur, str) and (
        valeur.startswith(FORMULE) or valeur.lstrip("".join(map(chr, range(33)))).startswith(FORMULE)
    ):
        return "'" + valeur
    return valeur
