"""Time and check get_param_importances against Optuna's PED-ANOVA and fANOVA evaluators.

    python bench/importance.py                        # 1 000 and 10 000 trials, 3 runs
    python bench/importance.py --sizes 1000 --runs 1  # a quick look
    python bench/importance.py --json bench/results/importance.json \
        --png bench/results/importance.png            # what the results page shows

Problem: Sobol's G-function in d = 10, g(u) = prod_i (|4 u_i - 2| + a_i) / (1 + a_i) with
a = (0, 0.5, 1, 2, 4.5, 9, 20, 50, 99, 99), u uniform on [0, 1]^10 (random trials, added with
``Study.add_trials``; run r uses study seed r). Its indices are analytic: with
V_i = 1 / (3 (1 + a_i)^2) and V = prod (1 + V_i) - 1, S_i = V_i / V and
ST_i = V_i prod_{j != i} (1 + V_j) / V.

Accuracy: the largest absolute error of the normalised importances against the normalised
index the evaluator estimates (total indices for GP-Sobol, first-order ones for fANOVA), and
for every evaluator the Spearman rank correlation with the total indices over the six
parameters whose indices differ enough to rank (a < 20). PED-ANOVA estimates a different
quantity (importance for reaching the top 10 %), so only its ranking is compared.

Target: GP-Sobol at 10 000 trials in under 5 s. Times are medians over the runs, each the wall
time of one get_param_importances call (the evaluator fitted from scratch). A case at or above
``--cap-from`` trials runs in a child process stopped after ``--cap`` seconds; once a run is
stopped, the case's other runs are skipped and its time is reported as "> cap".
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import hyperdial
from hyperdial.distributions import FloatDistribution
from hyperdial.trial import FrozenTrial, TrialState

A = np.array([0.0, 0.5, 1.0, 2.0, 4.5, 9.0, 20.0, 50.0, 99.0, 99.0])
D = A.size
NAMES = [f"x{i}" for i in range(D)]
RANKED = A < 20


def indices() -> tuple[np.ndarray, np.ndarray]:
    vi = 1 / (3 * (1 + A) ** 2)
    v = np.prod(1 + vi) - 1
    return vi / v, vi * np.prod(1 + vi) / (1 + vi) / v


def data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    u = np.random.default_rng(seed).random((n, D))
    return u, np.prod((np.abs(4 * u - 2) + A) / (1 + A), axis=1)


def hyperdial_study(u: np.ndarray, y: np.ndarray) -> hyperdial.Study:
    dist = FloatDistribution(0.0, 1.0)
    study = hyperdial.create_study()
    study.add_trials(
        FrozenTrial(
            state=TrialState.COMPLETE,
            params=dict(zip(NAMES, map(float, row), strict=True)),
            distributions=dict.fromkeys(NAMES, dist),
            value=float(v),
        )
        for row, v in zip(u, y, strict=True)
    )
    return study


def optuna_study(u: np.ndarray, y: np.ndarray) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dist = optuna.distributions.FloatDistribution(0.0, 1.0)
    study = optuna.create_study()
    study.add_trials(
        optuna.trial.create_trial(
            params=dict(zip(NAMES, map(float, row), strict=True)),
            distributions=dict.fromkeys(NAMES, dist),
            value=float(v),
        )
        for row, v in zip(u, y, strict=True)
    )
    return study


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def cases() -> list[tuple[str, str, str, Callable[[Any], dict[str, float]]]]:
    """(library, evaluator, index estimated, call) for every evaluator timed."""
    import optuna

    from hyperdial import importance as hi

    def ours(make: Callable[[], Any]) -> Callable[[Any], dict[str, float]]:
        return lambda s: hi.get_param_importances(s, evaluator=make())

    def theirs(make: Callable[[], Any]) -> Callable[[Any], dict[str, float]]:
        return lambda s: optuna.importance.get_param_importances(s, evaluator=make())

    return [
        ("hyperdial", "GP-Sobol", "total", ours(lambda: hi.GPSobolImportanceEvaluator(seed=0))),
        ("hyperdial", "PED-ANOVA", "-", ours(hi.PedAnovaImportanceEvaluator)),
        ("hyperdial", "fANOVA", "first", ours(lambda: hi.FanovaImportanceEvaluator(seed=0))),
        ("optuna", "PED-ANOVA", "-", theirs(optuna.importance.PedAnovaImportanceEvaluator)),
        (
            "optuna",
            "fANOVA",
            "first",
            theirs(lambda: optuna.importance.FanovaImportanceEvaluator(seed=0)),
        ),
    ]


def _child(case: int, n: int, seed: int, queue: Any) -> None:
    lib, _, _, call = cases()[case]
    u, y = data(n, seed)
    study = hyperdial_study(u, y) if lib == "hyperdial" else optuna_study(u, y)
    t0 = time.perf_counter()
    got = call(study)
    queue.put((time.perf_counter() - t0, got))


def capped(case: int, n: int, seed: int, cap: float) -> tuple[float, dict[str, float]] | None:
    """One run of a case in a child process; None if it did not finish within ``cap`` s."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(case, n, seed, queue))
    proc.start()
    try:
        result: tuple[float, dict[str, float]] = queue.get(timeout=cap)
    except Exception:  # queue.Empty: the run is still going
        proc.kill()
        proc.join()
        return None
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", default=None)
    parser.add_argument("--png", default=None)
    parser.add_argument("--cap-from", type=int, default=5000)
    parser.add_argument("--cap", type=float, default=600.0)
    parser.add_argument("--replot", default=None, help="redraw --png from this JSON and exit")
    args = parser.parse_args()
    if args.replot:
        with open(args.replot) as f:
            plot(json.load(f)["rows"], args.png)
        return
    import optuna

    hyperdial.logging.set_verbosity(30)
    first, total = indices()
    want = {"first": first / first.sum(), "total": total / total.sum()}
    rows = []
    for n in args.sizes:
        studies = []
        for r in range(args.runs):
            u, y = data(n, r)
            studies.append((hyperdial_study(u, y), optuna_study(u, y)))
        for case, (lib, name, index, call) in enumerate(cases()):
            times, errors, ranks = [], [], []
            stopped = False
            for r, (ours, theirs) in enumerate(studies):
                if n >= args.cap_from:
                    out = capped(case, n, r, args.cap)
                    if out is None:
                        stopped = True
                        break
                    elapsed, got = out
                else:
                    study = ours if lib == "hyperdial" else theirs
                    t0 = time.perf_counter()
                    got = call(study)
                    elapsed = time.perf_counter() - t0
                times.append(elapsed)
                vec = np.array([got.get(k, 0.0) for k in NAMES])
                if index != "-":
                    errors.append(float(np.abs(vec - want[index]).max()))
                ranks.append(spearman(vec[RANKED], total[RANKED]))
            if stopped and not times:
                rows.append({"n_trials": n, "library": lib, "evaluator": name, "index": index,
                             "time_s": None, "stopped_after_s": args.cap})  # fmt: skip
                print(f"{n:>6} {lib:<10} {name:<10} > {args.cap:.0f} s (stopped)", flush=True)
                continue
            row = {
                "n_trials": n,
                "library": lib,
                "evaluator": name,
                "index": index,
                "time_s": statistics.median(times),
                "times_s": times,
                "stopped_after_s": args.cap if stopped else None,
                "max_abs_error": statistics.median(errors) if errors else None,
                "spearman_total": statistics.median(ranks),
            }
            rows.append(row)
            err = "-" if row["max_abs_error"] is None else f"{row['max_abs_error']:.3f}"
            print(
                f"{n:>6} {lib:<10} {name:<10} {row['time_s']:>8.2f} s  err {err:>6}  "
                f"rho {row['spearman_total']:.3f}",
                flush=True,
            )
    if args.json:
        import sklearn

        meta = {
            "machine": platform.platform(),
            "cpus": os.cpu_count(),
            "load_avg": os.getloadavg(),
            "python": platform.python_version(),
            "hyperdial": hyperdial.__version__,
            "optuna": optuna.__version__,
            "scikit-learn": sklearn.__version__,
            "runs": args.runs,
            "problem": "G-function d=10, a=" + ",".join(f"{a:g}" for a in A),
        }
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "rows": rows}, f, indent=1)
    if args.png:
        plot(rows, args.png)


