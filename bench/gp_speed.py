"""GP speed: sampler overhead per trial vs the number of finished trials n (d=10), hyperdial's
GPSampler (1 and 2 threads) against Optuna 5.0's GPSampler, Optuna's TPESampler and
scikit-optimize's GP Optimizer, measured in the same process.

    python bench/gp_speed.py                       # n = 10 ... 2000, bench/results/gp_speed.*
    python bench/gp_speed.py --ns 10,100 --name gp_speed_quick

For each n, every sampler gets a study pre-filled (``add_trials``; skopt: one ``tell`` of all
points) with the same n uniformly random points of a 10-d Rosenbrock on [-5, 5]^10. One
warm-up trial lets each sampler fit its model to the pre-filled history (a cold fit, untimed);
then trials are run one by one and the sampler's share of each is timed: ask + the ten
suggest calls + tell, the objective excluded (skopt: ask + tell, which is where it fits).

What is reported, per (sampler, n): the median and the mean wall seconds of the timed trials,
and the mean process CPU seconds (on a machine shared with other jobs, CPU time is the steadier
figure for the single-threaded samplers; wall time is what shows the gain of 2 threads). The
means are the amortised overhead and the figures the ratios use (wall and CPU): hyperdial's
GPSampler refits its hyperparameters only each time the study has grown by 1/16 beyond 100
trials and appends the trials in between by O(n^2) updates, so it is timed over n/16 + 1
consecutive trials, which always include one refit (Optuna's GPSampler refits every trial; a
few trials suffice there).

Optuna runs with OMP_NUM_THREADS=1 (its documentation's advice; torch and BLAS single-threaded),
set before anything is imported. Slow peers can be capped (--skopt-max-n, --optuna-gp-max-n,
--max-seconds): what was skipped and why is written into the results.
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

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
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gp_quality import hyperdial_code_hash

D = 10
LOW, HIGH = -5.0, 5.0
NAMES = [f"x{i}" for i in range(D)]
GP_STAND_IN = os.environ.get("HYPERDIAL_BENCH_GP_STAND_IN", "")


def rosenbrock(x: np.ndarray) -> float:
    return float((100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum())


#: The seed of the pre-filled points; ``ab_speed.py --prefill-seeds`` varies it through the
#: environment to average over instances.
PREFILL_SEED = int(os.environ.get("HYPERDIAL_BENCH_PREFILL_SEED", "12345"))


def prefill(n: int) -> np.ndarray:
    return np.random.default_rng(PREFILL_SEED).uniform(LOW, HIGH, size=(n, D))


class Timing:
    """Seconds (wall and process CPU) of the sampler's share of each timed trial."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)


def _ask_tell_loop(study: Any, n_timed: int, suggest: Callable[[Any], np.ndarray]) -> Timing:
    """One untimed warm-up trial, then ``n_timed`` timed ones (objective excluded)."""
    timing = Timing()
    for j in range(n_timed + 1):
        w0, c0 = time.perf_counter(), time.process_time()
        trial = study.ask()
        x = suggest(trial)
        w1, c1 = time.perf_counter(), time.process_time()
        y = rosenbrock(x)
        w2, c2 = time.perf_counter(), time.process_time()
        study.tell(trial, y)
        w3, c3 = time.perf_counter(), time.process_time()
        if j:
            timing.add((w1 - w0) + (w3 - w2), (c1 - c0) + (c3 - c2))
    return timing


def _suggest(trial: Any) -> np.ndarray:
    return np.array([trial.suggest_float(name, LOW, HIGH) for name in NAMES])


def time_hyperdial(n: int, n_timed: int, n_threads: int) -> Timing:
    import hyperdial
    from hyperdial.distributions import FloatDistribution
    from hyperdial.samplers import QMCSampler, TPESampler
    from hyperdial.trial import FrozenTrial, TrialState

    hyperdial.logging.set_verbosity(logging.WARNING)
    if GP_STAND_IN:
        sampler: Any = {"tpe": TPESampler, "sobol": QMCSampler}[GP_STAND_IN](seed=0)
    else:
        from hyperdial.samplers import GPSampler

        sampler = GPSampler(seed=0, n_threads=n_threads)
    dists = {name: FloatDistribution(LOW, HIGH) for name in NAMES}
    study = hyperdial.create_study(sampler=sampler)
    study.add_trials(
        FrozenTrial(
            state=TrialState.COMPLETE,
            values=[rosenbrock(x)],
            params=dict(zip(NAMES, map(float, x), strict=True)),
            distributions=dists,
        )
        for x in prefill(n)
    )
    return _ask_tell_loop(study, n_timed, _suggest)


