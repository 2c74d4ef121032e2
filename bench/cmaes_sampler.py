"""CmaEsSampler: per-trial overhead and quality, hyperdial against Optuna 5.0's CmaEsSampler
(which runs on the ``cmaes`` package), both with their defaults, in the same run.

    OMP_NUM_THREADS=1 python bench/cmaes_sampler.py --jobs 2   # 10 seeds, d = 5, 10; 500 trials
    OMP_NUM_THREADS=1 python bench/cmaes_sampler.py --seeds 3 --quick
Writes bench/results/cmaes.json. (The script is not called ``cmaes.py``: run from ``bench/``, that
name would hide the ``cmaes`` package Optuna imports.)

Overhead: one study of 1000 trials of a 10-d sphere per library (``--overhead-repeats`` of them,
alternating), timing every call the study makes into the sampler (relative search space,
relative and independent sampling, before/after trial). Reported: the median time in the sampler
per trial over trials 900-999 ("at 1000 trials") and over all trials, and the whole ask/tell
loop per trial.

Quality: BBOB-style problems (Hansen et al., "Real-parameter black-box optimization
benchmarking 2009: noiseless functions definitions", INRIA RR-6829): shifted sphere (f1),
separable ellipsoid (f2), rotated ellipsoid (f10) and shifted Rastrigin (f3) are defined here on
[-5, 5]^d with a fixed shift (and rotation); Rosenbrock, Levy and Styblinski-Tang come from
``tpe_suite.py``. Each at d = 5 and 10, with the median over seeds of the best value after 200 and
after 500 trials. As in ``tpe_quality.py``, hyperdial is "as good" as Optuna on a problem when its
median best value is at most Optuna's plus 1e-3 x the problem's scale (the median over all runs
of the first trial's value minus the optimum). Targets: as good on >= 70 % of the problems at
each budget; >= 5x less time in the sampler per trial at 1000 trials.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from multiprocessing import Pool
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tpe_suite import levy, rosenbrock, styblinski_tang

Objective = Callable[[Any], float]
BUDGETS = [200, 500]
LIBS = ("hyperdial", "optuna")
TIE = 1e-3
_HOOKS = (
    "infer_relative_search_space",
    "sample_relative",
    "sample_independent",
    "before_trial",
    "after_trial",
)


def _x(trial: Any, d: int) -> np.ndarray:
    return np.array([trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(d)])


def _shift(d: int) -> np.ndarray:
    """A fixed optimum away from the centre and off any grid, inside [-4, 4]^d."""
    return 4.0 * np.sin(1.7 * np.arange(1, d + 1) + 0.3)


def _rotation(d: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(d).standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def sphere(d: int) -> Objective:
    opt = _shift(d)
    return lambda trial: float(((_x(trial, d) - opt) ** 2).sum())


def ellipsoid(d: int) -> Objective:
    opt, w = _shift(d), 1e6 ** (np.arange(d) / (d - 1))
    return lambda trial: float((w * (_x(trial, d) - opt) ** 2).sum())


def rotated_ellipsoid(d: int) -> Objective:
    opt, w, rot = _shift(d), 1e6 ** (np.arange(d) / (d - 1)), _rotation(d)
    return lambda trial: float((w * (rot @ (_x(trial, d) - opt)) ** 2).sum())


def rastrigin(d: int) -> Objective:
    opt = _shift(d)

    def f(trial: Any) -> float:
        z = _x(trial, d) - opt
        return float(10 * d + (z**2 - 10 * np.cos(2 * math.pi * z)).sum())

    return f


PROBLEMS: dict[str, tuple[Objective, float]] = {}
for _d in (5, 10):
    PROBLEMS[f"sphere_{_d}d"] = (sphere(_d), 0.0)
    PROBLEMS[f"ellipsoid_{_d}d"] = (ellipsoid(_d), 0.0)
    PROBLEMS[f"rotated_ellipsoid_{_d}d"] = (rotated_ellipsoid(_d), 0.0)
    PROBLEMS[f"rastrigin_{_d}d"] = (rastrigin(_d), 0.0)
    PROBLEMS[f"rosenbrock_{_d}d"] = (rosenbrock(_d), 0.0)
    PROBLEMS[f"levy_{_d}d"] = (levy(_d), 0.0)
    PROBLEMS[f"styblinski_tang_{_d}d"] = (styblinski_tang(_d), -39.1661657037714 * _d)


def _sampler(lib: str, seed: int) -> Any:
    warnings.simplefilter("ignore")
    if lib == "hyperdial":
        import hyperdial

        hyperdial.logging.set_verbosity(logging.WARNING)
        return hyperdial.samplers.CmaEsSampler(seed=seed)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.samplers.CmaEsSampler(seed=seed)


def _study(lib: str, sampler: Any) -> Any:
    if lib == "hyperdial":
        import hyperdial

        return hyperdial.create_study(sampler=sampler)
    import optuna

    return optuna.create_study(sampler=sampler)


def _quality(job: tuple[str, str, int, int]) -> tuple[str, str, int, list[float], float]:
    """One study; the best value at each budget, then the first trial's value."""
    lib, problem, seed, n_trials = job
    study = _study(lib, _sampler(lib, seed))
    t0 = time.perf_counter()
    study.optimize(PROBLEMS[problem][0], n_trials=n_trials)
    elapsed = time.perf_counter() - t0
    values = np.array([t.value for t in study.trials], dtype=float)
    best = np.minimum.accumulate(values)
    return lib, problem, seed, [float(best[b - 1]) for b in BUDGETS] + [float(values[0])], elapsed


