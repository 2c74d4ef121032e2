"""Quality regression guard: a small fixed suite that fails when a sampler's median regret
worsens beyond its noise band (issue 18, point 4). ``tests/test_quality_guard.py`` runs it in
the slow lane against the reference recorded in ``tests/data/quality_guard.json``.

    python bench/quality_guard.py --write tests/data/quality_guard.json   # record the reference
    python bench/quality_guard.py --check tests/data/quality_guard.json   # exit 1 when worse

The suite (``CASES``): the default sampler (GPSampler) at 40 trials and TPESampler at 100
trials, each on a few problems of the tuning split (``quality_split.py``) with seeds ``SEEDS``
(tuning seeds), so that watching the guard does not spend the judging split. The measure of a
run is ``log10(max(best - optimum, FLOOR))``; per (sampler, problem), the statistic is its
median over the seeds.

The noise band comes from the seed-to-seed spread of the recording: the median of ``n`` draws
has a standard error of about ``1.2533 sigma / sqrt(n)`` (asymptotic variance of the sample
median of a normal sample), with ``sigma`` estimated robustly as ``IQR / 1.349``; the band is
``Z`` such standard errors, at least ``MIN_BAND`` decades. A change of code that does not
change quality moves the median by about one standard error (it draws a different sample
of the same seed-to-seed distribution); ``check`` flags a (sampler, problem) whose median
exceeds the reference median by more than the band. The runs are deterministic (fixed seeds,
one thread), so the recorded code passes with no margin spent.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import logging
import math
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gp_suite
import quality_split
import tpe_suite

#: sampler -> (problems, trials)
CASES: dict[str, tuple[list[str], int]] = {
    "gp": (["branin_2d", "hartmann_3d", "hartmann_6d", "mixed_int_cat_10d"], 40),
    "tpe": (["branin_2d", "hartmann_6d", "mixed_int_cat_10d", "conditional_4level"], 100),
}
SEEDS = list(range(20))
FLOOR = 1e-9
Z = 3.0
MIN_BAND = 0.1
_SE_MEDIAN = 1.2533 / 1.349  # standard error of the median per (IQR / sqrt(n))

SamplerFactory = Callable[[int], Any]


def _factory(name: str) -> SamplerFactory:
    import hyperdial.samplers as hs

    if name == "gp":
        return lambda seed: hs.GPSampler(seed=seed, n_threads=1)
    if name == "tpe":
        return lambda seed: hs.TPESampler(seed=seed)
    raise ValueError(f"sampler must be one of {sorted(CASES)}, got {name!r}")


def _problem(name: str) -> tuple[Callable[[Any], float], float]:
    """Objective and optimum (``gp_suite.py``'s more precise optima where it has them)."""
    if name in gp_suite.PROBLEMS:
        p = gp_suite.PROBLEMS[name]
        objective, optimum = p.objective, p.optimum
    else:
        objective, optimum = tpe_suite.PROBLEMS[name]
    if optimum is None:
        raise ValueError(f"{name} has no known optimum")
    if quality_split.problem_side(name) != "tune":
        raise ValueError(f"{name} is on the judging split")
    return objective, optimum


def log_regret(values: list[float], optimum: float) -> float:
    """``log10(max(min(values) - optimum, FLOOR))``."""
    return math.log10(max(min(values) - optimum, FLOOR))


def measure(
    sampler: str, factory: SamplerFactory | None = None, seeds: list[int] | None = None
) -> dict[str, list[float]]:
    """Per problem of ``CASES[sampler]``, the log regrets of the seeds' runs. ``factory``
    (seed -> sampler) replaces the case's sampler, e.g. to show that a worse one is flagged."""
    import hyperdial

    hyperdial.logging.set_verbosity(logging.WARNING)
    problems, trials = CASES[sampler]
    make = factory if factory is not None else _factory(sampler)
    out: dict[str, list[float]] = {}
    for name in problems:
        objective, optimum = _problem(name)
        out[name] = []
        for seed in quality_split.check_seeds(seeds if seeds is not None else SEEDS, "tune"):
            study = hyperdial.create_study(sampler=make(seed))
            study.optimize(objective, n_trials=trials)
            out[name].append(log_regret([t.value for t in study.trials], optimum))
    return out


def summarise(per_seed: list[float]) -> dict[str, Any]:
    """Median, IQR and noise band of one (sampler, problem)'s log regrets."""
    a = np.asarray(per_seed, dtype=float)
    q25, med, q75 = np.percentile(a, [25, 50, 75])
    band = max(Z * _SE_MEDIAN * float(q75 - q25) / math.sqrt(a.size), MIN_BAND)
    return {"median": float(med), "iqr": [float(q25), float(q75)], "band": band}


def compare(
    reference: dict[str, Any], sampler: str, measured: dict[str, list[float]]
) -> list[str]:
    """The problems whose median log regret exceeds the reference's by more than its band,
    each with the figures (empty: no regression)."""
    flagged = []
    for name, per_seed in measured.items():
        ref = reference["samplers"][sampler][name]
        now = float(np.median(per_seed))
        if now > ref["median"] + ref["band"]:
            flagged.append(
                f"{sampler}/{name}: median log10 regret {now:.3f} > reference "
                f"{ref['median']:.3f} + band {ref['band']:.3f}"
            )
    return flagged


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", metavar="JSON")
    mode.add_argument("--check", metavar="JSON")
    args = ap.parse_args()
    measured = {}
    for sampler in CASES:
        t0 = time.perf_counter()
        measured[sampler] = measure(sampler)
        print(f"{sampler}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if args.write:
        import hyperdial

        ref = {
            "what": "per sampler and problem: median over SEEDS of log10(max(best - optimum, "
            "FLOOR)), its IQR, and the noise band (bench/quality_guard.py docstring)",
            "command": "python bench/quality_guard.py --write " + args.write,
            "hyperdial": hyperdial.__version__,
            "recorded_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "loadavg": os.getloadavg(),
            "seeds": SEEDS,
            "floor": FLOOR,
            "z": Z,
            "min_band": MIN_BAND,
            "cases": {s: {"problems": p, "trials": t} for s, (p, t) in CASES.items()},
            "samplers": {
                s: {p: {**summarise(v), "per_seed": v} for p, v in m.items()}
                for s, m in measured.items()
            },
        }
        with open(args.write, "w") as f:
            json.dump(ref, f, indent=1)
            f.write("\n")
        print(f"wrote {args.write}")
        return 0
    with open(args.check) as f:
        reference = json.load(f)
    flagged = [line for s, m in measured.items() for line in compare(reference, s, m)]
    for s, m in measured.items():
        for p, v in m.items():
            ref = reference["samplers"][s][p]
            print(
                f"{s}/{p}: median {np.median(v):.3f} (reference {ref['median']:.3f}, "
                f"band {ref['band']:.3f})"
            )
    print("\n".join(flagged) or "no regression")
    return 1 if flagged else 0


if __name__ == "__main__":
    raise SystemExit(main())
