"""TEN eligibility over an imported label history (``label.selectors.EligibiliteTen``).

The association awards « Territoire d'excellence numérique » to a collectivité at 5@ this year
« après avoir obtenu six fois une labellisation de 5@ »: six 5@ in earlier years, consecutive or
not, this year's being the seventh; from 2021, when it was created; valid three years (awarded
2022 → valid 2022–2024), so a holder is not awarded it again before the fourth year.
"""

import html
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from jury import deliberation
from jury.models import Jury
from label.models import Candidature
from label.selectors import EligibiliteTen, eligibilites_ten
from tests.factories import (
    CandidatureFactory,
    CommuneFactory,
    DepartementFactory,
    EditionFactory,
    JureFactory,
    RegionFactory,
)
from tests.jury import connecter

pytestmark = pytest.mark.django_db


def importer(tmp_path, lignes):
    path = tmp_path / "palmares.csv"
    path.write_text("annee;code;niveau;mentions;ten\n" + "\n".join(lignes) + "\n", encoding="utf-8")
    call_command("import_palmares", str(path), stdout=io.StringIO())


def cinq(code, annees, ten=()):
    """History lines: 5@ each year of ``annees``, with the TEN the years of ``ten``."""
    return [f"{annee};{code};5;;{'oui' if annee in ten else ''}" for annee in annees]


@pytest.fixture
def communes(tmp_path):
    calvados = DepartementFactory(code="14", nom="Calvados", region=RegionFactory(code="28", nom="Normandie"))
    seine_et_marne = DepartementFactory(
        code="77", nom="Seine-et-Marne", region=RegionFactory(code="11", nom="Île-de-France")
    )
    communes = {
        "Fleury-sur-Orne": CommuneFactory(code="14271", nom="Fleury-sur-Orne", departement=calvados),
        "Trilport": CommuneFactory(code="77475", nom="Trilport", departement=seine_et_marne),
        **{
            nom: CommuneFactory(code=code, nom=nom)
            for nom, code in [("Agen", "47001"), ("Nérac", "47195"), ("Marmande", "47157")]
        },
    }
    importer(
        tmp_path,
        [
            # Real histories: Fleury-sur-Orne 5@ 2016–2021, then 5@ and the TEN in 2022;
            # Trilport 5@ 2019–2024, then 5@ and the TEN in 2025.
            *cinq("14271", range(2016, 2023), ten={2022}),
            *cinq("77475", range(2019, 2026), ten={2025}),
            # Agen: 5@ every year since 2014, the TEN in 2021.
            *cinq("47001", range(2014, 2022), ten={2021}),
            # Nérac: six 5@ with gaps (4@ in 2014 and 2017).
            *cinq("47195", [2012, 2013, 2015, 2016, 2018, 2019]),
            "2014;47195;4;;",
            "2017;47195;4;;",
            # Marmande: 5@ since 2010, the TEN before 2021 would not have existed.
            *cinq("47157", range(2010, 2020)),
        ],
    )
    return communes


def page(client, url):
    return html.unescape(client.get(url).content.decode())


def eligibilite(commune, annee):
    return eligibilites_ten([commune.pk], annee)[commune.pk]


def test_ten_fleury_sur_orne_is_eligible_in_2022_not_in_2021(communes):
    fleury = communes["Fleury-sur-Orne"]
    en_2021 = eligibilite(fleury, 2021)
    assert en_2021.labels_5 == 5  # 2016–2020: its 5@ of 2021 would have been the sixth
    assert not en_2021.eligible(5)
    en_2022 = eligibilite(fleury, 2022)
    assert en_2022.labels_5 == 6  # 2016–2021: its 5@ of 2022 is the seventh
    assert en_2022.eligible(5)
    assert not en_2022.eligible(4)  # 5@ this year is required


def test_ten_trilport_is_eligible_in_2025_not_in_2024(communes):
    trilport = communes["Trilport"]
    assert (eligibilite(trilport, 2024).labels_5, eligibilite(trilport, 2024).eligible(5)) == (5, False)
    assert (eligibilite(trilport, 2025).labels_5, eligibilite(trilport, 2025).eligible(5)) == (6, True)


