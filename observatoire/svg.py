"""The observatoire's charts, drawn on the server as SVG: no library, no JavaScript.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>``;
the page puts the same figures in a table next to it. Light: one ``<path>`` per series (a line, or
the bars of one level), a ``<title>`` on a series and on the first and last points of a line
only, the grid in one path; colours, dashes and fonts are CSS classes (static/css/observatoire.css:
``s0``… per series). Colours have at least 3:1 contrast on white; the lines also differ by their
dashes, so that colour is never the only difference.
"""

from django.utils.html import format_html
from django.utils.safestring import mark_safe

SERIES = 6  # classes s0…s5 of the stylesheet: colour and dashes


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
    """The horizontal grid (one path) and the values of its five lines."""
    traits, textes = [], []
    for i in range(5):
        y = _nombre(y0 - hauteur_utile * i / 4)
        traits.append(f"M{x0} {y}h{largeur_utile}")
        textes.append(
            format_html(
                '<text x="{}" y="{}" class="fin">{}{}</text>',
                x0 - 6,
                _nombre(y0 - hauteur_utile * i / 4 + 4),
                round(haut * i / 4),
                suffixe,
            )
        )
    return format_html('<path class="grille" d="{}"/>', "".join(traits)) + "".join(textes)


def _annees(annees, x, y):
    """The years under the axis, at most twelve of them written."""
    etiquettes = max(1, -(-len(annees) // 12))
    return "".join(
        format_html('<text x="{}" y="{}" class="milieu">{}</text>', _nombre(x(i)), y, annee)
        for i, annee in enumerate(annees)
        if i % etiquettes == 0 or i == len(annees) - 1
    )


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
    parties.append(_annees(annees, x, y0 + 18))
    for n, (nom, points) in enumerate(series):
        connus = [
            (i, annee, points[annee]) for i, annee in enumerate(annees) if points.get(annee) is not None
        ]
        trace, precedent = [], None
        for i, _annee, v in connus:  # a gap where a year has no value: the line starts again
            trace.append(f"{'L' if precedent == i - 1 else 'M'}{_nombre(x(i))} {_nombre(y(v))}")
            precedent = i
        parties.append(format_html('<g class="s{}"><title>{}</title>', n % SERIES, nom))
        parties.append(format_html('<path d="{}"/>', "".join(trace)))
        for i, annee, v in {connus[0][0]: connus[0], connus[-1][0]: connus[-1]}.values() if connus else ():
            parties.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="4"><title>{} ({})\u00a0: {}{}</title></circle>',
                    _nombre(x(i)),
                    _nombre(y(v)),
                    nom,
                    annee,
                    round(v),
                    suffixe,
                )
            )
        lx = gauche + (n % 2) * (largeur_utile / 2)
        ly = legende_y + 22 * (n // 2)
        parties.append(
            format_html(
                '<path d="M{} {}h28"/><text x="{}" y="{}">{}</text></g>',
                _nombre(lx),
                ly,
                _nombre(lx + 36),
                ly + 4,
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
    function of the number giving its words (« 36 lauréats »), for each bar's total."""
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

    def x(i):
        return gauche + pas * i + pas / 2

    parties = [_entete(ident, largeur, hauteur, titre, description)]
    parties.append(_axe_y(gauche, y0, hauteur_plot, largeur_utile, haut, ""))
    parties.append(_annees(annees, x, y0 + 18))
    bas = [y0] * len(annees)
    pas_legende = largeur_utile / max(1, len(categories))
    for n, (cle, nom) in enumerate(categories):
        rectangles = []
        for i, annee in enumerate(annees):
            nombre = (valeurs.get(annee) or {}).get(cle, 0)
            if nombre:
                h = hauteur_plot * nombre / haut
                bas[i] -= h
                rectangles.append(
                    f"M{_nombre(x(i) - barre / 2)} {_nombre(bas[i])}h{_nombre(barre)}v{_nombre(h)}"
                    f"h-{_nombre(barre)}z"
                )
        lx = gauche + pas_legende * n
        parties.append(
            format_html(
                '<g class="s{}"><title>{}</title><path class="barre" d="{}"/>'
                '<rect x="{}" y="{}" width="14" height="14"/><text x="{}" y="{}">{}</text></g>',
                n % SERIES,
                nom,
                "".join(rectangles) or "M0 0",
                _nombre(lx),
                legende_y - 11,
                _nombre(lx + 20),
                legende_y,
                nom,
            )
        )
    for i, annee in enumerate(annees):  # each bar's total, as a tooltip over its stack
        if totaux[i]:
            parties.append(
                format_html(
                    '<rect class="survol" x="{}" y="{}" width="{}" height="{}">'
                    "<title>{}\u00a0: {}</title></rect>",
                    _nombre(x(i) - barre / 2),
                    _nombre(bas[i]),
                    _nombre(barre),
                    _nombre(y0 - bas[i]),
                    annee,
                    unite(totaux[i]),
                )
            )
    parties.append(mark_safe("</svg>"))
    return mark_safe("".join(parties))


def _melange(t):
    """A heat map's colour for ``t`` in [0, 1]: from the page's soft grey to its dark blue."""
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


DEGRES = 6  # the heat tables' classes chaleur-0…chaleur-6: _melange(d / DEGRES), texte_sur it


def degre(valeur, maximum):
    """The heat class (0…DEGRES) of ``valeur`` against ``maximum``; None: no figure."""
    return None if valeur is None or not maximum else round(DEGRES * valeur / maximum)