def time_optuna(n: int, n_timed: int, which: str) -> Timing:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    sampler = (
        optuna.samplers.GPSampler(seed=0) if which == "gp" else optuna.samplers.TPESampler(seed=0)
    )
    dists = {name: optuna.distributions.FloatDistribution(LOW, HIGH) for name in NAMES}
    study = optuna.create_study(sampler=sampler)
    study.add_trials(
        [
            optuna.trial.create_trial(
                value=rosenbrock(x),
                params=dict(zip(NAMES, map(float, x), strict=True)),
                distributions=dists,
            )
            for x in prefill(n)
        ]
    )
    return _ask_tell_loop(study, n_timed, _suggest)


def time_skopt(n: int, n_timed: int) -> Timing:
    from skopt import Optimizer

    warnings.simplefilter("ignore")
    opt = Optimizer([(LOW, HIGH)] * D, base_estimator="GP", n_initial_points=10, random_state=0)
    xs = prefill(n)
    opt.tell(xs.tolist(), [rosenbrock(x) for x in xs])  # the warm-up: one fit at n
    timing = Timing()
    for _ in range(n_timed):
        w0, c0 = time.perf_counter(), time.process_time()
        x = np.array(opt.ask())
        w1, c1 = time.perf_counter(), time.process_time()
        y = rosenbrock(x)
        w2, c2 = time.perf_counter(), time.process_time()
        opt.tell(x.tolist(), y)
        w3, c3 = time.perf_counter(), time.process_time()
        timing.add((w1 - w0) + (w3 - w2), (c1 - c0) + (c3 - c2))
    return timing


LIBS = ["hyperdial_gp_1t", "hyperdial_gp_2t", "optuna_gp", "optuna_tpe", "skopt_gp"]
LABELS = {
    "hyperdial_gp_1t": "hyperdial GP, 1 thread",
    "hyperdial_gp_2t": "hyperdial GP, 2 threads",
    "optuna_gp": "Optuna 5.0 GP (1 thread)",
    "optuna_tpe": "Optuna 5.0 TPE",
    "skopt_gp": "scikit-optimize GP",
}


def n_timed_for(lib: str, n: int, quick: bool) -> int:
    if lib.startswith("hyperdial_gp"):
        # One full refit period beyond 100 trials (see the module docstring).
        return max(5, math.ceil(n / 16) + 1) if not quick else 3
    if lib == "optuna_tpe":
        return 10
    if lib == "optuna_gp":
        return 5 if n <= 300 else (3 if n <= 1000 else 2)
    return 3 if n <= 100 else 2  # skopt


