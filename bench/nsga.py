"""NSGA-II / NSGA-III: hypervolume and per-trial overhead against Optuna 5.0's samplers, in the
same run.

Problems: ZDT1 and ZDT2 (Zitzler, Deb and Thiele 2000; 2 objectives, d = 10) and DTLZ2 (Deb,
Thiele, Laumanns and Zitzler 2002; 3 objectives, d = 7). Each library runs its sampler with
its defaults (population 50, uniform crossover) and the same seeds; NSGA-III is run on DTLZ2
only. Reported per problem: the median over seeds of the hypervolume of all trials (fixed
reference point), and the median wall time per trial (ask + a trivial objective + tell, the
whole study divided by its trials), for each library.

    python bench/nsga.py                          # 5 seeds x 1000 trials -> results/nsga.json
    python bench/nsga.py --seeds 2 --trials 200   # a smoke test
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from hyperdial.visualization._hypervolume import hypervolume


def zdt1(x: np.ndarray) -> tuple[float, ...]:
    g = 1.0 + 9.0 * x[1:].mean()
    return float(x[0]), float(g * (1.0 - math.sqrt(x[0] / g)))


def zdt2(x: np.ndarray) -> tuple[float, ...]:
    g = 1.0 + 9.0 * x[1:].mean()
    return float(x[0]), float(g * (1.0 - (x[0] / g) ** 2))


def dtlz2(x: np.ndarray) -> tuple[float, ...]:
    g = float(((x[2:] - 0.5) ** 2).sum())
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    r = 1.0 + g
    return r * math.cos(a) * math.cos(b), r * math.cos(a) * math.sin(b), r * math.sin(a)


#: name -> (function, dimension, objectives, hypervolume reference point, sampler kind)
PROBLEMS: dict[
    str, tuple[Callable[[np.ndarray], tuple[float, ...]], int, int, list[float], str]
] = {
    "zdt1_d10/nsga2": (zdt1, 10, 2, [1.1, 11.0], "nsga2"),
    "zdt2_d10/nsga2": (zdt2, 10, 2, [1.1, 11.0], "nsga2"),
    "dtlz2_d7/nsga2": (dtlz2, 7, 3, [2.5, 2.5, 2.5], "nsga2"),
    "dtlz2_d7/nsga3": (dtlz2, 7, 3, [2.5, 2.5, 2.5], "nsga3"),
}


def run(lib: str, problem: str, seed: int, n_trials: int) -> dict[str, float]:
    func, d, m, ref, kind = PROBLEMS[problem]
    if lib == "hyperdial":
        import hyperdial as api
        from hyperdial.samplers import NSGAIIISampler, NSGAIISampler

        api.logging.set_verbosity(logging.WARNING)
    else:
        import optuna as api  # type: ignore[no-redef]
        from optuna.samplers import NSGAIIISampler, NSGAIISampler  # type: ignore[assignment]

        api.logging.set_verbosity(api.logging.WARNING)
    sampler = (NSGAIISampler if kind == "nsga2" else NSGAIIISampler)(seed=seed)
    study = api.create_study(directions=["minimize"] * m, sampler=sampler)

    def objective(trial: Any) -> tuple[float, ...]:
        return func(np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(d)]))

    t0 = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    seconds = time.perf_counter() - t0
    loss = np.array([t.values for t in study.trials if t.values is not None])
    return {
        "hypervolume": float(hypervolume(loss, np.array(ref))),
        "s_per_trial": seconds / n_trials,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import optuna

    import hyperdial

    load_before = os.getloadavg()
    runs: dict[str, dict[str, list[dict[str, float]]]] = {}
    for problem in PROBLEMS:
        runs[problem] = {"hyperdial": [], "optuna": []}
        for seed in range(args.seeds):
            for lib in ("hyperdial", "optuna"):  # back to back: the same load for both
                runs[problem][lib].append(run(lib, problem, seed, args.trials))
        row = {
            lib: (
                statistics.median(r["hypervolume"] for r in rs),
                statistics.median(r["s_per_trial"] for r in rs),
            )
            for lib, rs in runs[problem].items()
        }
        print(
            f"{problem:16s} HV hyperdial {row['hyperdial'][0]:.4f} optuna "
            f"{row['optuna'][0]:.4f} | ms/trial hyperdial {1e3 * row['hyperdial'][1]:.2f} "
            f"optuna {1e3 * row['optuna'][1]:.2f}",
            flush=True,
        )
    summary = {
        problem: {
            lib: {
                "median_hypervolume": statistics.median(r["hypervolume"] for r in rs),
                "median_ms_per_trial": 1e3 * statistics.median(r["s_per_trial"] for r in rs),
                "seeds_with_larger_hypervolume": int(
                    sum(
                        r["hypervolume"] > o["hypervolume"]
                        for r, o in zip(
                            rs,
                            runs[problem]["optuna" if lib == "hyperdial" else "hyperdial"],
                            strict=True,
                        )
                    )
                ),
            }
            for lib, rs in libs.items()
        }
        for problem, libs in runs.items()
    }
    out = {
        "benchmark": "nsga",
        "command": " ".join(["python", "bench/nsga.py", *sys.argv[1:]]),
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
        },
        "versions": {"hyperdial": hyperdial.__version__, "optuna": optuna.__version__},
        "settings": {"seeds": args.seeds, "trials": args.trials, "population_size": 50},
        "problems": {
            k: {"d": v[1], "objectives": v[2], "reference": v[3]} for k, v in PROBLEMS.items()
        },
        "summary": summary,
        "runs": runs,
    }
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "nsga.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
