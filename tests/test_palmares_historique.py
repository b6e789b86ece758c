"""A year of imported history shows only what its rows support: counts by level, TEN and
mentions; communes and inhabitants covered only from the year's own figures given by the
import, never from today's populations and perimeters; « première participation » only when
the palmarès of every year before is known whole. Type and strate filters say they do not apply."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from label import palmares
from label.models import HistoriqueComplet, Labellisation
from tests.factories import CommuneFactory, EpciFactory
from tests.test_palmares import compter, noms

pytestmark = pytest.mark.django_db

ANNEE = 2018


@pytest.fixture
def territoires():
    """Today's referential: Amiens Métropole has 39 member communes of 3,000 inhabitants; the
    laureate communes have grown since 2018."""
    amiens = EpciFactory(code="200070589", siren="200070589", nom="Amiens Métropole", population=180_000)
    CommuneFactory.create_batch(39, epci=amiens, population=3_000)
    return {
        "amiens": amiens,
        "nerac": CommuneFactory(code="24195", nom="Nérac", population=7_000),
        "trilport": CommuneFactory(code="77495", nom="Trilport", population=5_100),
        "fleury": CommuneFactory(code="14271", nom="Fleury-sur-Orne", population=5_600),
        "layrac": CommuneFactory(code="24145", nom="Layrac", population=3_700),
    }


# Trilport's earlier labels were imported; Fleury-sur-Orne's (5@ since 2012) were not.
AVANT = "annee;code;niveau;mentions;ten\n" + "".join(f"{annee};77495;5;;\n" for annee in range(2012, 2018))
LIGNES_2018 = [  # code, niveau, mentions, ten, population, communes
    ("200070589", 4, "", "non", "175 000", "33"),
    ("24195", 3, "Arobase verte", "non", "7200", ""),
    ("77495", 5, "", "oui", "5000", ""),
    ("14271", 5, "", "oui", "4800", ""),
    ("24145", 1, "", "non", "3400", ""),
]


def importer(tmp_path, texte, *options):
    path = tmp_path / "palmares.csv"
    path.write_text(texte, encoding="utf-8")
    call_command("import_palmares", str(path), *options, stdout=io.StringIO())


def palmares_2018(tmp_path, chiffres=True, sans_population=()):
    importer(tmp_path, AVANT)
    entete = "annee;code;niveau;mentions;ten" + (";population;communes" if chiffres else "")
    lignes = []
    for code, niveau, mentions, ten, population, communes in LIGNES_2018:
        cellules = [str(ANNEE), code, str(niveau), mentions, ten]
        if chiffres:
            cellules += ["" if code in sans_population else population, communes]
        lignes.append(";".join(cellules))
    importer(tmp_path, "\n".join([entete, *lignes]) + "\n")


def page(client, **query):
    response = client.get(reverse("label:palmares", args=[ANNEE]), query)
    assert response.status_code == 200
    return response, " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_imported_year_with_its_population_shows_the_coverage_of_that_year(client, tmp_path, territoires):
    palmares_2018(tmp_path)
    response, texte = page(client)
    chiffres = response.context["chiffres"]
    # 33 member communes of Amiens Métropole in 2018 (not today's 39) and the 4 communes;
    # the inhabitants of that year: 175,000 + 7,200 + 5,000 + 4,800 + 3,400.
    assert (chiffres.communes, chiffres.habitants) == (37, 195_400)
    assert "37 communes couvertes" in texte and "195 400 habitants couverts" in texte
    assert "non connue pour ce millésime importé" not in texte
    assert "Plus petit lauréat Layrac (47), 3 400 habitants" in texte.replace("\u202f", " ")
    assert "Plus grand lauréat Amiens Métropole (47), 175 000 habitants" in texte.replace("\u202f", " ")
    assert "le type des collectivités de cette année-là n'est pas connu" in texte
    assert [(n, nombre) for n, _a, nombre in chiffres.par_niveau] == [(5, 2), (4, 1), (3, 1), (2, 0), (1, 1)]
    assert [x.nom for x in chiffres.ten] == ["Fleury-sur-Orne", "Trilport"]
    assert [(m, [x.nom for x in laureats]) for m, laureats in chiffres.mentions] == [
        ("Arobase verte", ["Nérac"])
    ]


def test_imported_year_without_its_population_withholds_the_coverage_and_says_why(
    client, tmp_path, territoires
):
    palmares_2018(tmp_path, chiffres=False)
    response, texte = page(client)
    chiffres = response.context["chiffres"]
    assert (chiffres.communes, chiffres.habitants) == (None, None)
    assert chiffres.plus_petit is None and chiffres.plus_grand is None
    assert "Habitants couverts : population de l'année non connue pour ce millésime importé." in texte
    assert "Communes couvertes : communes membres de l'année non connues pour ce millésime importé." in texte
    assert "communes couvertes" not in texte.replace("Communes couvertes :", "")
    assert "Plus petit lauréat" not in texte
    assert "le type et la population des collectivités de cette année-là ne sont pas connus" in texte
    # Counts by level, TEN and mentions are what the rows say.
    assert chiffres.laureats == 5 and len(chiffres.ten) == 2 and chiffres.mentions


def test_imported_year_missing_one_population_withholds_only_the_inhabitants(client, tmp_path, territoires):
    palmares_2018(tmp_path, sans_population={"24145"})
    response, texte = page(client)
    assert (response.context["chiffres"].communes, response.context["chiffres"].habitants) == (37, None)
    assert "37 communes couvertes" in texte
    assert "population de l'année non connue pour ce millésime importé" in texte


def test_premiere_participation_is_not_said_while_the_history_before_is_incomplete(
    client, tmp_path, territoires
):
    palmares_2018(tmp_path)
    response, texte = page(client)
    laureats = {x.nom: x for x in palmares.laureats_historique(ANNEE)}
    # Fleury-sur-Orne's earlier labels were not imported, but a TEN crowns six earlier 5@ labels.
    assert {nom: (x.premiere, x.progression) for nom, x in laureats.items()} == {
        "Amiens Métropole": (None, ""),
        "Fleury-sur-Orne": (False, ""),
        "Layrac": (None, ""),
        "Nérac": (None, ""),
        "Trilport": (False, "="),
    }
    assert response.context["chiffres"].premieres is None
    assert "première participation" not in texte.replace("Une première participation n'est comptée", "")
    assert (
        "Premières participations : non connues, l'historique du label avant 2018 n'est pas complet "
        "dans le portail." in texte
    )
    assert "de premières participations" not in texte


def test_premiere_participation_is_said_once_every_earlier_palmares_is_complete(
    client, tmp_path, territoires, django_capture_on_commit_callbacks
):
    palmares_2018(tmp_path)
    page(client)  # kept in the cache
    HistoriqueComplet.objects.bulk_create([HistoriqueComplet(annee=annee) for annee in range(1999, 2012)])
    Labellisation.objects.bulk_create(  # Fleury-sur-Orne's own history, 5@ since 2012
        [
            Labellisation(collectivite=territoires["fleury"], annee=annee, niveau=5)
            for annee in range(2012, 2018)
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):  # the import moves every year's cache on
        importer(
            tmp_path, AVANT + "".join(f"{annee};14271;5;;\n" for annee in range(2012, 2018)), "--complet"
        )
    assert set(HistoriqueComplet.objects.values_list("annee", flat=True)) == set(range(1999, 2018))

    response, texte = page(client)
    laureats = {x.nom: x.progression for x in palmares.laureats_historique(ANNEE)}
    assert laureats == {
        "Amiens Métropole": "première participation",
        "Fleury-sur-Orne": "=",
        "Layrac": "première participation",
        "Nérac": "première participation",
        "Trilport": "=",
    }
    chiffres = response.context["chiffres"]
    assert (chiffres.premieres, chiffres.part_premieres) == (3, 60)
    assert "60 % de premières participations (3 collectivités)" in texte
    assert "non connues" not in texte


def test_imported_year_says_its_type_and_strate_filters_do_not_apply(client, tmp_path, territoires):
    palmares_2018(tmp_path)
    response, texte = page(client, type="ville", strate="moins-3000")
    contenu = response.content.decode()
    assert (
        "Type et strate ne sont pas connus pour les années importées : ces filtres ne s'appliquent pas."
        in texte
    )
    assert '<p id="filtres-non-applicables"' in contenu
    for nom in ("type", "strate"):
        assert re.search(
            rf'<select name="{nom}" aria-describedby="filtres-non-applicables" disabled', contenu
        )
    assert len(noms(response)) == 5  # ignored, and not shown as active
    assert "5 lauréats" in texte and "sur 5" not in texte and "Retirer les filtres" not in texte
    assert response.context["form"].filtres() == {"par": "niveau"}


def test_published_edition_has_no_filter_notice(client, publiee):
    contenu = client.get(reverse("label:palmares", args=[2027])).content.decode()
    assert "filtres-non-applicables" not in contenu
    assert '<select name="type" id="id_type">' in contenu


def test_published_edition_says_no_first_participation_without_the_history_before(client, publiee):
    """The portal's own edition: Nérac has no earlier label, but no earlier palmarès is loaded."""
    assert [(x.nom, x.premiere) for x in palmares.laureats_edition(publiee)] == [("Nérac", None)]
    texte = " ".join(client.get(reverse("label:palmares", args=[2027])).content.decode().split())
    assert "l'historique du label avant 2027 n'est pas complet" in texte


