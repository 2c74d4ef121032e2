"""BOHB-style model variants against plain Hyperband, on the pruning bench's tasks, in steps.

A side study for ``bench/pruning.py``: does another way of fitting BOHBSampler's model make
BOHB-style reach the no-pruning score ``S`` before plain Hyperband on more seeds? Per task and
seed, in one process: the no-pruning random search of ``pruning.py`` (its ``S``, CPU time ``W``
and training steps ``N``), plain Hyperband, and each variant, all with the pruner settings and
seeds of ``pruning.py`` (so Hyperband draws the reference's configurations, as there). The
figure is the training steps until the best COMPLETE score reached ``S``, as a fraction of
``N``. Steps do not depend on the machine's load: a run is the same trial by trial whenever it
is repeated, except where the CPU-time cut decides; the cut is at ``1.5 W`` here so that it
rarely does.

Variants (hyperdial's ``BOHBSampler`` with ``HyperbandPruner``; only the model changes):

* ``default``: ``BOHBSampler(seed=seed)`` as shipped (TPE base; the view at budget ``b`` shows
  trials stopped below ``b`` as PRUNED, which TPE ranks after every result at ``b``).
* ``budget_only``: the view hides trials stopped below ``b`` (shown as FAIL, which TPE
  ignores), so the model is fitted to the results at ``b`` alone, as in Falkner et al. (2018).
* ``bohb_gamma``: TPE's good group is ``max(d + 1, ceil(0.15 n))`` of ``n`` trials, BOHB's rule
  (``top_n_percent = 15`` with at least ``N_min = d + 1`` points), instead of
  ``min(ceil(0.1 n), 25)``.
* ``budget_only+bohb_gamma``: both.
* ``gp``: ``GPSampler`` as the base model.

    python bench/bohb_variants.py --task lgbm --seeds 0-9 --out /tmp/bv_0_9.json
    python bench/bohb_variants.py --merge /tmp/bv_0_9.json /tmp/bv_10_19.json \
        --out bench/results/bohb_variants_lgbm.json

Ties: a variant "≤ Hyperband" on a seed when it reached ``S`` in at most Hyperband's steps, or
when neither reached it.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pruning  # the tasks, the protocol and the run loop

import hyperdial
from hyperdial.samplers import _bohb
from hyperdial.trial._state import TrialState

VARIANTS = ("hyperband", "default", "budget_only", "bohb_gamma", "budget_only+bohb_gamma", "gp")
N_PARAMS = {"mlp": 4, "lgbm": 5}  # parameters of pruning.py's objectives (BOHB's d)

_shipped_view = _bohb.result_at_budget


def _budget_only_view(t: Any, budget: int) -> Any:
    """The shipped view, except that a trial stopped below ``budget`` is hidden (FAIL)."""
    shown = _shipped_view(t, budget)
    if shown is t and t.state == TrialState.PRUNED:
        shown = copy.copy(t)
        shown.state, shown.values = TrialState.FAIL, None
    return shown


def _sampler(variant: str, seed: int, d: int) -> Any:
    s = hyperdial.samplers
    if variant == "gp":
        return s.BOHBSampler(s.GPSampler(seed=seed, n_startup_trials=0, n_threads=1), seed=seed)
    kw: dict[str, Any] = {}
    if "bohb_gamma" in variant:
        kw["gamma"] = lambda n: min(n, max(d + 1, math.ceil(0.15 * n)))
    return s.BOHBSampler(s.TPESampler(seed=seed, n_startup_trials=0, **kw), seed=seed)


def _maker(make: Any, v: str) -> Any:
    """``pruning.make_study`` with the BOHB-style run's sampler replaced by variant ``v``."""

    def make_study(
        lib: str, variant: str, seed: int, task: str, sampler_seed: int | None = None
    ) -> Any:
        study = make(lib, variant, seed, task, sampler_seed)
        if variant == "bohb":
            study.sampler = _sampler(v, seed, N_PARAMS[task])
        return study

    return make_study


