"""A/B speed of two hyperdial installs: the same per-trial overhead measurements as
``gp_speed.py`` (GPSampler, one thread, 10-d Rosenbrock) and ``tpe_overhead.py`` (TPESampler,
10-d sphere), each install in its own interpreter, alternating A, B, A, B, ... so that the
machine's load drifts over both alike. For checking that a change meant to leave speed alone
did (a refactor), not for comparing with peers.

    python bench/ab_speed.py --a /path/to/venv-before/bin/python --b python --runs 3 \\
        --name ab_speed_issue14

Writes bench/results/<name>.json: per (sampler, n), each run's figure for A and B (GP: mean
process-CPU and wall seconds per trial over one refit period, as gp_speed.py amortises them;
TPE: median wall seconds per trial), their medians and the ratio B / A.

``--prefill-seeds 12345,1,2`` runs each case on several sets of pre-filled points (gp_speed.py's
``PREFILL_SEED``; TPE cases run once): a change that alters the sampler's proposals alters how
long its fits and searches run on one set of points, so one set can show more or less than the
typical cost. The geometric mean of the per-set ratios is printed and stored.
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = ["gp:100", "gp:1000", "tpe:500", "tpe:10000"]


def child(case: str) -> dict[str, Any]:
    """Runs one case in this interpreter (with whatever hyperdial it imports)."""
    sys.path.insert(0, HERE)
    import hyperdial

    what, n_text = case.split(":")
    n = int(n_text)
    if what == "gp":
        import gp_speed

        k = gp_speed.n_timed_for("hyperdial_gp_1t", n, quick=False)
        t = gp_speed.time_hyperdial(n, k, 1)
        figures = {"cpu_mean_s": statistics.fmean(t.cpu), "wall_mean_s": statistics.fmean(t.wall)}
    else:
        import tpe_overhead

        walls = tpe_overhead.time_hyperdial(n, 20 if n <= 1000 else 5)
        figures = {"wall_median_s": statistics.median(walls)}
    return {"hyperdial": hyperdial.__file__, **figures}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", help="python of install A (before)")
    ap.add_argument("--b", help="python of install B (after)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument(
        "--prefill-seeds",
        default="",
        help="comma-separated seeds of the pre-filled points (default: gp_speed.py's one); "
        "each case runs on each, and the ratio is also given as the geometric mean over them",
    )
    ap.add_argument("--name", default="ab_speed")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return

    seeds = [int(x) for x in args.prefill_seeds.split(",")] if args.prefill_seeds else [None]
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {}
    ratios: dict[str, list[float]] = {}
    geometric: dict[str, float] = {}
    for case in args.cases.split(","):
        gp = case.startswith("gp")
        key = "cpu_mean_s" if gp else "wall_median_s"
        for seed in seeds if gp else [None]:  # TPE's points do not depend on the seed
            env = dict(os.environ)
            label = case
            if seed is not None:
                env["HYPERDIAL_BENCH_PREFILL_SEED"] = str(seed)
                label = f"{case}@{seed}"
            runs[label] = {"A": [], "B": []}
            for _ in range(args.runs):
                for side, exe in (("A", args.a), ("B", args.b)):
                    out = subprocess.run(
                        [exe, os.path.abspath(__file__), "--child", case],
                        check=True,
                        capture_output=True,
                        text=True,
                        cwd="/",
                        env=env,
                    ).stdout
                    runs[label][side].append(json.loads(out.strip().splitlines()[-1]))
            a = statistics.median(r[key] for r in runs[label]["A"])
            b = statistics.median(r[key] for r in runs[label]["B"])
            ratios.setdefault(case, []).append(b / a)
            print(
                f"{label:>16}  {key}: A {a * 1e3:8.3f} ms  B {b * 1e3:8.3f} ms  B/A {b / a:5.2f}",
                flush=True,
            )
        geometric[case] = statistics.geometric_mean(ratios[case])
        if len(ratios[case]) > 1:
            print(f"{case:>16}  geometric mean B/A over the seeds {geometric[case]:5.2f}")

    result = {
        "benchmark": "ab_speed",
        "a": args.a,
        "b": args.b,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_at_end": os.getloadavg(),
            "python": sys.version.split()[0],
            "utc_end": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
        "prefill_seeds": seeds,
        "runs": runs,
        "ratio_geometric_mean": geometric,
    }
    with open(os.path.join(HERE, "results", f"{args.name}.json"), "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
