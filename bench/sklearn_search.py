"""HyperSearchCV against RandomizedSearchCV and HalvingRandomSearchCV on bundled data sets.

    python bench/sklearn_search.py --json bench/results/sklearn_search.json --label tuning
    python bench/sklearn_search.py --first-seed 5 --label judging \
        --json bench/results/sklearn_search.json                  # 5 sets x seeds 5-9
    python bench/sklearn_search.py --seeds 1 --datasets wine      # a quick look

Settings (fixed before the first run; nothing here was tuned on its results):

- Data sets, all shipped with scikit-learn (no download): breast_cancer, wine, digits, iris
  (classification, accuracy) and diabetes (regression, R^2). Seed s holds out a quarter of the
  rows (stratified for classification) with ``random_state=s``.
- Model: ``StandardScaler`` + ``SVC`` with ``C ~ loguniform(1e-2, 1e3)``,
  ``gamma ~ loguniform(1e-4, 1e1)``; for diabetes ``SVR`` with ``C ~ loguniform(1e-1, 1e4)``,
  ``gamma ~ loguniform(1e-4, 1e1)``, ``epsilon ~ loguniform(1e-1, 1e2)``.
- Budget: 20 candidates, 5-fold CV (scikit-learn's default splitter for ``cv=5``), one job.
  HyperSearchCV (default sampler: GP seeded with s) and RandomizedSearchCV (``random_state=s``)
  evaluate 20 candidates on all n training rows; HalvingRandomSearchCV (factor 3,
  ``min_resources="exhaust"``) starts as many candidates as its schedule allows within the same
  20 x n rows (``halving_candidates``; the fraction it used is reported).
- Acceptance: HyperSearchCV's best CV score >= RandomizedSearchCV's on >= 80 % of the
  (data set, seed) pairs. The held-out test score of the refitted best model is reported too.
- Seeds: 0-4 ("tuning") are the ones HyperSearchCV's defaults were examined on; 5-9
  ("judging", ``--first-seed 5``) were fixed before any run on them and give the verdict.

The JSON maps each ``--label`` to one run (every pair, the machine, the versions and the load
before and after); writing a label keeps the file's other labels.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import statistics
import time
import warnings
from typing import Any

import numpy as np
import scipy
import sklearn
from scipy.stats import loguniform
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
)
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import (
    HalvingRandomSearchCV,
    RandomizedSearchCV,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR

import hyperdial
from hyperdial.samplers import GPSampler
from hyperdial.sklearn import HyperSearchCV

DATASETS = {
    "breast_cancer": (load_breast_cancer, True),
    "wine": (load_wine, True),
    "digits": (load_digits, True),
    "iris": (load_iris, True),
    "diabetes": (load_diabetes, False),
}
N_CANDIDATES = 20
CV = 5
FACTOR = 3


def halving_rows(n_candidates: int, n_train: int, n_classes: int) -> int:
    """Rows HalvingRandomSearchCV fits on (per fold) with ``min_resources="exhaust"``: its
    schedule, as ``sklearn/model_selection/_search_successive_halving.py`` computes it."""
    smallest = CV * 2 * max(n_classes, 1)
    required = 1 + math.floor(math.log(n_candidates, FACTOR))
    r0 = max(smallest, n_train // FACTOR ** (required - 1))
    possible = 1 + math.floor(math.log(n_train // r0, FACTOR))
    rows, n = 0, n_candidates
    for itr in range(min(required, possible)):
        rows += n * min(int(FACTOR**itr * r0), n_train)
        n = math.ceil(n / FACTOR)
    return rows


def halving_candidates(n_train: int, n_classes: int) -> int:
    """The most candidates whose halving schedule fits in the others' ``N_CANDIDATES * n``."""
    budget = N_CANDIDATES * n_train
    return max(
        n
        for n in range(N_CANDIDATES, 50 * N_CANDIDATES)
        if halving_rows(n, n_train, n_classes) <= budget
    )


def space(classifier: bool) -> tuple[Any, dict[str, Any]]:
    if classifier:
        return make_pipeline(StandardScaler(), SVC()), {
            "svc__C": loguniform(1e-2, 1e3),
            "svc__gamma": loguniform(1e-4, 1e1),
        }
    return make_pipeline(StandardScaler(), SVR()), {
        "svr__C": loguniform(1e-1, 1e4),
        "svr__gamma": loguniform(1e-4, 1e1),
        "svr__epsilon": loguniform(1e-1, 1e2),
    }


def parse_gp(items: list[str]) -> dict[str, Any] | None:
    """``--gp key=value ...`` as GPSampler keyword arguments (ints, floats, true/false, str)."""
    if not items:
        return None
    out: dict[str, Any] = {}
    for item in items:
        key, _, text = item.partition("=")
        value: Any = text
        if text.lower() in ("true", "false"):
            value = text.lower() == "true"
        else:
            for kind in (int, float):
                try:
                    value = kind(text)
                    break
                except ValueError:
                    pass
        out[key] = value
    return out


