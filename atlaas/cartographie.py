"""Derives the portal's small map of the départements from a GeoJSON of their contours (WGS 84):
projection, simplification that keeps shared borders shared, insets for the overseas
départements, integer SVG paths. Pure Python; run once by ``manage.py construire_carte``, whose
output (``carte.FICHIER``) is committed and read at run time by ``atlaas.carte``.

- Metropolitan France: Lambert conformal conic on the sphere (standard parallels 44° and 49°,
  central meridian 3° E, like Lambert-93), fitted into the viewBox.
- Each overseas département (``OUTRE_MER``): equirectangular with the cosine of its mean latitude,
  fitted into its own small box (``ENCADRES``) in the lower-left corner, over the Atlantic.
- Borders between départements are cut into arcs at their junctions and each arc is simplified
  once (Douglas–Peucker), so neighbours keep the same border: no gap, no overlap.
"""

import itertools
import json
import math
from dataclasses import dataclass

LARGEUR = HAUTEUR = 600
MARGE = 6
TOLERANCE = 1.8  # Douglas–Peucker, in viewBox units
AIRE_MIN = 6.0  # islands smaller than this (square viewBox units) are left out
ATTRIBUTION = "Contours : IGN Admin Express, Licence Ouverte"
FORMAT = "villes-internet/carte-departements"

# The overseas départements and their boxes (x, y, width, height), in the lower-left corner.
OUTRE_MER = ("971", "972", "973", "974", "976")
COTE, ECART = 62, 6
_BAS = HAUTEUR - MARGE - COTE
ENCADRES = {
    "971": (MARGE, _BAS - 2 * (COTE + ECART), COTE, COTE),
    "972": (MARGE, _BAS - (COTE + ECART), COTE, COTE),
    "973": (MARGE, _BAS, COTE, COTE),
    "974": (MARGE + COTE + ECART, _BAS, COTE, COTE),
    "976": (MARGE + 2 * (COTE + ECART), _BAS, COTE, COTE),
}
ENCADRE_MARGE = 5  # between a box's frame and its département


class CarteError(Exception):
    """A GeoJSON that cannot be turned into the map, with a French message."""


@dataclass
class Departement:
    code: str
    nom: str
    anneaux: list  # rings of (x, y) floats, then of (x, y) ints once simplified


def lire_geojson(chemin):
    """[(code, nom, [ring of (lon, lat)])] from a GeoJSON FeatureCollection; the closing point of
    each ring is dropped."""
    try:
        with open(chemin, encoding="utf-8") as f:
            donnees = json.load(f)
    except (OSError, ValueError) as exc:
        raise CarteError(f"{chemin} : illisible ({exc}).") from None
    if donnees.get("type") != "FeatureCollection":
        raise CarteError(f"{chemin} : ce n’est pas une FeatureCollection GeoJSON.")
    resultat = []
    for numero, feature in enumerate(donnees.get("features", []), start=1):
        proprietes, geometrie = feature.get("properties") or {}, feature.get("geometry") or {}
        code, nom = proprietes.get("code"), proprietes.get("nom")
        if not code or not nom:
            raise CarteError(f"entité {numero} : propriété « code » ou « nom » manquante.")
        if geometrie.get("type") == "Polygon":
            polygones = [geometrie["coordinates"]]
        elif geometrie.get("type") == "MultiPolygon":
            polygones = geometrie["coordinates"]
        else:
            raise CarteError(f"entité {numero} ({code}) : géométrie ni Polygon ni MultiPolygon.")
        anneaux = []
        for polygone in polygones:
            for anneau in polygone:
                points = [(float(x), float(y)) for x, y, *_ in anneau]
                if len(points) > 1 and points[0] == points[-1]:
                    points.pop()
                if len(points) >= 3:
                    anneaux.append(points)
        resultat.append((str(code), str(nom), anneaux))
    if not resultat:
        raise CarteError(f"{chemin} : aucune entité.")
    return resultat


def lambert(lon, lat, phi1=44.0, phi2=49.0, lon0=3.0, phi0=46.5):
    """Lambert conformal conic on the unit sphere: (x, y) with y towards the north."""
    p1, p2, p0 = map(math.radians, (phi1, phi2, phi0))

    def t(phi):
        return math.tan(math.pi / 4 + phi / 2)

    n = math.log(math.cos(p1) / math.cos(p2)) / math.log(t(p2) / t(p1))
    f = math.cos(p1) * t(p1) ** n / n
    rho, rho0 = f / t(math.radians(lat)) ** n, f / t(p0) ** n
    theta = n * math.radians(lon - lon0)
    return rho * math.sin(theta), rho0 - rho * math.cos(theta)


