"""Times the GP core (hyperdial.gp) against scikit-learn's GaussianProcessRegressor and Optuna's
GPSampler.ask on the same data, and writes bench/results/gp_core.json (+ .png if matplotlib).

    OMP_NUM_THREADS=1 python bench/gp_core.py --dims 5 10 20 \
        --sizes 50 100 300 1000 2000 5000 --repeat 3 --threads 2

What is timed, per (d, n), median of --repeat runs (wall clock):
  hd_cold_fit      GaussianProcess.fit from the prior (hyperparameters + factorisation);
                   only up to --cold-max-n (it is the one-off cost, tens of evaluations)
  hd_warm_fit      fit warm-started from the fit on the first n - 1 points (what a sampler
                   does after each new trial)
  hd_acq           one maximize("log_ei") on the fitted model
  hd_warm_fit_acq  the two together, from the same starting state
  hd_append        one O(n^2) append at n
  sk_fit           GaussianProcessRegressor(Matern(nu=2.5) ARD, n_restarts_optimizer=0).fit
  optuna_ask       GPSampler.ask() on a study holding the same n trials (Optuna 5.0)
hyperdial runs with --threads threads (explicitly, since OMP_NUM_THREADS=1 is Optuna's advice for
its torch code); peers (--peers, default both) run up to --peer-max-n (beyond it they take
minutes per call) and are skipped when not installed (pip install --group bench).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import pathlib
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from hyperdial import _core
from hyperdial.gp import GaussianProcess

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gp_core_summary import plot


def objective(x: np.ndarray) -> np.ndarray:
    return -np.sum((x - 0.3) ** 2, axis=-1) + 0.1 * np.sin(10 * x[..., 0])


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_hyperdial(
    x: np.ndarray, y: np.ndarray, repeat: int, threads: int, cold: bool
) -> dict[str, float]:
    d = x.shape[1]
    out: dict[str, float] = {}
    if cold:
        out["hd_cold_fit"] = median_time(
            lambda: GaussianProcess(["continuous"] * d).fit(x, y, n_threads=threads), repeat
        )
    base = GaussianProcess(["continuous"] * d).fit(x[:-1], y[:-1], n_threads=threads)

    def fresh() -> GaussianProcess:
        # The state a sampler holds after the previous trial: the fit on n - 1 points.
        return copy.deepcopy(base)

    def warm_fit() -> None:
        fresh().fit(x, y, n_threads=threads)

    def warm_fit_acq() -> None:
        gp = fresh()
        gp.fit(x, y, n_threads=threads)
        gp.maximize(seed=0, n_threads=threads)

    fitted = fresh().fit(x, y, n_threads=threads)
    out["hd_warm_fit"] = median_time(warm_fit, repeat)
    out["hd_acq"] = median_time(lambda: fitted.maximize(seed=0, n_threads=threads), repeat)
    out["hd_warm_fit_acq"] = median_time(warm_fit_acq, repeat)

    def append() -> None:
        g = _core.ExactGP(
            _core.KernelKind.matern52, [_core.DimKind.continuous] * d, base.log_params,
            x[:-1], y[:-1], None, threads,
        )  # fmt: skip
        start = time.perf_counter()
        g.append(x[-1], float(y[-1]), None, threads)
        append.elapsed = time.perf_counter() - start  # type: ignore[attr-defined]

    times = []
    for _ in range(repeat):
        append()
        times.append(append.elapsed)  # type: ignore[attr-defined]
    out["hd_append"] = statistics.median(times)
    return out


def bench_sklearn(x: np.ndarray, y: np.ndarray, repeat: int) -> dict[str, float]:
    try:
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
    except ImportError:
        return {}
    d = x.shape[1]

    def fit() -> None:
        kernel = ConstantKernel() * Matern(np.ones(d), nu=2.5) + WhiteKernel(1e-3)
        GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=0).fit(x, y)

    return {"sk_fit": median_time(fit, repeat)}


def bench_optuna(x: np.ndarray, y: np.ndarray, repeat: int) -> dict[str, float]:
    try:
        import optuna
    except ImportError:
        return {}
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    d = x.shape[1]
    dists = {f"x{j}": optuna.distributions.FloatDistribution(0, 1) for j in range(d)}
    trials = [
        optuna.trial.create_trial(
            params={f"x{j}": float(row[j]) for j in range(d)}, distributions=dists, value=float(v)
        )
        for row, v in zip(x, y, strict=True)
    ]

    def ask() -> None:
        study = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.GPSampler(seed=0)
        )
        study.add_trials(trials)
        trial = study.ask()
        for name, dist in dists.items():
            trial._suggest(name, dist)

    return {"optuna_ask": median_time(ask, repeat), "optuna_version": optuna.__version__}  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[10])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 300, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument(
        "--peers", default="sklearn,optuna", help="comma-separated subset of sklearn,optuna"
    )
    parser.add_argument("--threads", type=int, default=2, help="hyperdial's n_threads")
    parser.add_argument("--peer-max-n", type=int, default=1000)
    parser.add_argument("--cold-max-n", type=int, default=2000)
    parser.add_argument("--out", default="bench/results/gp_core.json")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    for d in args.dims:
        for n in args.sizes:
            rng = np.random.default_rng(n * 100 + d)
            x = rng.random((n, d))
            y = objective(x) + 0.01 * rng.standard_normal(n)
            row: dict[str, Any] = {
                "d": d,
                "n": n,
                **bench_hyperdial(x, y, args.repeat, args.threads, n <= args.cold_max_n),
            }
            peers = set(args.peers.split(","))
            if not args.no_peers and n <= args.peer_max_n:
                if "sklearn" in peers:
                    row.update(bench_sklearn(x, y, args.repeat))
                if "optuna" in peers:
                    row.update(bench_optuna(x, y, args.repeat))
            rows.append(row)
            print("  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                            for k, v in row.items()), flush=True)  # fmt: skip
    result = {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        },
        "versions": {
            "hyperdial": _core.version(),
            "openmp": _core.openmp_enabled(),
            "avx2_copy": _core.uses_avx2(),
        },
        "threads": args.threads,
        "peer_max_n": args.peer_max_n,
        "cold_max_n": args.cold_max_n,
        "repeat": args.repeat,
        "rows": rows,
    }
    path = pathlib.Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    plot(rows, path.with_suffix(".png"))


if __name__ == "__main__":
    main()