def test_ten_holder_is_not_eligible_while_its_ten_is_valid_and_is_after(communes):
    fleury = communes["Fleury-sur-Orne"]
    # TEN 2022: valid 2022–2024. Still 5@ in 2023 and 2024, it is not awarded again.
    for annee in (2023, 2024):
        assert eligibilite(fleury, annee).ten_valide_jusqu_a == 2024
        assert not eligibilite(fleury, annee).eligible(5)
    # 2025: the TEN is over; with its 5@ of 2016–2022 (seven), a 5@ in 2025 makes it eligible.
    en_2025 = eligibilite(fleury, 2025)
    assert (en_2025.labels_5, en_2025.ten_valide_jusqu_a) == (7, None)
    assert en_2025.eligible(5)


def test_ten_agen_is_not_eligible_in_2022_while_its_2021_ten_runs_to_2023(communes):
    agen = communes["Agen"]
    en_2022 = eligibilite(agen, 2022)
    assert en_2022.labels_5 == 8
    assert (en_2022.dernier_ten, en_2022.ten_valide_jusqu_a) == (2021, 2023)
    assert not en_2022.eligible(5)
    assert not eligibilite(agen, 2023).eligible(5)
    assert eligibilite(agen, 2024).eligible(5)


def test_ten_six_5_need_not_be_consecutive(communes):
    nerac = eligibilite(communes["Nérac"], 2021)
    assert nerac.labels_5 == 6
    assert nerac.eligible(5)


def test_ten_is_awarded_from_2021(communes):
    marmande = communes["Marmande"]
    assert eligibilite(marmande, 2020).labels_5 == 10
    assert not eligibilite(marmande, 2020).eligible(5)
    assert eligibilite(marmande, 2021).eligible(5)


def test_ten_a_collectivite_without_history_is_not_eligible(communes):
    nouvelle = eligibilite(CommuneFactory(code="47999"), 2027)
    assert (nouvelle.labels_5, nouvelle.ten_valide_jusqu_a, nouvelle.eligible(5)) == (0, None, False)


def test_ten_rule_reads_the_same_in_memory_and_from_the_history(communes):
    """The demo's history applies the rule to years it has not saved yet."""
    for nom, annee in [
        ("Fleury-sur-Orne", 2021),
        ("Fleury-sur-Orne", 2022),
        ("Agen", 2022),
        ("Trilport", 2025),
    ]:
        lue = eligibilite(communes[nom], annee)
        assert EligibiliteTen(annee, labels_5=lue.labels_5, dernier_ten=lue.dernier_ten) == lue


def test_ten_eligibility_is_shown_on_the_deliberation_pages(client, communes):
    edition = EditionFactory(annee=2022, numero=23)
    president = JureFactory(edition=edition, president=True)
    Jury.objects.create(edition=edition, phase=Jury.Phase.DELIBERATION)
    fleury, agen, trilport = (
        CandidatureFactory(edition=edition, collectivite=communes[nom], state=Candidature.State.DEPOSEE)
        for nom in ("Fleury-sur-Orne", "Agen", "Trilport")
    )
    connecter(client, president.user)
    contenu = page(client, reverse("jury:deliberation", args=[2022]))
    assert contenu.count("éligible (7e 5@)") == 1  # Fleury-sur-Orne, not Agen
    assert "TEN valable jusqu'en 2023" in contenu  # Agen's
    contenu = page(client, reverse("jury:decider", args=[2022, fleury.pk]))
    assert "Éligible avec 5@\u00a0: ce serait son 7e label 5@." in contenu
    contenu = page(client, reverse("jury:decider", args=[2022, agen.pk]))
    assert (
        "Non éligible\u00a0: sa TEN de 2021 est valable jusqu'en 2023\u202f; elle peut lui être décernée "
        "de nouveau à partir de 2024."
    ) in contenu
    contenu = page(client, reverse("jury:decider", args=[2022, trilport.pk]))
    assert (
        "Non éligible\u00a0: 3 labels 5@ les années précédentes\u202f; il en faut 6, consécutifs ou non"
        in contenu
    )

    # Decided 4@, Fleury-sur-Orne is no longer shown as eligible; the TEN stays the jury's decision.
    deliberation.decider(Jury.objects.get(), fleury, president.user, niveau=4)
    contenu = page(client, reverse("jury:deliberation", args=[2022]))
    assert "éligible (7e 5@)" not in contenu