def equirectangulaire(lon, lat, lat_moyenne):
    return math.radians(lon) * math.cos(math.radians(lat_moyenne)), math.radians(lat)


def _ajuster(anneaux_par_code, boite):
    """A function placing projected (x, y northwards) points into ``boite`` (x, y, w, h), the
    aspect kept, centred, y downwards."""
    points = [p for anneaux in anneaux_par_code for anneau in anneaux for p in anneau]
    xmin, xmax = min(p[0] for p in points), max(p[0] for p in points)
    ymin, ymax = min(p[1] for p in points), max(p[1] for p in points)
    bx, by, bw, bh = boite
    echelle = min(bw / (xmax - xmin or 1), bh / (ymax - ymin or 1))
    dx = bx + (bw - (xmax - xmin) * echelle) / 2
    dy = by + (bh - (ymax - ymin) * echelle) / 2
    return lambda x, y: (dx + (x - xmin) * echelle, dy + (ymax - y) * echelle)


def projeter(entites, outre_mer=OUTRE_MER, encadres=None, largeur=LARGEUR, hauteur=HAUTEUR):
    """[Departement] with rings in viewBox units: metropolitan ones fitted into the viewBox, each
    of ``outre_mer`` into its box of ``encadres``. The map's width is then ``largeur_utile``."""
    encadres = ENCADRES if encadres is None else encadres
    metropole = [e for e in entites if e[0] not in outre_mer]
    resultat = {}
    if metropole:
        projetes = [[[lambert(*p) for p in anneau] for anneau in e[2]] for e in metropole]
        placer = _ajuster(projetes, (MARGE, MARGE, largeur - 2 * MARGE, hauteur - 2 * MARGE))
        for (code, nom, _anneaux), anneaux in zip(metropole, projetes, strict=True):
            resultat[code] = Departement(code, nom, [[placer(*p) for p in a] for a in anneaux])
    for code, nom, anneaux in entites:
        if code not in outre_mer:
            continue
        if code not in encadres:
            raise CarteError(f"{code} : pas d’encadré prévu pour ce département d’outre-mer.")
        lats = [lat for anneau in anneaux for _lon, lat in anneau]
        moyenne = (min(lats) + max(lats)) / 2
        projetes = [[equirectangulaire(lon, lat, moyenne) for lon, lat in a] for a in anneaux]
        x, y, w, h = encadres[code]
        m = ENCADRE_MARGE
        placer = _ajuster([projetes], (x + m, y + m, w - 2 * m, h - 2 * m))
        resultat[code] = Departement(code, nom, [[placer(*p) for p in a] for a in projetes])
    return [resultat[code] for code, _nom, _anneaux in entites]


def _distance(p, a, b):
    """Distance from p to the segment ab."""
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    longueur = dx * dx + dy * dy
    if longueur == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / longueur))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def douglas_peucker(points, tolerance):
    """The points of an open line kept by Douglas–Peucker (both ends always kept)."""
    if len(points) < 3:
        return list(points)
    garder = [False] * len(points)
    garder[0] = garder[-1] = True
    pile = [(0, len(points) - 1)]
    while pile:
        debut, fin = pile.pop()
        loin, indice = 0.0, None
        for i in range(debut + 1, fin):
            d = _distance(points[i], points[debut], points[fin])
            if d > loin:
                loin, indice = d, i
        if indice is not None and loin > tolerance:
            garder[indice] = True
            pile += [(debut, indice), (indice, fin)]
    return [p for p, g in zip(points, garder, strict=True) if g]


def _jonctions(departements):
    """The points where a border starts or ends: shared by several rings with other neighbours."""
    voisins = {}
    for dep in departements:
        for anneau in dep.anneaux:
            n = len(anneau)
            for i, p in enumerate(anneau):
                voisins.setdefault(p, []).append(frozenset((anneau[i - 1], anneau[(i + 1) % n])))
    return {p for p, liste in voisins.items() if len(liste) > 1 and len(set(liste)) > 1}


