"""How much a GPSampler (or TPESampler) variant changes regret against its base, per budget,
from a ``gp_quality.py`` results file: the mean over problems of the change in median log10
regret (regrets floored as the report floors them) for deterministic problems, and the mean
change in median regret in units of the task's scale for noisy ones; plus how many problems
got better or worse beyond the report's tie rule.

    python bench/variant_delta.py bench/results/gp_quality_tune.json --base hyperdial_gp
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gp_quality import NOISY_TIE
from gp_quality import TIE_LOG10 as LOG_TIE


def deltas(results: dict[str, Any], base: str, variant: str) -> dict[str, Any]:
    budgets = results["budgets"]
    out: dict[str, Any] = {"variant": variant, "budgets": budgets}
    for kind in ("deterministic", "noisy"):
        rows: list[list[float]] = []
        for p in results["problems"].values():
            s = p["samplers"]
            if base not in s or variant not in s or (p["kind"] == "noisy") != (kind == "noisy"):
                continue
            a, b = s[base]["median_regret"], s[variant]["median_regret"]
            if kind == "noisy":
                rows.append([(y - x) / p["scale"] for x, y in zip(a, b, strict=False)])
            else:
                floor = p["floor"]
                rows.append(
                    [
                        math.log10(max(y, floor)) - math.log10(max(x, floor))
                        for x, y in zip(a, b, strict=False)
                    ]
                )
        if not rows:
            continue
        tie = NOISY_TIE if kind == "noisy" else LOG_TIE
        n = min(len(r) for r in rows)
        out[kind] = {
            "problems": len(rows),
            "mean_change": [statistics.fmean(r[i] for r in rows) for i in range(n)],
            "better": [sum(r[i] < -tie for r in rows) for i in range(n)],
            "worse": [sum(r[i] > tie for r in rows) for i in range(n)],
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+")
    ap.add_argument("--base", default="hyperdial_gp")
    args = ap.parse_args()
    for path in args.results:
        with open(path) as f:
            loaded = json.load(f)
        # A results file, or a collection of them under "runs" (gp_quality_tune.json).
        runs = loaded.get("runs", {path: loaded})
        for run, results in runs.items():
            _print(results, args.base, run)


def _print(results: dict[str, Any], base: str, run: str) -> None:
    for v in [s for s in results["samplers"] if s.startswith(base + "+")]:
        d = deltas(results, base, v)
        print(f"{v} vs {base} ({run}); budgets {d['budgets']}")
        for kind in ("deterministic", "noisy"):
            if kind in d:
                k = d[kind]
                change = " ".join(f"{c:+.3f}" for c in k["mean_change"])
                print(
                    f"  {kind:13} {k['problems']:2d} problems: mean change {change}; "
                    f"better {k['better']}, worse {k['worse']}"
                )


if __name__ == "__main__":
    main()
