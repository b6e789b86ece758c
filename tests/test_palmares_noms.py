"""``manage.py import_palmares_noms``: the label history as published, by name, on the real referential.

``tests/data/palmares_publies.csv`` holds 201 labels as the association and the press published
them (each line with its source address), names as printed: « Marcq-en-Baroeul », « Hazebrouk »,
« Vandoeuvre », « communauté de communes de Parthenay-Gâtine ». The referential is the shipped
one (``import_territoires``), loaded once for the module.
"""

import csv
import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from atlaas.models import Collectivite, Departement, Region
from atlaas.territoires import SHIPPED_FILE
from label import historique
from label.models import HistoriqueComplet, Labellisation

DONNEES = Path(__file__).parent / "data"
PUBLIES = DONNEES / "palmares_publies.csv"
HAUTS_DE_FRANCE = DONNEES / "palmares_hauts_de_france_2018.txt"


@pytest.fixture(scope="module")
def referentiel(django_db_setup, django_db_blocker):
    """The shipped referential, imported once for the module's tests and removed after them."""
    with django_db_blocker.unblock():
        call_command("import_territoires", str(SHIPPED_FILE), verbosity=0)
        yield
        Labellisation.objects.all().delete()
        Collectivite.objects.all().delete()
        Departement.objects.all().delete()
        Region.objects.all().delete()


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("referentiel")]


def copie(tmp_path, source=PUBLIES):
    chemin = tmp_path / source.name
    shutil.copy(source, chemin)
    return chemin


def importer(chemin, *args):
    out = io.StringIO()
    call_command("import_palmares_noms", str(chemin), *args, stdout=out)
    return out.getvalue()


def refus(chemin, *args):
    with pytest.raises(CommandError) as erreur:
        importer(chemin, *args)
    return str(erreur.value)


def rapport(chemin):
    with open(historique.chemin_du_rapport(chemin), encoding="utf-8-sig", newline="") as fichier:
        return list(csv.DictReader(fichier, delimiter=";"))


def par_ligne(lignes, annee, nom):
    (ligne,) = [ligne for ligne in lignes if (ligne["annee"], ligne["nom"]) == (annee, nom)]
    return ligne


def test_the_published_file_is_real_and_sourced():
    with open(PUBLIES, encoding="utf-8") as fichier:
        lignes = list(
            csv.DictReader((ligne for ligne in fichier if not ligne.startswith("#")), delimiter=";")
        )
    assert len(lignes) == 201
    assert all(ligne["source"].startswith("http") for ligne in lignes)
    assert len({ligne["source"] for ligne in lignes}) >= 25


def test_published_palmares_resolve_by_name_and_nothing_is_imported_until_all_do(tmp_path):
    chemin = copie(tmp_path)
    message = refus(chemin)
    assert (
        "Rien n'a été importé\u00a0: résolues\u00a0: 186, ambiguës\u00a0: 7, "
        "introuvables\u00a0: 8 (sur 201 lignes)." in message
    )
    assert f"manage.py import_palmares_noms {historique.chemin_du_rapport(chemin)}" in message
    assert not Labellisation.objects.exists()

    lignes = rapport(chemin)
    assert len(lignes) == 201
    assert [
        sum(1 for ligne in lignes if ligne["statut"] == statut)
        for statut in ("résolu", "ambigu", "introuvable")
    ] == [
        186,
        7,
        8,
    ]
    # The named cases: a ligature typed « oe », a département that settles a homonym.
    for annee, nom, collectivite in [
        ("2021", "Vandoeuvre-lès-Nancy", "54547 Vandœuvre-lès-Nancy (54)"),
        ("2018", "Marcq-en-Baroeul", "59378 Marcq-en-Barœul (59)"),
        ("2006", "Le Havre", "76351 Le Havre (76)"),
        ("2008", "Agen", "47001 Agen (47)"),
        ("2015", "Agen", "47001 Agen (47)"),
        ("2017", "Changé", "53054 Changé (53)"),
        ("2022", "Le Mont-Doré", "98817 Le Mont-Dore (988)"),
        ("2021", "communauté de communes de Parthenay-Gâtine", "200041333 CC de Parthenay-Gâtine (79)"),
    ]:
        ligne = par_ligne(lignes, annee, nom)
        assert (ligne["statut"], ligne["collectivite"], ligne["code"]) == (
            "résolu",
            collectivite,
            collectivite.split()[0],
        )
    # The press wrote « Vandoeuvre »: not a name of the referential, the close one is offered.
    vandoeuvre = par_ligne(lignes, "2006", "Vandoeuvre")
    assert vandoeuvre["statut"] == "introuvable" and vandoeuvre["code"] == ""
    assert "aucune commune de ce nom dans le référentiel actuel" in vandoeuvre["raison"]
    assert "54547 Vandœuvre-lès-Nancy (54)" in vandoeuvre["candidats"]
    # A misspelling, with its département: the close spelling of the département is offered.
    assert "59295 Hazebrouck (59)" in par_ligne(lignes, "2018", "Hazebrouk")["candidats"]
    # A name without département shared by three communes: never guessed.
    merignac = par_ligne(lignes, "2008", "Mérignac")
    assert merignac["statut"] == "ambigu"
    assert merignac["candidats"] == "16216 Mérignac (16) | 17229 Mérignac (17) | 33281 Mérignac (33)"
    assert "3 collectivités portent ce nom" in merignac["raison"]
    # An intercommunalité renamed since: its SIREN is asked for, the present one offered.
    lisieux = par_ligne(lignes, "2024", "Communauté d'agglomération de Lisieux")
    assert lisieux["statut"] == "introuvable"
    assert (
        "intercommunalité renommée ou fusionnée\u202f? indiquez son code SIREN dans la colonne code"
        in lisieux["raison"]
    )
    assert "200069532 CA Lisieux Normandie (14)" in lisieux["candidats"]


