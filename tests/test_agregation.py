"""The aggregation of the jury's scores, checked against figures computed by hand.

A juror's score on a dossier is the weighted mean of their criterion scores, each taken as a
share of its scale, on 0–100. Per dossier: mean, median, spread (highest minus lowest) and the
calibrated score with its interval (the fit itself is tested in test_calibrage.py).
"""

import pytest

from jury.agregation import score, synthese
from jury.models import Critere, Evaluation, Jury, Note
from label.models import Candidature, Mention
from tests.factories import CandidatureFactory, CritereFactory, EditionFactory, EvaluationFactory, JureFactory

pytestmark = pytest.mark.django_db

SOUMISE = Evaluation.State.SOUMISE


@pytest.fixture
def edition():
    return EditionFactory()


@pytest.fixture
def jury(edition):
    return Jury.objects.get_or_create(edition=edition)[0]


def dossier(edition, nom=None):
    extra = {"collectivite__nom": nom} if nom else {}
    return CandidatureFactory(edition=edition, state=Candidature.State.DEPOSEE, **extra)


def evaluer(jure, candidature, scores, *, niveau=None, state=SOUMISE, mentions=()):
    """An evaluation of ``candidature`` by ``jure`` with {critere: score}."""
    evaluation = EvaluationFactory(jure=jure, candidature=candidature, state=state, niveau_propose=niveau)
    Note.objects.bulk_create([Note(evaluation=evaluation, critere=c, score=v) for c, v in scores.items()])
    evaluation.mentions_proposees.set(mentions)
    return evaluation


def par_nom(syntheses):
    return {s.candidature.collectivite.nom: s for s in syntheses}


def test_score_weights_each_criterion_as_a_share_of_its_scale():
    # Weight 2 on a scale of 5, weight 1 on a scale of 10:
    # 4/5 = 0.8 and 5/10 = 0.5 → 100 × (2 × 0.8 + 1 × 0.5) / 3 = 100 × 2.1 / 3 = 70.
    a = Critere(pk=1, poids=2, echelle=5)
    b = Critere(pk=2, poids=1, echelle=10)
    assert score({1: 4, 2: 5}, [a, b]) == pytest.approx(70.0)
    # 5/5 = 1 and 4/10 = 0.4 → 100 × (2 + 0.4) / 3 = 80.
    assert score({1: 5, 2: 4}, [a, b]) == pytest.approx(80.0)
    # A criterion left blank: no score at all.
    assert score({1: 5, 2: None}, [a, b]) is None
    assert score({1: 5}, [a, b]) is None


def test_synthese_mean_and_median_of_weighted_scores(edition, jury):
    a = CritereFactory(edition=edition, poids=2, echelle=5)
    b = CritereFactory(edition=edition, poids=1, echelle=10)
    candidature = dossier(edition)
    evaluer(JureFactory(edition=edition), candidature, {a: 4, b: 5})  # 70 (above)
    evaluer(JureFactory(edition=edition), candidature, {a: 5, b: 4})  # 80 (above)

    [item] = synthese(jury, [candidature])

    assert sorted(avis.score for avis in item.avis) == pytest.approx([70.0, 80.0])
    assert item.moyenne == pytest.approx(75.0)  # (70 + 80) / 2
    assert item.mediane == pytest.approx(75.0)  # the mean of the two middle values
    assert item.ecart == pytest.approx(10.0)  # 80 − 70
    assert item.soumises == item.affectees == 2
    assert not item.desaccord


def test_synthese_median_of_three_jurors(edition, jury):
    # One criterion on a scale of 20: 8 → 40, 11 → 55, 18 → 90.
    critere = CritereFactory(edition=edition, echelle=20)
    candidature = dossier(edition)
    for value in (8, 18, 11):
        evaluer(JureFactory(edition=edition), candidature, {critere: value})
    jury.ecart_max = 60
    jury.save()

    [item] = synthese(jury, [candidature])

    assert item.mediane == pytest.approx(55.0)  # the middle one of 40, 55, 90
    assert item.moyenne == pytest.approx(185 / 3)  # (40 + 55 + 90) / 3 = 61.67
    assert item.ecart == pytest.approx(50.0)  # 90 − 40


