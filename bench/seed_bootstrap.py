"""How much a "problems where A is at least as good as B" count from ``gp_quality.py`` owes to
the seeds: a paired bootstrap over each problem's seeds.

A results file keeps every seed's regret per (problem, sampler, budget). For each of
``--draws`` replicates, every problem's seeds are drawn again with replacement (the same draw
for both samplers, since a seed fixes the problem instance and the start), the medians are
recomputed, and the report's tie rule decides each problem again. Printed per budget: the
count on the actual seeds, the 5th-95th percentile of the count over the replicates, the share
of replicates at or above the target, and per problem the share of replicates in which A is at
least as good.

    python bench/seed_bootstrap.py bench/results/gp_quality_peers.json --part hebo --b hebo \\
        --budgets 25,50 --target 0.6

This measures how stable a count is under the seeds that were run, not what more seeds would
give: a problem whose seeds all agree gets a share near 0 or 1 however few there are.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gp_quality import _as_good, regret_as_good


def _pairs(entry: dict[str, Any], a: str, b: str, j: int) -> np.ndarray | None:
    """Per-seed regrets of a and b at budget index j, as rows (seed, 2); None without both."""
    s = entry["samplers"]
    if a not in s or b not in s:
        return None
    rows = [
        (ra[j], rb[j])
        for ra, rb in zip(s[a]["per_seed_regret"], s[b]["per_seed_regret"], strict=True)
        if ra[j] is not None and rb[j] is not None
    ]
    return np.array(rows, dtype=float) if rows else None


def bootstrap(
    results: dict[str, Any], a: str, b: str, budget: int, draws: int, seed: int
) -> dict[str, Any]:
    j = results["budgets"].index(budget)
    rng = np.random.default_rng(seed)
    names, wins, actual = [], [], []
    for name, entry in results["problems"].items():
        pairs = _pairs(entry, a, b, j)
        if pairs is None:
            continue
        n = pairs.shape[0]
        idx = rng.integers(0, n, size=(draws, n))
        med = np.median(pairs[idx], axis=1)  # (draws, 2)
        wins.append([regret_as_good(float(x), float(y), entry) for x, y in med])
        actual.append(bool(_as_good(entry, a, b, j)))  # the report's own verdict
        names.append((name, n))
    w = np.array(wins, dtype=bool)  # (problems, draws)
    counts = w.sum(axis=0)
    return {
        "budget": budget,
        "problems": len(names),
        "actual": int(sum(actual)),
        "count_p5": float(np.percentile(counts, 5)),
        "count_p95": float(np.percentile(counts, 95)),
        "per_problem": {
            name: {"seeds": n, "actual": bool(act), "share": float(row.mean())}
            for (name, n), act, row in zip(names, actual, w, strict=True)
        },
        "counts": counts,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument(
        "--part", help="for a file that holds several reports (gp_quality_peers.json): its key"
    )
    ap.add_argument("--a", default="hyperdial_gp")
    ap.add_argument("--b", required=True)
    ap.add_argument("--budgets", default="25,50")
    ap.add_argument("--target", type=float, default=0.6, help="share of problems asked")
    ap.add_argument("--draws", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with open(args.results) as f:
        results = json.load(f)
    if "problems" not in results:
        parts = [k for k, v in results.items() if isinstance(v, dict) and "problems" in v]
        if args.part not in parts:
            ap.error(f"{args.results} holds several reports; pass --part, one of {parts}")
        results = results[args.part]
    for budget in (int(x) for x in args.budgets.split(",")):
        r = bootstrap(results, args.a, args.b, budget, args.draws, args.seed)
        need = math.ceil(args.target * r["problems"] - 1e-9)
        share = float((r["counts"] >= need).mean())
        print(
            f"{args.a} vs {args.b} at {budget}: {r['actual']}/{r['problems']} on the seeds run; "
            f"replicates 5-95%: {r['count_p5']:.0f}-{r['count_p95']:.0f}; "
            f">= {need} (target {args.target:.0%}) in {share:.0%} of replicates"
        )
        for name, p in sorted(r["per_problem"].items(), key=lambda kv: kv[1]["share"]):
            mark = "yes" if p["actual"] else "no"
            print(f"  {name:28} seeds {p['seeds']:2d}  as good: {mark:3}  share {p['share']:.2f}")


if __name__ == "__main__":
    main()
