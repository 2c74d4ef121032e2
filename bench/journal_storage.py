"""Trials per second of a study shared through a journal file: hyperdial's JournalStorage
against Optuna 5.0's JournalStorage(JournalFileBackend), in the same run.

W worker processes run ``--n-trials`` trials in one study between them (a trivial objective
with two suggest calls and a random sampler, so the storage is what is measured). Processes
start, open the study and wait on a barrier; the clock runs from the barrier to the last
worker's end. Three contenders, each with its default lock:

* ``hyperdial``: ``JournalStorage(JournalFileBackend(path))`` (POSIX lock, no fsync);
* ``hyperdial-fsync``: the same with ``fsync=True`` (each append on stable storage before the
  call returns, as Optuna's backend does);
* ``optuna``: ``optuna.storages.JournalStorage(JournalFileBackend(path))`` (symlink lock,
  fsync after each append).

Each configuration runs ``--repeat`` times, contenders alternating, each run in a fresh file;
the table gives the median. After every run the study is checked: n_trials trials, numbers
0..n-1, all COMPLETE.

    python bench/journal_storage.py [--n-trials 400] [--workers 1 4 16] [--repeat 3] \\
        [--contenders hyperdial hyperdial-fsync optuna]

Writes bench/results/journal_storage.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import multiprocessing
import os
import platform
import queue
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

CONTENDERS = ("hyperdial", "hyperdial-fsync", "optuna")


def _objective(t: Any) -> float:
    return float(t.suggest_float("x", -1, 1) + t.suggest_int("n", 0, 9))


def _open(lib: str, path: str) -> Any:
    if lib == "optuna":
        import optuna

        return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
    from hyperdial.storages import JournalStorage
    from hyperdial.storages.journal import JournalFileBackend

    return JournalStorage(JournalFileBackend(path, fsync=lib == "hyperdial-fsync"))


def _worker(lib: str, path: str, name: str, n: int, barrier: Any, out: Any) -> None:
    if lib == "optuna":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.load_study(
            study_name=name, storage=_open(lib, path), sampler=optuna.samplers.RandomSampler()
        )
    else:
        import hyperdial
        from hyperdial.samplers import RandomSampler

        hyperdial.logging.set_verbosity(logging.WARNING)
        study = hyperdial.load_study(
            study_name=name, storage=_open(lib, path), sampler=RandomSampler()
        )
    barrier.wait()
    t0 = time.time()
    study.optimize(_objective, n_trials=n)
    out.put((t0, time.time()))


def _check(lib: str, path: str, name: str, n_trials: int) -> str:
    """ "ok", or what is wrong with the finished study."""
    if lib == "optuna":
        import optuna

        trials = optuna.load_study(study_name=name, storage=_open(lib, path)).trials
    else:
        import hyperdial

        trials = hyperdial.load_study(study_name=name, storage=_open(lib, path)).trials
    numbers = sorted(t.number for t in trials)
    if numbers != list(range(n_trials)):
        return f"{len(trials)} trials, {len(set(numbers))} distinct numbers"
    states = {t.state.name for t in trials}
    return "ok" if states == {"COMPLETE"} else f"states {sorted(states)}"


def run(lib: str, path: str, workers: int, n_trials: int) -> dict[str, Any]:
    name = f"bench-{workers}"
    if lib == "optuna":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        optuna.create_study(storage=_open(lib, path), study_name=name)
    else:
        import hyperdial

        hyperdial.create_study(storage=_open(lib, path), study_name=name)
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(workers), ctx.Queue()
    shares = [n_trials // workers + (i < n_trials % workers) for i in range(workers)]
    procs = [ctx.Process(target=_worker, args=(lib, path, name, k, barrier, out)) for k in shares]
    for p in procs:
        p.start()
    spans = []
    while len(spans) < len(procs):
        try:
            spans.append(out.get(timeout=1.0))
        except queue.Empty:  # a worker that died sends nothing: stop when all have exited
            if not any(p.is_alive() for p in procs) and out.empty():
                break
    for p in procs:
        p.join()
    died = sum(p.exitcode != 0 for p in procs)
    seconds = max(e for _, e in spans) - min(s for s, _ in spans) if spans else math.inf
    row = {
        "library": lib,
        "workers": workers,
        "n_trials": n_trials,
        "seconds": round(seconds, 3),
        "trials_per_s": round(n_trials / seconds, 1),
        "workers_died": died,
        "check": _check(lib, path, name, n_trials),
        "log_bytes": os.path.getsize(path),
        "loadavg_1min_after": round(os.getloadavg()[0], 2),
    }
    print(
        f"{lib:15s} W={workers:2d} {row['trials_per_s']:8.1f} trials/s ({row['seconds']:.1f} s, "
        f"{died} died, check: {row['check']}, load {row['loadavg_1min_after']})",
        flush=True,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=400)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--contenders", nargs="+", default=list(CONTENDERS), choices=CONTENDERS)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()

    import optuna

    import hyperdial

    load_before = os.getloadavg()
    versions = {"hyperdial": hyperdial.__version__, "optuna": optuna.__version__}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeat):  # repetition-major: an interrupted run stays balanced
            for workers in args.workers:
                for lib in args.contenders:
                    path = os.path.join(tmp, f"{lib}-{workers}-{rep}.log")
                    rows.append(run(lib, path, workers, args.n_trials))
    _write(args, rows, load_before, versions)


def _write(
    args: argparse.Namespace,
    rows: list[dict[str, Any]],
    load_before: tuple[float, float, float],
    versions: dict[str, str],
) -> None:
    summary = []
    for lib in args.contenders:
        for workers in args.workers:
            runs = [r for r in rows if r["library"] == lib and r["workers"] == workers]
            summary.append(
                {
                    "library": lib,
                    "workers": workers,
                    "median_trials_per_s": round(
                        statistics.median(r["trials_per_s"] for r in runs), 1
                    ),
                    "all_runs_trials_per_s": [r["trials_per_s"] for r in runs],
                    "workers_died": sum(r["workers_died"] for r in runs),
                    "checks_failed": sum(r["check"] != "ok" for r in runs),
                }
            )
    med = {(r["library"], r["workers"]): r["median_trials_per_s"] for r in summary}
    ratios = {
        f"{lib}/optuna W={w}": round(med[(lib, w)] / med[("optuna", w)], 2)
        for lib in args.contenders
        for w in args.workers
        if lib != "optuna" and ("optuna", w) in med
    }
    print(f"\nmedian trials/s over {args.repeat} runs of {args.n_trials} trials:")
    for r in summary:
        print(
            f"  {r['library']:15s} W={r['workers']:2d} {r['median_trials_per_s']:8.1f}  "
            f"runs {r['all_runs_trials_per_s']} died {r['workers_died']} "
            f"bad checks {r['checks_failed']}"
        )
    print("ratios of medians:", ratios)
    result = {
        "benchmark": "journal_storage",
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": versions,
        "settings": {"n_trials": args.n_trials, "repeat": args.repeat, "workers": args.workers},
        "summary": summary,
        "ratios": ratios,
        "rows": rows,
    }
    Path(args.out).mkdir(parents=True, exist_ok=True)
    path = Path(args.out) / "journal_storage.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