def plot(rows: list[dict[str, Any]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = sorted({(r["library"], r["evaluator"]) for r in rows}, key=lambda t: (t[1], t[0]))
    sizes = sorted({r["n_trials"] for r in rows})
    fig, ax = plt.subplots(figsize=(7, 3.2))
    width = 0.8 / len(sizes)
    for k, n in enumerate(sizes):
        by = {
            (r["library"], r["evaluator"]): r["time_s"] or r["stopped_after_s"]
            for r in rows
            if r["n_trials"] == n
        }
        stopped = {
            (r["library"], r["evaluator"])
            for r in rows
            if r["n_trials"] == n and r["time_s"] is None
        }
        xs = np.arange(len(labels)) + k * width
        bars = ax.bar(xs, [by.get(lab, np.nan) for lab in labels], width, label=f"{n} trials")
        for x, lab, bar in zip(xs, labels, bars, strict=True):
            if lab in stopped:
                bar.set_hatch("//")
                ax.annotate("stopped", (x, by[lab]), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(np.arange(len(labels)) + width * (len(sizes) - 1) / 2)
    ax.set_xticklabels([f"{e}\n({lib})" for lib, e in labels], fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("get_param_importances, s")
    ax.axhline(5.0, color="grey", lw=0.8, ls="--")
    ax.legend(fontsize=8)
    ax.set_title("G-function, d = 10 (median of runs)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)


if __name__ == "__main__":
    main()
