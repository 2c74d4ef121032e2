"""The MLP units of bench/pruning.py on a modelled CPU clock: what the time to ``S`` would be
without the machine's load.

Every training epoch advances the clock by what an epoch of that (width, batch size) costs in
isolation — ``partial_fit`` plus the validation score, measured in this process before the
replay, median of ``--reps`` repetitions per pair and then a Theil-Sen line in the width per
batch size, so that single load spikes do not enter — and the first epoch of a trial adds the
measured extra of its first ``partial_fit`` (construction, initialisation, label set-up). The
library's own time (sampler, report, should_prune, storage) is not on the clock. The studies
themselves run for real (same seeds, same configurations, same learning curves, same pruning
decisions), hyperdial only, so the only difference from the training-step figure is the
configuration mix: which configurations' epochs each variant buys.

    python bench/pruning_cost_model.py [--seeds 10]

Writes bench/results/pruning_cost_model.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import types
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

# bench/pruning.py sets one BLAS/OpenMP thread per process before NumPy loads: import it first,
# or the epoch costs are timed with several threads (CPU time of all of them), not as in the bench
import pruning as bench  # isort: skip

import numpy as np
from scipy.stats import theilslopes
from sklearn.neural_network import MLPClassifier

VARIANTS = ("asha", "hyperband", "bohb", "median")
BATCHES = (64, 128, 256)
WIDTHS = range(8, 65)  # the search space of bench/pruning.py's MLP task


def cost_table(
    data: tuple[np.ndarray, ...], reps: int
) -> dict[tuple[int, int], tuple[float, float]]:
    """(seconds per epoch, extra seconds of a trial's first epoch) per (width, batch size)."""
    X_tr, X_va, y_tr, y_va = data
    classes = np.arange(10)
    clock = time.process_time
    raw: dict[tuple[int, int], tuple[float, float]] = {}
    for width in WIDTHS:
        for batch in BATCHES:
            firsts, laters = [], []
            for rep in range(reps):
                clf = MLPClassifier(
                    hidden_layer_sizes=(width,), batch_size=batch, random_state=rep
                )
                t0 = clock()
                clf.partial_fit(X_tr, y_tr, classes=classes)
                clf.score(X_va, y_va)
                t1 = clock()
                clf.partial_fit(X_tr, y_tr, classes=classes)
                clf.score(X_va, y_va)
                t2 = clock()
                firsts.append(t1 - t0)
                laters.append(t2 - t1)
            later = statistics.median(laters)
            raw[(width, batch)] = (later, max(0.0, statistics.median(firsts) - later))
    table = {}
    for batch in BATCHES:
        ws = list(WIDTHS)
        slope, intercept, _, _ = theilslopes([raw[(w, batch)][0] for w in ws], ws)
        extra = statistics.median(raw[(w, batch)][1] for w in ws)
        for w in ws:
            table[(w, batch)] = (float(intercept + slope * w), float(extra))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=24, help="trials of the reference")
    parser.add_argument("--reps", type=int, default=5, help="timings per (width, batch size)")
    parser.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "pruning_cost_model.json")
    )
    args = parser.parse_args()
    data = bench._setup()
    load_before = os.getloadavg()
    start = time.process_time()
    table = cost_table(data, args.reps)
    table_s = time.process_time() - start
    clock = [0.0]
    fit = MLPClassifier.partial_fit

    def partial_fit(self: Any, *a: Any, **k: Any) -> Any:
        first = not hasattr(self, "coefs_")
        out = fit(self, *a, **k)
        epoch, extra = table[(self.hidden_layer_sizes[0], self.batch_size)]
        clock[0] += epoch + (extra if first else 0.0)
        return out

    MLPClassifier.partial_fit = partial_fit  # type: ignore[method-assign]
    # bench.run reads time.process_time for the budget and the history: the modelled clock
    bench.time = types.SimpleNamespace(  # type: ignore[assignment]
        process_time=lambda: clock[0], perf_counter=time.perf_counter
    )
    per_seed: dict[str, dict[str, Any]] = {}
    for seed in range(args.seeds):
        ref = bench.run("hyperdial", "mlp", "none", seed, data, args.trials, None)
        w, s, steps = ref["cpu_s"], ref["history"][-1][1], ref["steps"]
        row: dict[str, Any] = {
            "W_modelled_s": w,
            "none": [ref["history"][-1][0] / w, ref["history"][-1][2] / steps],
        }
        for v in VARIANTS:
            r = bench.run("hyperdial", "mlp", v, seed, data, None, w)
            hit = bench._reach(r["history"], s, 1.0)
            row[v] = None if hit is None else [hit[0] / w, hit[1] / steps]
            row[f"{v}_epochs_in_W"] = r["steps"]
        per_seed[str(seed)] = row
        print(
            f"seed {seed}: "
            + "; ".join(
                f"{v} "
                + ("never" if row[v] is None else f"{row[v][0]:.2f} ({row[v][1]:.2f} steps)")
                for v in ("none", *VARIANTS)
            ),
            flush=True,
        )
    summary = {}
    for v in ("none", *VARIANTS):
        fr = [per_seed[k][v] for k in per_seed]
        summary[v] = {
            "time_to_none_score_frac_median": bench._median_or_none(
                [None if f is None else f[0] for f in fr]
            ),
            "steps_to_none_score_frac_median": bench._median_or_none(
                [None if f is None else f[1] for f in fr]
            ),
            "seeds_within_40pct": sum(bool(f is not None and f[0] <= 0.4) for f in fr),
        }
        m = summary[v]["time_to_none_score_frac_median"]
        ms = summary[v]["steps_to_none_score_frac_median"]
        print(
            f"{v:>9}: modelled CPU {'>1' if m is None else f'{m:.2f}'}, steps "
            f"{'>1' if ms is None else f'{ms:.2f}'}, seeds <= 0.4: "
            f"{summary[v]['seeds_within_40pct']}"
        )
    epoch_ms = {f"{w}/{b}": 1000 * table[(w, b)][0] for w in (8, 32, 64) for b in BATCHES}
    result = {
        "benchmark": "pruning_cost_model",
        "args": vars(args),
        "epoch_ms_modelled": epoch_ms,
        "first_epoch_extra_ms": {str(b): 1000 * table[(8, b)][1] for b in BATCHES},
        "cost_table_cpu_s": table_s,
        "summary": summary,
        "per_seed": per_seed,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg(),
        },
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
