"""Trials per second of a shared persistent study: hyperdial's RDBStorage against Optuna 5.0's
RDBStorage, in the same run, on SQLite and (when a server is given) PostgreSQL.

W worker processes run ``--n-trials`` trials in one study between them (each runs its share
of a trivial 3-parameter objective with a random sampler, so the storage is what is measured).
Processes start, open the study and wait on a barrier; the clock runs from the barrier to the
last worker's end. Both libraries get the study through a URL string (their default path).

    python bench/storage_throughput.py [--n-trials 1000] [--workers 1 4 16] \\
        [--postgres-url postgresql+psycopg://...]

Writes bench/results/storage_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import platform
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
    spans = [out.get(timeout=3600) for _ in procs]
    for p in procs:
        p.join()
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    seconds = max(e for _, e in spans) - min(s for s, _ in spans)
    row = {
        "library": lib,
        "backend": backend,
        "workers": workers,
        "n_trials": n_trials,
        "seconds": round(seconds, 3),
        "trials_per_s": round(n_trials / seconds, 1),
        "workers_died": len(failed),
    }
    print(
        f"{lib:9s} {backend:10s} W={workers:2d} {row['trials_per_s']:8.1f} trials/s "
        f"({row['seconds']:.1f} s, {len(failed)} workers died)",
        flush=True,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--postgres-url", default=os.environ.get("HYPERDIAL_BENCH_POSTGRES_URL"))
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()

    import optuna
    import sqlalchemy

    import hyperdial

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            for lib in ("hyperdial", "optuna"):
                url = f"sqlite:///{tmp}/{lib}-{workers}.db"
                rows.append(run(lib, "sqlite", url, workers, args.n_trials))
                if args.postgres_url:
                    _fresh_postgres(args.postgres_url)
                    rows.append(run(lib, "postgresql", args.postgres_url, workers, args.n_trials))
    ratios = {}
    for r in rows:
        if r["library"] == "hyperdial":
            peer = next(
                o
                for o in rows
                if o["library"] == "optuna"
                and o["backend"] == r["backend"]
                and o["workers"] == r["workers"]
            )
            ratios[f"{r['backend']}-W{r['workers']}"] = round(
                r["trials_per_s"] / peer["trials_per_s"], 2
            )
    print("hyperdial / optuna throughput:", ratios)
    result = {
        "benchmark": "storage_throughput",
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "versions": {
            "hyperdial": hyperdial.__version__,
            "optuna": optuna.__version__,
            "sqlalchemy": sqlalchemy.__version__,
        },
        "rows": rows,
        "ratio_hyperdial_over_optuna": ratios,
    }
    Path(args.out).mkdir(parents=True, exist_ok=True)
    path = Path(args.out) / "storage_throughput.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
