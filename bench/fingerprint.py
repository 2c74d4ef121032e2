"""Trial-by-trial fingerprint of the samplers: a refactor that does not mean to change what a
sampler proposes must leave every proposed parameter and value unchanged.

Runs GPSampler, TPESampler (independent and multivariate) and QMCSampler with
fixed seeds on problems from ``gp_suite.py`` (continuous, mixed integer/categorical and
conditional spaces) and records each trial's parameters and value.

    python bench/fingerprint.py --write bench/results/fingerprint.json   # record
    python bench/fingerprint.py --check bench/results/fingerprint.json   # compare

``--check`` prints, per (sampler, problem, seed), ``same`` or the first trial whose parameters
or value differ (values compared exactly, as repr of the float), and exits 1 on any difference.
Restrict with ``--samplers`` / ``--problems``; a run records and checks only what it ran.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gp_suite import PROBLEMS

SEEDS = [0, 1, 2]
RUNS: dict[str, tuple[list[str], int]] = {
    # sampler -> (problems, trials)
    "gp": (
        [
            "branin_2d",
            "hartmann_6d",
            "rosenbrock_5d",
            "mixed_int_cat_8d",
            "ackley_mixed_10d",
            "conditional_4level",
        ],
        80,
    ),
    "tpe": (["branin_2d", "hartmann_6d", "mixed_int_cat_8d", "conditional_4level"], 120),
    "tpe_mv": (["hartmann_6d", "mixed_int_cat_8d", "conditional_4level"], 80),
    "qmc": (["hartmann_6d", "mixed_int_cat_8d"], 32),
}


def _sampler(name: str, seed: int) -> Any:
    import hyperdial.samplers as hs

    factories: dict[str, Callable[[], Any]] = {
        "gp": lambda: hs.GPSampler(seed=seed),
        "tpe": lambda: hs.TPESampler(seed=seed),
        "tpe_mv": lambda: hs.TPESampler(seed=seed, multivariate=True, group=True),
        "qmc": lambda: hs.QMCSampler(seed=seed),
    }
    return factories[name]()


def run(name: str, problem: str, seed: int, n_trials: int) -> list[list[Any]]:
    import hyperdial

    study = hyperdial.create_study(sampler=_sampler(name, seed))
    study.optimize(PROBLEMS[problem].objective, n_trials=n_trials)
    rows = []
    for t in study.trials:
        params = {k: repr(v) for k, v in sorted(t.params.items())}
        rows.append([t.number, t.state.name, repr(t.value), params])
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", metavar="JSON")
    mode.add_argument("--check", metavar="JSON")
    parser.add_argument("--samplers", default=",".join(RUNS))
    parser.add_argument("--problems", default="")
    args = parser.parse_args()
    import hyperdial

    hyperdial.logging.set_verbosity(logging.WARNING)

    wanted_problems = set(filter(None, args.problems.split(",")))
    results: dict[str, list[list[Any]]] = {}
    for name in args.samplers.split(","):
        problems, n_trials = RUNS[name]
        for problem in problems:
            if wanted_problems and problem not in wanted_problems:
                continue
            for seed in SEEDS:
                start = time.perf_counter()
                results[f"{name}/{problem}/{seed}"] = run(name, problem, seed, n_trials)
                print(
                    f"ran {name}/{problem}/{seed} in {time.perf_counter() - start:.1f} s",
                    file=sys.stderr,
                )

    if args.write:
        # --samplers / --problems re-record a part: the other recorded runs are kept.
        kept: dict[str, Any] = {}
        if os.path.exists(args.write):
            with open(args.write) as f:
                kept = {k: v for k, v in json.load(f).items() if k not in results}
        with open(args.write, "w") as f:
            json.dump({**kept, **results}, f, indent=0, sort_keys=True)
            f.write("\n")
        print(f"wrote {len(results)} runs to {args.write} (kept {len(kept)} recorded before)")
        return 0

    with open(args.check) as f:
        recorded = json.load(f)
    bad = 0
    for key, rows in results.items():
        if key not in recorded:
            bad += 1
            print(f"{key}: not recorded")
            continue
        old = recorded[key]
        diff = next((i for i, (a, b) in enumerate(zip(rows, old, strict=False)) if a != b), None)
        if diff is None and len(rows) == len(old):
            print(f"{key}: same ({len(rows)} trials)")
        else:
            bad += 1
            i = diff if diff is not None else min(len(rows), len(old))
            print(f"{key}: differs from trial {i}")
            if diff is not None:
                print(f"    now:      {rows[i]}\n    recorded: {old[i]}")
    print(f"{len(results) - bad} of {len(results)} runs the same")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
