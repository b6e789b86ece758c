"""The derivation of the map of the départements (``manage.py construire_carte``) on a tiny
GeoJSON: two metropolitan squares sharing a wobbly border, and one overseas square."""

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from atlaas import cartographie
from atlaas.cartographie import ENCADRES, HAUTEUR, MARGE, douglas_peucker, lambert


def carre(lon, lat, cote, bord_est=None):
    """A closed ring, counter-clockwise from the south-west corner; ``bord_est`` the points of
    its east side from south to north (corners excluded)."""
    est = bord_est or []
    return [
        [lon, lat],
        [lon + cote, lat],
        *est,
        [lon + cote, lat + cote],
        [lon, lat + cote],
        [lon, lat],
    ]


# The border between 01 and 02: the meridian 3° E with a wobble of 0.001° (~100 m), far below
# what a 600-unit map of France shows.
BORD = [[3.0 + (0.001 if i % 2 else 0.0), 46.0 + i / 10] for i in range(1, 10)]


def geojson(tmp_path, features=None):
    if features is None:
        ouest = carre(2.0, 46.0, 1.0, bord_est=BORD)
        est = [[3.0, 46.0], [4.0, 46.0], [4.0, 47.0], [3.0, 47.0], *reversed(BORD), [3.0, 46.0]]
        features = [
            ("01", "Ouest", {"type": "Polygon", "coordinates": [ouest]}),
            ("02", "Est", {"type": "Polygon", "coordinates": [est]}),
            (
                "971",
                "Guadeloupe",
                {
                    "type": "MultiPolygon",
                    "coordinates": [[carre(-61.8, 15.9, 0.5)], [carre(-61.2, 16.0, 0.1)]],
                },
            ),
        ]
    chemin = tmp_path / "departements.geojson"
    chemin.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"code": c, "nom": n}, "geometry": g}
                    for c, n, g in features
                ],
            }
        ),
        encoding="utf-8",
    )
    return chemin


def points(d):
    """The absolute points of each ring of a path written by ``cartographie.chemin``."""
    anneaux = []
    for morceau in re.findall(r"M[^z]*z", d):
        nombres = [int(n) for n in re.findall(r"-?\d+", morceau)]
        x, y = nombres[0], nombres[1]
        anneau = [(x, y)]
        for dx, dy in zip(nombres[2::2], nombres[3::2], strict=True):
            x, y = x + dx, y + dy
            anneau.append((x, y))
        anneaux.append(anneau)
    return anneaux


def construire(tmp_path, **kwargs):
    sortie = tmp_path / "carte.json"
    call_command("construire_carte", geojson(tmp_path, **kwargs), output=sortie, stdout=io.StringIO())
    donnees = json.loads(sortie.read_text(encoding="utf-8"))
    return donnees, {code: (nom, points(d)) for code, nom, d in donnees["departements"]}


def test_lambert_projection_centre_north_and_conformity():
    assert lambert(3.0, 46.5) == pytest.approx((0.0, 0.0), abs=1e-12)
    x, y = lambert(3.0, 48.0)
    assert x == pytest.approx(0.0, abs=1e-12) and y > 0  # north is up
    assert lambert(2.0, 46.5)[0] < 0 < lambert(4.0, 46.5)[0]
    # Conformal: a small step east and a small step north keep their ratio of lengths (cos φ).
    (x0, y0), (x1, _), (_, y2) = lambert(3, 46.5), lambert(3.01, 46.5), lambert(3, 46.51)
    assert (x1 - x0) / (y2 - y0) == pytest.approx(0.6884, abs=1e-3)  # cos 46.5°


def test_douglas_peucker_keeps_ends_and_drops_what_the_tolerance_hides():
    ligne = [(0, 0), (1, 0.1), (2, -0.1), (3, 0), (4, 5), (5, 0)]
    assert douglas_peucker(ligne, 0.5) == [(0, 0), (3, 0), (4, 5), (5, 0)]
    assert douglas_peucker(ligne, 10) == [(0, 0), (5, 0)]
    assert douglas_peucker([(0, 0), (1, 1)], 1) == [(0, 0), (1, 1)]


