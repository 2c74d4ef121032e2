"""Per-trial storage overhead of RDBStorage as a study grows to 10 000 trials.

One process runs trials through the storage API as ``Study.optimize`` with a history-reading
sampler does: create the trial, read what changed in the study since the last trial
(``get_trials_changed_since``, the sampler's incremental fetch), write 3 parameters, finish
it. Every trial is timed. The table gives the median per-trial time in windows of 100
trials ending at n = 100, 1 000, 2 000, 5 000, 10 000, and next to it the time one
full re-read of the history (``get_trials_changed_since(0)``, what a sampler without the
incremental fetch would pay per trial) takes at that n.

    python bench/storage_overhead.py [--n 10000] [--postgres-url postgresql+psycopg://...]

Writes bench/results/storage_overhead.json and .png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from storage_throughput import _fresh_postgres  # bench/ is on sys.path when run as a script

CHECKPOINTS = (100, 1000, 2000, 5000, 10000)
WINDOW = 100


def measure(url: str, n: int) -> dict[str, Any]:
    from hyperdial.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )
    from hyperdial.storages import RDBStorage
    from hyperdial.study import StudyDirection
    from hyperdial.trial import TrialState

    dists = {
        "x": FloatDistribution(-1.0, 1.0),
        "n": IntDistribution(0, 9),
        "c": CategoricalDistribution(["a", "bb"]),
    }
    storage = RDBStorage(url)
    sid = storage.create_new_study([StudyDirection.MINIMIZE], "overhead")
    mark = 0
    per_trial, read_changes, full_read = [], [], {}
    for i in range(n):
        t0 = time.perf_counter()
        tid = storage.create_new_trial(sid)
        t1 = time.perf_counter()
        _, mark = storage.get_trials_changed_since(sid, mark)
        t2 = time.perf_counter()
        for name, d in dists.items():
            storage.set_trial_param(tid, name, float(i % 2), d)
        storage.set_trial_state_values(tid, TrialState.COMPLETE, [float(i)])
        t3 = time.perf_counter()
        per_trial.append(t3 - t0)
        read_changes.append(t2 - t1)
        if i + 1 in CHECKPOINTS:
            t4 = time.perf_counter()
            trials, _ = storage.get_trials_changed_since(sid, 0)
            full_read[i + 1] = time.perf_counter() - t4
            assert len(trials) == i + 1
    storage.remove_session()
    rows = []
    for c in CHECKPOINTS:
        if c > n:
            break
        window = slice(c - WINDOW, c)
        rows.append(
            {
                "n": c,
                "median_ms_per_trial": round(1e3 * statistics.median(per_trial[window]), 3),
                "median_ms_incremental_read": round(
                    1e3 * statistics.median(read_changes[window]), 3
                ),
                "ms_full_reread": round(1e3 * full_read[c], 2),
            }
        )
    return {"rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--postgres-url", default=os.environ.get("HYPERDIAL_BENCH_POSTGRES_URL"))
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()

    import sqlalchemy

    import hyperdial

    load_before = os.getloadavg()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(f"sqlite:///{tmp}/overhead.db", args.n)
    if args.postgres_url:
        _fresh_postgres(args.postgres_url)
        results["postgresql"] = measure(args.postgres_url, args.n)
    for backend, r in results.items():
        print(f"{backend}: n, median ms/trial, median ms incremental read, ms full re-read")
        for row in r["rows"]:
            print(
                f"  {row['n']:6d} {row['median_ms_per_trial']:8.2f} "
                f"{row['median_ms_incremental_read']:8.2f} {row['ms_full_reread']:9.1f}"
            )
    out = {
        "benchmark": "storage_overhead",
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": {"hyperdial": hyperdial.__version__, "sqlalchemy": sqlalchemy.__version__},
        "settings": {"n": args.n, "window": WINDOW},
        "results": results,
    }
    Path(args.out).mkdir(parents=True, exist_ok=True)
    path = Path(args.out) / "storage_overhead.json"
    path.write_text(json.dumps(out, indent=2) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.8))
    for backend, r in results.items():
        ns = [row["n"] for row in r["rows"]]
        ax.plot(
            ns,
            [row["median_ms_per_trial"] for row in r["rows"]],
            "o-",
            label=f"{backend}: per trial (incremental fetch)",
        )
        ax.plot(
            ns,
            [row["ms_full_reread"] for row in r["rows"]],
            "x--",
            label=f"{backend}: one full re-read",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("trials in the study (n)")
    ax.set_ylabel("ms")
    ax.set_title("RDBStorage: per-trial storage time vs study size")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path.with_suffix(".png"), dpi=110)
    print(f"wrote {path} and {path.with_suffix('.png')}")


if __name__ == "__main__":
    main()
