"""The map of the départements shipped with the portal (atlaas/data/carte_departements.json) and
a collectivité's situation on it, on its public page."""

import json
import re

import pytest
from django.urls import reverse

from atlaas import carte
from atlaas.models import Zone
from tests.factories import CommuneFactory, DepartementFactory, EpciFactory, RegionFactory

CODES = [f"{n:02}" for n in range(1, 96) if n != 20] + ["2A", "2B", "971", "972", "973", "974", "976"]


def test_shipped_map_holds_the_101_departements_and_stays_small():
    donnees = json.loads(carte.FICHIER.read_text(encoding="utf-8"))
    assert donnees["format"] == "villes-internet/carte-departements" and donnees["version"] == 1
    assert sorted(code for code, _nom, _d in donnees["departements"]) == sorted(CODES)
    assert len(donnees["departements"]) == 101
    assert all(re.fullmatch(r"(M-?\d+[ -]\d+(l[-\d ]+)?z)+", d) for _c, _n, d in donnees["departements"])
    assert carte.FICHIER.stat().st_size <= 40_000
    # The whole map as one SVG document: every path, the insets' frames, the names.
    assert len(carte.svg(donnees).encode()) <= 40_000
    assert donnees["attribution"] == "Contours : IGN Admin Express, Licence Ouverte"


def test_shipped_map_puts_each_overseas_departement_in_its_box():
    from atlaas.cartographie import ENCADRES

    fond = carte.carte()
    for code, (x, y, w, h) in ENCADRES.items():
        nombres = [int(n) for n in re.findall(r"-?\d+", fond.chemins[code].split("l")[0])]
        assert x < nombres[0] < x + w and y < nombres[1] < y + h
        assert f"M{x} {y}h{w}v{h}h-{w}z" in fond.encadres


def test_situation_only_for_a_departement_on_the_map(db):
    assert (
        carte.situation(DepartementFactory(code="47", nom="Lot-et-Garonne")).chemin
        == carte.carte().chemins["47"]
    )
    assert carte.situation(DepartementFactory(code="975", nom="Saint-Pierre-et-Miquelon")) is None
    assert carte.situation(None) is None


@pytest.mark.django_db
def test_collectivite_page_shows_where_it_is(client):
    agen = CommuneFactory(nom="Agen", code="47001", population=32_801)
    page = client.get(reverse("atlaas:collectivite", args=[agen.code])).content.decode()
    svg = re.search(r'<svg class="carte-situation".*?</svg>', page, re.S).group(0)
    assert 'role="img"' in svg and 'aria-label="Agen, Lot-et-Garonne (47)"' in svg
    assert f'<path class="carte__ici" d="{carte.carte().chemins["47"]}" />' in svg
    assert svg.count("<path") == 3  # every département in one path, the insets' frames, its own
    assert "Contours\u00a0: IGN Admin Express, Licence Ouverte" in page


@pytest.mark.django_db
def test_intercommunalite_page_shows_its_departement(client):
    epci = EpciFactory(nom="Agglomération d'Agen", code="200035459")
    page = client.get(reverse("atlaas:collectivite", args=[epci.code])).content.decode()
    assert 'aria-label="Agglomération d&#x27;Agen, Lot-et-Garonne (47)"' in page


@pytest.mark.django_db
def test_collectivite_outside_the_map_has_none(client):
    region = RegionFactory(code="975", nom="Saint-Pierre-et-Miquelon", zone=Zone.COM)
    spm = DepartementFactory(code="975", nom="Saint-Pierre-et-Miquelon", region=region)
    commune = CommuneFactory(nom="Miquelon-Langlade", code="97501", departement=spm, zone=Zone.COM)
    page = client.get(reverse("atlaas:collectivite", args=[commune.code])).content.decode()
    assert "carte-situation" not in page and "Contours" not in page
