"""TEN eligibility over an imported label history: 5@ this year and six 5@ labels in total
(this year's included); a TEN stays valid three years (obtained in N-2: still valid in N)."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from jury import deliberation
from jury.models import Jury
from label.models import Candidature
from label.selectors import eligibilites_ten
from tests.factories import CandidatureFactory, CommuneFactory, EditionFactory, JureFactory
from tests.jury import connecter

pytestmark = pytest.mark.django_db

ANNEE = 2027


def importer(tmp_path, lignes):
    path = tmp_path / "palmares.csv"
    path.write_text("annee;code;niveau;mentions;ten\n" + "\n".join(lignes) + "\n", encoding="utf-8")
    call_command("import_palmares", str(path), stdout=io.StringIO())


@pytest.fixture
def communes():
    return {
        nom: CommuneFactory(code=code, nom=nom)
        for nom, code in [
            ("Agen", "47001"),
            ("Nérac", "47195"),
            ("Marmande", "47157"),
            ("Villeneuve", "47323"),
        ]
    }


@pytest.fixture
def eligibilites(tmp_path, communes):
    importer(
        tmp_path,
        [
            # Agen: five 5@ before 2027 (and a 4@ in between).
            *[f"{annee};47001;5;;" for annee in (2019, 2020, 2021, 2023, 2024)],
            "2022;47001;4;;",
            # Nérac: four 5@ only, a TEN in 2024 (N-3: over).
            *[f"{annee};47195;5;;" for annee in (2021, 2022, 2023)],
            "2024;47195;5;;oui",
            # Marmande: a TEN in 2025 (N-2: still valid in 2027).
            "2025;47157;5;;oui",
            # Villeneuve: five 5@ but one of them is this year's, which does not count as history.
            *[f"{annee};47323;5;;" for annee in (2024, 2025, 2026, 2027)],
            "2010;47323;5;;",
        ],
    )
    return eligibilites_ten([c.pk for c in communes.values()], ANNEE)


def test_ten_five_past_5_and_5_this_year_is_eligible(eligibilites, communes):
    agen = eligibilites[communes["Agen"].pk]
    assert agen.labels_5 == 5
    assert agen.eligible(5)
    assert not agen.eligible(4)  # 5@ this year is required


def test_ten_four_past_5_is_not_eligible(eligibilites, communes):
    nerac = eligibilites[communes["Nérac"].pk]
    assert nerac.labels_5 == 4
    assert not nerac.eligible(5)


def test_ten_of_n_minus_2_is_still_valid_and_n_minus_3_is_not(eligibilites, communes):
    assert eligibilites[communes["Marmande"].pk].ten_valide_jusqu_a == ANNEE
    assert eligibilites[communes["Nérac"].pk].ten_valide_jusqu_a is None


def test_ten_only_labels_before_this_year_count(eligibilites, communes):
    villeneuve = eligibilites[communes["Villeneuve"].pk]
    assert villeneuve.labels_5 == 4
    assert not villeneuve.eligible(5)


def test_ten_a_collectivite_without_history_is_not_eligible(communes):
    nouvelle = CommuneFactory(code="47999")
    eligibilite = eligibilites_ten([nouvelle.pk], ANNEE)[nouvelle.pk]
    assert (eligibilite.labels_5, eligibilite.ten_valide_jusqu_a) == (0, None)


def test_ten_eligibility_is_shown_on_the_deliberation_pages(client, tmp_path, eligibilites, communes):
    edition = EditionFactory(annee=ANNEE)
    president = JureFactory(edition=edition, president=True)
    Jury.objects.create(edition=edition, phase=Jury.Phase.DELIBERATION)
    agen, nerac, _marmande = (
        CandidatureFactory(edition=edition, collectivite=communes[nom], state=Candidature.State.DEPOSEE)
        for nom in ("Agen", "Nérac", "Marmande")
    )
    connecter(client, president.user)
    page = client.get(reverse("jury:deliberation", args=[ANNEE])).content.decode()
    assert "éligible (6e 5@)" in page
    assert "TEN valable jusqu&#x27;en 2027" in page
    page = client.get(reverse("jury:decider", args=[ANNEE, agen.pk])).content.decode()
    assert "Éligible avec 5@ : ce serait son 6e label 5@." in page
    page = client.get(reverse("jury:decider", args=[ANNEE, nerac.pk])).content.decode()
    assert "Non éligible : 4 labels 5@ avant cette année" in page

    # Decided 4@, Agen is no longer shown as eligible; the TEN stays the jury's decision.
    deliberation.decider(Jury.objects.get(), agen, president.user, niveau=4)
    page = client.get(reverse("jury:deliberation", args=[ANNEE])).content.decode()
    assert "éligible (6e 5@)" not in page
