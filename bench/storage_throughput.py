"""Trials per second of a shared persistent study: hyperdial's RDBStorage against Optuna 5.0's
RDBStorage, in the same run, on SQLite and (when a server is given) PostgreSQL.

W worker processes run ``--n-trials`` trials in one study between them (each runs its share
of a trivial 3-parameter objective with a random sampler, so the storage is what is measured).
Processes start, open the study and wait on a barrier; the clock runs from the barrier to the
last worker's end. Both libraries get the study through a URL string (their default path).
Each configuration runs ``--repeat`` times, hyperdial and Optuna alternating, each run in a
fresh database; the table gives the median. After every run the study is checked: n_trials
trials, numbers 0..n-1, all COMPLETE (a run that fails the check is reported, not hidden).

    python bench/storage_throughput.py [--n-trials 1000] [--workers 1 4 16] [--repeat 3] \\
        [--postgres-url postgresql+psycopg://...]

The PostgreSQL database is emptied before each run: give the benchmark a database (or a
schema, ``...?options=-csearch_path%3Dhd_bench``) that nothing else uses.

Writes bench/results/storage_throughput.json and .png.
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


def _hyperdial_worker(url: str, name: str, n: int, barrier: Any, out: Any) -> None:
    import hyperdial
    from hyperdial.samplers import RandomSampler

    hyperdial.logging.set_verbosity(logging.WARNING)
    study = hyperdial.load_study(study_name=name, storage=url, sampler=RandomSampler())

    def objective(t: Any) -> float:
        return (
            t.suggest_float("x", -1, 1)
            + t.suggest_int("n", 0, 9)
            + len(t.suggest_categorical("c", ["a", "bb"]))
        )

    barrier.wait()
    t0 = time.time()
    study.optimize(objective, n_trials=n)
    out.put((t0, time.time()))


def _optuna_worker(url: str, name: str, n: int, barrier: Any, out: Any) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(
        study_name=name, storage=url, sampler=optuna.samplers.RandomSampler()
    )

    def objective(t: Any) -> float:
        return (
            t.suggest_float("x", -1, 1)
            + t.suggest_int("n", 0, 9)
            + len(t.suggest_categorical("c", ["a", "bb"]))
        )

    barrier.wait()
    t0 = time.time()
    study.optimize(objective, n_trials=n)
    out.put((t0, time.time()))


def _fresh_postgres(url: str) -> None:
    """Drops every table (both libraries' schemas) from the benchmark database."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        meta.drop_all(conn)
    engine.dispose()


def _check(lib: str, url: str, name: str, n_trials: int) -> str:
    """ "ok", or what is wrong with the finished study."""
    if lib == "hyperdial":
        import hyperdial

        trials = hyperdial.load_study(study_name=name, storage=url).trials
        states = {t.state.name for t in trials}
    else:
        import optuna

        trials = optuna.load_study(study_name=name, storage=url).trials
        states = {t.state.name for t in trials}
    numbers = sorted(t.number for t in trials)
    if numbers != list(range(n_trials)):
        return f"{len(trials)} trials, {len(set(numbers))} distinct numbers"
    if states != {"COMPLETE"}:
        return f"states {sorted(states)}"
    return "ok"


def run(lib: str, backend: str, url: str, workers: int, n_trials: int) -> dict[str, Any]:
    name = f"bench-{lib}-{workers}"
    if lib == "hyperdial":
        import hyperdial

        hyperdial.create_study(storage=url, study_name=name)
        target = _hyperdial_worker
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        optuna.create_study(storage=url, study_name=name)
        target = _optuna_worker
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(workers), ctx.Queue()
    shares = [n_trials // workers + (i < n_trials % workers) for i in range(workers)]
    procs = [ctx.Process(target=target, args=(url, name, k, barrier, out)) for k in shares]
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
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    seconds = max(e for _, e in spans) - min(s for s, _ in spans) if spans else math.inf
    row = {
        "library": lib,
        "backend": backend,
        "workers": workers,
        "n_trials": n_trials,
        "seconds": round(seconds, 3),
        "trials_per_s": round(n_trials / seconds, 1),
        "workers_died": len(failed),
        "check": _check(lib, url, name, n_trials),
        "loadavg_1min_after": round(os.getloadavg()[0], 2),
    }
    print(
        f"{lib:9s} {backend:10s} W={workers:2d} {row['trials_per_s']:8.1f} trials/s "
        f"({row['seconds']:.1f} s, {len(failed)} workers died, check: {row['check']}, "
        f"load {row['loadavg_1min_after']})",
        flush=True,
    )
    return row


def _plot(summary: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not summary:
        return
    backends = sorted({r["backend"] for r in summary}, reverse=True)
    fig, axes = plt.subplots(1, len(backends), figsize=(5 * len(backends), 3.6), squeeze=False)
    for ax, backend in zip(axes[0], backends, strict=True):
        rows = [r for r in summary if r["backend"] == backend]
        workers = sorted({r["workers"] for r in rows})
        for k, lib in enumerate(("hyperdial", "optuna")):
            ys = [
                next(
                    r["median_trials_per_s"]
                    for r in rows
                    if r["library"] == lib and r["workers"] == w
                )
                for w in workers
            ]
            xs = [i + (k - 0.5) * 0.38 for i in range(len(workers))]
            bars = ax.bar(xs, ys, width=0.38, label=lib if lib == "hyperdial" else "Optuna 5.0")
            ax.bar_label(bars, fmt="%.0f", fontsize=8)
        ax.set_xticks(range(len(workers)), [f"{w} worker{'s' * (w > 1)}" for w in workers])
        ax.set_title(f"{backend}: {rows[0]['n_trials']} trials in one study")
        ax.set_ylabel("trials / s (median)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres-url", default=os.environ.get("HYPERDIAL_BENCH_POSTGRES_URL"))
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()

    import optuna
    import sqlalchemy

    import hyperdial

    load_before = os.getloadavg()
    versions = {
        "hyperdial": hyperdial.__version__,
        "optuna": optuna.__version__,
        "sqlalchemy": sqlalchemy.__version__,
    }
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        # Repetition-major, so an interrupted run still has whole repetitions of everything;
        # the results are rewritten after every run.
        for rep in range(args.repeat):
            for workers in args.workers:
                for lib in ("hyperdial", "optuna"):
                    url = f"sqlite:///{tmp}/{lib}-{workers}-{rep}.db"
                    rows.append(run(lib, "sqlite", url, workers, args.n_trials))
                    if args.postgres_url:
                        _fresh_postgres(args.postgres_url)
                        rows.append(
                            run(lib, "postgresql", args.postgres_url, workers, args.n_trials)
                        )
                    _write(args, rows, load_before, versions, final=False)
    _write(args, rows, load_before, versions, final=True)


def _write(
    args: argparse.Namespace,
    rows: list[dict[str, Any]],
    load_before: tuple[float, float, float],
    versions: dict[str, str],
    final: bool,
) -> None:
    summary = []
    for key in sorted({(r["library"], r["backend"], r["workers"]) for r in rows}):
        runs = [r for r in rows if (r["library"], r["backend"], r["workers"]) == key]
        summary.append(
            {
                "library": key[0],
                "backend": key[1],
                "workers": key[2],
                "n_trials": args.n_trials,
                "runs": len(runs),
                "median_trials_per_s": round(
                    statistics.median(r["trials_per_s"] for r in runs), 1
                ),
                "all_runs_trials_per_s": [r["trials_per_s"] for r in runs],
                "workers_died": sum(r["workers_died"] for r in runs),
                "checks_failed": sum(r["check"] != "ok" for r in runs),
            }
        )
    ratios = {}
    for r in summary:
        peer = [
            o
            for o in summary
            if o["library"] == "optuna"
            and o["backend"] == r["backend"]
            and o["workers"] == r["workers"]
        ]
        if r["library"] == "hyperdial" and peer:
            ratios[f"{r['backend']}-W{r['workers']}"] = round(
                r["median_trials_per_s"] / peer[0]["median_trials_per_s"], 2
            )
    if final:
        print("\nmedian trials/s over", args.repeat, "runs:")
        for r in summary:
            print(
                f"  {r['library']:9s} {r['backend']:10s} W={r['workers']:2d} "
                f"{r['median_trials_per_s']:8.1f}  runs {r['all_runs_trials_per_s']} "
                f"died {r['workers_died']} bad checks {r['checks_failed']}"
            )
        print("hyperdial / optuna (medians):", ratios)
    result = {
        "benchmark": "storage_throughput",
        "complete": final,
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
        "ratio_hyperdial_over_optuna": ratios,
        "rows": rows,
    }
    Path(args.out).mkdir(parents=True, exist_ok=True)
    path = Path(args.out) / "storage_throughput.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    _plot(
        [r for r in summary if f"{r['backend']}-W{r['workers']}" in ratios],
        path.with_suffix(".png"),
    )
    if final:
        print(f"wrote {path} and {path.with_suffix('.png')}")


if __name__ == "__main__":
    main()
