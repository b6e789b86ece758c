"""The calibrated scores (``jury.calibrage``): score = quality(dossier) + bias(juror) + noise,
fitted by least squares with a ridge on the biases. Pure Python: no database.

The designs of the properties are *connected*: every juror shares dossiers, directly or through
other jurors, with every other one (a chain of shared dossiers is built first, then random ones
are added). Otherwise nothing measures one group of jurors against another, and each group's
biases are centred on their own.

About "adding a constant to one juror's scores changes no calibrated score": the calibrated
scores stay on the raw scale (adding a constant to every score adds it to every calibrated
score), so they cannot also ignore a constant added to each juror's scores in turn: the sum of
these shifts is a shift of every score. What holds, without shrinkage, is that the juror's bias
takes all of it and, the biases being centred, every calibrated score moves by the same
constant / J (J jurors): no gap between two dossiers moves, nor the ranking.
"""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jury.calibrage import DDL_A_PRIORI, PENALITE, SIGMA_A_PRIORI, Z, calibrer, intervalle

TOLERANCE = 1e-6
notes = st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False)


@st.composite
def plans_connexes(draw, min_jures=2, max_jures=6):
    """{(juror, dossier): score} where every juror is linked to every other by shared dossiers."""
    n_jures = draw(st.integers(min_jures, max_jures))
    jures = list(range(n_jures))
    dossiers = []
    for j in range(n_jures - 1):  # the chain: dossier j shared by jurors j and j + 1
        dossiers.append([j, j + 1])
    for _ in range(draw(st.integers(0, 10))):
        dossiers.append(draw(st.lists(st.sampled_from(jures), min_size=1, max_size=n_jures, unique=True)))
    return {(j, d): draw(notes) for d, membres in enumerate(dossiers) for j in membres}


def brut(scores):
    """{dossier: raw mean}."""
    par_dossier = {}
    for (_j, d), valeur in scores.items():
        par_dossier.setdefault(d, []).append(valeur)
    return {d: sum(v) / len(v) for d, v in par_dossier.items()}


def decaler(scores, jure, constante):
    return {(j, d): v + constante if j == jure else v for (j, d), v in scores.items()}


def ordre(valeurs):
    return sorted(valeurs, key=lambda d: (-round(valeurs[d], 6), str(d)))


# --- Properties -----------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(plans_connexes(), st.data(), st.floats(min_value=-40, max_value=40))
def test_without_shrinkage_a_constant_added_to_one_juror_moves_no_gap_between_dossiers(
    scores, data, constante
):
    jures = sorted({j for j, _d in scores})
    jure = data.draw(st.sampled_from(jures))
    avant = calibrer(scores, penalite=0)
    apres = calibrer(decaler(scores, jure, constante), penalite=0)

    part = constante * (1 - 1 / len(jures))
    assert apres.biais[jure] - avant.biais[jure] == pytest.approx(part, abs=TOLERANCE)
    for d, qualite in avant.qualite.items():
        assert apres.qualite[d] - qualite == pytest.approx(constante / len(jures), abs=TOLERANCE)


@st.composite
def sonde(draw):
    """A connected design where juror 0 also scores a dossier alone (the probe, ``"sonde"``),
    and the same design where juror 0 also reviews ``k`` more of the shared dossiers."""
    scores = draw(plans_connexes(min_jures=3))
    scores[(0, "sonde")] = draw(notes)
    sans_juge_0 = sorted({d for (_j, d) in scores if d != "sonde"} - {d for (j, d) in scores if j == 0})
    ajoutes = draw(st.lists(st.sampled_from(sans_juge_0), unique=True, min_size=1)) if sans_juge_0 else []
    plus = dict(scores)
    for d in ajoutes:
        plus[(0, d)] = draw(notes)
    return scores, plus


@settings(max_examples=200, deadline=None)
@given(sonde(), st.floats(min_value=0.5, max_value=40))
def test_with_shrinkage_a_constant_added_to_one_juror_moves_scores_by_less_and_less(plans, constante):
    scores, plus = plans
    for plan in (scores, plus):
        avant = calibrer(plan)
        apres = calibrer(decaler(plan, 0, constante))
        for d, qualite in avant.qualite.items():
            assert -TOLERANCE <= apres.qualite[d] - qualite <= constante + TOLERANCE  # bounded
    # The dossier juror 0 scored alone takes the part of the constant their bias does not: less
    # and less as juror 0 shares more dossiers with the others.
    seul = calibrer(decaler(scores, 0, constante)).qualite["sonde"] - calibrer(scores).qualite["sonde"]
    partage = calibrer(decaler(plus, 0, constante)).qualite["sonde"] - calibrer(plus).qualite["sonde"]
    assert 0 < partage <= seul + TOLERANCE
    assert seul < constante


