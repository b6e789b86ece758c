"""The observatoire's charts, drawn on the server as SVG: no library, no JavaScript.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>``;
each mark carries a ``<title>`` with its figure (shown as a tooltip, read by screen readers that
go into the image). The page puts the same figures in a table next to it. Colours have at least
3:1 contrast on white; the lines also differ by their dashes and their marks, so that colour is
never the only difference.
"""

from django.utils.html import format_html
from django.utils.safestring import mark_safe

COULEURS = ["#1d4f91", "#b3261e", "#1e6b35", "#6b3fa0", "#8a5a00", "#00707a"]
TIRETS = ["", "8 4", "2 4", "10 4 2 4", "4 4", "1 3"]
ENCRE = "#1b1f24"
GRILLE = "#c9d0da"
POLICE = 'font-family="DejaVu Sans, sans-serif" font-size="12"'


def _nombre(x):
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _entete(ident, largeur, hauteur, titre, description):
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="graphique" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="{}-titre {}-desc"><title id="{}-titre">{}</title><desc id="{}-desc">{}</desc>',
        largeur,
        hauteur,
        ident,
        ident,
        ident,
        titre,
        ident,
        description,
    )


def _plafond(maximum):
    """The top of the vertical axis: four equal steps of a round size (1, 2, 5, 10, 25, 50…)."""
    for pas in (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000):
        if 4 * pas >= maximum:
            return 4 * pas
    return -(-int(maximum) // 4) * 4


def _axe_y(x0, y0, hauteur_utile, largeur_utile, haut, suffixe):
    parties = []
    for i in range(5):
        valeur = haut * i / 4
        y = y0 - hauteur_utile * i / 4
        parties.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{}" text-anchor="end" fill="{}" {}>{}{}</text>',
                x0,
                _nombre(y),
                x0 + largeur_utile,
                _nombre(y),
                GRILLE,
                x0 - 6,
                _nombre(y + 4),
                ENCRE,
                mark_safe(POLICE),
                round(valeur),
                suffixe,
            )
        )
    return "".join(parties)


def courbes(ident, titre, description, annees, series, suffixe="\u202f%"):
    """A line per series, ``series``: [(name, {year: value or None})]; a gap where a year has no
    value."""
    largeur, gauche, droite, haut_marge = 720, 52, 16, 16
    hauteur_plot = 220
    y0 = haut_marge + hauteur_plot
    legende_y = y0 + 40
    hauteur = legende_y + 22 * ((len(series) + 1) // 2) + 8
    valeurs = [v for _nom, points in series for v in points.values() if v is not None]
    haut = _plafond(max(valeurs, default=0))
    largeur_utile = largeur - gauche - droite
    pas = largeur_utile / max(1, len(annees) - 1)

    def x(i):
        return gauche + (pas * i if len(annees) > 1 else largeur_utile / 2)

    def y(v):
        return y0 - hauteur_plot * v / haut

    parties = [_entete(ident, largeur, hauteur, titre, description)]
    parties.append(_axe_y(gauche, y0, hauteur_plot, largeur_utile, haut, suffixe))
    etiquettes = max(1, -(-len(annees) // 12))  # at most twelve years written under the axis
    for i, annee in enumerate(annees):
        if i % etiquettes == 0 or i == len(annees) - 1:
            parties.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" fill="{}" {}>{}</text>',
                    _nombre(x(i)),
                    y0 + 18,
                    ENCRE,
                    mark_safe(POLICE),
                    annee,
                )
            )
    for n, (nom, points) in enumerate(series):
        couleur, tirets = COULEURS[n % len(COULEURS)], TIRETS[n % len(TIRETS)]
        segment, segments = [], []
        for i, annee in enumerate(annees):
            v = points.get(annee)
            if v is None:
                segments.append(segment)
                segment = []
            else:
                segment.append(f"{_nombre(x(i))},{_nombre(y(v))}")
        segments.append(segment)
        groupe = [format_html("<g><title>{}</title>", nom)]
        for segment in segments:
            if len(segment) > 1:
                groupe.append(
                    format_html(
                        '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5" '
                        'stroke-dasharray="{}"/>',
                        " ".join(segment),
                        couleur,
                        tirets or "none",
                    )
                )
        for i, annee in enumerate(annees):
            v = points.get(annee)
            if v is not None:
                groupe.append(
                    format_html(
                        '<circle cx="{}" cy="{}" r="4" fill="{}"><title>{} ({})\u00a0: {}{}</title></circle>',
                        _nombre(x(i)),
                        _nombre(y(v)),
                        couleur,
                        nom,
                        annee,
                        round(v),
                        suffixe,
                    )
                )
        groupe.append(mark_safe("</g>"))
        parties.extend(groupe)
        lx = gauche + (n % 2) * (largeur_utile / 2)
        ly = legende_y + 22 * (n // 2)
        parties.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2.5" stroke-dasharray="{}"/>'
                '<circle cx="{}" cy="{}" r="4" fill="{}"/>'
                '<text x="{}" y="{}" fill="{}" {}>{}</text>',
                _nombre(lx),
                ly,
                _nombre(lx + 28),
                ly,
                couleur,
                tirets or "none",
                _nombre(lx + 14),
                ly,
                couleur,
                _nombre(lx + 36),
                ly + 4,
                ENCRE,
                mark_safe(POLICE),
                _court(nom, 48),
            )
        )
    parties.append(mark_safe("</svg>"))
    return mark_safe("".join(parties))


def _court(texte, n):
    texte = str(texte)
    return texte if len(texte) <= n else texte[: n - 1] + "…"


