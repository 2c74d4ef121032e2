"""Merges several bench/gp_core.py result files into medians per (d, n, quantity) and plots
them (log-log, seconds against n) with the peers, e.g.

    python bench/gp_core_summary.py bench/results/gp_core_s6_run*.json \\
        bench/results/gp_core_s6_large_run*.json --out bench/results/gp_core_s6.json

Writes the JSON (medians, the runs each came from, their load averages) and a PNG beside it.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
from typing import Any

KEYS = ("hd_cold_fit", "hd_warm_fit", "hd_acq", "hd_warm_fit_acq", "hd_append", "sk_fit",
        "optuna_ask")  # fmt: skip


def plot(rows: list[dict[str, Any]], path: pathlib.Path, ylabel: str = "seconds") -> None:
    """Log-log plot of the timed quantities against n, one panel per d (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    dims = sorted({r["d"] for r in rows})
    fig, axes = plt.subplots(1, len(dims), figsize=(6 * len(dims), 4), squeeze=False)
    for ax, d in zip(axes[0], dims, strict=True):
        for key in ("hd_cold_fit", "hd_warm_fit_acq", "hd_append", "sk_fit", "optuna_ask"):
            pts = [(r["n"], r[key]) for r in rows if r["d"] == d and key in r]
            if pts:
                ax.loglog(*zip(*pts, strict=True), "o-", label=key)
        ax.set(xlabel="n", ylabel=ylabel, title=f"d = {d}")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    values: dict[tuple[int, int], dict[str, list[float]]] = {}
    runs: list[dict[str, Any]] = []
    for name in args.files:
        data = json.loads(pathlib.Path(name).read_text())
        runs.append({"file": name, "load_average_at_end": data["machine"]["load_average_at_end"]})
        for row in data["rows"]:
            cell = values.setdefault((row["d"], row["n"]), {})
            for key in KEYS:
                if key in row:
                    cell.setdefault(key, []).append(float(row[key]))
    rows = []
    for (d, n), cell in sorted(values.items()):
        row: dict[str, Any] = {"d": d, "n": n}
        for key, vs in cell.items():
            row[key] = statistics.median(vs)
            row[key + "_runs"] = vs
        if "optuna_ask" in cell and "hd_warm_fit_acq" in cell:
            ratios = [
                o / h for o, h in zip(cell["optuna_ask"], cell["hd_warm_fit_acq"], strict=False)
            ]
            row["optuna_ratio_runs"] = ratios
            row["optuna_ratio"] = statistics.median(ratios)
        rows.append(row)
        print(f"d={d} n={n} " + " ".join(f"{k}={row[k]:.4g}" for k in KEYS if k in row))
    path = pathlib.Path(args.out)
    path.write_text(json.dumps({"runs": runs, "rows": rows}, indent=1) + "\n")
    plot(rows, path.with_suffix(".png"), "seconds (median of runs)")


if __name__ == "__main__":
    main()
