"""Time of the jury's calibrated ranking (``jury.calibrage.calibrer``), no database.

Builds in memory a session of 300 dossiers × 20 jurors × 3 reviews (each dossier's three jurors
drawn at random, a quality per dossier, a severity per juror from −15 to +15 points, noise of 8
points), then times the fit: median and p95 over the runs, each on fresh data. Checks the fit
too: its correlation with the true qualities against the raw means'.

    .venv/bin/python bench/classement.py [--dossiers 300] [--jures 20] [--avis 3] [--runs 50]
"""

import argparse
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jury.calibrage import calibrer  # pure Python: no django.setup()


def session(rng, n_dossiers, n_jures, n_avis):
    """({(juror, dossier): score}, {dossier: true quality})."""
    qualites = {d: rng.uniform(20, 90) for d in range(n_dossiers)}
    severites = {j: rng.uniform(-15, 15) for j in range(n_jures)}
    scores = {}
    for d, qualite in qualites.items():
        for j in rng.sample(range(n_jures), n_avis):
            scores[(j, d)] = min(100.0, max(0.0, qualite + severites[j] + rng.gauss(0, 8)))
    return scores, qualites


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=300)
    parser.add_argument("--jures", type=int, default=20)
    parser.add_argument("--avis", type=int, default=3)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(2027)
    temps, gains = [], []
    for _run in range(args.runs):
        scores, qualites = session(rng, args.dossiers, args.jures, args.avis)
        debut = time.perf_counter()
        fit = calibrer(scores)
        temps.append((time.perf_counter() - debut) * 1000)
        par_dossier = defaultdict(list)
        for (_j, d), valeur in scores.items():
            par_dossier[d].append(valeur)
        moyennes = {d: statistics.fmean(valeurs) for d, valeurs in par_dossier.items()}
        vrai = list(qualites.values())
        gains.append(
            (
                statistics.correlation(vrai, [moyennes[d] for d in qualites]),
                statistics.correlation(vrai, [fit.qualite[d] for d in qualites]),
            )
        )
    temps.sort()
    p95 = temps[min(len(temps) - 1, round(0.95 * (len(temps) - 1)))]
    print(
        f"calibrer: {args.dossiers} dossiers × {args.jures} jurés × {args.avis} avis, {args.runs} runs: "
        f"median {statistics.median(temps):.1f} ms, p95 {p95:.1f} ms, max {temps[-1]:.1f} ms"
    )
    brut = statistics.median(g[0] for g in gains)
    calibre = statistics.median(g[1] for g in gains)
    print(f"correlation with the true quality (median): raw mean {brut:.3f}, calibrated {calibre:.3f}")


if __name__ == "__main__":
    main()