def run_seed(task: str, seed: int, variants: list[str], data: Any) -> dict[str, Any]:
    """The reference, then every variant, for one task and seed."""
    maximize = pruning.TASKS[task][2] == "maximize"
    sign = 1.0 if maximize else -1.0
    ref = pruning.run("hyperdial", task, "none", seed, data, pruning.REFERENCE_TRIALS[task], None)
    W, S, N = ref["cpu_s"], ref["history"][-1][1], ref["steps"]
    out: dict[str, Any] = {
        "seed": seed,
        "maximize": maximize,
        "W_cpu_s": W,
        "S": S,
        "N_steps": N,
        "runs": {},
    }
    make = pruning.make_study
    for v in variants:
        pruning.make_study = _maker(make, v)
        _bohb.result_at_budget = _budget_only_view if "budget_only" in v else _shipped_view
        try:
            r = pruning.run(
                "hyperdial",
                task,
                "hyperband" if v == "hyperband" else "bohb",
                seed,
                data,
                None,
                1.5 * W,
            )
        finally:
            pruning.make_study = make
            _bohb.result_at_budget = _shipped_view
        hit = pruning._reach(r["history"], S, sign)
        out["runs"][v] = {
            "steps_to_S_frac": None if hit is None else hit[1] / N,
            "best_at_W": pruning._best_at(r["history"], W),
            "n_trials": r["n_trials"],
            "bohb_modes": r["bohb_modes"],
        }
    return out


def summarise(seeds: list[dict[str, Any]], variants: list[str]) -> dict[str, Any]:
    inf = math.inf
    summary: dict[str, Any] = {}
    for v in variants:
        fr = [s["runs"][v]["steps_to_S_frac"] for s in seeds]
        best = [s["runs"][v]["best_at_W"] for s in seeds if s["runs"][v]["best_at_W"] is not None]
        row: dict[str, Any] = {
            "reached_S": sum(f is not None for f in fr),
            "median_steps_to_S_frac": statistics.median(inf if f is None else f for f in fr),
            "median_best_at_W": statistics.median(best) if best else None,
        }
        if v != "hyperband" and "hyperband" in variants:
            hb = [s["runs"]["hyperband"]["steps_to_S_frac"] for s in seeds]
            row["le_hyperband"] = sum(
                (inf if a is None else a) <= (inf if b is None else b)
                for a, b in zip(fr, hb, strict=True)
            )
            row["best_at_W_as_good_as_hyperband"] = sum(_better_or_equal(s, v) for s in seeds)
        summary[v] = row
    summary["n_seeds"] = len(seeds)
    return summary


def _better_or_equal(seed_row: dict[str, Any], v: str) -> bool:
    a = seed_row["runs"][v]["best_at_W"]
    b = seed_row["runs"]["hyperband"]["best_at_W"]
    if a is None or b is None:
        return a is not None or b is None
    return a >= b if seed_row["maximize"] else a <= b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", default="lgbm", choices=sorted(pruning.TASKS))
    ap.add_argument("--seeds", default="0-9", help="a range, e.g. 0-9")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--out", required=True)
    ap.add_argument("--merge", nargs="+", help="merge these outputs (same task and variants)")
    args = ap.parse_args()
    if args.merge:
        parts = [json.loads(Path(p).read_text()) for p in args.merge]
        seeds = sorted((s for p in parts for s in p["seeds"]), key=lambda s: s["seed"])
        result = dict(parts[0], seeds=seeds, summary=summarise(seeds, parts[0]["variants"]))
        result["parts"] = [  # each part's own time and load
            {k: p.get(k) for k in ("finished", "loadavg_start", "loadavg_end")} for p in parts
        ]
        for k in ("finished", "loadavg_start", "loadavg_end"):
            result.pop(k, None)
        Path(args.out).write_text(json.dumps(result, indent=1))
        print(json.dumps(result["summary"], indent=1))
        return
    lo, hi = (int(x) for x in args.seeds.split("-"))
    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        ap.error(f"--variants: unknown {sorted(unknown)}; allowed: {', '.join(VARIANTS)}")
    data = pruning._setup()
    load_start = os.getloadavg()[0]
    pruning.run("hyperdial", args.task, "bohb", 0, data, 2, None)  # warm-up, not measured
    seeds = []
    for seed in range(lo, hi + 1):
        row = run_seed(args.task, seed, variants, data)
        seeds.append(row)
        print(
            seed,
            " ".join(
                f"{v}={r['steps_to_S_frac'] and round(r['steps_to_S_frac'], 3)}"
                f"/{r['best_at_W']:.4g}"
                for v, r in row["runs"].items()
            ),
            flush=True,
        )
    result = {
        "benchmark": "bohb_variants",
        "task": args.task,
        "variants": variants,
        "loadavg_start": load_start,
        "loadavg_end": os.getloadavg()[0],
        "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "versions": {"hyperdial": hyperdial.__version__, "python": platform.python_version()},
        "seeds": seeds,
        "summary": summarise(seeds, variants),
    }
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps(result["summary"], indent=1))


if __name__ == "__main__":
    main()