def test_with_shrinkage_the_part_left_to_a_jurors_lone_dossier_shrinks_with_their_evaluations():
    # Juror 0 shares n dossiers with juror 1 and scores the probe alone; juror 0 then scores
    # everything 10 points higher. L = n/2 [[1, −1], [−1, 1]] (a dossier of two reviews counts ½
    # for each bias), so juror 0's bias takes 10 × (n/2) / (n + 2) of it (λ = 2) and the probe
    # the rest: 10 − 5n / (n + 2), from 8.3 toward 5, the share of the constant every dossier
    # gets once the biases are centred (10 / 2 jurors).
    deplacements = []
    for n in (1, 2, 5, 10, 40, 400):
        scores = {(0, "sonde"): 70.0}
        for d in range(n):
            scores[(0, d)] = 50.0 + d % 7
            scores[(1, d)] = 55.0 + d % 5
        bouge = calibrer(decaler(scores, 0, 10)).qualite["sonde"] - calibrer(scores).qualite["sonde"]
        assert bouge == pytest.approx(10 - 5 * n / (n + 2))
        deplacements.append(bouge)
    assert deplacements == sorted(deplacements, reverse=True)
    assert deplacements[-1] - 5 < 0.05


@settings(max_examples=200, deadline=None)
@given(plans_connexes(), st.floats(min_value=0.1, max_value=10), st.sampled_from([0, PENALITE, 10]))
def test_multiplying_every_score_multiplies_the_calibrated_scores(scores, facteur, penalite):
    avant = calibrer(scores, penalite=penalite)
    apres = calibrer({k: v * facteur for k, v in scores.items()}, penalite=penalite)
    for d, qualite in avant.qualite.items():
        assert apres.qualite[d] == pytest.approx(qualite * facteur, abs=TOLERANCE * facteur)


@settings(max_examples=100, deadline=None)
@given(plans_connexes(), st.floats(min_value=-50, max_value=50))
def test_adding_a_constant_to_every_score_adds_it_to_the_calibrated_scores(scores, constante):
    avant = calibrer(scores)
    apres = calibrer({k: v + constante for k, v in scores.items()})
    for d, qualite in avant.qualite.items():
        assert apres.qualite[d] == pytest.approx(qualite + constante, abs=TOLERANCE)


@settings(max_examples=100, deadline=None)
@given(st.lists(notes, min_size=1, max_size=30), st.sampled_from([0, PENALITE]))
def test_with_one_juror_the_calibrated_order_is_the_raw_order(valeurs, penalite):
    scores = {("seul", d): v for d, v in enumerate(valeurs)}
    fit = calibrer(scores, penalite=penalite)
    assert fit.qualite == pytest.approx(brut(scores))
    assert ordre(fit.qualite) == ordre(brut(scores))
    assert fit.biais == {"seul": 0.0}


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6), st.integers(1, 15), st.data(), st.sampled_from([0, PENALITE]))
def test_when_every_juror_scores_every_dossier_the_calibrated_order_is_the_raw_means(
    n_jures, n_dossiers, data, penalite
):
    scores = {(j, d): data.draw(notes) for j in range(n_jures) for d in range(n_dossiers)}
    fit = calibrer(scores, penalite=penalite)
    moyennes = brut(scores)
    for d, moyenne in moyennes.items():
        assert fit.qualite[d] == pytest.approx(moyenne, abs=TOLERANCE)
    assert ordre(fit.qualite) == ordre(moyennes)
    assert sum(fit.biais.values()) == pytest.approx(0, abs=TOLERANCE)


# --- The uncertainty ------------------------------------------------------------------------------


