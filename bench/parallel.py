"""Several worker processes on one machine: P processes x T trials of the default GPSampler on
one SQLite study, hyperdial with default settings against hyperdial with OMP_NUM_THREADS=1 and
against Optuna 5.0's GPSampler, in the same run; wall and CPU time.

    python bench/parallel.py [--procs 1 2 8 16] [--trials 40] [--repeat 3] \\
        [--configs default omp1 optuna] [--before /path/to/venv-before/bin/python] \\
        [--optuna-python /path/to/venv-with-optuna/bin/python] [--name parallel]

Each run: a fresh SQLite file; the study is created first, then P processes start at once and
each runs T trials of a 10-d Rosenbrock on [-2, 2]^10 with GPSampler(seed=worker index). The
clock runs from the first start to the last exit (interpreter start and imports included, as a
user sees them); CPU is the user + system time of the P processes (getrusage of the children).
Configurations alternate within each repeat so that the machine's load drifts over all alike;
the table gives medians. ``--before`` adds "before" (another install, default settings) for an
A/B of a change. Optuna runs with its default settings (torch's thread pool included) unless
``--optuna-omp1``.

With ``--latency N`` it measures instead the single-process ask latency at N finished trials
(d = 10, default settings, no OMP_NUM_THREADS): ``bench/gp_speed.py``'s timing of GPSampler
(the sampler's share of each trial, averaged over one refit period) in a fresh interpreter per
configuration ("default" and, with ``--before``, "before"), alternating, ``--repeat`` times.

With ``--batch`` it measures what synchronous batches (``batch_size=4``) cost against the
default asynchronous mode: GPSampler and TPESampler, 4 threads (``n_jobs=4``), problems and
seeds of ``--batch-problems`` / ``--batch-seeds`` from ``bench/gp_suite.py``; each evaluation
also sleeps 20-60 ms (drawn from the trial number), so workers overlap as real ones do. Reported
per (sampler, mode): the median over seeds of the best value after ``--batch-trials`` trials,
and the busy share: evaluation time / (4 x wall time), 1 - the share the workers idled or
spent in the sampler.

Writes bench/results/<name>.json (machine, versions, load, every run and the medians).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
D = 10


def _objective(trial: Any) -> float:
    x = [trial.suggest_float(f"x{i}", -2.0, 2.0) for i in range(D)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(D - 1))


def worker(lib: str, url: str, index: int, trials: int, create: bool) -> None:
    """One process: creates the study (``create``) or runs ``trials`` trials in it."""
    import logging

    if lib == "optuna":
        import optuna

        optuna.logging.set_verbosity(logging.WARNING)
        if create:
            optuna.create_study(study_name="bench", storage=url)
            return
        sampler: Any = optuna.samplers.GPSampler(seed=index)
        study: Any = optuna.load_study(study_name="bench", storage=url, sampler=sampler)
    else:
        import hyperdial

        hyperdial.logging.set_verbosity(logging.WARNING)
        if create:
            hyperdial.create_study(study_name="bench", storage=url)
            return
        sampler = hyperdial.samplers.GPSampler(seed=index)
        study = hyperdial.load_study(study_name="bench", storage=url, sampler=sampler)
    study.optimize(_objective, n_trials=trials)


def batch_run(
    kind: str, problem: str, seed: int, batch: int | None, trials: int
) -> dict[str, Any]:
    """One study of the batch benchmark in this interpreter."""
    import logging
    import threading

    import hyperdial

    sys.path.insert(0, str(HERE))
    from gp_suite import PROBLEMS

    hyperdial.logging.set_verbosity(logging.WARNING)
    objective = PROBLEMS[problem].objective
    busy = [0.0]
    lock = threading.Lock()

    def timed(trial: Any) -> float:
        t0 = time.perf_counter()
        value = float(objective(trial))
        time.sleep(0.02 + 0.04 * ((trial.number * 0.6180339887) % 1.0))
        with lock:
            busy[0] += time.perf_counter() - t0
        return value

    if kind == "gp":
        sampler: Any = hyperdial.samplers.GPSampler(seed=seed, batch_size=batch)
    else:
        sampler = hyperdial.samplers.TPESampler(seed=seed, batch_size=batch)
    study = hyperdial.create_study(sampler=sampler)
    t0 = time.perf_counter()
    study.optimize(timed, n_trials=trials, n_jobs=4)
    wall = time.perf_counter() - t0
    return {"best": study.best_value, "busy_share": busy[0] / (4 * wall), "wall_s": wall}


def batch_bench(args: argparse.Namespace) -> None:
    problems = args.batch_problems
    seeds = range(args.batch_seeds[0], args.batch_seeds[1] + 1)
    runs: dict[str, list[dict[str, Any]]] = {}
    for kind, trials in (("gp", args.batch_trials[0]), ("tpe", args.batch_trials[1])):
        for problem in problems:
            for seed in seeds:
                for mode, batch in (("async", None), ("batch4", 4)):
                    r = batch_run(kind, problem, seed, batch, trials)
                    r.update(problem=problem, seed=seed)
                    runs.setdefault(f"{kind}/{mode}", []).append(r)
                    print(f"{kind} {problem:18s} seed {seed} {mode:6s}: best {r['best']:.5g}  "
                          f"busy {r['busy_share']:.2f}", flush=True)  # fmt: skip
    table = []
    for kind in ("gp", "tpe"):
        for problem in problems:
            row: dict[str, Any] = {"sampler": kind, "problem": problem}
            for mode in ("async", "batch4"):
                rs = [r for r in runs[f"{kind}/{mode}"] if r["problem"] == problem]
                row[f"{mode}_best_median"] = statistics.median(r["best"] for r in rs)
                row[f"{mode}_busy_median"] = round(
                    statistics.median(r["busy_share"] for r in rs), 3
                )
            table.append(row)
            print(json.dumps(row))
    body = {
        "benchmark": "batch_cost",
        "trials": {"gp": args.batch_trials[0], "tpe": args.batch_trials[1]},
        "seeds": list(seeds),
        "table": table,
        "runs": runs,
    }
    args.configs = ["default"]
    _write(args, body)


def latency_child(n: int) -> dict[str, float]:
    """Ask latency at ``n`` trials in this interpreter, with default thread settings."""
    import hyperdial._core  # noqa: F401  (its thread limit is read now, before gp_speed's env)

    sys.path.insert(0, str(HERE))
    import gp_speed

    os.environ.pop("OMP_NUM_THREADS", None)
    k = gp_speed.n_timed_for("hyperdial_gp", n, quick=False)
    t = gp_speed.time_hyperdial(n, k, None)  # type: ignore[arg-type]
    return {"wall_mean_s": statistics.fmean(t.wall), "cpu_mean_s": statistics.fmean(t.cpu)}


def latency(args: argparse.Namespace) -> None:
    configs = ["before", "default"] if args.before else ["default"]
    runs: dict[str, list[dict[str, float]]] = {c: [] for c in configs}
    me = str(Path(__file__).resolve())
    for rep in range(args.repeat):
        for name in configs:
            exe, _, env = _config(name, args)
            out = subprocess.run(
                [exe, me, "--latency-child", str(args.latency)],
                env=env, capture_output=True, text=True, check=True, cwd="/",
            ).stdout  # fmt: skip
            r = json.loads(out.strip().splitlines()[-1])
            r["load1"] = os.getloadavg()[0]
            runs[name].append(r)
            print(
                f"n={args.latency} {name:8s} run {rep}: wall {r['wall_mean_s']:.4f} s/trial  "
                f"cpu {r['cpu_mean_s']:.4f} s/trial  load {r['load1']:.1f}",
                flush=True,
            )
    table = {
        name: {
            "wall_median_s": round(statistics.median(r["wall_mean_s"] for r in rs), 4),
            "cpu_median_s": round(statistics.median(r["cpu_mean_s"] for r in rs), 4),
        }
        for name, rs in runs.items()
    }
    print(json.dumps(table))
    _write(args, {"benchmark": "ask_latency", "n": args.latency, "table": table, "runs": runs})


def _write(args: argparse.Namespace, body: dict[str, Any]) -> None:
    out = {
        "command": " ".join(sys.argv),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": _versions(args),
        "date": time.strftime("%Y-%m-%d"),
        **body,
    }
    path = HERE / "results" / f"{args.name}.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


def _config(name: str, args: argparse.Namespace) -> tuple[str, str, dict[str, str]]:
    """(python, library, environment) of a configuration."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    if name == "default":
        return sys.executable, "hyperdial", env
    if name == "omp1":
        return sys.executable, "hyperdial", {**env, "OMP_NUM_THREADS": "1"}
    if name == "before":
        return args.before, "hyperdial", env
    if name == "optuna":
        if args.optuna_omp1:
            env = {**env, "OMP_NUM_THREADS": "1"}
        return args.optuna_python or sys.executable, "optuna", env
    raise ValueError(f"unknown configuration {name!r}")


