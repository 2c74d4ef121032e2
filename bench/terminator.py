"""Regret bound and stopping point: hyperdial.terminator against optuna.terminator.

Both evaluators read the same histories: Optuna studies sampled by TPE (seeded), copied into
hyperdial studies with their cross-validation scores. For each problem and seed the script prints
the regret bound of both libraries every ``--step`` trials from 20 on, the first of those trial
counts where each terminator (regret bound < cross-validation error) would stop, and the median
time of one evaluation. Problems (2-d unless said, minimised):

* ``quad``: a bowl; converges, both should stop.
* ``sin``: ``(x - 0.3)^2 + 0.5 sin(5 y)``, two global minima.
* ``rastrigin4``: 4-d Rastrigin; does not converge in 100 trials, neither should stop.

Usage::

    python bench/terminator.py --seeds 3 --trials 100 --step 5   # results/terminator.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

NOISE = 0.02  # half-width of the fold scores around the value


def _problems() -> dict[str, tuple[int, Any]]:
    def quad(x: np.ndarray) -> float:
        return float((x[0] - 0.3) ** 2 + (x[1] + 0.2) ** 2)

    def sin(x: np.ndarray) -> float:
        return float((x[0] - 0.3) ** 2 + 0.5 * np.sin(5 * x[1]))

    def rastrigin4(x: np.ndarray) -> float:
        z = 5.12 * x
        return float(40 + np.sum(z**2 - 10 * np.cos(2 * np.pi * z)))

    return {"quad": (2, quad), "sin": (2, sin), "rastrigin4": (4, rastrigin4)}


#: The problems' minima, for the true regret at the stopping point.
MINIMA = {"quad": 0.0, "sin": -0.5, "rastrigin4": 0.0}


def _history(dim: int, f: Any, seed: int, n: int) -> tuple[Any, Any]:
    import optuna
    from optuna.terminator import report_cross_validation_scores

    import hyperdial

    ost = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))

    def objective(trial: Any) -> float:
        v = f(np.array([trial.suggest_float(f"x{i}", -1, 1) for i in range(dim)]))
        report_cross_validation_scores(trial, [v - NOISE, v, v + NOISE])
        return v

    ost.optimize(objective, n_trials=n)
    hst = hyperdial.create_study()
    dists = {f"x{i}": hyperdial.FloatDistribution(-1, 1) for i in range(dim)}
    for t in ost.trials:
        hst.add_trial(
            hyperdial.create_trial(
                params=t.params,
                value=t.value,
                distributions=dists,
                system_attrs={"terminator:cv_scores": t.system_attrs["terminator:cv_scores"]},
            )
        )
    return ost, hst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--step", type=int, default=5)
    parser.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "terminator.json")
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    import optuna
    from optuna.terminator import CrossValidationErrorEvaluator as OptunaCV
    from optuna.terminator import RegretBoundEvaluator as OptunaRB

    import hyperdial
    from hyperdial.terminator import CrossValidationErrorEvaluator, RegretBoundEvaluator

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    hyperdial.logging.set_verbosity(30)
    counts = list(range(20, args.trials + 1, args.step))
    rows = []
    times: dict[str, list[float]] = {"optuna": [], "hyperdial": []}
    print(f"load {os.getloadavg()[0]:.1f}")
    for name, (dim, f) in _problems().items():
        for seed in range(args.seeds):
            ost, hst = _history(dim, f, seed, args.trials)
            row: dict[str, Any] = {"problem": name, "seed": seed, "n": counts}
            for lib, study, bound, error in (
                ("optuna", ost, OptunaRB(seed=0), OptunaCV()),
                ("hyperdial", hst, RegretBoundEvaluator(seed=0), CrossValidationErrorEvaluator()),
            ):
                bounds, stop = [], None
                for n in counts:
                    trials = study.trials[:n]
                    t0 = time.perf_counter()
                    b = bound.evaluate(trials, study.direction)
                    times[lib].append(time.perf_counter() - t0)
                    bounds.append(float(b))
                    if stop is None and b < error.evaluate(trials, study.direction):
                        stop = n
                regret = None
                if stop is not None:
                    best = min(t.value for t in study.trials[:stop])
                    regret = float(best - MINIMA[name])
                row[lib] = {"bound": bounds, "stop": stop, "regret_at_stop": regret}
            rows.append(row)
            print(
                f"{name:10s} seed {seed}: stop (true regret there) optuna "
                f"{row['optuna']['stop']} ({row['optuna']['regret_at_stop']}), hyperdial "
                f"{row['hyperdial']['stop']} ({row['hyperdial']['regret_at_stop']}); "
                f"bound at n = {counts[-1]}: "
                f"optuna {row['optuna']['bound'][-1]:.3g}, "
                f"hyperdial {row['hyperdial']['bound'][-1]:.3g}"
            )
    median_ms = {k: 1e3 * statistics.median(v) for k, v in times.items()}
    print(f"median ms per evaluation: {median_ms}; load {os.getloadavg()[0]:.1f}")
    result = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "optuna": optuna.__version__,
        "load_end": os.getloadavg()[0],
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cv_noise": NOISE,
        "cv_error": float(np.sqrt((1 / 3 + 1 / 2) * np.var([-NOISE, 0.0, NOISE]))),
        "median_ms_per_evaluation": median_ms,
        "runs": rows,
    }
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