def test_command_projects_metropolitan_squares_into_the_viewbox(tmp_path):
    donnees, departements = construire(tmp_path)
    assert donnees["format"] == "villes-internet/carte-departements"
    assert donnees["hauteur"] == HAUTEUR
    assert list(departements) == ["01", "02", "971"]
    ouest, est = departements["01"][1][0], departements["02"][1][0]
    tous = ouest + est
    # Fitted into the viewBox, margins kept, touching them on the binding side: two squares of
    # 1° side are wider than high (cos 46.5° ≈ 0.69), centred vertically.
    xs, ys = [x for x, _ in tous], [y for _, y in tous]
    assert (min(xs), max(xs)) == (MARGE, donnees["largeur"] - MARGE) == (MARGE, 600 - MARGE)
    assert min(ys) > MARGE and max(ys) < HAUTEUR - MARGE
    assert abs((min(ys) - MARGE) - (HAUTEUR - MARGE - max(ys))) <= 1
    assert (max(xs) - min(xs)) / (max(ys) - min(ys)) == pytest.approx(2 * 0.69, abs=0.03)
    # West is left of east, north (47°) above south (46°): y grows downwards.
    assert max(x for x, _ in ouest) <= min(x for x, _ in est)
    assert all(isinstance(v, int) for p in tous for v in p)


def test_command_simplifies_the_shared_border_once(tmp_path):
    _, departements = construire(tmp_path)
    ouest, est = departements["01"][1][0], departements["02"][1][0]
    # The wobble is gone: each square is back to its four corners…
    assert len(ouest) == len(est) == 4
    # …and the border is the same two points in both: no gap, no overlap.
    commun = set(ouest) & set(est)
    assert len(commun) == 2
    assert len({x for x, _ in commun}) == 1


def test_command_keeps_the_border_points_a_coarse_map_shows(tmp_path):
    # A real bend (0.3°, ~20 units here) survives, the same in both squares.
    bord = [[3.0, 46.3], [3.3, 46.5], [3.0, 46.7]]
    ouest = carre(2.0, 46.0, 1.0, bord_est=bord)
    est = [[3.0, 46.0], [4.0, 46.0], [4.0, 47.0], [3.0, 47.0], *reversed(bord), [3.0, 46.0]]
    features = [
        ("01", "Ouest", {"type": "Polygon", "coordinates": [ouest]}),
        ("02", "Est", {"type": "Polygon", "coordinates": [est]}),
    ]
    _, departements = construire(tmp_path, features=features)
    ouest, est = departements["01"][1][0], departements["02"][1][0]
    assert len(set(ouest) & set(est)) == 5  # two corners and the three points of the bend
    assert len(ouest) == len(est) == 7


def test_command_places_overseas_departements_in_their_boxes(tmp_path):
    donnees, departements = construire(tmp_path)
    x, y, w, h = ENCADRES["971"]
    anneaux = departements["971"][1]
    assert len(anneaux) == 2  # the main island and the small one
    assert all(x < px < x + w and y < py < y + h for anneau in anneaux for px, py in anneau)
    # Its frame is drawn, and only the frames of départements the file holds.
    assert donnees["encadres"] == f"M{x} {y}h{w}v{h}h-{w}z"


def test_command_drops_islands_too_small_to_see(tmp_path):
    ilot = carre(2.5, 46.5, 0.001)  # a hole 100 m wide: under one unit
    ouest = carre(2.0, 46.0, 1.0, bord_est=BORD)
    features = [
        ("01", "Ouest", {"type": "MultiPolygon", "coordinates": [[ouest], [ilot]]}),
        ("02", "Est", {"type": "Polygon", "coordinates": [carre(3.0, 46.0, 1.0)]}),
    ]
    _, departements = construire(tmp_path, features=features)
    assert len(departements["01"][1]) == 1


def test_command_refuses_a_file_that_is_not_a_feature_collection(tmp_path):
    mauvais = tmp_path / "mauvais.geojson"
    mauvais.write_text('{"type": "Feature"}', encoding="utf-8")
    sortie = tmp_path / "carte.json"
    with pytest.raises(CommandError, match=r"Rien n’a été écrit\..*FeatureCollection"):
        call_command("construire_carte", mauvais, output=sortie)
    assert not sortie.exists()


def test_an_overseas_departement_needs_a_box(tmp_path):
    features = [
        ("975", "Saint-Pierre-et-Miquelon", {"type": "Polygon", "coordinates": [carre(-56, 47, 0.2)]})
    ]
    entites = cartographie.lire_geojson(geojson(tmp_path, features=features))
    with pytest.raises(cartographie.CarteError, match="975 : pas d’encadré"):
        cartographie.projeter(entites, outre_mer=("975",))