def run_one(
    name: str, seed: int, only: list[str], gp: dict[str, Any] | None = None
) -> dict[str, Any]:
    loader, classifier = DATASETS[name]
    X, y = loader(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=y if classifier else None
    )
    estimator, dists = space(classifier)
    n_classes = len(np.unique(y_tr)) if classifier else 0
    n_halving = halving_candidates(len(y_tr), n_classes)
    searches = {
        "hyperdial": HyperSearchCV(
            estimator,
            dists,
            n_trials=N_CANDIDATES,
            cv=CV,
            random_state=seed,
            sampler=None if gp is None else GPSampler(seed=seed, **gp),
        ),
        "random": RandomizedSearchCV(
            estimator, dists, n_iter=N_CANDIDATES, cv=CV, random_state=seed
        ),
        "halving": HalvingRandomSearchCV(
            estimator,
            dists,
            n_candidates=n_halving,
            factor=FACTOR,
            min_resources="exhaust",
            cv=CV,
            random_state=seed,
        ),
    }
    row: dict[str, Any] = {"dataset": name, "seed": seed, "n_train": len(y_tr)}
    for label, search in searches.items():
        if label not in only:
            continue
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search.fit(X_tr, y_tr)
        wall = time.perf_counter() - start
        entry = {
            "best_cv": float(search.best_score_),
            "test": float(search.score(X_te, y_te)),
            "wall_s": wall,
            "best_params": {k: float(v) for k, v in search.best_params_.items()},
        }
        if label == "halving":
            used = sum(int(n) for n in search.cv_results_["n_resources"])
            entry["rows_fraction"] = used / (N_CANDIDATES * len(y_tr))
            entry["candidates"] = n_halving
            # Halving's best_score_ is from its last round (most rows); it is on the same
            # rows as the others' only when that round uses all of them.
            entry["last_round_rows"] = int(search.n_resources_[-1])
        row[label] = entry
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5, help="number of seeds")
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--label", default="run", help="key of this run in the JSON file")
    ap.add_argument("--datasets", nargs="*", default=list(DATASETS))
    ap.add_argument("--json", default=None)
    ap.add_argument(
        "--only", nargs="*", default=["hyperdial", "random", "halving"], help="searches to run"
    )
    ap.add_argument(
        "--gp",
        nargs="*",
        default=[],
        help="HyperSearchCV with GPSampler(seed=s, key=value ...) instead of its default "
        "sampler, e.g. --gp n_startup_trials=3 deterministic_objective=true",
    )
    args = ap.parse_args()
    hyperdial.logging.set_verbosity(logging.WARNING)
    load_before = os.getloadavg()
    t0 = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    gp = parse_gp(args.gp)
    rows = []
    for name in args.datasets:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            row = run_one(name, seed, args.only, gp)
            rows.append(row)
            short = {"hyperdial": "hd", "random": "rnd", "halving": "halv"}
            parts = [
                " ".join(f"{short[k]} {row[k][field]:{fmt}}" for k in args.only)
                for field, fmt in (("best_cv", ".4f"), ("test", ".4f"), ("wall_s", ".1f"))
            ]
            print(
                f"{name:14s} seed {seed}  best CV  {parts[0]} | test  {parts[1]}"
                f" | wall s  {parts[2]}",
                flush=True,
            )
    summary: dict[str, Any] = {"pairs": len(rows)}
    if {"hyperdial", "random"} <= set(args.only):
        ge_cv = sum(r["hyperdial"]["best_cv"] >= r["random"]["best_cv"] for r in rows)
        summary["hd_ge_random_best_cv"] = ge_cv
        summary["hd_gt_random_best_cv"] = sum(
            r["hyperdial"]["best_cv"] > r["random"]["best_cv"] for r in rows
        )
        summary["hd_ge_random_test"] = sum(
            r["hyperdial"]["test"] >= r["random"]["test"] for r in rows
        )
    if {"hyperdial", "halving"} <= set(args.only):
        summary["hd_ge_halving_best_cv"] = sum(
            r["hyperdial"]["best_cv"] >= r["halving"]["best_cv"] for r in rows
        )
    if "hd_ge_random_best_cv" in summary:
        summary["acceptance_met"] = summary["hd_ge_random_best_cv"] >= 0.8 * len(rows)
    summary["median_wall_s"] = {
        k: statistics.median(r[k]["wall_s"] for r in rows) for k in args.only
    }
    if "halving" in args.only:
        summary["median_halving_rows_fraction"] = statistics.median(
            r["halving"]["rows_fraction"] for r in rows
        )
    print(json.dumps(summary, indent=1))
    if args.json:
        out = {
            "started": t0,
            "load_before": load_before,
            "load_after": os.getloadavg(),
            "machine": f"{platform.system()} {platform.release()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
            "versions": {
                "hyperdial": hyperdial.__version__,
                "scikit-learn": sklearn.__version__,
                "scipy": scipy.__version__,
                "numpy": np.__version__,
            },
            "settings": {
                "candidates": N_CANDIDATES,
                "cv": CV,
                "halving_factor": FACTOR,
                "seeds": list(range(args.first_seed, args.first_seed + args.seeds)),
                "gp": gp,
            },
            "summary": summary,
            "runs": rows,
        }
        runs: dict[str, Any] = {}
        if os.path.exists(args.json):
            with open(args.json) as f:
                runs = json.load(f)
        runs[args.label] = out
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