def test_the_report_completed_by_the_user_imports_everything_then_nothing_more(tmp_path):
    chemin = copie(tmp_path)
    refus(chemin)
    lignes = rapport(chemin)
    codes = {
        "Blanquefort": "33056",
        "Mérignac": "33281",
        "Maurepas": "78383",
        "Vandoeuvre": "54547",
        "Hazebrouk": "59295",
        "Communauté d'agglomération de Lisieux": "200069532",
        "Communauté d'agglomération Caux Vallée de Seine": "200010700",
        "Notre-Dame-de-Gravenchon": "76476",  # merged into Port-Jérôme-sur-Seine in 2016
    }
    corrigees = []
    for ligne in lignes:
        if ligne["nom"] == "Bromont":  # Bromont, Québec: not a French collectivité, line dropped
            continue
        if ligne["statut"] != "résolu":
            ligne["code"] = codes[ligne["nom"]]
        corrigees.append(ligne)
    chemin_rapport = historique.chemin_du_rapport(chemin)
    with open(chemin_rapport, "w", encoding="utf-8-sig", newline="") as fichier:
        writer = csv.DictWriter(fichier, fieldnames=historique.RAPPORT, delimiter=";")
        writer.writeheader()
        writer.writerows(corrigees)

    sortie = importer(chemin_rapport)
    assert "199 labels ajoutés, 0 modifiés, 0 inchangés" in sortie
    assert "Lignes résolues\u00a0: 199, ambiguës\u00a0: 0, introuvables\u00a0: 0 (sur 199 lignes)" in sortie
    assert Labellisation.objects.count() == 199
    vandoeuvre = Labellisation.objects.filter(collectivite__code="54547")
    assert sorted(vandoeuvre.values_list("annee", "niveau", "ten")) == [
        (2005, 5, False),
        (2006, 5, False),
        (2021, 5, True),
    ]
    assert Collectivite.objects.get(code="59378").niveau == 5  # Marcq-en-Barœul, 5@ in 2018
    assert {ligne["statut"] for ligne in rapport(chemin_rapport)} == {"résolu"}

    assert "0 labels ajoutés, 0 modifiés, 199 inchangés" in importer(chemin_rapport)


def test_published_lines_name_departement_arobases(tmp_path):
    chemin = copie(tmp_path, HAUTS_DE_FRANCE)
    message = refus(chemin)
    assert "résolues\u00a0: 25, ambiguës\u00a0: 0, introuvables\u00a0: 1 (sur 26 lignes)" in message
    lignes = rapport(chemin)
    assert lignes[0]["source"].startswith("https://france3-regions.francetvinfo.fr/")
    assert [
        (ligne["annee"], ligne["nom"], ligne["departement"], ligne["niveau"]) for ligne in lignes[:2]
    ] == [
        ("2018", "Evin-Malmaison", "62", "@"),
        ("2018", "Hazebrouk", "59", "@"),
    ]
    assert par_ligne(lignes, "2018", "Noyelles-Godault")["code"] == "62624"  # « (62)@@@ », no space
    assert par_ligne(lignes, "2018", "CA Amiens Métropole")["code"] == "248000531"

    texte = chemin.read_text(encoding="utf-8").replace("Hazebrouk (59)", "Hazebrouck (59)")
    chemin.write_text(texte, encoding="utf-8")
    assert "26 labels ajoutés" in importer(chemin)
    assert Labellisation.objects.get(collectivite__code="59295").annee == 2018


