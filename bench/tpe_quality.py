"""TPE quality: median best value over seeds at 25/50/100/200 trials on the suite in
``tpe_suite.py``, hyperdial's TPESampler against Optuna 5.0's TPESampler (both with default
settings and the same seeds), run in the same process pool.

    python bench/tpe_quality.py                 # 10 seeds, 2 processes
    python bench/tpe_quality.py --seeds 3 --quick
Writes bench/results/tpe_quality.{json,png}.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
import warnings
from multiprocessing import Pool

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tpe_suite import PROBLEMS

BUDGETS = [25, 50, 100, 200]


def _run(job: tuple[str, str, int, int]) -> tuple[str, str, int, list[float], float]:
    lib, problem, seed, n_trials = job
    objective = PROBLEMS[problem][0]
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    if lib == "hyperdial":
        import hyperdial
        from hyperdial.samplers import TPESampler

        hyperdial.logging.set_verbosity(logging.WARNING)
        study = hyperdial.create_study(sampler=TPESampler(seed=seed))
        study.optimize(objective, n_trials=n_trials)
        values = [t.value for t in study.trials]
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        ostudy = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
        ostudy.optimize(objective, n_trials=n_trials)
        values = [t.value for t in ostudy.trials]
    elapsed = time.perf_counter() - t0
    best = np.minimum.accumulate(np.array(values, dtype=float))
    return lib, problem, seed, [float(best[b - 1]) for b in BUDGETS if b <= n_trials], elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="100 trials instead of 200")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = ap.parse_args()
    n_trials = 100 if args.quick else 200
    budgets = [b for b in BUDGETS if b <= n_trials]
    jobs = [
        (lib, p, s, n_trials)
        for p in PROBLEMS
        for s in range(args.seeds)
        for lib in ("hyperdial", "optuna")
    ]
    with Pool(args.processes) as pool:
        results = pool.map(_run, jobs, chunksize=1)
    best: dict[tuple[str, str], list[list[float]]] = {}
    secs: dict[str, float] = {"hyperdial": 0.0, "optuna": 0.0}
    for lib, p, _s, b, el in results:
        best.setdefault((lib, p), []).append(b)
        secs[lib] += el
    rows = []
    wins = 0
    print(f"{'problem':22} {'budget':>6} {'hyperdial':>12} {'optuna':>12}  as good?")
    for p in PROBLEMS:
        hd = np.median(np.array(best[("hyperdial", p)]), axis=0)
        op = np.median(np.array(best[("optuna", p)]), axis=0)
        for j, b in enumerate(budgets):
            ok = bool(hd[j] <= op[j])
            wins += ok
            rows.append(
                {
                    "problem": p,
                    "budget": b,
                    "hyperdial_median": float(hd[j]),
                    "optuna_median": float(op[j]),
                    "hyperdial_as_good": ok,
                }
            )
            print(f"{p:22} {b:6d} {hd[j]:12.4g} {op[j]:12.4g}  {'yes' if ok else 'no'}")
    total = len(PROBLEMS) * len(budgets)
    at_max = [r for r in rows if r["budget"] == budgets[-1]]
    wins_max = sum(r["hyperdial_as_good"] for r in at_max)
    print(
        f"hyperdial at least as good: {wins}/{total} (problem, budget) cells; "
        f"{wins_max}/{len(at_max)} problems at {budgets[-1]} trials"
    )
    print(
        f"total objective+sampler seconds: hyperdial {secs['hyperdial']:.1f}, "
        f"optuna {secs['optuna']:.1f}"
    )

    import optuna

    import hyperdial

    result = {
        "benchmark": "tpe_quality",
        "what": f"median over {args.seeds} seeds of the best value after each budget",
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_at_end": os.getloadavg(),
            "python": sys.version.split()[0],
            "processes": args.processes,
        },
        "versions": {
            "hyperdial": hyperdial.__version__,
            "optuna": optuna.__version__,
            "numpy": np.__version__,
        },
        "seeds": args.seeds,
        "budgets": budgets,
        "rows": rows,
        "as_good_cells": [wins, total],
        "as_good_at_max_budget": [wins_max, len(at_max)],
        "total_seconds": secs,
        "per_seed": {f"{lib}/{p}": v for (lib, p), v in best.items()},
    }
    os.makedirs(args.out, exist_ok=True)
    name = "tpe_quality_quick" if args.quick else "tpe_quality"
    with open(os.path.join(args.out, f"{name}.json"), "w") as f:
        json.dump(result, f, indent=2)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = len(PROBLEMS)
    cols = 4
    fig, axes = plt.subplots(
        (k + cols - 1) // cols, cols, figsize=(14, 3 * ((k + cols - 1) // cols))
    )
    for ax, p in zip(axes.ravel(), PROBLEMS, strict=False):
        for lib in ("hyperdial", "optuna"):
            ax.plot(budgets, np.median(np.array(best[(lib, p)]), axis=0), "o-", label=lib)
        ax.set_title(p, fontsize=9)
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(budgets, [str(b) for b in budgets])
    for ax in axes.ravel()[k:]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=8)
    fig.suptitle(f"TPE: median best value over {args.seeds} seeds (lower is better)")
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, f"{name}.png"), dpi=100)


if __name__ == "__main__":
    main()