def measure(lib: str, n: int, k: int) -> Timing:
    if lib == "hyperdial_gp_1t":
        return time_hyperdial(n, k, 1)
    if lib == "hyperdial_gp_2t":
        return time_hyperdial(n, k, 2)
    if lib == "optuna_gp":
        return time_optuna(n, k, "gp")
    if lib == "optuna_tpe":
        return time_optuna(n, k, "tpe")
    return time_skopt(n, k)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--ns", default="10,50,100,300,1000,2000", help="comma-separated n")
    ap.add_argument(
        "--libs", default=",".join(LIBS), help="comma-separated subset of " + str(LIBS)
    )
    ap.add_argument("--skopt-max-n", type=int, default=300)
    ap.add_argument("--optuna-gp-max-n", type=int, default=2000)
    ap.add_argument(
        "--max-seconds",
        type=float,
        default=60.0,
        help="skip a sampler at larger n once its median trial took longer than this",
    )
    ap.add_argument("--quick", action="store_true", help="3 timed trials for hyperdial")
    ap.add_argument("--name", default="gp_speed")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    ap.add_argument("--note", default="", help="free text stored in the JSON and the plot")
    ap.add_argument("--replot", default="", help="only redraw the PNG of this results JSON")
    args = ap.parse_args()
    if args.replot:
        with open(args.replot) as f:
            plot(json.load(f), args.replot.removesuffix(".json") + ".png")
        return
    ns = [int(v) for v in args.ns.split(",")]
    libs = [v for v in args.libs.split(",") if v]
    bad = [v for v in libs if v not in LIBS]
    if bad:
        raise SystemExit(f"--libs: unknown {bad}; known: {LIBS}")
    caps = {
        "skopt_gp": ("--skopt-max-n", args.skopt_max_n),
        "optuna_gp": ("--optuna-gp-max-n", args.optuna_gp_max_n),
    }
    too_slow: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    print(f"{'n':>5} {'sampler':24} {'mean ms':>10} {'median ms':>10} {'cpu ms':>9} {'k':>4}")
    for n in ns:
        row: dict[str, Any] = {"n": n}
        for lib in libs:
            if lib in caps and n > caps[lib][1]:
                why = f"n > {caps[lib][0]}={caps[lib][1]} (too slow for the time budget)"
                skipped.append({"sampler": lib, "n": n, "why": why})
                print(f"{n:5d} {lib:24} skipped: {why}")
                continue
            if lib in too_slow:
                skipped.append({"sampler": lib, "n": n, "why": too_slow[lib]})
                print(f"{n:5d} {lib:24} skipped: {too_slow[lib]}")
                continue
            k = n_timed_for(lib, n, args.quick)
            t = measure(lib, n, k)
            mean, med = statistics.fmean(t.wall), statistics.median(t.wall)
            row[lib] = {
                "mean_s": mean,
                "median_s": med,
                "cpu_mean_s": statistics.fmean(t.cpu),
                "max_s": max(t.wall),
                "timed_trials": k,
                "wall_s": t.wall,
            }
            print(
                f"{n:5d} {lib:24} {mean * 1e3:10.2f} {med * 1e3:10.2f} "
                f"{statistics.fmean(t.cpu) * 1e3:9.2f} {k:4d}",
                flush=True,
            )
            if med > args.max_seconds:
                too_slow[lib] = (
                    f"median trial at n={n} took {med:.0f} s > --max-seconds={args.max_seconds}"
                )
        for hd in ("hyperdial_gp_1t", "hyperdial_gp_2t"):
            for peer in ("optuna_gp", "optuna_tpe", "skopt_gp"):
                if hd in row and peer in row:
                    row[f"{peer}/{hd}"] = row[peer]["mean_s"] / row[hd]["mean_s"]
                    row[f"cpu {peer}/{hd}"] = row[peer]["cpu_mean_s"] / row[hd]["cpu_mean_s"]
        for key in (k for k in row if "/" in k):
            print(f"{n:5d} {key:40} {row[key]:8.1f}", flush=True)
        rows.append(row)
        _write(args, rows, skipped)  # after every n: an interrupted run keeps what it measured


def _write(args: argparse.Namespace, rows: list[dict[str, Any]], skipped: list[Any]) -> None:
    import optuna
    import skopt
    import torch

    import hyperdial

    result = {
        "benchmark": "gp_speed",
        "what": "seconds of sampler work per trial (ask + 10 suggests + tell, objective "
        "excluded; skopt: ask + tell) after n pre-filled random trials of a 10-d Rosenbrock; "
        "mean over the timed trials (amortised, used for the ratios) and median",
        "gp_stand_in": GP_STAND_IN,
        "note": args.note,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpus": os.cpu_count(),
            "loadavg_at_end": os.getloadavg(),
            "python": sys.version.split()[0],
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "utc_end": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
        "versions": {
            "hyperdial": hyperdial.__version__,
            "hyperdial_gp_code": hyperdial_code_hash(),
            "optuna": optuna.__version__,
            "torch": torch.__version__,
            "scikit-optimize": skopt.__version__,
            "numpy": np.__version__,
        },
        "rows": rows,
        "skipped": skipped,
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"{args.name}.json"), "w") as f:
        json.dump(result, f, indent=1)
    plot(result, os.path.join(args.out, f"{args.name}.png"))


def plot(result: dict[str, Any], path: str) -> None:
    """Log-log plot of the wall and CPU means of a results dict (also: --replot JSON)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    for ax, key, what in zip(axes, ("mean_s", "cpu_mean_s"), ("wall", "process CPU"), strict=True):
        for lib in LIBS:
            pts = [(r["n"], r[lib][key]) for r in result["rows"] if lib in r]
            if pts:
                ax.loglog(*zip(*pts, strict=True), "o-", label=LABELS[lib])
        ax.set_xlabel("finished trials n")
        ax.set_ylabel(f"sampler {what} seconds per trial (mean)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    load = ", ".join(f"{v:.1f}" for v in result["machine"]["loadavg_at_end"])
    title = f"GP sampler overhead per trial, d=10 (load average at the end {load} on 2 cores)"
    if result["gp_stand_in"]:
        title += f"\n(hyperdial GP STAND-IN = {result['gp_stand_in']})"
    if result.get("note"):
        title += "\n" + result["note"]
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