def test_synthese_cannot_tell_severity_apart_without_shared_dossiers(edition, jury):
    # One criterion on a scale of 100 (score = points). The severe juror scores A 60 and B 40,
    # the generous one C 90 and D 70: they share no dossier, so nothing measures one against
    # the other (the old z-scores made A = C and B = D): calibrated = raw.
    critere = CritereFactory(edition=edition, echelle=100)
    jury.ecart_max = 100
    jury.save()
    severe, genereux = JureFactory(edition=edition), JureFactory(edition=edition)
    a, b, c, d = (dossier(edition, nom) for nom in "ABCD")
    evaluer(severe, a, {critere: 60})
    evaluer(severe, b, {critere: 40})
    evaluer(genereux, c, {critere: 90})
    evaluer(genereux, d, {critere: 70})

    items = par_nom(synthese(jury, [a, b, c, d]))

    assert [items[nom].calibree for nom in "ABCD"] == pytest.approx([60.0, 40.0, 90.0, 70.0])
    assert [avis.biais for avis in items["A"].avis] == [0.0]


def test_synthese_calibrated_score_takes_out_the_severity_measured_on_a_shared_dossier(edition, jury):
    # Juror 1: X 80, Y 60. Juror 2: X 50, Z 30. They share X (mean 65): juror 1 is 15 above,
    # juror 2 15 below. X counts ½ for each bias, so with the penalty of 2 (two evaluations'
    # worth): (½ + 2) b + ½ b = 15 → b = +5 for juror 1, −5 for juror 2 (without the penalty it
    # would be ±15). Y = 60 − 5 = 55, Z = 30 + 5 = 35, X = (80 − 5 + 50 + 5) / 2 = 65.
    # σ: residuals ±10 on X, 200 in all; 4 scores − 3 dossiers − 1 bias = 0 degrees of freedom,
    # so σ is the prior's: √((200 + 5 × 10²) / 5) = 11.83. Y, one review: ± 1.96 σ = ± 23.19;
    # X, two: ± 1.96 σ / √2 = ± 16.40.
    critere = CritereFactory(edition=edition, echelle=100)
    jury.ecart_max = 100
    jury.save()
    un, deux = JureFactory(edition=edition), JureFactory(edition=edition)
    x, y, z = (dossier(edition, nom) for nom in "XYZ")
    evaluer(un, x, {critere: 80})
    evaluer(un, y, {critere: 60})
    evaluer(deux, x, {critere: 50})
    evaluer(deux, z, {critere: 30})

    items = par_nom(synthese(jury, [x, y, z]))

    assert items["X"].moyenne == pytest.approx(65.0)  # the raw mean, beside it
    assert items["X"].calibree == pytest.approx(65.0)
    assert items["Y"].calibree == pytest.approx(55.0)
    assert items["Z"].calibree == pytest.approx(35.0)
    assert sorted(avis.biais for avis in items["X"].avis) == pytest.approx([-5.0, 5.0])
    assert items["Y"].intervalle == pytest.approx((55 - 23.19, 55 + 23.19), abs=0.01)
    assert items["X"].intervalle == pytest.approx((65 - 16.40, 65 + 16.40), abs=0.01)


def test_synthese_flags_levels_two_arobases_apart(edition, jury):
    critere = CritereFactory(edition=edition, echelle=10)
    ecartes, voisins = dossier(edition, "Écartés"), dossier(edition, "Voisins")
    un, deux = JureFactory(edition=edition), JureFactory(edition=edition)
    evaluer(un, ecartes, {critere: 6}, niveau=2)
    evaluer(deux, ecartes, {critere: 7}, niveau=4)  # 4 − 2 = 2: flagged
    evaluer(un, voisins, {critere: 6}, niveau=3)
    evaluer(deux, voisins, {critere: 7}, niveau=4)  # 4 − 3 = 1: not flagged

    items = par_nom(synthese(jury, [ecartes, voisins]))

    assert sorted(items["Écartés"].niveaux) == [2, 4]
    assert items["Écartés"].desaccords == ["niveaux proposés éloignés de deux arobases ou plus"]
    assert sorted(items["Voisins"].niveaux) == [3, 4]
    assert not items["Voisins"].desaccord


