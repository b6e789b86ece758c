"""``manage.py import_palmares FILE.csv``: the label history back to 1999, all or nothing."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from atlaas.models import Collectivite
from label.models import Labellisation
from tests.factories import CommuneFactory, EditionFactory, EpciFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def territoires():
    return {
        "agen": CommuneFactory(code="47001", siren="214700015", nom="Agen"),
        "ain": CommuneFactory(code="01053", nom="Bourg-en-Bresse"),
        "agglo": EpciFactory(code="200035459", siren="200035459", nom="Agglomération d'Agen"),
    }


def fichier(tmp_path, texte, encoding="utf-8", nom="palmares.csv"):
    path = tmp_path / nom
    path.write_bytes(texte.encode(encoding))
    return str(path)


def importer(path):
    out = io.StringIO()
    call_command("import_palmares", path, stdout=out)
    return out.getvalue()


def refus(path):
    with pytest.raises(CommandError) as error:
        importer(path)
    return str(error.value)


def historique():
    return sorted(
        Labellisation.objects.values_list("collectivite__nom", "annee", "niveau", "ten", "mentions")
    )


BON = (
    "annee;code;niveau;mentions;ten\n"
    "1999;47001;2;;\n"
    "2024;47001;@@@@@;Arobase verte|Démocratie locale;non\n"
    "2025;214700015;5;;oui\n"  # Agen again, by its SIREN
    "2025;200035459;4;Mention libre;0\n"
    "2025;1053;@@@;; \n"  # a spreadsheet dropped the INSEE code's leading zero
    "\n"
)


def test_import_loads_every_line(tmp_path, territoires):
    sortie = importer(fichier(tmp_path, BON))
    assert "5 labels ajoutés, 0 modifiés, 0 inchangés" in sortie
    assert historique() == [
        ("Agen", 1999, 2, False, ""),
        ("Agen", 2024, 5, False, "Arobase verte\nDémocratie locale"),
        ("Agen", 2025, 5, True, ""),
        ("Agglomération d'Agen", 2025, 4, False, "Mention libre"),
        ("Bourg-en-Bresse", 2025, 3, False, ""),
    ]


def test_import_accepts_a_comma_separator_and_a_bom(tmp_path, territoires):
    texte = "\ufeffannee,code,niveau,mentions,ten\n2023,47001,4,,1\n2024,01053,1,,\n"
    sortie = importer(fichier(tmp_path, texte))
    assert "2 labels ajoutés" in sortie
    assert historique() == [("Agen", 2023, 4, True, ""), ("Bourg-en-Bresse", 2024, 1, False, "")]


def test_import_accepts_the_header_with_a_bom_and_semicolons(tmp_path, territoires):
    path = fichier(tmp_path, BON, encoding="utf-8-sig")
    assert "5 labels ajoutés" in importer(path)


def test_import_run_twice_changes_nothing(tmp_path, territoires):
    path = fichier(tmp_path, BON)
    importer(path)
    avant = historique()
    sortie = importer(path)
    assert "0 labels ajoutés, 0 modifiés, 5 inchangés" in sortie
    assert historique() == avant


def test_import_updates_a_label_that_changed(tmp_path, territoires):
    importer(fichier(tmp_path, BON))
    corrige = BON.replace("2025;200035459;4;Mention libre;0", "2025;200035459;5;Mention libre;0")
    sortie = importer(fichier(tmp_path, corrige, nom="corrige.csv"))
    assert "0 labels ajoutés, 1 modifiés, 4 inchangés" in sortie
    assert Labellisation.objects.get(collectivite=territoires["agglo"]).niveau == 5


def test_import_reports_each_error_by_line_and_imports_nothing(tmp_path, territoires):
    derniere = timezone.localdate().year + 1
    texte = (
        "annee;code;niveau;mentions;ten\n"
        "2024;47001;3;;\n"  # line 2: good, but not imported either
        "2024;99999;3;;\n"  # 3: unknown code
        "2023;47001;0;;\n"  # 4: level 0
        "2022;47001;6;;\n"  # 5: level 6
        "2021;47001;trois;;\n"  # 6: not a level
        "1998;47001;3;;\n"  # 7: before the label existed
        f"{derniere + 1};47001;3;;\n"  # 8: too far ahead
        "2024;214700015;4;;\n"  # 9: Agen in 2024 again (line 2), by its SIREN
        "2020;47001;3;;peut-être\n"  # 10: bad TEN
        "2019;47001;3\n"  # 11: a column missing
    )
    message = refus(fichier(tmp_path, texte))
    assert "Rien n'a été importé" in message
    assert "ligne 2\u00a0:" not in message
    assert "ligne 3\u00a0: code «\u00a099999\u00a0» inconnu" in message
    assert "ligne 4\u00a0: niveau «\u00a00\u00a0» invalide" in message
    assert "ligne 5\u00a0: niveau «\u00a06\u00a0» invalide" in message
    assert "ligne 6\u00a0: niveau «\u00a0trois\u00a0» invalide" in message
    assert "ligne 7\u00a0: millésime «\u00a01998\u00a0» invalide" in message
    assert f"ligne 8\u00a0: millésime «\u00a0{derniere + 1}\u00a0» invalide" in message
    assert "ligne 9\u00a0: 214700015 a déjà une ligne pour 2024 (ligne 2)" in message
    assert "ligne 10\u00a0: TEN «\u00a0peut-être\u00a0» invalide" in message
    assert "ligne 11\u00a0: 3 colonnes au lieu de 5" in message
    assert not Labellisation.objects.exists()


def test_import_reports_several_problems_of_one_line_together(tmp_path, territoires):
    message = refus(fichier(tmp_path, "annee;code;niveau;mentions;ten\nxx;123456;@@@@@@;;\n"))
    assert "ligne 2\u00a0: millésime «\u00a0xx\u00a0» invalide" in message
    assert "code «\u00a0123456\u00a0» inconnu" in message
    assert "niveau «\u00a0@@@@@@\u00a0» invalide" in message


def test_import_refuses_a_bad_header(tmp_path, territoires):
    message = refus(fichier(tmp_path, "year;insee;level\n2024;47001;3\n"))
    assert (
        "ligne 1\u00a0: en-tête «\u00a0year;insee;level\u00a0» invalide, attendu "
        "«\u00a0annee;code;niveau;mentions;ten\u00a0», et si besoin «\u00a0population;communes\u00a0»."
        in message
    )
    assert not Labellisation.objects.exists()


def test_import_refuses_a_file_not_in_utf8(tmp_path, territoires):
    texte = "annee;code;niveau;mentions;ten\n2024;47001;3;Démocratie;\n"
    message = refus(fichier(tmp_path, texte, encoding="latin-1"))
    assert "UTF-8" in message
    assert not Labellisation.objects.exists()


def test_import_refuses_a_missing_file(tmp_path):
    assert "Impossible de lire" in refus(str(tmp_path / "absent.csv"))


def test_import_refuses_a_year_of_an_edition_kept_in_the_portal(tmp_path):
    CommuneFactory(code="47001", nom="Agen")
    EditionFactory(annee=2027)
    fichier = tmp_path / "palmares.csv"
    fichier.write_text("annee;code;niveau;mentions;ten\n2027;47001;3;;non\n", encoding="utf-8")
    with pytest.raises(CommandError, match="ligne 2\u00a0: le label 2027 est une édition du portail"):
        call_command("import_palmares", str(fichier), verbosity=0)
    assert not Labellisation.objects.exists()


def test_import_sets_the_current_level_from_the_latest_label(tmp_path):
    CommuneFactory(code="47001", nom="Agen")
    fichier = tmp_path / "palmares.csv"
    fichier.write_text("annee;code;niveau;mentions;ten\n2019;47001;2;;\n2021;47001;4;;\n", encoding="utf-8")
    call_command("import_palmares", str(fichier), verbosity=0)
    agen = Collectivite.objects.get(code="47001")
    assert (agen.niveau, agen.niveau_millesime) == (4, 2021)


def test_import_moves_the_atlaas_cache_on(tmp_path, territoires, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from atlaas import catalogue

    avant = cache.get_or_set(catalogue.VERSION, 1, None)
    with django_capture_on_commit_callbacks(execute=True):
        importer(fichier(tmp_path, BON))
    assert cache.get(catalogue.VERSION) != avant  # the « niveau » facet follows the new levels


def chiffres():
    return sorted(Labellisation.objects.values_list("collectivite__nom", "annee", "population", "communes"))


def test_import_reads_the_year_population_and_member_communes(tmp_path, territoires):
    texte = (
        "annee;code;niveau;mentions;ten;population;communes\n"
        "2018;47001;3;;;33 795;\n"  # spaces between thousands, as a spreadsheet writes them
        "2018;200035459;4;;;99\u202f500;31\n"
        "2018;01053;2;;;;\n"  # not known: left empty
    )
    assert "3 labels ajoutés" in importer(fichier(tmp_path, texte))
    assert chiffres() == [
        ("Agen", 2018, 33795, None),
        ("Agglomération d'Agen", 2018, 99500, 31),
        ("Bourg-en-Bresse", 2018, None, None),
    ]


def test_import_without_the_figures_columns_keeps_the_stored_figures(tmp_path, territoires):
    importer(fichier(tmp_path, "annee;code;niveau;population;communes\n2018;200035459;4;99500;31\n"))
    sortie = importer(fichier(tmp_path, "annee;code;niveau;mentions;ten\n2018;200035459;5;;\n", nom="b.csv"))
    assert "0 labels ajoutés, 1 modifiés" in sortie
    assert chiffres() == [("Agglomération d'Agen", 2018, 99500, 31)]
    sortie = importer(
        fichier(tmp_path, "annee;code;niveau;population;communes\n2018;200035459;5;;\n", nom="c.csv")
    )
    assert "0 labels ajoutés, 1 modifiés" in sortie  # an empty cell clears
    assert chiffres() == [("Agglomération d'Agen", 2018, None, None)]


def test_import_reports_wrong_figures_by_line(tmp_path, territoires):
    texte = (
        "annee;code;niveau;mentions;ten;population;communes\n"
        "2018;47001;3;;;environ 30000;\n"
        "2018;47001;3;;;30000;2\n"  # a commune has no member communes (and line 2 again)
        "2018;200035459;4;;;99500;0\n"
    )
    message = refus(fichier(tmp_path, texte))
    assert (
        "ligne 2\u00a0: population «\u00a0environ 30000\u00a0» invalide (un nombre d'habitants, ou vide)"
        in message
    )
    assert (
        "ligne 3\u00a0: communes «\u00a02\u00a0» pour une commune\u00a0: "
        "seul un territoire a des communes membres" in message
    )
    assert (
        "ligne 4\u00a0: communes «\u00a00\u00a0» invalide (le nombre de communes membres, ou vide)" in message
    )
    assert not Labellisation.objects.exists()


def test_import_complet_declares_each_year_of_the_file_complete(tmp_path, territoires):
    from label.models import HistoriqueComplet

    importer(fichier(tmp_path, BON))
    assert not HistoriqueComplet.objects.exists()  # a file is not the whole palmarès unless said so
    out = io.StringIO()
    call_command("import_palmares", fichier(tmp_path, BON), "--complet", stdout=out)
    assert "Palmarès complets déclarés\u00a0: 1999, 2024, 2025." in out.getvalue()
    assert list(HistoriqueComplet.objects.values_list("annee", flat=True)) == [1999, 2024, 2025]
    call_command("import_palmares", fichier(tmp_path, BON), "--complet", verbosity=0)  # again: no change
    assert HistoriqueComplet.objects.count() == 3


def test_import_names_the_line_where_an_unclosed_quote_opens(tmp_path, territoires):
    texte = (
        "annee;code;niveau;mentions;ten\n"
        "2024;47001;3;;\n"
        '2023;47001;4;"Arobase verte;\n'  # line 3: a quote opened, never closed
        "2022;47001;2;;\n"
        "2021;47001;1;;\n"
    )
    message = refus(fichier(tmp_path, texte))
    assert (
        "ligne 3\u00a0: un guillemet ouvert sur cette ligne n'est jamais refermé "
        "(la valeur s'étend jusqu'à la ligne 5)\u00a0: refermez-le ou retirez-le." in message
    )
    assert "ligne 4" not in message and "ligne 5\u00a0:" not in message
    assert not Labellisation.objects.exists()


def test_import_reads_a_header_with_accents_and_skips_comment_lines(tmp_path, territoires):
    texte = "# Palmarès 2024, saisi à la main\nAnnée;Code;Niveau;Mentions;TEN\n# Agen\n2024;47001;4;;\n"
    assert "1 labels ajoutés" in importer(fichier(tmp_path, texte))
    assert historique() == [("Agen", 2024, 4, False, "")]