def test_published_lines_take_the_year_from_the_option_and_report_what_they_cannot_read(tmp_path):
    chemin = tmp_path / "palmares.txt"
    chemin.write_text("Arras (62) @@@\nArras, trois arobases\nAgen (47) @@@@@@\n", encoding="utf-8")
    message = refus(chemin, "--annee", "2018")
    assert (
        "résolues\u00a0: 2, ambiguës\u00a0: 0, introuvables\u00a0: 0, illisibles\u00a0: 1 (sur 3 lignes)"
        in message
    )
    assert "ligne 3\u00a0: niveau «\u00a0@@@@@@\u00a0» invalide (de 1 à 5, ou de @ à @@@@@)." in message
    lignes = rapport(chemin)
    assert lignes[1]["statut"] == "illisible"
    assert (
        "«\u00a0Arras, trois arobases\u00a0» n'est pas de la forme «\u00a0Nom (département) @@@\u00a0»"
        in lignes[1]["raison"]
    )
    assert "niveau «\u00a0@@@@@@\u00a0» invalide" in lignes[2]["raison"]

    chemin.write_text("Arras (62) @@@\n", encoding="utf-8")
    assert "millésime inconnu\u00a0: donnez-le par --annee" in rapport_apres_refus(chemin)[0]["raison"]


def rapport_apres_refus(chemin):
    refus(chemin)
    return rapport(chemin)


def test_the_departement_settles_saint_denis_which_is_never_guessed_without_it(tmp_path):
    chemin = tmp_path / "saint-denis.csv"
    chemin.write_text(
        "annee;nom;departement;niveau\n2020;Saint-Denis;;@@\n2021;St Denis;93;@@\n2022;Saint Denis;974;@@@\n",
        encoding="utf-8",
    )
    lignes = rapport_apres_refus(chemin)
    assert lignes[0]["statut"] == "ambigu"
    assert lignes[0]["candidats"] == (
        "11339 Saint-Denis (11) | 30247 Saint-Denis (30) | 93066 Saint-Denis (93) | 97411 Saint-Denis (974)"
    )
    assert [(ligne["statut"], ligne["code"]) for ligne in lignes[1:]] == [
        ("résolu", "93066"),
        ("résolu", "97411"),
    ]


def test_renamed_intercommunalites_are_unresolved_with_a_clear_reason():
    """The intercommunalités labelled in 2006, as the Banque des territoires named them
    (https://banquedesterritoires.fr/les-labels-ville-internet-remis-lyon): renamed or merged since."""
    lignes = [
        historique.Ligne(numero, dict.fromkeys(historique.COLONNES_NOMS, "") | {"nom": nom})
        for numero, nom in enumerate(["CU du Grand Nancy", "CC Action Fourmies"], start=2)
    ]
    historique.resoudre(lignes)
    raison = (
        "aucune collectivité de ce nom dans le référentiel actuel\u00a0: "
        "intercommunalité renommée ou fusionnée\u202f? indiquez son code SIREN dans la colonne code"
    )
    assert [(ligne.statut, ligne.raisons) for ligne in lignes] == [("introuvable", [raison])] * 2
    assert [c.code for c in lignes[0].candidats][:1] == ["245400676"]  # Métropole du Grand Nancy, offered


def test_a_code_given_by_the_user_wins_over_the_name_and_must_exist(tmp_path):
    chemin = tmp_path / "codes.csv"
    chemin.write_text(
        "Année;Nom;Département;Niveau;Code\n2020;Saint-Denis;;@@;93066\n2020;Ville disparue;;@;99999\n",
        encoding="utf-8",
    )
    lignes = rapport_apres_refus(chemin)
    assert (lignes[0]["statut"], lignes[0]["collectivite"]) == ("résolu", "93066 Saint-Denis (93)")
    assert lignes[1]["statut"] == "introuvable"
    assert "code «\u00a099999\u00a0» inconnu du référentiel" in lignes[1]["raison"]


def test_complet_declares_the_years_of_the_file_once_everything_is_imported(tmp_path):
    chemin = tmp_path / "palmares.txt"
    chemin.write_text(
        "2017\nArras (62) @@@\n2018\nArras (62) @@@@\nVille disparue (62) @\n", encoding="utf-8"
    )
    refus(chemin, "--complet")
    assert not HistoriqueComplet.objects.exists()  # nothing imported, nothing declared

    chemin.write_text("2017\nArras (62) @@@\n2018\nArras (62) @@@@\n", encoding="utf-8")
    assert "Palmarès complets déclarés\u00a0: 2017, 2018." in importer(chemin, "--complet")
    assert list(HistoriqueComplet.objects.values_list("annee", flat=True)) == [2017, 2018]