def test_synthese_flags_a_spread_above_the_jury_setting(edition, jury):
    # Scale of 20: 10 → 50, 15 → 75 (spread 25); 10 → 50, 14 → 70 (spread 20).
    critere = CritereFactory(edition=edition, echelle=20)
    jury.ecart_max = 20
    jury.save()
    large, juste = dossier(edition, "Large"), dossier(edition, "Juste")
    un, deux = JureFactory(edition=edition), JureFactory(edition=edition)
    evaluer(un, large, {critere: 10})
    evaluer(deux, large, {critere: 15})
    evaluer(un, juste, {critere: 10})
    evaluer(deux, juste, {critere: 14})

    items = par_nom(synthese(jury, [large, juste]))

    assert items["Large"].ecart == pytest.approx(25.0)
    assert items["Large"].desaccords == ["écart de 25 points entre les notes"]
    assert items["Juste"].ecart == pytest.approx(20.0)
    assert not items["Juste"].desaccord  # equal to the setting is not « above »


def test_synthese_spread_equal_to_the_setting_is_not_flagged_despite_float_rounding(edition, jury):
    # Scale of 20: 11 → 55, 6 → 30; the spread is exactly 25 points, the setting is 25.
    critere = CritereFactory(edition=edition, echelle=20)
    jury.ecart_max = 25
    jury.save()
    candidature = dossier(edition)
    evaluer(JureFactory(edition=edition), candidature, {critere: 11})
    evaluer(JureFactory(edition=edition), candidature, {critere: 6})

    [item] = synthese(jury, [candidature])

    assert item.ecart == pytest.approx(25.0)
    assert not item.desaccord


def test_synthese_ignores_unsubmitted_evaluations(edition, jury):
    critere = CritereFactory(edition=edition, echelle=10)
    candidature = dossier(edition)
    evaluer(JureFactory(edition=edition), candidature, {critere: 8})  # 80
    evaluer(
        JureFactory(edition=edition), candidature, {critere: 0}, niveau=1, state=Evaluation.State.BROUILLON
    )
    evaluer(JureFactory(edition=edition), candidature, {}, state=Evaluation.State.A_FAIRE)

    [item] = synthese(jury, [candidature])

    assert item.affectees == 3
    assert item.soumises == 1
    assert item.moyenne == item.mediane == pytest.approx(80.0)
    assert item.ecart == 0
    assert item.niveaux == []  # the draft's proposed level does not count either


def test_synthese_ignores_a_submission_missing_a_criterion_added_later(edition, jury):
    premier = CritereFactory(edition=edition, echelle=10)
    candidature = dossier(edition)
    evaluer(JureFactory(edition=edition), candidature, {premier: 5})
    evaluer(JureFactory(edition=edition), candidature, {premier: 9})
    ajoute = CritereFactory(edition=edition, echelle=10)
    evaluer(JureFactory(edition=edition), candidature, {premier: 7, ajoute: 7})

    [item] = synthese(jury, [candidature])

    assert item.soumises == 1
    assert item.moyenne == pytest.approx(70.0)


def test_synthese_counts_proposed_mentions(edition, jury):
    critere = CritereFactory(edition=edition, echelle=10)
    verte = Mention.objects.create(edition=edition, nom="Arobase verte")
    mediation = Mention.objects.create(edition=edition, nom="Médiation numérique")
    candidature = dossier(edition)
    evaluer(JureFactory(edition=edition), candidature, {critere: 7}, mentions=[verte, mediation])
    evaluer(JureFactory(edition=edition), candidature, {critere: 7}, mentions=[verte])

    [item] = synthese(jury, [candidature])

    assert item.mentions == {"Arobase verte": 2, "Médiation numérique": 1}


def test_synthese_without_submission_has_no_figures(edition, jury):
    CritereFactory(edition=edition)
    candidature = dossier(edition)
    EvaluationFactory(jure=JureFactory(edition=edition), candidature=candidature)

    [item] = synthese(jury, [candidature])

    assert item.affectees == 1
    assert item.moyenne is item.mediane is item.calibree is item.intervalle is item.ecart is None
    assert not item.desaccord


def test_synthese_query_count_does_not_grow_with_dossiers(edition, jury, django_assert_num_queries):
    critere = CritereFactory(edition=edition, echelle=10)
    jures = JureFactory.create_batch(3, edition=edition)
    candidatures = [dossier(edition) for _ in range(10)]
    for candidature in candidatures:
        for i, jure in enumerate(jures):
            evaluer(jure, candidature, {critere: 4 + i})

    with django_assert_num_queries(4):  # criteria, evaluations, their mentions, their notes
        items = synthese(jury, candidatures)
    assert len(items) == 10