def _anneau_simplifie(anneau, jonctions, arcs, tolerance):
    """A ring simplified arc by arc; an arc met twice (a shared border) is simplified once."""
    indices = [i for i, p in enumerate(anneau) if p in jonctions]
    if not indices:  # an island, or a ring shared whole: start at its smallest point
        debut = anneau.index(min(anneau))
        anneau = anneau[debut:] + anneau[:debut]
        if anneau[1] > anneau[-1]:
            anneau = [anneau[0], *reversed(anneau[1:])]
        cle = tuple(anneau)
        if cle not in arcs:
            loin = max(range(len(anneau)), key=lambda i: math.dist(anneau[0], anneau[i]))
            premier = douglas_peucker(anneau[: loin + 1], tolerance)
            second = douglas_peucker([*anneau[loin:], anneau[0]], tolerance)
            arcs[cle] = premier + second[1:-1]
        return arcs[cle]
    debut = indices[0]
    anneau = anneau[debut:] + anneau[:debut]
    coupes = [i - debut for i in indices] + [len(anneau)]
    anneau = [*anneau, anneau[0]]
    resultat = []
    for a, b in itertools.pairwise(coupes):
        arc = tuple(anneau[a : b + 1])
        envers = arc[::-1]
        if arc in arcs:
            simplifie = arcs[arc]
        elif envers in arcs:
            simplifie = arcs[envers][::-1]
        else:
            simplifie = arcs[arc] = douglas_peucker(arc, tolerance)
        resultat += simplifie[:-1]
    return resultat


def aire(anneau):
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise([*anneau, anneau[0]]))) / 2


def simplifier(departements, tolerance=TOLERANCE, aire_min=AIRE_MIN):
    """Simplify every ring keeping shared borders shared, round to integers, drop islands smaller
    than ``aire_min`` (a département keeps at least its largest ring). Changes ``departements``."""
    jonctions = _jonctions(departements)
    arcs = {}
    for dep in departements:
        plus_grand = max(dep.anneaux, key=aire)
        anneaux = []
        for anneau in dep.anneaux:
            if anneau is not plus_grand and aire(anneau) < aire_min:
                continue
            points = [(round(x), round(y)) for x, y in _anneau_simplifie(anneau, jonctions, arcs, tolerance)]
            points = [p for i, p in enumerate(points) if p != points[i - 1]]
            if len(set(points)) >= 3 or (anneau is plus_grand and points):
                anneaux.append(points)
        dep.anneaux = anneaux
    return departements


def _nombres(valeurs):
    """Numbers of a path, as short as SVG allows: a minus sign separates too."""
    texte = ""
    for v in valeurs:
        texte += str(v) if v < 0 or not texte or texte[-1].isalpha() else f" {v}"
    return texte


def chemin(anneaux):
    """The ``d`` of a path: each ring an absolute move, then relative lines, closed."""
    morceaux = []
    for anneau in anneaux:
        (x0, y0), relatifs = anneau[0], []
        for (xa, ya), (xb, yb) in itertools.pairwise(anneau):
            relatifs += [xb - xa, yb - ya]
        morceaux.append(f"M{_nombres([x0, y0])}" + (f"l{_nombres(relatifs)}" if relatifs else "") + "z")
    return "".join(morceaux)


def encadres_chemin(codes, encadres=None):
    """One path drawing the frames of the overseas boxes that hold a département."""
    encadres = ENCADRES if encadres is None else encadres
    return "".join(
        f"M{_nombres([x, y])}h{w}v{h}h-{w}z" for code, (x, y, w, h) in encadres.items() if code in codes
    )


def largeur_utile(departements, encadres=None):
    """The viewBox's width: up to the rightmost point or box, and the margin."""
    encadres = ENCADRES if encadres is None else encadres
    codes = {d.code for d in departements}
    droites = [x for d in departements for anneau in d.anneaux for x, _y in anneau]
    droites += [x + w for code, (x, _y, w, _h) in encadres.items() if code in codes]
    return math.ceil(max(droites)) + MARGE


def construire(entites, tolerance=TOLERANCE, aire_min=AIRE_MIN, encadres=None):
    """The map's data, as written to ``carte.FICHIER``."""
    departements = simplifier(projeter(entites, encadres=encadres), tolerance, aire_min)
    codes = {d.code for d in departements}
    return {
        "format": FORMAT,
        "version": 1,
        "source": "IGN, Admin Express COG 2018 (GeoJSON de gregoiredavid/france-geojson)",
        "licence": "Licence Ouverte / Open Licence (Etalab)",
        "attribution": ATTRIBUTION,
        "largeur": largeur_utile(departements, encadres),
        "hauteur": HAUTEUR,
        "encadres": encadres_chemin(codes, encadres),
        "departements": sorted([[d.code, d.nom, chemin(d.anneaux)] for d in departements], key=_ordre),
    }


def _ordre(ligne):
    return (len(ligne[0]) > 2, ligne[0])  # 01…95 with 2A/2B, then 971…976
