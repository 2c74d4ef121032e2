"""HyperdialSearch against Ray Tune's OptunaSearch: trials needed to reach the optimum.

Both searchers are driven through Ray Tune's ``Searcher`` protocol exactly as Tune drives
them (``set_search_properties`` with the Tuner's ``param_space``, then ``suggest`` /
``on_trial_complete`` per trial), one trial at a time, so the comparison is in trials and
does not depend on Ray's scheduling or on the machine's load. Each searcher gets its
defaults: GPSampler for HyperdialSearch, TPESampler for OptunaSearch (Ray's default), both
seeded. A real Tuner run with HyperdialSearch is in tests/test_integration_ray.py.

Settings fixed before any run: problems Branin (2-d), Hartmann-6 and Levy-4, targets a
regret of 0.05, 0.2 and 0.5, budget 60 trials, seeds 0-4. A searcher that misses the target
gets budget + 1 trials; a seed where both miss is a tie.

    OMP_NUM_THREADS=1 python bench/ray_search.py --seeds 5 --out bench/results/ray_search.json
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import logging
import math
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tpe_suite

warnings.filterwarnings("ignore")


class _ConfigTrial:
    """Lets the suite's trial-based objectives read a Ray Tune config instead."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config

    def suggest_float(self, name: str, low: float, high: float, **_: Any) -> float:
        return float(self._config[name])


Problem = tuple[Callable[[dict[str, Any]], float], dict[str, Any], float, float]


def _problems() -> dict[str, Problem]:
    from ray import tune

    def box(d: int, low: float, high: float) -> dict[str, Any]:
        return {f"x{i}": tune.uniform(low, high) for i in range(d)}

    return {
        "branin": (
            lambda c: tpe_suite.branin(_ConfigTrial(c)),
            {"x0": tune.uniform(-5.0, 10.0), "x1": tune.uniform(0.0, 15.0)},
            0.397887,
            0.05,
        ),
        "hartmann6": (
            lambda c: tpe_suite.hartmann6(_ConfigTrial(c)),
            box(6, 0.0, 1.0),
            -3.32237,
            0.2,
        ),
        "levy4": (
            lambda c: tpe_suite.levy(4)(_ConfigTrial(c)),
            box(4, -10.0, 10.0),
            0.0,
            0.5,
        ),
    }


def _searcher(name: str, seed: int) -> Any:
    if name == "hyperdial":
        from hyperdial.integration.ray import HyperdialSearch

        return HyperdialSearch(metric="loss", mode="min", seed=seed)
    from ray.tune.search.optuna import OptunaSearch

    return OptunaSearch(metric="loss", mode="min", seed=seed)


def run_one(name: str, problem: str, seed: int, budget: int) -> dict[str, Any]:
    import optuna

    import hyperdial

    hyperdial.logging.set_verbosity(logging.WARNING)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    func, space, optimum, target = _problems()[problem]
    searcher = _searcher(name, seed)
    searcher.set_search_properties(None, None, space)
    best = math.inf
    reached = budget + 1
    suggest_seconds = 0.0
    for i in range(budget):
        start = time.perf_counter()
        config = searcher.suggest(f"t{i}")
        suggest_seconds += time.perf_counter() - start
        value = func(config)
        searcher.on_trial_complete(f"t{i}", {"loss": value, "training_iteration": 1})
        best = min(best, value)
        if best - optimum <= target and reached > budget:
            reached = i + 1
    return {
        "searcher": name,
        "problem": problem,
        "seed": seed,
        "trials_to_target": reached,
        "final_regret": best - optimum,
        "suggest_ms": 1000 * suggest_seconds / budget,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    load = os.getloadavg()[0]
    rows = []
    for problem in _problems():
        for seed in range(args.seeds):
            for name in ("hyperdial", "optuna"):
                rows.append(run_one(name, problem, seed, args.budget))
                print(json.dumps(rows[-1]), flush=True)

    summary: dict[str, Any] = {}
    print(f"\n{'problem':<10} {'hyperdial':>10} {'OptunaSearch':>13} {'wins/ties':>10}")
    for problem in _problems():
        by = {
            name: [r for r in rows if r["problem"] == problem and r["searcher"] == name]
            for name in ("hyperdial", "optuna")
        }
        hd = [r["trials_to_target"] for r in by["hyperdial"]]
        op = [r["trials_to_target"] for r in by["optuna"]]
        at_least_as_fast = sum(h <= o for h, o in zip(hd, op, strict=True))
        summary[problem] = {
            "median_trials_hyperdial": statistics.median(hd),
            "median_trials_optuna": statistics.median(op),
            "seeds_at_least_as_fast": at_least_as_fast,
            "seeds": len(hd),
            "median_suggest_ms_hyperdial": statistics.median(
                r["suggest_ms"] for r in by["hyperdial"]
            ),
            "median_suggest_ms_optuna": statistics.median(r["suggest_ms"] for r in by["optuna"]),
        }
        print(
            f"{problem:<10} {statistics.median(hd):>10} {statistics.median(op):>13} "
            f"{at_least_as_fast:>7}/{len(hd)}"
        )
    print(f"(trials to reach the target regret, median of {args.seeds} seeds; load {load:.1f})")
    if args.out is not None:
        import optuna
        import ray

        args.out.write_text(
            json.dumps(
                {
                    "machine": platform.machine(),
                    "cpus": os.cpu_count(),
                    "load_at_start": load,
                    "ray": ray.__version__,
                    "optuna": optuna.__version__,
                    "budget": args.budget,
                    "summary": summary,
                    "runs": rows,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
