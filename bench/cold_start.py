"""First ask of a new process on a stored study with n finished trials (d = 10): hyperdial's
GPSampler starting from the fit a previous worker saved in the study ("resume"), hyperdial
without a saved fit ("cold"), and Optuna 5.0's GPSampler, in the same run; and the second ask
of the same process ("warm").

    python bench/cold_start.py [--ns 100 300 1000 2000] [--repeat 3] \\
        [--optuna-python /path/to/venv-with-optuna/bin/python] [--name cold_start]

Per n: a SQLite study is filled with n uniformly random points of a 10-d Rosenbrock on
[-2, 2]^10 (``add_trials``). For hyperdial, one process then runs one GPSampler trial (a
previous worker: it fits the model and saves the fit in the study); a copy of the file with the
saved fit removed is the "cold" study. Each measurement is a fresh interpreter that loads the
study and times ask + the ten ``suggest_float`` calls of its first trial (reading the trials
from storage, fitting or resuming the model, searching the acquisition), tells it, then times
the same for its second trial. Optuna runs with OMP_NUM_THREADS=1 (its documentation's advice),
hyperdial with default settings. Configurations alternate within each repeat; medians.

With ``--quality`` it checks instead that resuming from a saved fit does not cost
optimisation quality: on ``--problems`` of ``bench/gp_suite.py`` and seeds ``--seeds``, a study
of ``--trials`` trials where a new GPSampler (a new worker) takes over every ``--every``
trials, resuming from the saved fit ("resume") or with the saved fit removed before each
takeover, so that each new sampler fits from scratch as before the saved fits ("refit"),
against one sampler for the whole study ("one"). Reported: the median best value per problem.

Writes bench/results/<name>.json (machine, versions, load, every run and the medians).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
D = 10
NAMES = [f"x{i}" for i in range(D)]


def rosenbrock(x: np.ndarray) -> float:
    return float((100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum())


def _suggest(trial: Any) -> np.ndarray:
    return np.array([trial.suggest_float(name, -2.0, 2.0) for name in NAMES])


def child(mode: str, lib: str, url: str, n: int) -> dict[str, Any]:
    import logging
    import warnings

    warnings.simplefilter("ignore")
    if lib == "optuna":
        import optuna

        optuna.logging.set_verbosity(logging.WARNING)
        mod: Any = optuna
        dist = optuna.distributions.FloatDistribution(-2.0, 2.0)

        def make(x: np.ndarray) -> Any:
            return optuna.trial.create_trial(
                value=rosenbrock(x),
                params=dict(zip(NAMES, map(float, x), strict=True)),
                distributions=dict.fromkeys(NAMES, dist),
            )

        sampler: Any = optuna.samplers.GPSampler(seed=1)
    else:
        import hyperdial
        from hyperdial.distributions import FloatDistribution
        from hyperdial.trial import FrozenTrial, TrialState

        hyperdial.logging.set_verbosity(logging.WARNING)
        mod = hyperdial
        hdist = FloatDistribution(-2.0, 2.0)

        def make(x: np.ndarray) -> Any:
            return FrozenTrial(
                state=TrialState.COMPLETE,
                values=[rosenbrock(x)],
                params=dict(zip(NAMES, map(float, x), strict=True)),
                distributions=dict.fromkeys(NAMES, hdist),
            )

        sampler = hyperdial.samplers.GPSampler(seed=1)
    if mode == "prefill":
        study = mod.create_study(study_name="cold", storage=url)
        rng = np.random.default_rng(0)
        study.add_trials([make(x) for x in rng.uniform(-2.0, 2.0, (n, D))])
        return {}
    study = mod.load_study(study_name="cold", storage=url, sampler=sampler)
    if mode == "forget":
        from hyperdial.trial._system_attrs import GP_FIT_KEY

        study._storage.set_study_system_attr(study._study_id, GP_FIT_KEY, None)
        return {}
    times = []
    for _ in range(2 if mode == "first" else 1):
        t0 = time.perf_counter()
        trial = study.ask()
        x = _suggest(trial)
        times.append(time.perf_counter() - t0)
        study.tell(trial, rosenbrock(x))
    return {"first_s": times[0], "second_s": times[-1]}


def quality_run(problem: str, seed: int, mode: str, trials: int, every: int) -> float:
    import logging

    import hyperdial
    from hyperdial.trial._system_attrs import GP_FIT_KEY

    sys.path.insert(0, str(HERE))
    from gp_suite import PROBLEMS

    hyperdial.logging.set_verbosity(logging.WARNING)
    study = hyperdial.create_study()
    objective = PROBLEMS[problem].objective
    done = 0
    while done < trials:
        if mode == "refit":
            study._storage.set_study_system_attr(study._study_id, GP_FIT_KEY, None)
        if mode != "one" or done == 0:
            study.sampler = hyperdial.samplers.GPSampler(seed=seed)
        step = trials - done if mode == "one" else min(every, trials - done)
        study.optimize(objective, n_trials=step)
        done += step
    return float(study.best_value)


def quality(args: argparse.Namespace) -> None:
    seeds = range(args.seeds[0], args.seeds[1] + 1)
    runs: dict[str, dict[str, list[float]]] = {}
    for problem in args.problems:
        for seed in seeds:
            for mode in ("one", "resume", "refit"):
                best = quality_run(problem, seed, mode, args.trials, args.every)
                runs.setdefault(problem, {}).setdefault(mode, []).append(best)
                print(f"{problem:16s} seed {seed} {mode:6s}: best {best:.6g}", flush=True)
    table = {
        p: {m: statistics.median(v) for m, v in by_mode.items()} for p, by_mode in runs.items()
    }
    for p, row in table.items():
        print(p, json.dumps(row))
    out = {
        "benchmark": "cold_start_quality",
        "command": " ".join(sys.argv),
        "trials": args.trials,
        "every": args.every,
        "seeds": list(seeds),
        "date": time.strftime("%Y-%m-%d"),
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "table": table,
        "runs": runs,
    }
    path = HERE / "results" / f"{args.name}.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


def _run(exe: str, mode: str, lib: str, url: str, n: int, env: dict[str, str]) -> dict[str, Any]:
    cmd = [exe, str(Path(__file__).resolve()), "--child", mode, "--lib", lib, "--url", url]
    out = subprocess.run(
        [*cmd, "--n", str(n)], env=env, capture_output=True, text=True, check=True
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ns", type=int, nargs="+", default=[100, 300, 1000, 2000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--optuna-python", help="python that has optuna (default: this one)")
    ap.add_argument("--no-optuna", action="store_true")
    ap.add_argument("--name", default="cold_start")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--lib", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--quality", action="store_true", help="check quality instead (see above)")
    ap.add_argument("--problems", nargs="+", default=["branin_2d", "hartmann_6d", "rosenbrock_5d"])
    ap.add_argument("--seeds", type=int, nargs=2, default=[0, 2], help="first and last")
    ap.add_argument("--trials", type=int, default=130)
    ap.add_argument("--every", type=int, default=10)
    args = ap.parse_args()
    if args.quality:
        quality(args)
        return
    if args.child:
        print(json.dumps(child(args.child, args.lib, args.url, args.n)))
        return

    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env_optuna = {**env, "OMP_NUM_THREADS": "1"}
    optuna_exe = args.optuna_python or sys.executable
    load_before = os.getloadavg()
    runs: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.ns:
            base = f"{tmp}/hd_{n}.db"
            _run(sys.executable, "prefill", "hyperdial", f"sqlite:///{base}", n, env)
            _run(sys.executable, "one", "hyperdial", f"sqlite:///{base}", n, env)
            if not args.no_optuna:
                _run(optuna_exe, "prefill", "optuna", f"sqlite:///{tmp}/op_{n}.db", n, env_optuna)
            for rep in range(args.repeat):
                # Fresh copies: every measurement starts from the same study.
                configs = {
                    "hyperdial_resume": (sys.executable, "hyperdial", base, env),
                    "hyperdial_cold": (sys.executable, "hyperdial", base, env),
                }
                if not args.no_optuna:
                    configs["optuna"] = (optuna_exe, "optuna", f"{tmp}/op_{n}.db", env_optuna)
                for name, (exe, lib, path, e) in configs.items():
                    copy = f"{tmp}/run.db"
                    shutil.copyfile(path, copy)
                    url = f"sqlite:///{copy}"
                    if name == "hyperdial_cold":
                        _run(exe, "forget", lib, url, n, e)
                    r = _run(exe, "first", lib, url, n, e)
                    r["load1"] = round(os.getloadavg()[0], 2)
                    runs.setdefault(f"{name}/{n}", []).append(r)
                    print(
                        f"n={n:5d} {name:17s} run {rep}: first {r['first_s']:7.3f} s  "
                        f"second {r['second_s']:7.3f} s  load {r['load1']}",
                        flush=True,
                    )
    table = []
    print(f"\n{'n':>5} {'config':17s} {'first ask':>10} {'second ask':>11} {'optuna/this':>12}")
    for n in args.ns:
        ref = runs.get(f"optuna/{n}")
        ref_first = statistics.median(r["first_s"] for r in ref) if ref else float("nan")
        for name in ("hyperdial_resume", "hyperdial_cold", "optuna"):
            rs = runs.get(f"{name}/{n}")
            if not rs:
                continue
            first = statistics.median(r["first_s"] for r in rs)
            second = statistics.median(r["second_s"] for r in rs)
            table.append(
                {
                    "n": n,
                    "config": name,
                    "first_ask_median_s": round(first, 4),
                    "second_ask_median_s": round(second, 4),
                    "optuna_first_over_this_first": round(ref_first / first, 2),
                }
            )
            print(f"{n:5d} {name:17s} {first:10.3f} {second:11.3f} {ref_first / first:12.1f}")
    versions = {"hyperdial": subprocess.run(
        [sys.executable, "-c", "import hyperdial; print(hyperdial.__version__)"],
        capture_output=True, text=True, check=False).stdout.strip()}  # fmt: skip
    if not args.no_optuna:
        code = "import optuna, torch; print(optuna.__version__, torch.__version__)"
        versions["optuna"] = subprocess.run(
            [optuna_exe, "-c", code], capture_output=True, text=True, check=False
        ).stdout.strip()
    out = {
        "benchmark": "cold_start",
        "command": " ".join(sys.argv),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": versions,
        "date": time.strftime("%Y-%m-%d"),
        "table": table,
        "runs": runs,
    }
    path = HERE / "results" / f"{args.name}.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
