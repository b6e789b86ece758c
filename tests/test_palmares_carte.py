"""The palmarès' map of laureates by département: its figures (count, best level, share of the
département's communes covered, as the key figures count coverage), one link per département
that has laureates, a data table that says the same on a page of its own, and its weight on the
palmarès."""

import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from atlaas import carte as fond_de_carte
from atlaas.models import Departement
from label import palmares
from tests.factories import CommuneFactory, DepartementFactory
from tests.pages import taille
from tests.test_palmares import edition, publiee, territoires, url  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def plus_de_communes(territoires):  # noqa: F811
    """Three more communes in Haute-Garonne (Toulouse then covers 1 of 4), and a member of the
    Agglomération d'Agen across the border, in Tarn-et-Garonne, where no laureate is."""
    garonne = Departement.objects.get(code="31")
    for i in range(3):
        CommuneFactory(code=f"3100{i}", nom=f"Commune {i}", departement=garonne, population=1_000)
    tarn = DepartementFactory(code="82", nom="Tarn-et-Garonne", region=garonne.region)
    CommuneFactory(
        code="82001", nom="Frontalière", departement=tarn, population=800, epci=territoires["agglo"]
    )
    return territoires


def figures(carte):
    return [(d.code, d.laureats, d.meilleur, d.couvertes, d.communes, d.part) for d in carte.departements]


def test_carte_counts_laureates_best_level_and_covered_communes(
    plus_de_communes,
    publiee,  # noqa: F811
    django_assert_num_queries,
):
    construit = palmares.construire(2027, publiee)
    with django_assert_num_queries(1):
        carte = palmares.carte(construit)
    # Lot-et-Garonne: the agglomération (3@), Agen (4@), Nérac (5@), Saint-Étienne-de-Fougères
    # (1@); its 5 active communes all covered (Agen, Boé, Layrac by the agglomération, Nérac,
    # Saint-Étienne), the former member merged away not counted.
    # Haute-Garonne: Toulouse (5@), 1 commune of 4. Tarn-et-Garonne: no laureate, its one commune
    # covered by the agglomération of Agen. La Réunion: Saint-Denis (2@), 1 of 1.
    assert figures(carte) == [
        ("31", 1, 5, 1, 4, 25),
        ("47", 4, 5, 5, 5, 100),
        ("82", 0, None, 1, 1, 100),
        ("974", 1, 2, 1, 1, 100),
    ]
    # As the key figures count them: the communes covered add up.
    assert sum(d.couvertes for d in carte.departements) == construit.chiffres.communes == 8
    assert [d.code for d in carte.sur_la_carte] == ["31", "47", "974"]  # 82: no laureate, no link


def test_carte_of_an_imported_year_has_no_share(publiee, django_assert_num_queries):  # noqa: F811
    construit = palmares.construire(2026)
    with django_assert_num_queries(0):
        carte = palmares.carte(construit)
    assert figures(carte) == [("47", 2, 5, None, None, None)]  # Agen 3@, Nérac 5@ in 2026
    assert carte.departements[0].part_texte == "non connue"


def test_carte_says_under_one_percent(territoires):  # noqa: F811
    dep = palmares.DepartementCarte("47", "Lot-et-Garonne", laureats=1, meilleur=2, couvertes=1, communes=300)
    assert dep.part_texte == "<\u00a01\u202f%"
    assert dep.titre == (
        "Lot-et-Garonne (47)\u00a0: 1 lauréat, meilleur niveau 2 arobases, "
        "<\u00a01\u202f% des communes couvertes"
    )


def espaces(contenu):
    """The page with its indentation and line breaks as single spaces (not NBSP nor NNBSP)."""
    return re.sub(r"[ \n]+", " ", contenu)


def liens(contenu):
    lien = r'<a href="\?departement=([0-9AB]+)#laureats-titre"[^>]*><title>([^<]*)</title>'
    return re.findall(lien, contenu)