def test_sigma_is_the_prior_without_degrees_of_freedom_and_the_fits_with_many():
    # One juror: no residual, no degree of freedom: σ is the prior's 10 points.
    assert calibrer({(0, d): 50.0 + d for d in range(5)}).sigma == pytest.approx(SIGMA_A_PRIORI)
    # Two jurors on 200 dossiers, juror 0 at 5 ± 3 above the dossier's mean, juror 1 as far
    # below: juror 0's gaps sum to 1,000, L = 100 [[1, −1], [−1, 1]], so (100 + 2) b + 100 b =
    # 1,000 → b = 4.95; each score's residual is ±(5 ± 3 − b). 400 scores − 200 dossiers − 1
    # bias = 199 degrees of freedom, pooled with the prior's 5.
    scores = {}
    for d in range(200):
        ecart = 3 if d % 2 else -3
        scores[(0, d)] = 50 + d % 30 + 5 + ecart
        scores[(1, d)] = 50 + d % 30 - 5 - ecart
    fit = calibrer(scores)
    b = 1000 / 202
    assert fit.biais[0] == pytest.approx(b)
    residus = 200 * ((8 - b) ** 2 + (2 - b) ** 2)
    attendu = math.sqrt((residus + DDL_A_PRIORI * SIGMA_A_PRIORI**2) / (199 + DDL_A_PRIORI))
    assert fit.sigma == pytest.approx(attendu)
    assert 4 < fit.sigma < 5  # the fit's, the prior weighs little


def test_interval_narrows_with_the_square_root_of_the_reviews():
    assert intervalle(60, 1, 10) == pytest.approx((60 - Z * 10, 60 + Z * 10))
    un, trois = intervalle(60, 1, 10), intervalle(60, 3, 10)
    assert (un[1] - un[0]) / (trois[1] - trois[0]) == pytest.approx(math.sqrt(3))


def test_a_negative_penalty_is_refused():
    with pytest.raises(ValueError):
        calibrer({(0, 0): 50.0}, penalite=-1)


# --- The demo's failure case ----------------------------------------------------------------------


def session_demo():
    """18 jurors, 160 dossiers with two or three reviews each, plus the demo's traps: a generous
    juror and a severe one whose scores are all alike, each the only review of one dossier (its
    second review assigned but not submitted)."""
    rng = random.Random(27)
    qualites = {d: rng.uniform(30, 85) for d in range(160)}
    severites = {j: rng.uniform(-12, 12) for j in range(18)}
    scores = {}
    for d, qualite in qualites.items():
        for j in rng.sample(range(18), 2 + d % 2):
            scores[(j, d)] = round(min(100, max(0, qualite + severites[j] + rng.gauss(0, 6))), 1)
    # The generous juror: 25 points above the truth on eight of these dossiers.
    for d in range(8):
        scores[("genereux", d)] = min(100.0, round(qualites[d] + 25, 1))
    scores[("genereux", "seul-genereux")] = 96.0
    # The severe juror: 56, 55, 57 on three dossiers jurors 0 and 1 score about 80 (a tiny
    # spread: the old z-scores made 56 one of their top scores).
    for d, valeur in enumerate((56.0, 55.0, 57.0)):
        for j in (0, 1):
            scores[(j, f"piege-{d}")] = round(80 + severites[j], 1)
        scores[("severe", f"piege-{d}")] = valeur
    scores[("severe", "seul-severe")] = 56.0
    return scores


def test_a_lone_review_from_a_generous_juror_does_not_jump_to_the_top():
    scores = session_demo()
    fit = calibrer(scores)
    assert ordre(brut(scores)).index("seul-genereux") <= 1  # the raw mean puts it at the top
    assert fit.biais["genereux"] > 15  # eight shared dossiers: most of the 25 points measured
    assert fit.qualite["seul-genereux"] < 96 - 15
    assert ordre(fit.qualite).index("seul-genereux") >= 10


def test_a_severe_jurors_lone_review_is_raised_by_their_severity_not_to_the_top():
    scores = session_demo()
    fit = calibrer(scores)
    # Three shared dossiers of three reviews: 2 evaluations' worth against a penalty of 2, so
    # about half of the 24 points measured.
    assert fit.biais["severe"] < -8
    assert 56 + 8 < fit.qualite["seul-severe"] < max(fit.qualite.values()) - 10
    assert ordre(fit.qualite).index("seul-severe") >= 10


def test_no_two_dossiers_tie_and_nothing_is_clipped():
    fit = calibrer(session_demo())
    valeurs = [round(q, 6) for q in fit.qualite.values()]
    assert len(set(valeurs)) == len(valeurs)
    assert valeurs.count(100.0) <= 1
