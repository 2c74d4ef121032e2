"""GP quality: median best value after 25/50/100/200 trials over seeds on the problems of
``gp_suite.py`` (test functions, mixed and conditional spaces, scikit-learn model tuning), for
hyperdial's GPSampler, RandomSampler and QMCSampler (Sobol) against Optuna 5.0's GPSampler and
TPESampler, all with default settings and the same seeds.

    python bench/gp_quality.py                                # everything, 10 seeds, 2 processes
    python bench/gp_quality.py --problems branin_2d,svc_digits --seeds 3 --trials 50 \\
        --name gp_quality_small
    python bench/gp_quality.py --report-only                 # tables from the cache only
    python bench/gp_quality.py --split judge --seeds 10      # judging split, seeds 1000-1009

Each (problem, sampler, seed) run is stored in bench/results/cache/gp_quality/ as soon as it
ends, so a run can be stopped and resumed, or done in pieces (--problems, --samplers, --seeds
with a range such as 5-9). A cached run of hyperdial's GPSampler is reused only if the
hyperdial code it ran (hyperdial/samplers, hyperdial/gp and the compiled core) is unchanged
(--allow-stale to reuse it anyway); the random and Sobol runs are reused whatever changed
elsewhere. The report uses, per problem, the seeds that every sampler has finished.

Regret is best value minus the problem's known optimum; for the model-tuning tasks, minus the
best value any sampler found in any cached run. Acceptance (issue 4), at the largest budget:
hyperdial GP's median best at least as good as Optuna GP's on >= 70% of the problems, as Optuna
TPE's on >= 80%, and its median regret never above 2x the better of the two Optuna samplers'.
Writes bench/results/<name>.{json,png}.
"""

from __future__ import annotations

import os

# One thread per process everywhere (Optuna's GPSampler runs torch; the docs ask for this).
os.environ["OMP_NUM_THREADS"] = "1"
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import hashlib
import json
import logging
import platform
import sys
import textwrap
import time
import warnings
from collections.abc import Callable
from multiprocessing import Pool
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quality_split
from gp_suite import PROBLEMS

BUDGETS = [25, 50, 100, 200]
HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, "results", "cache", "gp_quality")
GP_STAND_IN = os.environ.get("HYPERDIAL_BENCH_GP_STAND_IN", "")


def _hd_gp(seed: int) -> Any:
    import hyperdial.samplers as hs

    if GP_STAND_IN:  # the harness was developed before GPSampler existed
        return {"tpe": hs.TPESampler, "sobol": hs.QMCSampler}[GP_STAND_IN](seed=seed)
    return hs.GPSampler(seed=seed, n_threads=1)


def _hd_random(seed: int) -> Any:
    from hyperdial.samplers import RandomSampler

    return RandomSampler(seed=seed)


def _hd_sobol(seed: int) -> Any:
    from hyperdial.samplers import QMCSampler

    return QMCSampler(seed=seed)


def _optuna_gp(seed: int) -> Any:
    import optuna

    return optuna.samplers.GPSampler(seed=seed)


def _optuna_tpe(seed: int) -> Any:
    import optuna

    return optuna.samplers.TPESampler(seed=seed)


# name -> (library, factory(seed) -> sampler with default settings)
SAMPLERS: dict[str, tuple[str, Callable[[int], Any]]] = {
    "hyperdial_gp": ("hyperdial", _hd_gp),
    "hyperdial_random": ("hyperdial", _hd_random),
    "hyperdial_sobol": ("hyperdial", _hd_sobol),
    "optuna_gp": ("optuna", _optuna_gp),
    "optuna_tpe": ("optuna", _optuna_tpe),
}
LABELS = {
    "hyperdial_gp": "hyperdial GP",
    "hyperdial_random": "hyperdial random",
    "hyperdial_sobol": "hyperdial Sobol",
    "optuna_gp": "Optuna 5.0 GP",
    "optuna_tpe": "Optuna 5.0 TPE",
}


