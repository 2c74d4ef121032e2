"""Per-trial overhead of TPE vs the number of finished trials n (d=10), against Optuna 5.0's
TPESampler and Hyperopt's TPE, measured in the same run.

For each n, each library gets a study pre-filled with the same n random trials of a 10-d
shifted sphere; after one warm-up trial (which lets incremental samplers read the history
once), ``k`` further trials are timed end to end (ask + objective + tell, or one Hyperopt
``fmin`` step). The median seconds per trial are reported.

    python bench/tpe_overhead.py            # writes bench/results/tpe_overhead.{json,png}
    python bench/tpe_overhead.py --quick    # n up to 1000, for a smoke test
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
import warnings
from typing import Any

import numpy as np

D = 10
LOW, HIGH = -5.0, 5.0


def _objective_np(x: np.ndarray) -> float:
    return float(((x - 1.0) ** 2).sum())


def _prefill(n: int) -> np.ndarray:
    return np.random.default_rng(12345).uniform(LOW, HIGH, size=(n, D))


def time_hyperdial(n: int, k: int) -> list[float]:
    import hyperdial
    from hyperdial.distributions import FloatDistribution
    from hyperdial.samplers import TPESampler
    from hyperdial.trial import FrozenTrial, TrialState

    hyperdial.logging.set_verbosity(logging.WARNING)
    dists = {f"x{i}": FloatDistribution(LOW, HIGH) for i in range(D)}
    study = hyperdial.create_study(sampler=TPESampler(seed=0))
    study.add_trials(
        FrozenTrial(
            state=TrialState.COMPLETE,
            values=[_objective_np(x)],
            params={f"x{i}": float(v) for i, v in enumerate(x)},
            distributions=dists,
        )
        for x in _prefill(n)
    )

    def objective(t: hyperdial.Trial) -> float:
        return _objective_np(np.array([t.suggest_float(f"x{i}", LOW, HIGH) for i in range(D)]))

    return _time_trials(study, objective, k)


def _time_trials(study: Any, objective: Any, k: int) -> list[float]:
    """Seconds for each of ``k`` single-trial optimize calls, after one warm-up trial."""
    out = []
    for j in range(k + 1):
        t0 = time.perf_counter()
        study.optimize(objective, n_trials=1)
        if j:
            out.append(time.perf_counter() - t0)
    return out


def time_optuna(n: int, k: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    dists = {f"x{i}": optuna.distributions.FloatDistribution(LOW, HIGH) for i in range(D)}
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    study.add_trials(
        [
            optuna.trial.create_trial(
                value=_objective_np(x),
                params={f"x{i}": float(v) for i, v in enumerate(x)},
                distributions=dists,
            )
            for x in _prefill(n)
        ]
    )

    def objective(t: optuna.Trial) -> float:
        return _objective_np(np.array([t.suggest_float(f"x{i}", LOW, HIGH) for i in range(D)]))

    return _time_trials(study, objective, k)


def time_hyperopt(n: int, k: int) -> list[float]:
    from hyperopt import STATUS_OK, Trials, fmin, hp, tpe
    from hyperopt.fmin import generate_trials_to_calculate

    space = [hp.uniform(f"x{i}", LOW, HIGH) for i in range(D)]
    pts = [{f"x{i}": float(v) for i, v in enumerate(x)} for x in _prefill(n)]
    trials: Trials = generate_trials_to_calculate(pts)

    def objective(x: list[float]) -> dict[str, object]:
        return {"loss": _objective_np(np.asarray(x)), "status": STATUS_OK}

    rstate = np.random.default_rng(0)
    fmin(
        objective,
        space,
        algo=tpe.suggest,
        max_evals=n,
        trials=trials,
        rstate=rstate,
        show_progressbar=False,
    )
    out = []
    for j in range(k + 1):
        t0 = time.perf_counter()
        fmin(
            objective,
            space,
            algo=tpe.suggest,
            max_evals=len(trials.trials) + 1,
            trials=trials,
            rstate=rstate,
            show_progressbar=False,
        )
        if j:
            out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    ap.add_argument("--ns", default="", help="comma-separated n values (default: all)")
    ap.add_argument(
        "--hyperopt-max-n",
        type=int,
        default=1000,
        help="largest n for Hyperopt, whose pre-fill evaluates points one by one (~n^2)",
    )
    ap.add_argument("--name", default="", help="result file name (default tpe_overhead)")
    args = ap.parse_args()
    ns = [10, 100, 500, 1000] if args.quick else [10, 100, 500, 1000, 2000, 5000, 10000]
    if args.ns:
        ns = [int(v) for v in args.ns.split(",")]
    rows = []
    print(
        f"{'n':>6} {'hyperdial ms':>13} {'optuna ms':>10} {'hyperopt ms':>12} "
        f"{'optuna/hd':>10} {'hyperopt/hd':>12}"
    )
    for n in ns:
        k = 20 if n <= 1000 else 5
        hd = statistics.median(time_hyperdial(n, k))
        op = statistics.median(time_optuna(n, max(3, k // 4) if n > 1000 else k))
        ho = (
            statistics.median(time_hyperopt(n, 3 if n > 1000 else 10))
            if n <= args.hyperopt_max_n
            else None
        )
        rows.append({"n": n, "hyperdial_s": hd, "optuna_s": op, "hyperopt_s": ho})
        ho_ms = f"{ho * 1e3:12.2f}" if ho is not None else f"{'skipped':>12}"
        ho_ratio = f"{ho / hd:12.1f}" if ho is not None else f"{'-':>12}"
        print(
            f"{n:6d} {hd * 1e3:13.3f} {op * 1e3:10.2f} {ho_ms} {op / hd:10.1f} {ho_ratio}",
            flush=True,
        )
        _write(args, rows)  # after every n: an interrupted run keeps what it measured


def _write(args: argparse.Namespace, rows: list[dict[str, object]]) -> None:
    import hyperopt
    import optuna

    import hyperdial

    result = {
        "benchmark": "tpe_overhead",
        "what": "median wall seconds per trial (ask + 10-d sphere + tell) after n prefilled "
        "random trials",
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpus": os.cpu_count(),
            "loadavg_at_end": os.getloadavg(),
            "python": sys.version.split()[0],
        },
        "versions": {
            "hyperdial": hyperdial.__version__,
            "optuna": optuna.__version__,
            "hyperopt": hyperopt.__version__,
            "numpy": np.__version__,
        },
        "rows": rows,
    }
    os.makedirs(args.out, exist_ok=True)
    name = args.name or ("tpe_overhead_quick" if args.quick else "tpe_overhead")

    with open(os.path.join(args.out, f"{name}.json"), "w") as f:
        json.dump(result, f, indent=2)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for key, label in [
        ("hyperdial_s", "hyperdial TPE"),
        ("optuna_s", "Optuna 5.0 TPE"),
        ("hyperopt_s", "Hyperopt TPE"),
    ]:
        pts = [(r["n"], r[key]) for r in rows if r[key] is not None]
        ax.loglog([p[0] for p in pts], [p[1] * 1e3 for p in pts], "o-", label=label)
    ax.set_xlabel("finished trials n")
    ax.set_ylabel("ms per trial (median)")
    ax.set_title("TPE per-trial overhead, d=10")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, f"{name}.png"), dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