def lignes(contenu):
    """The rows of the map's table, each cell's text (tags and hidden words of a level aside)."""
    table = contenu[contenu.index("<tbody>") : contenu.index("</tbody>")]
    table = re.sub(r'<span class="visually-hidden">.*?</span>', "", table)
    cellules = r"<t[hd][^>]*>(.*?)</t[hd]>"
    return [
        tuple(texte(cellule) for cellule in re.findall(cellules, ligne, re.S))
        for ligne in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def texte(cellule):
    return espaces(re.sub(r"<[^>]+>", "", cellule)).strip()


def departements(client, annee=2027):
    return client.get(reverse("label:palmares_departements", args=[annee]))


def test_palmares_page_shows_the_map_with_a_link_per_departement_with_laureates(
    client,
    plus_de_communes,
    publiee,  # noqa: F811
):
    contenu = client.get(url()).content.decode()
    couvertes = "\u202f% des communes couvertes"
    assert liens(contenu) == [
        ("31", f"Haute-Garonne (31)\u00a0: 1 lauréat, meilleur niveau 5 arobases, 25{couvertes}"),
        ("47", f"Lot-et-Garonne (47)\u00a0: 4 lauréats, meilleur niveau 5 arobases, 100{couvertes}"),
        ("974", f"La Réunion (974)\u00a0: 1 lauréat, meilleur niveau 2 arobases, 100{couvertes}"),
    ]
    # Each link's path is the département's contour from the shipped map, filled by its best level.
    chemins = fond_de_carte.carte().chemins
    assert f'<path class="n5" d="{chemins["47"]}"/>' in contenu
    assert f'<path class="n2" d="{chemins["974"]}"/>' in contenu
    assert "Contours\u00a0: IGN Admin Express, Licence Ouverte" in contenu
    # Its data table is a page of its own, linked beside the map (on the palmarès it would
    # weigh 300 elements).
    lien = reverse("label:palmares_departements", args=[2027])
    assert f'<a href="{lien}">Tableau des lauréats par département</a>' in contenu
    assert "<table" not in contenu[contenu.index('<section class="carte"') : contenu.index("</section>")]


def test_map_table_page_says_the_same_and_more(client, plus_de_communes, publiee):  # noqa: F811
    response = departements(client)
    assert response.status_code == 200
    contenu = response.content.decode()
    # Tarn-et-Garonne is covered without a laureate: a row, no link.
    assert lignes(contenu) == [
        ("Haute-Garonne (31)", "1", "@@@@@", "25\u202f%"),
        ("Lot-et-Garonne (47)", "4", "@@@@@", "100\u202f%"),
        ("Tarn-et-Garonne (82)", "0", "—", "100\u202f%"),
        ("La Réunion (974)", "1", "@@", "100\u202f%"),
    ]
    assert '<span class="visually-hidden">5 arobases</span>' in contenu
    assert '<a href="/palmares/2027/?departement=47#laureats-titre">Lot-et-Garonne (47)</a>' in contenu
    assert "?departement=82" not in contenu
    assert '<caption id="departements-titre">' in contenu
    assert "6 lauréats, par département" in espaces(contenu)
    assert "Couverture\u00a0: la part des communes du département labellisées" in contenu


def test_map_table_page_of_an_imported_year_has_no_coverage(client, publiee):  # noqa: F811
    contenu = departements(client, 2026).content.decode()
    assert lignes(contenu) == [("Lot-et-Garonne (47)", "2", "@@@@@")]
    assert "Couverture" not in contenu


def test_map_table_page_is_kept_with_the_palmares_and_404_before(client, publiee, django_assert_num_queries):  # noqa: F811
    departements(client)
    with django_assert_num_queries(0):
        assert departements(client).status_code == 200
    assert departements(client, 2031).status_code == 404


def test_palmares_map_link_leads_to_the_departement_and_marks_it(client, publiee):  # noqa: F811
    contenu = espaces(client.get(url(departement="31")).content.decode())
    assert '<a href="?departement=31#laureats-titre" aria-current="true">' in contenu
    assert '<a href="?departement=47#laureats-titre" aria-current' not in contenu
    assert "1 lauréat sur 6" in contenu


def test_palmares_map_is_kept_with_the_palmares(client, publiee, django_assert_num_queries):  # noqa: F811
    client.get(url())
    etat = palmares.etat(2027)
    with django_assert_num_queries(0):
        garde = palmares.charger(2027, etat.edition_id, etat.cle)
    assert [d.code for d in garde.carte.departements] == ["31", "47", "974"]


def test_palmares_map_weight_at_its_largest():
    """What the map adds to the palmarès page when each of the 101 départements has laureates:
        per département a link, its title and its path (3 elements, inside the SVG: EcoIndex does not
    count them; its data table is a page of its own). The page
        keeps under 1,500 elements and 100 KB at 400 laureates (test_palmares_taille)."""
    noms = fond_de_carte.carte().noms
    carte = palmares.Carte(
        [
            palmares.DepartementCarte(code, nom, laureats=4, meilleur=1 + i % 5, couvertes=37, communes=412)
            for i, (code, nom) in enumerate(noms.items())
        ]
    )
    html = render_to_string("label/palmares/_carte.html", {"carte": carte, "form": None, "annee": 2027})
    octets, noeuds = taille(html)
    assert len(liens(html)) == 101
    assert noeuds == 101 * 3 + 19
    assert octets < 41_000
    svg = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    assert len(svg.encode()) <= 40_000