def _overhead(lib: str, n_trials: int, seed: int) -> dict[str, float]:
    """Seconds per trial in the sampler (last 100 trials and all) and in the whole loop."""
    sampler = _sampler(lib, seed)
    spent = [0.0]

    def timed(fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - t

        return wrapper

    for hook in _HOOKS:
        setattr(sampler, hook, timed(getattr(sampler, hook)))
    study = _study(lib, sampler)
    objective = sphere(10)
    in_sampler, loop = [], []
    for _ in range(n_trials):
        spent[0] = 0.0
        t = time.perf_counter()
        trial = study.ask()
        value = objective(trial)
        study.tell(trial, value)
        loop.append(time.perf_counter() - t)
        in_sampler.append(spent[0])
    return {
        "sampler_s_per_trial_last100": float(np.mean(in_sampler[-100:])),
        "sampler_s_per_trial_all": float(np.mean(in_sampler)),
        "loop_s_per_trial_last100": float(np.mean(loop[-100:])),
        "best": float(study.best_value),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2, help="processes for the quality runs")
    ap.add_argument("--quick", action="store_true", help="200 trials only, 3 problems per d")
    ap.add_argument("--overhead-trials", type=int, default=1000)
    ap.add_argument("--overhead-repeats", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = ap.parse_args()
    if os.environ.get("OMP_NUM_THREADS") != "1":
        print("note: run with OMP_NUM_THREADS=1 (Optuna's NumPy otherwise spawns threads)")
    global BUDGETS
    if args.quick:
        BUDGETS = [200]
    quick = ("sphere", "rosenbrock")
    problems = [p for p in PROBLEMS if not args.quick or p.split("_")[0] in quick]
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    t_start = time.time()
    load_start = os.getloadavg()

    # -- overhead: sequential, alternating the libraries ------------------------------------
    overhead: dict[str, list[dict[str, float]]] = {lib: [] for lib in LIBS}
    for rep in range(args.overhead_repeats):
        for lib in LIBS:
            overhead[lib].append(_overhead(lib, args.overhead_trials, seed=rep))
    med = {
        lib: {k: float(np.median([r[k] for r in overhead[lib]])) for k in overhead[lib][0]}
        for lib in LIBS
    }
    ratio = (
        med["optuna"]["sampler_s_per_trial_last100"]
        / med["hyperdial"]["sampler_s_per_trial_last100"]
    )
    print(f"time in the sampler per trial at {args.overhead_trials} trials (median of runs):")
    for lib in LIBS:
        m = med[lib]
        print(
            f"  {lib:10} last 100: {m['sampler_s_per_trial_last100'] * 1e3:8.3f} ms   "
            f"all: {m['sampler_s_per_trial_all'] * 1e3:8.3f} ms   "
            f"whole loop: {m['loop_s_per_trial_last100'] * 1e3:8.3f} ms"
        )
    print(f"  Optuna / hyperdial (last 100): {ratio:.1f}x  (target >= 5x)")

    # -- quality ----------------------------------------------------------------------------
    n_trials = max(BUDGETS)
    jobs = [("optuna", p, s, n_trials) for p in problems for s in seeds]
    jobs += [("hyperdial", p, s, n_trials) for p in problems for s in seeds]
    with Pool(args.jobs) as pool:
        results = pool.map(_quality, jobs, chunksize=1)
    best: dict[tuple[str, str], list[list[float]]] = {}
    first: dict[str, list[float]] = {}
    secs = dict.fromkeys(LIBS, 0.0)
    for lib, p, _s, b, el in results:
        best.setdefault((lib, p), []).append(b[:-1])
        first.setdefault(p, []).append(b[-1])
        secs[lib] += el
    rows = []
    wins = dict.fromkeys(BUDGETS, 0)
    print(f"\n{'problem':24} {'budget':>6} {'hyperdial':>11} {'optuna':>11}  as good?")
    for p in problems:
        optimum = PROBLEMS[p][1]
        tol = TIE * abs(float(np.median(first[p])) - optimum)
        regret = {lib: np.median(np.array(best[(lib, p)]) - optimum, axis=0) for lib in LIBS}
        for j, b in enumerate(BUDGETS):
            ok = bool(regret["hyperdial"][j] <= regret["optuna"][j] + tol)
            wins[b] += ok
            rows.append(
                {
                    "problem": p,
                    "budget": b,
                    "tie_tolerance": tol,
                    "hyperdial_median_regret": float(regret["hyperdial"][j]),
                    "optuna_median_regret": float(regret["optuna"][j]),
                    "as_good": ok,
                }
            )
            print(
                f"{p:24} {b:6d} {regret['hyperdial'][j]:11.4g} {regret['optuna'][j]:11.4g}  "
                f"{'yes' if ok else 'no'}"
            )
    for b in BUDGETS:
        print(f"as good as Optuna at {b} trials: {wins[b]}/{len(problems)} problems")
    print("objective+sampler seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in secs.items()))

    import cmaes
    import optuna

    import hyperdial

    result = {
        "benchmark": "cmaes",
        "command": "OMP_NUM_THREADS="
        + os.environ.get("OMP_NUM_THREADS", "unset")
        + " python "
        + " ".join(sys.argv),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_at_start": load_start,
            "loadavg_at_end": os.getloadavg(),
            "python": sys.version.split()[0],
            "jobs": args.jobs,
            "wall_seconds": time.time() - t_start,
        },
        "versions": {
            "hyperdial": hyperdial.__version__,
            "optuna": optuna.__version__,
            "cmaes": cmaes.__version__,
            "numpy": np.__version__,
        },
        "settings": "both samplers with their defaults and seed=s; quality: median regret "
        "over seeds, tie tolerance 1e-3 x |median first value - optimum|",
        "overhead": {
            "trials": args.overhead_trials,
            "runs": overhead,
            "median": med,
            "optuna_over_hyperdial_last100": ratio,
        },
        "seeds": seeds,
        "budgets": BUDGETS,
        "rows": rows,
        "as_good": {str(b): [wins[b], len(problems)] for b in BUDGETS},
        "total_seconds": secs,
    }
    os.makedirs(args.out, exist_ok=True)
    name = "cmaes_quick" if args.quick else "cmaes"
    with open(os.path.join(args.out, f"{name}.json"), "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