def run_once(name: str, procs: int, trials: int, args: argparse.Namespace) -> dict[str, float]:
    exe, lib, env = _config(name, args)
    me = str(Path(__file__).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        base = [exe, me, "--worker", lib, "--url", url, "--trials", str(trials)]
        subprocess.run([*base, "--index", "0", "--create"], check=True, env=env)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        children = [subprocess.Popen([*base, "--index", str(i)], env=env) for i in range(procs)]
        codes = [c.wait() for c in children]
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if any(codes):
        raise RuntimeError(f"{name}: a worker failed ({codes})")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "load1": os.getloadavg()[0]}


def _versions(args: argparse.Namespace) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in args.configs:
        exe, lib, _ = _config(name, args)
        code = f"import {lib}; print({lib}.__version__)"
        res = subprocess.run([exe, "-c", code], capture_output=True, text=True, check=False)
        out[name] = res.stdout.strip() or res.stderr.strip().splitlines()[-1]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, nargs="+", default=[1, 2, 8, 16])
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--configs", nargs="+", default=["default", "omp1", "optuna"])
    ap.add_argument("--before", help="python of another install, run as configuration 'before'")
    ap.add_argument("--optuna-python", help="python that has optuna (default: this one)")
    ap.add_argument("--optuna-omp1", action="store_true", help="OMP_NUM_THREADS=1 for Optuna")
    ap.add_argument("--name", default="parallel")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--create", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--latency", type=int, help="measure the ask latency at this n instead")
    ap.add_argument("--latency-child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--batch", action="store_true", help="measure batch mode's cost instead")
    ap.add_argument(
        "--batch-problems",
        nargs="+",
        default=["branin_2d", "hartmann_6d", "rosenbrock_5d", "mixed_int_cat_8d"],
    )
    ap.add_argument("--batch-seeds", type=int, nargs=2, default=[0, 3], help="first and last")
    ap.add_argument("--batch-trials", type=int, nargs=2, default=[40, 80], help="GP and TPE")
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.url, args.index, args.trials, args.create)
        return
    if args.latency_child:
        print(json.dumps(latency_child(args.latency_child)))
        return
    if args.batch:
        batch_bench(args)
        return
    if args.latency:
        args.configs = ["before", "default"] if args.before else ["default"]
        latency(args)
        return
    if "before" in args.configs and not args.before:
        ap.error("configuration 'before' needs --before")

    load_before = os.getloadavg()
    runs: dict[str, list[dict[str, float]]] = {}
    for procs in args.procs:
        for rep in range(args.repeat):
            for name in args.configs:
                r = run_once(name, procs, args.trials, args)
                runs.setdefault(f"{name}/{procs}", []).append(r)
                print(
                    f"P={procs:2d} {name:8s} run {rep}: wall {r['wall_s']:7.2f} s  "
                    f"cpu {r['cpu_s']:7.2f} s  load {r['load1']:.1f}",
                    flush=True,
                )
    table = []
    print(f"\n{'P':>3} {'config':8s} {'wall (median)':>14} {'cpu (median)':>13} {'wall/omp1':>10}")
    for procs in args.procs:
        ref = runs.get(f"omp1/{procs}")
        ref_wall = statistics.median(r["wall_s"] for r in ref) if ref else float("nan")
        for name in args.configs:
            rs = runs[f"{name}/{procs}"]
            wall = statistics.median(r["wall_s"] for r in rs)
            cpu = statistics.median(r["cpu_s"] for r in rs)
            row = {
                "procs": procs,
                "config": name,
                "wall_median_s": round(wall, 3),
                "cpu_median_s": round(cpu, 3),
                "wall_over_omp1": round(wall / ref_wall, 3),
            }
            table.append(row)
            print(f"{procs:3d} {name:8s} {wall:14.2f} {cpu:13.2f} {wall / ref_wall:10.2f}")
    body = {
        "benchmark": "parallel",
        "trials_per_process": args.trials,
        "loadavg_before": [round(x, 2) for x in load_before],
        "table": table,
        "runs": runs,
    }
    _write(args, body)


if __name__ == "__main__":
    main()
