"""TPE quality: median best value over seeds at 25/50/100/200 trials on the suite in
``tpe_suite.py``, hyperdial's TPESampler against Optuna 5.0's TPESampler and Hyperopt's TPE
(each with its default settings, the same seeds and budgets), run in the same process pool.

    python bench/tpe_quality.py                 # seeds 0-9, 200 trials, 2 processes
    python bench/tpe_quality.py --seeds 3 --quick
    python bench/tpe_quality.py --split judge --hyperopt-seeds 0   # judging split, seeds 1000-1009
Writes bench/results/tpe_quality.{json,png} (``--name`` for another name). ``--split`` takes
the problems and seeds of one side of ``quality_split.py``.

Comparison: per problem and budget, hyperdial is "as good" as a peer when its median best
value is at most the peer's plus a tie tolerance of 1e-3 x the problem's scale (the median,
over all runs of all libraries, of the first trial's value minus the optimum; first trials are
random everywhere). Without the tolerance, two runs that both reached the optimum up to
1e-4 would count as a loss for whichever is a hair behind.
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
import quality_split
from tpe_suite import PROBLEMS, fixed_trial, hyperopt_space

BUDGETS = [25, 50, 100, 200]
LIBS = ("hyperdial", "optuna", "hyperopt")
TIE = 1e-3


def _run(job: tuple[str, str, int, int]) -> tuple[str, str, int, list[float], float]:
    """One study; returns the best value at each budget, then the first trial's value."""
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
    elif lib == "optuna":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        ostudy = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
        ostudy.optimize(objective, n_trials=n_trials)
        values = [t.value for t in ostudy.trials]
    else:
        from hyperopt import STATUS_OK, Trials, fmin, tpe

        trials = Trials()
        fmin(
            lambda sample: {"loss": objective(fixed_trial(sample)), "status": STATUS_OK},
            hyperopt_space(problem),
            algo=tpe.suggest,
            max_evals=n_trials,
            trials=trials,
            rstate=np.random.default_rng(seed),
            show_progressbar=False,
        )
        values = [float(v) for v in trials.losses()]
    elapsed = time.perf_counter() - t0
    best = np.minimum.accumulate(np.array(values, dtype=float))
    return (
        lib,
        problem,
        seed,
        [float(best[b - 1]) for b in BUDGETS if b <= n_trials] + [float(values[0])],
        elapsed,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=None, help="default: 0, or the split's")
    ap.add_argument("--split", choices=quality_split.SIDES, default=None)
    ap.add_argument("--name", default=None, help="result file name (default: tpe_quality)")
    ap.add_argument(
        "--hyperopt-seeds",
        type=int,
        default=None,
        help="seeds for Hyperopt, the first of --seeds (default: all; Hyperopt's 200-trial "
        "runs cost about 3x hyperdial's and Optuna's together)",
    )
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="100 trials instead of 200")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = ap.parse_args()
    n_trials = 100 if args.quick else 200
    budgets = [b for b in BUDGETS if b <= n_trials]
    names = list(PROBLEMS)
    if args.split is None:
        seeds = list(range(args.first_seed or 0, (args.first_seed or 0) + args.seeds))
    else:
        names = quality_split.problems(names, args.split)
        seeds = quality_split.seeds(args.split, args.seeds)
        if args.first_seed is not None:
            seeds = list(range(args.first_seed, args.first_seed + args.seeds))
        quality_split.check_seeds(seeds, args.split)
    ho_seeds = seeds[: args.hyperopt_seeds] if args.hyperopt_seeds is not None else seeds
    libs = LIBS if ho_seeds else LIBS[:2]
    # the slow Hyperopt runs first, so that no long job is left alone at the end
    jobs = [("hyperopt", p, s, n_trials) for p in names for s in ho_seeds]
    jobs += [(lib, p, s, n_trials) for p in names for s in seeds for lib in LIBS[:2]]
    t_start = time.time()
    load_start = os.getloadavg()
    with Pool(args.processes) as pool:
        results = pool.map(_run, jobs, chunksize=1)
    best: dict[tuple[str, str], list[list[float]]] = {}
    first: dict[str, list[float]] = {}
    secs: dict[str, float] = dict.fromkeys(libs, 0.0)
    for lib, p, _s, b, el in results:
        best.setdefault((lib, p), []).append(b[:-1])
        first.setdefault(p, []).append(b[-1])
        secs[lib] += el
    rows = []
    wins = dict.fromkeys(libs[1:], 0)
    wins_max = dict.fromkeys(libs[1:], 0)
    print(
        f"{'problem':22} {'budget':>6} {'hyperdial':>11} {'optuna':>11} {'hyperopt':>11}  "
        "as good as optuna / hyperopt?"
    )
    for p in names:
        optimum = PROBLEMS[p][1]
        scale = abs(float(np.median(first[p])) - (optimum if optimum is not None else 0.0))
        tol = TIE * scale
        med = {lib: np.median(np.array(best[(lib, p)]), axis=0) for lib in libs}
        q25, q75 = (
            {lib: np.percentile(np.array(best[(lib, p)]), q, axis=0) for lib in libs}
            for q in (25, 75)
        )
        for j, b in enumerate(budgets):
            row: dict[str, object] = {"problem": p, "budget": b, "tie_tolerance": tol}
            marks = []
            for lib in libs:
                row[f"{lib}_median"] = float(med[lib][j])
                row[f"{lib}_iqr"] = [float(q25[lib][j]), float(q75[lib][j])]
            for peer in libs[1:]:
                ok = bool(med["hyperdial"][j] <= med[peer][j] + tol)
                row[f"as_good_as_{peer}"] = ok
                wins[peer] += ok
                if b == budgets[-1]:
                    wins_max[peer] += ok
                marks.append("yes" if ok else "no")
            rows.append(row)
            print(
                f"{p:22} {b:6d} {med['hyperdial'][j]:11.4g} {med['optuna'][j]:11.4g} "
                f"{med['hyperopt'][j] if 'hyperopt' in med else float('nan'):11.4g}  "
                f"{' / '.join(marks)}"
            )
    total = len(names) * len(budgets)
    for peer in libs[1:]:
        print(
            f"hyperdial at least as good as {peer}: {wins_max[peer]}/{len(names)} problems "
            f"at {budgets[-1]} trials; {wins[peer]}/{total} (problem, budget) cells"
        )
    print("total objective+sampler seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in secs.items()))

    import hyperopt
    import optuna

    import hyperdial

    result = {
        "benchmark": "tpe_quality",
        "what": f"median over seeds {seeds[0]}-{seeds[-1]} (Hyperopt: "
        f"{f'{ho_seeds[0]}-{ho_seeds[-1]}' if ho_seeds else 'not run'}) of the best value "
        "after each budget",
        "split": args.split,
        "problems": names,
        "loadavg_at_start": load_start,
        "command": "python " + " ".join(sys.argv),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_at_end": os.getloadavg(),
            "python": sys.version.split()[0],
            "processes": args.processes,
            "wall_seconds": time.time() - t_start,
        },
        "versions": {
            "hyperdial": hyperdial.__version__,
            "optuna": optuna.__version__,
            "hyperopt": hyperopt.__version__,
            "numpy": np.__version__,
        },
        "settings": "every library with its defaults (hyperdial and Optuna: 10 random start-up "
        "trials; Hyperopt: 20); tie tolerance 1e-3 x scale, scale = |median first value - "
        "optimum|",
        "seeds": seeds,
        "hyperopt_seeds": ho_seeds,
        "budgets": budgets,
        "rows": rows,
        "as_good_cells": {peer: [wins[peer], total] for peer in libs[1:]},
        "as_good_at_max_budget": {peer: [wins_max[peer], len(names)] for peer in libs[1:]},
        "total_seconds": secs,
        "per_seed": {f"{lib}/{p}": v for (lib, p), v in best.items()},
    }
    os.makedirs(args.out, exist_ok=True)
    name = args.name or ("tpe_quality_quick" if args.quick else "tpe_quality")
    with open(os.path.join(args.out, f"{name}.json"), "w") as f:
        json.dump(result, f, indent=2)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = len(names)
    cols = 4
    fig, axes = plt.subplots(
        (k + cols - 1) // cols, cols, figsize=(14, 3 * ((k + cols - 1) // cols))
    )
    for ax, p in zip(axes.ravel(), names, strict=False):
        for lib in libs:
            ax.plot(budgets, np.median(np.array(best[(lib, p)]), axis=0), "o-", label=lib)
        ax.set_title(p, fontsize=9)
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(budgets, [str(b) for b in budgets])
    for ax in axes.ravel()[k:]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=8)
    fig.suptitle(
        f"TPE: median best value over {len(seeds)} seeds (Hyperopt: {len(ho_seeds)}), "
        "lower is better"
    )
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, f"{name}.png"), dpi=100)


if __name__ == "__main__":
    main()
