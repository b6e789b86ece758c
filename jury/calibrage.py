"""Calibrated scores: each dossier's quality, apart from the severity of the jurors who scored it.

The model: juror j's score of dossier d is ``quality(d) + bias(j) + noise``. A severe juror has
a negative bias, a generous one a positive bias; the calibrated score of a dossier is its
quality, on the same 0–100 scale as the raw scores. The fit is a regularised least squares over
every submitted score of the session::

    minimise  Σ (score(j, d) − quality(d) − bias(j))²  +  PENALITE × Σ bias(j)²

The penalty (a ridge on the biases only) shrinks toward 0 the bias of a juror who scored few
dossiers: with PENALITE = 2, a juror's bias is their gap to the other jurors of their dossiers
as if they had also scored two more dossiers exactly like everyone else. A dossier of k reviews
tells 1 − 1/k "evaluations' worth" about each of its jurors' severity, so a juror whose 45
dossiers had three reviews each keeps about 94 % of their measured gap (30 / 32), a juror with
one dossier shared with one other juror a fifth of it (0.5 / 2.5): one score is not enough to
call someone severe.

Conventions, which make the tests' properties hold:

- the biases of jurors who share dossiers, directly or through others, sum to 0 (with a penalty
  the fit gives that by itself; without one it is imposed): the calibrated scores stay on the
  raw scale, multiplying every score by a factor multiplies them by it, adding a constant to
  every score adds it to them;
- when every juror scores every dossier, the calibrated score is the raw mean; with one juror,
  the raw score;
- a juror's bias is only measured against the other jurors of the dossiers they share: a
  dossier with one review says nothing about its juror's severity (it gets the juror's bias
  measured elsewhere); a juror who shares no dossier keeps a bias of 0.

How: the qualities are eliminated first (for given biases, a dossier's quality is the mean of its
scores minus its jurors' biases), which leaves a system of one equation per juror, solved
exactly by Cholesky. Cost: one pass over the scores plus J³/6 operations for J jurors (20 in a
jury): 300 dossiers × 3 reviews take a few milliseconds (bench/classement.py). Alternating
updates converge to the same solution, but slowly when the jurors share few dossiers.

Uncertainty: σ, the residual standard deviation of the fit, pooled with a prior of
SIGMA_A_PRIORI points counted as DDL_A_PRIORI degrees of freedom: with few degrees of freedom
(a handful of shared dossiers) σ stays near 10 points instead of a meaningless 0 or a huge
value; with hundreds it is the fit's own. A dossier's interval is its quality ± 1.96 σ / √n
for its n reviews (95 % if the noise is normal; the uncertainty of the biases is left out, small
for a juror of many dossiers). Pure Python, no Django: property-tested and benchmarked alone.
"""

import math
from collections import defaultdict
from typing import NamedTuple

PENALITE = 2.0  # the ridge on the biases, in "evaluations' worth"
Z = 1.96  # 95 % of a normal distribution
SIGMA_A_PRIORI = 10.0  # points out of 100: the gap between two jurors' scores is often 10–25
DDL_A_PRIORI = 5  # the weight of that prior, in residual degrees of freedom


class Calibrage(NamedTuple):
    qualite: dict  # {dossier: calibrated score on 0–100}
    biais: dict  # {juror: bias in points, + generous, − severe}
    sigma: float  # residual standard deviation, in points


def calibrer(scores, penalite=PENALITE):
    """The fit of ``scores`` ({(juror, dossier): score on 0–100}); see the module's docstring.
    ``penalite`` ≥ 0; with 0 the biases are plain least squares, centred per group of jurors
    linked by shared dossiers."""
    if penalite < 0:
        raise ValueError("penalite must be ≥ 0")
    par_dossier = defaultdict(list)
    indices = {}
    for (jure, dossier), valeur in scores.items():
        par_dossier[dossier].append((indices.setdefault(jure, len(indices)), float(valeur)))
    jures = list(indices)
    n = len(jures)
    # The normal equations of the biases once the qualities are eliminated: (L + λI) b = r, with
    # L the jurors' "shared dossiers" matrix: each dossier of k reviews adds δ − 1/k to its
    # jurors' pairs, and r each score's gap to its dossier's mean.
    matrice = [[0.0] * n for _ in range(n)]
    second = [0.0] * n
    parent = list(range(n))  # union-find of the jurors linked by a dossier of two reviews or more

    def racine(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for avis in par_dossier.values():
        k = len(avis)
        if k < 2:
            continue
        moyenne = sum(v for _j, v in avis) / k
        for j, v in avis:
            second[j] += v - moyenne
            ligne = matrice[j]
            ligne[j] += 1.0
            for i, _v in avis:
                ligne[i] -= 1.0 / k
        premier = racine(avis[0][0])
        for j, _v in avis[1:]:
            parent[racine(j)] = premier
    groupes = defaultdict(list)
    for j in range(n):
        groupes[racine(j)].append(j)
        matrice[j][j] += penalite
    # L is singular along each group's constant vector (shift a group's biases, take it back from
    # its qualities: same fit). Adding 1/|G| on the group's pairs pins its biases' sum at 0 and
    # changes nothing when λ > 0, whose solution already sums to 0 on each group.
    for membres in groupes.values():
        poids = 1.0 / len(membres)
        for j in membres:
            for i in membres:
                matrice[j][i] += poids
    valeurs = _resoudre(matrice, second)
    biais = {jure: valeurs[j] for jure, j in indices.items()}
    qualite, residus = {}, 0.0
    for dossier, avis in par_dossier.items():
        q = sum(v - valeurs[j] for j, v in avis) / len(avis)
        qualite[dossier] = q
        residus += sum((v - valeurs[j] - q) ** 2 for j, v in avis)
    # Free parameters: one quality per dossier, one bias per juror but one per group (the sums).
    ddl = max(0, len(scores) - len(par_dossier) - (n - len(groupes)))
    sigma = math.sqrt((residus + DDL_A_PRIORI * SIGMA_A_PRIORI**2) / (ddl + DDL_A_PRIORI))
    return Calibrage(qualite=qualite, biais=biais, sigma=sigma)


def intervalle(qualite, avis, sigma, z=Z):
    """(low, high) around a calibrated score from ``avis`` reviews: ± z σ / √avis."""
    demi = z * sigma / math.sqrt(avis)
    return (qualite - demi, qualite + demi)


def _resoudre(matrice, second):
    """x with matrice · x = second, for a symmetric positive definite matrice (Cholesky)."""
    n = len(second)
    bas = [[0.0] * n for _ in range(n)]
    for i in range(n):
        ligne = bas[i]
        for j in range(i + 1):
            autre = bas[j]
            somme = matrice[i][j] - sum(ligne[k] * autre[k] for k in range(j))
            ligne[j] = math.sqrt(somme) if i == j else somme / autre[j]
    y = [0.0] * n
    for i in range(n):
        y[i] = (second[i] - sum(bas[i][k] * y[k] for k in range(i))) / bas[i][i]
    x = [0.0] * n
    for i in reversed(range(n)):
        x[i] = (y[i] - sum(bas[k][i] * x[k] for k in range(i + 1, n))) / bas[i][i]
    return x