def test_imported_year_page_queries_do_not_grow_with_its_rows(client):
    for annee, nombre in [(2016, 10), (2017, 300)]:
        amiens = EpciFactory()
        communes = CommuneFactory.create_batch(nombre, epci=amiens if annee == 2016 else None)
        Labellisation.objects.bulk_create(
            [
                Labellisation(
                    collectivite=commune,
                    annee=annee,
                    niveau=1 + i % 5,
                    ten=i % 7 == 0,
                    mentions="Arobase verte" if i % 2 else "",
                    population=1000 + i,
                )
                for i, commune in enumerate(communes)
            ]
            + [Labellisation(collectivite=amiens, annee=annee, niveau=3, population=50_000, communes=12)]
        )
        Labellisation.objects.bulk_create(  # their previous labels
            [Labellisation(collectivite=commune, annee=annee - 5, niveau=2) for commune in communes[::3]]
        )
    petit, reponse_petit = compter(client, 2016)
    grand, reponse_grand = compter(client, 2017)
    assert len(noms(reponse_petit)) == 11 and len(noms(reponse_grand)) == 301
    assert reponse_grand.context["chiffres"].communes == 312
    assert petit == grand <= 4


def test_home_page_of_an_imported_latest_year_names_no_coverage(client, tmp_path, territoires):
    palmares_2018(tmp_path, chiffres=False)
    assert palmares.a_la_une() == {"annee": 2018, "laureats": 5, "communes": None, "habitants": None}
    texte = " ".join(client.get("/").content.decode().split())
    assert "Palmarès 2018 : 5 collectivités labellisées." in texte


@pytest.fixture
def publiee(territoires):
    from tests.test_palmares import edition_close, laureat, publier

    edition = edition_close()
    laureat(edition, territoires["nerac"], 3)
    return publier(edition)


def test_staff_declare_a_year_complete_in_the_admin_and_the_palmares_follows(
    client, tmp_path, territoires, staff, django_capture_on_commit_callbacks
):
    palmares_2018(tmp_path)
    HistoriqueComplet.objects.bulk_create([HistoriqueComplet(annee=annee) for annee in range(1999, 2017)])
    assert page(client)[0].context["chiffres"].premieres is None  # 2017 is missing: kept in the cache
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:label_historiquecomplet_add"), {"annee": 2017}, follow=True)
    assert response.status_code == 200 and HistoriqueComplet.objects.filter(annee=2017).exists()
    client.logout()
    assert page(client)[0].context["chiffres"].premieres == 3
    declaree = HistoriqueComplet.objects.get(annee=2017)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:label_historiquecomplet_delete", args=[declaree.pk]), {"post": "yes"})
    client.logout()
    assert page(client)[0].context["chiffres"].premieres is None
