"""Carry cached noisy-task runs over a change of a task's source that leaves its values alone.

``gp_quality.py`` reuses a cached run of a noisy task only while the task's code hash
(``gp_suite.task_code``) is the one the run was made with. A change that adds a side effect
but returns the same values (reporting the folds' standard error as a user attribute) would
then throw away hours of peer runs. For each task and each older hash its cached runs carry,
this tool re-evaluates a sample of their trials with the current definition, on the same
noise stream; only if every value is reproduced exactly are those runs stamped with the
current hash.

    python bench/migrate_task_code.py [--per-sampler 1] [--trials 2]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
from typing import Any

# The runs were made with one BLAS thread; more threads round differently.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gp_suite

CACHE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "cache", "gp_quality")


def _read(path: str) -> dict[str, Any]:
    with open(path) as f:
        rec: dict[str, Any] = json.load(f)
    return rec


def _reproduced(name: str, rec: dict[str, Any], n_check: int) -> tuple[int, int]:
    """(trials checked, trials whose value the current definition reproduces exactly)."""
    values, params = rec["values"], rec["params"]
    usable = [k for k, v in enumerate(values) if v is not None and params[k] is not None]
    picks = sorted({usable[0], usable[len(usable) // 2], usable[-1]})[:n_check]
    same = 0
    for k in picks:
        run = gp_suite.make_objective(name, int(rec["seed"]))
        run.evaluations = k  # type: ignore[attr-defined]
        value = run(gp_suite._Params(params[k]))
        same += value == values[k]
    return len(picks), same


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-sampler", type=int, default=1, help="runs checked per sampler")
    ap.add_argument("--trials", type=int, default=2, help="trials re-evaluated per run")
    args = ap.parse_args()
    for name, problem in gp_suite.PROBLEMS.items():
        if problem.noisy is None:
            continue
        new = gp_suite.task_code(name)
        paths = sorted(glob.glob(os.path.join(CACHE, name, "*.json")))
        recs = {p: _read(p) for p in paths}
        groups: dict[str, dict[str, Any]] = {}
        for p, r in recs.items():
            code = r.get("task_code")
            if code and code != new and "params" in r:
                groups.setdefault(code, {})[p] = r
        for old, stale in groups.items():
            checked, same, seen = 0, 0, {}
            for r in stale.values():
                if seen.get(r["sampler"], 0) >= args.per_sampler:
                    continue
                seen[r["sampler"]] = seen.get(r["sampler"], 0) + 1
                c, s = _reproduced(name, r, args.trials)
                checked, same = checked + c, same + s
            ok = checked > 0 and same == checked
            print(
                f"{name:24} {old} -> {new}: {len(stale):4d} runs, {same}/{checked} values "
                f"reproduced{'' if ok else ', not carried over'}",
                flush=True,
            )
            if not ok:
                continue
            for path, r in stale.items():
                r["task_code"] = new
                with open(path + ".tmp", "w") as f:
                    json.dump(r, f)
                os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