def hyperdial_code_hash() -> str:
    """Hash of the code GPSampler runs: hyperdial/samplers/**.py, hyperdial/gp/**.py and the
    compiled core (the tree is an editable install shared with other engineers, so a commit id
    would not say what ran)."""
    import hyperdial
    from hyperdial import _core

    root = os.path.dirname(hyperdial.__file__)
    paths = [_core.__file__ or ""]
    for sub in ("samplers", "gp"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, sub)):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            paths += [os.path.join(dirpath, f) for f in filenames if f.endswith(".py")]
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(os.path.relpath(path, root).encode())
        with open(path, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()[:16]


def _cache_path(problem: str, sampler: str, seed: int) -> str:
    return os.path.join(CACHE, problem, f"{sampler}__seed{seed}.json")


def _load(problem: str, sampler: str, seed: int) -> dict[str, Any] | None:
    try:
        with open(_cache_path(problem, sampler, seed)) as f:
            rec: dict[str, Any] = json.load(f)
            return rec
    except (OSError, ValueError):
        return None


def _usable(rec: dict[str, Any] | None, n_trials: int, code: str, allow_stale: bool) -> bool:
    if rec is None or len(rec["values"]) < n_trials:
        return False
    if rec.get("stand_in", "") != GP_STAND_IN and rec["sampler"] == "hyperdial_gp":
        return False
    return allow_stale or rec["sampler"] != "hyperdial_gp" or rec["hyperdial_code"] == code


class _TimedTrial:
    """Passes a trial to the objective and adds the seconds spent in its ``suggest_*`` calls
    (where define-by-run samplers do their work) to ``spent[1]``."""

    def __init__(self, trial: Any, spent: list[float]) -> None:
        self._trial = trial
        self._spent = spent

    def _timed(self, method: str, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return getattr(self._trial, method)(*args, **kwargs)
        finally:
            self._spent[1] += time.perf_counter() - t0

    def suggest_float(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed("suggest_float", *args, **kwargs)

    def suggest_int(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed("suggest_int", *args, **kwargs)

    def suggest_categorical(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed("suggest_categorical", *args, **kwargs)


def run_one(job: tuple[str, str, int, int, str]) -> dict[str, Any]:
    """Runs one study and stores it in the cache; returns the record."""
    problem, sampler, seed, n_trials, code = job
    warnings.simplefilter("ignore")
    objective = PROBLEMS[problem].objective
    library, factory = SAMPLERS[sampler]
    spent = [0.0, 0.0]  # seconds in the objective, of which in suggest_* (sampler work)

    def timed(trial: Any) -> float:
        t0 = time.perf_counter()
        try:
            return objective(_TimedTrial(trial, spent))
        finally:
            spent[0] += time.perf_counter() - t0

    t0, c0 = time.perf_counter(), time.process_time()
    if library == "hyperdial":
        import hyperdial

        hyperdial.logging.set_verbosity(logging.WARNING)
        study = hyperdial.create_study(sampler=factory(seed))
        study.optimize(timed, n_trials=n_trials)
        values = [t.value for t in study.trials]
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        ostudy = optuna.create_study(sampler=factory(seed))
        ostudy.optimize(timed, n_trials=n_trials)
        values = [t.value for t in ostudy.trials]
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rec = {
        "problem": problem,
        "sampler": sampler,
        "library": library,
        "seed": seed,
        "values": [float("nan") if v is None else float(v) for v in values],
        "wall_seconds": wall,
        "objective_seconds": spent[0] - spent[1],
        "cpu_seconds": cpu,
        "hyperdial_code": code if library == "hyperdial" else "",
        "stand_in": GP_STAND_IN if sampler == "hyperdial_gp" else "",
        "loadavg": os.getloadavg(),
        "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path = _cache_path(problem, sampler, seed)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(rec, f)
    os.replace(path + ".tmp", path)
    return rec


def _parse_seeds(text: str) -> list[int]:
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    if "," in text:
        return [int(s) for s in text.split(",")]
    return list(range(int(text)))


def _names(text: str, known: dict[str, Any], what: str) -> list[str]:
    if not text:
        return list(known)
    names = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in names if s not in known]
    if bad:
        raise SystemExit(f"--{what}: unknown {bad}; known: {', '.join(known)}")
    return names


def _mean_seconds(problem: str, sampler: str) -> float | None:
    """Mean wall seconds per trial of the cached runs of (problem, sampler)."""
    per_trial = []
    folder = os.path.join(CACHE, problem)
    if not os.path.isdir(folder):
        return None
    for f in os.listdir(folder):
        if f.startswith(sampler + "__") and f.endswith(".json"):
            rec = _load(problem, sampler, int(f.split("seed")[1][:-5]))
            if rec and rec["values"]:
                per_trial.append(rec["wall_seconds"] / len(rec["values"]))
    return float(np.mean(per_trial)) if per_trial else None


def estimate_seconds(jobs: list[tuple[str, str, int, int, str]]) -> tuple[float, int]:
    """Process-seconds (wall, at the load the cached runs saw) the jobs would take, from the
    cached runs' mean seconds per trial (a job of n trials is counted as n x that mean, an
    underestimate for the GPs, whose cost grows with n, when the cached runs were shorter), and
    how many jobs had no timing to go on."""
    total, unknown = 0.0, 0
    for problem, sampler, _seed, n, _code in jobs:
        m = _mean_seconds(problem, sampler)
        if m is None:
            unknown += 1
        else:
            total += m * n
    return total, unknown


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--problems", default="", help="comma-separated (default: all)")
    ap.add_argument("--samplers", default="", help="comma-separated (default: all)")
    ap.add_argument(
        "--seeds", default="10", help="N (seeds 0..N-1), a range lo-hi (5-9, 0-0) or a list a,b"
    )
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument(
        "--split",
        choices=quality_split.SIDES,
        default=None,
        help="one side of quality_split.py: its problems; --seeds N is its first N seeds",
    )
    ap.add_argument("--jobs", type=int, default=2, help="worker processes")
    ap.add_argument("--report-only", action="store_true", help="no runs; tables from cache")
    ap.add_argument("--estimate", action="store_true", help="print the time the runs would take")
    ap.add_argument("--allow-stale", action="store_true", help="reuse runs of older hyperdial")
    ap.add_argument("--name", default="gp_quality", help="result file name")
    ap.add_argument("--note", default="", help="free text stored in the results JSON")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args()
    problems = _names(args.problems, PROBLEMS, "problems")
    samplers = _names(args.samplers, SAMPLERS, "samplers")
    seeds = _parse_seeds(args.seeds)
    if args.split is not None:
        problems = quality_split.problems(problems, args.split)
        if args.seeds.isdigit():
            seeds = quality_split.seeds(args.split, int(args.seeds))
        quality_split.check_seeds(seeds, args.split)
    code = hyperdial_code_hash()
    if not GP_STAND_IN and "hyperdial_gp" in samplers:
        import hyperdial.samplers

        if not hasattr(hyperdial.samplers, "GPSampler"):
            raise SystemExit(
                "hyperdial.samplers.GPSampler does not exist yet; set "
                "HYPERDIAL_BENCH_GP_STAND_IN=tpe|sobol to develop the harness"
            )

    todo = [
        (p, s, seed, args.trials, code)
        for seed in seeds
        for p in problems
        for s in samplers
        if not _usable(_load(p, s, seed), args.trials, code, args.allow_stale)
    ]
    # The slowest samplers first, so the two processes end together.
    order = {"optuna_gp": 0, "hyperdial_gp": 1, "optuna_tpe": 2}
    todo.sort(key=lambda j: (j[2], order.get(j[1], 3)))
    est, unknown = estimate_seconds(todo)
    print(
        f"{len(todo)} runs to do; estimated {est / 60:.0f} process-minutes from the cached "
        f"runs' wall times (~{est / 60 / max(args.jobs, 1):.0f} min with {args.jobs} processes)"
        + (f", {unknown} runs with no timing yet" if unknown else ""),
        flush=True,
    )
    if args.estimate:
        return
    if todo and not args.report_only:
        started = time.time()
        with Pool(args.jobs) as pool:
            for i, rec in enumerate(pool.imap_unordered(run_one, todo, chunksize=1), 1):
                best = float(np.nanmin(rec["values"]))
                print(
                    f"[{i}/{len(todo)} {time.time() - started:7.0f}s] {rec['problem']:20} "
                    f"{rec['sampler']:17} seed {rec['seed']:2d}: best {best:.5g}, "
                    f"{rec['wall_seconds']:.1f}s (objective {rec['objective_seconds']:.1f}s)",
                    flush=True,
                )
    report(args, problems, samplers, seeds, code)


def _best_at(values: list[float], budgets: list[int]) -> list[float]:
    best = np.fmin.accumulate(np.array(values, dtype=float))
    return [float(best[b - 1]) for b in budgets]


def report(
    args: argparse.Namespace,
    problems: list[str],
    samplers: list[str],
    seeds: list[int],
    code: str,
) -> None:
    budgets = [b for b in BUDGETS if b <= args.trials]
    if args.trials not in budgets:
        budgets.append(args.trials)
    table: dict[str, Any] = {}
    for p in problems:
        recs: dict[str, dict[int, dict[str, Any]]] = {s: {} for s in samplers}
        for s in samplers:
            for seed in seeds:
                rec = _load(p, s, seed)
                if rec is not None and _usable(rec, args.trials, code, args.allow_stale):
                    recs[s][seed] = rec
        common = sorted(set.intersection(*(set(r) for r in recs.values())))
        if not common:
            continue
        # Regret reference: the known optimum, else the best value any of these runs found
        # (within the budget, so the reference is reproducible from the results JSON).
        opt = PROBLEMS[p].optimum
        if opt is None:
            opt = min(
                float(np.nanmin(recs[s][seed]["values"][: args.trials]))
                for s in samplers
                for seed in common
            )
        entry: dict[str, Any] = {
            "kind": PROBLEMS[p].kind,
            "seeds": common,
            "optimum": opt,
            "optimum_known": PROBLEMS[p].optimum is not None,
        }
        for s in samplers:
            per_seed = np.array(
                [_best_at(recs[s][seed]["values"][: args.trials], budgets) for seed in common]
            )
            curves = np.fmin.accumulate(
                np.array([recs[s][seed]["values"][: args.trials] for seed in common]), axis=1
            )
            walls = [recs[s][seed]["wall_seconds"] for seed in common]
            objs = [recs[s][seed]["objective_seconds"] for seed in common]
            entry[s] = {
                "median_best": np.median(per_seed, axis=0).tolist(),
                "median_regret": np.maximum(np.median(per_seed, axis=0) - opt, 0.0).tolist(),
                "per_seed_best": per_seed.tolist(),
                "median_regret_curve": np.maximum(np.median(curves, axis=0) - opt, 0.0).tolist(),
                "median_sampler_seconds": float(np.median(np.subtract(walls, objs))),
            }
        entry["hyperdial_gp_code"] = sorted(
            {recs[s][seed]["hyperdial_code"] for s in samplers for seed in common} - {""}
        )
        table[p] = entry

    acceptance = _acceptance(table, samplers, budgets)
    _print(table, samplers, budgets, acceptance)
    _write(args, table, samplers, budgets, acceptance, code)


def _acceptance(table: dict[str, Any], samplers: list[str], budgets: list[int]) -> dict[str, Any]:
    need = {"hyperdial_gp", "optuna_gp", "optuna_tpe"}
    if not need <= set(samplers) or not table:
        return {}
    out: dict[str, Any] = {}
    for j, b in enumerate(budgets):
        vs_gp, vs_tpe, within_2x = [], [], []
        for p, e in table.items():
            hd = e["hyperdial_gp"]["median_best"][j]
            scale = 1e-9 * max(1.0, abs(e["optimum"]))  # ties up to rounding
            if hd <= e["optuna_gp"]["median_best"][j] + scale:
                vs_gp.append(p)
            if hd <= e["optuna_tpe"]["median_best"][j] + scale:
                vs_tpe.append(p)
            r_hd = e["hyperdial_gp"]["median_regret"][j]
            r_peer = min(e["optuna_gp"]["median_regret"][j], e["optuna_tpe"]["median_regret"][j])
            if r_hd <= 2.0 * r_peer + scale:
                within_2x.append(p)
        n = len(table)
        out[str(b)] = {
            "problems": n,
            "as_good_as_optuna_gp": [len(vs_gp), n],
            "as_good_as_optuna_tpe": [len(vs_tpe), n],
            "regret_within_2x_better_peer": [len(within_2x), n],
            "worse_than_optuna_gp": sorted(set(table) - set(vs_gp)),
            "worse_than_optuna_tpe": sorted(set(table) - set(vs_tpe)),
            "beyond_2x_regret": sorted(set(table) - set(within_2x)),
            "targets_met": {
                "gp_70pct": len(vs_gp) >= 0.7 * n,
                "tpe_80pct": len(vs_tpe) >= 0.8 * n,
                "never_beyond_2x": len(within_2x) == n,
            },
        }
    return out


def _print(
    table: dict[str, Any], samplers: list[str], budgets: list[int], acc: dict[str, Any]
) -> None:
    for j, b in enumerate(budgets):
        print(f"\nmedian best value after {b} trials")
        print(f"{'problem':20} {'seeds':>5} " + " ".join(f"{s[:16]:>16}" for s in samplers))
        for p, e in table.items():
            cells = " ".join(f"{e[s]['median_best'][j]:16.5g}" for s in samplers)
            print(f"{p:20} {len(e['seeds']):5d} {cells}")
    print(f"\nmedian sampler seconds per run (wall minus objective), {budgets[-1]} trials")
    for p, e in table.items():
        cells = " ".join(f"{e[s]['median_sampler_seconds']:16.2f}" for s in samplers)
        print(f"{p:20} {len(e['seeds']):5d} {cells}")
    for b, a in acc.items():
        print(
            f"\n{b} trials: hyperdial GP as good as Optuna GP on "
            f"{a['as_good_as_optuna_gp'][0]}/{a['problems']} problems, as Optuna TPE on "
            f"{a['as_good_as_optuna_tpe'][0]}/{a['problems']}, regret within 2x of the better "
            f"peer on {a['regret_within_2x_better_peer'][0]}/{a['problems']}"
        )
        print(f"  worse than Optuna GP: {', '.join(a['worse_than_optuna_gp']) or '-'}")
        print(f"  worse than Optuna TPE: {', '.join(a['worse_than_optuna_tpe']) or '-'}")
        print(f"  regret beyond 2x: {', '.join(a['beyond_2x_regret']) or '-'}")


def _write(
    args: argparse.Namespace,
    table: dict[str, Any],
    samplers: list[str],
    budgets: list[int],
    acceptance: dict[str, Any],
    code: str,
) -> None:
    import optuna
    import sklearn
    import torch

    import hyperdial

    result = {
        "benchmark": "gp_quality",
        "what": "median over seeds of the best value after each budget (minimised); regret = "
        "best - optimum (known, or best of any cached run for the ml tasks)",
        "note": args.note,
        "gp_stand_in": GP_STAND_IN,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_at_end": os.getloadavg(),
            "python": sys.version.split()[0],
            "processes": args.jobs,
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        },
        "versions": {
            "hyperdial": hyperdial.__version__,
            "hyperdial_code": code,
            "optuna": optuna.__version__,
            "torch": torch.__version__,
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
        },
        "trials": args.trials,
        "budgets": budgets,
        "samplers": samplers,
        "problems": table,
        "acceptance": acceptance,
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"{args.name}.json"), "w") as f:
        json.dump(result, f, indent=1)
    if not table:
        return

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = len(table)
    cols = min(4, k)
    rows = (k + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.9 * rows), squeeze=False)
    for ax, (p, e) in zip(axes.ravel(), table.items(), strict=False):
        curves = {s: np.array(e[s]["median_regret_curve"]) for s in samplers}
        positive = np.concatenate([c[c > 0] for c in curves.values()])
        floor = 0.3 * positive.min() if positive.size else 1e-12  # where a regret of 0 is drawn
        trials = np.arange(1, args.trials + 1)
        for s in samplers:
            ax.loglog(trials, np.maximum(curves[s], floor), "-", lw=1.2, label=LABELS[s])
        ax.axhline(floor, color="0.8", lw=0.5, ls=":")
        ref = "" if e["optimum_known"] else " (vs best seen)"
        ax.set_title(f"{p} ({len(e['seeds'])} seeds){ref}", fontsize=8)
        ax.minorticks_off()
        ax.set_xticks(budgets, [str(b) for b in budgets])
        ax.set_xlim(5, args.trials)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[k:]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=6)
    title = "GP quality: median regret of the best value vs trials (0 drawn on the dotted line)"
    if GP_STAND_IN:
        title += f" - hyperdial GP STAND-IN = {GP_STAND_IN}"
    if args.note:
        title += "\n" + "\n".join(textwrap.wrap(args.note, 40 * cols))
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, f"{args.name}.png"), dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    main()