def barres_empilees(ident, titre, description, annees, categories, valeurs, unite):
    """A bar per year, stacked by category. ``categories``: [(key, name)] from the bottom up;
    ``valeurs``: {year: {key: number}}, a year without figures None (no bar); ``unite``: a
    function of the number giving its words (« 36 lauréats »)."""
    largeur, gauche, droite, haut_marge = 720, 52, 16, 16
    hauteur_plot = 220
    y0 = haut_marge + hauteur_plot
    legende_y = y0 + 40
    hauteur = legende_y + 22 + 8
    totaux = [sum((valeurs.get(a) or {}).values()) for a in annees]
    haut = _plafond(max(totaux, default=0))
    largeur_utile = largeur - gauche - droite
    pas = largeur_utile / max(1, len(annees))
    barre = max(2.0, pas * 0.7)
    parties = [_entete(ident, largeur, hauteur, titre, description)]
    parties.append(_axe_y(gauche, y0, hauteur_plot, largeur_utile, haut, ""))
    etiquettes = max(1, -(-len(annees) // 12))
    for i, annee in enumerate(annees):
        cx = gauche + pas * i + pas / 2
        if i % etiquettes == 0 or i == len(annees) - 1:
            parties.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" fill="{}" {}>{}</text>',
                    _nombre(cx),
                    y0 + 18,
                    ENCRE,
                    mark_safe(POLICE),
                    annee,
                )
            )
        bas = y0
        for n, (cle, nom) in enumerate(categories):
            nombre = (valeurs.get(annee) or {}).get(cle, 0)
            if not nombre:
                continue
            h = hauteur_plot * nombre / haut
            parties.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#ffffff" stroke-width="1">'
                    "<title>{} ({})\u00a0: {}</title></rect>",
                    _nombre(cx - barre / 2),
                    _nombre(bas - h),
                    _nombre(barre),
                    _nombre(h),
                    COULEURS[n % len(COULEURS)],
                    nom,
                    annee,
                    unite(nombre),
                )
            )
            bas -= h
    pas_legende = largeur_utile / max(1, len(categories))
    for n, (_cle, nom) in enumerate(categories):
        lx = gauche + pas_legende * n
        parties.append(
            format_html(
                '<rect x="{}" y="{}" width="14" height="14" fill="{}"/>'
                '<text x="{}" y="{}" fill="{}" {}>{}</text>',
                _nombre(lx),
                legende_y - 11,
                COULEURS[n % len(COULEURS)],
                _nombre(lx + 20),
                legende_y,
                ENCRE,
                mark_safe(POLICE),
                nom,
            )
        )
    parties.append(mark_safe("</svg>"))
    return mark_safe("".join(parties))


def _melange(t):
    """The heat map's colour for ``t`` in [0, 1]: from the page's soft grey to its dark blue."""
    clair, fonce = (0xF3, 0xF5, 0xF8), (0x12, 0x35, 0x66)
    return tuple(round(c + (f - c) * t) for c, f in zip(clair, fonce, strict=True))


def _luminance(rgb):
    def canal(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = map(canal, rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def texte_sur(rgb):
    """Black or white, whichever has at least 4.5:1 contrast on ``rgb``."""
    return "#ffffff" if _luminance(rgb) < 0.18 else "#000000"


def chaleur(ident, titre, description, lignes, colonnes, valeurs, suffixe="\u202f%"):
    """A grid of shares: a row per ``lignes`` [(key, name)], a column per ``colonnes``, each
    cell's value (``valeurs[(row key, column key)]``, None: no figure) written in it."""
    gauche, haut_marge, cellule_l, cellule_h = 220, 64, 64, 26
    largeur = gauche + cellule_l * len(colonnes) + 8
    hauteur = haut_marge + cellule_h * len(lignes) + 8
    maximum = max((v for v in valeurs.values() if v is not None), default=0) or 1
    parties = [_entete(ident, largeur, hauteur, titre, description)]
    for j, (_cle, nom) in enumerate(colonnes):
        cx = gauche + cellule_l * j + cellule_l / 2
        parties.append(
            format_html(
                '<text x="{}" y="{}" fill="{}" {} transform="rotate(-30 {} {})">{}</text>',
                _nombre(cx - 8),
                haut_marge - 6,
                ENCRE,
                mark_safe(POLICE),
                _nombre(cx - 8),
                haut_marge - 6,
                _court(nom, 18),
            )
        )
    for i, (cle_ligne, nom_ligne) in enumerate(lignes):
        y = haut_marge + cellule_h * i
        parties.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" fill="{}" {}>{}</text>',
                gauche - 8,
                y + 17,
                ENCRE,
                mark_safe(POLICE),
                _court(nom_ligne, 30),
            )
        )
        for j, (cle_colonne, nom_colonne) in enumerate(colonnes):
            v = valeurs.get((cle_ligne, cle_colonne))
            rgb = _melange(0 if v is None else v / maximum)
            texte = "–" if v is None else f"{round(v)}{suffixe}"
            parties.append(
                format_html(
                    '<g><title>{}, {}\u00a0: {}</title><rect x="{}" y="{}" width="{}" height="{}" '
                    'fill="{}" stroke="#ffffff"/>'
                    '<text x="{}" y="{}" text-anchor="middle" fill="{}" {}>{}</text></g>',
                    nom_ligne,
                    nom_colonne,
                    texte,
                    gauche + cellule_l * j,
                    y,
                    cellule_l,
                    cellule_h,
                    "#{:02x}{:02x}{:02x}".format(*rgb),
                    _nombre(gauche + cellule_l * j + cellule_l / 2),
                    y + 17,
                    texte_sur(rgb),
                    mark_safe(POLICE),
                    texte,
                )
            )
    parties.append(mark_safe("</svg>"))
    return mark_safe("".join(parties))
