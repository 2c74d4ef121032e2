"""Pruners and BOHB-style sampling on real iterative training: hyperdial vs Optuna, same run.

Tasks (both on scikit-learn's digits data set, 70/30 stratified split):

* ``mlp``: ``MLPClassifier.partial_fit`` one epoch per step (steps 1 … 27), validation accuracy
  reported after every epoch (maximised).
* ``lgbm``: LightGBM multiclass boosting, validation multi-logloss reported after every round
  (steps 0 … 27, minimised) — through ``hyperdial.integration.lightgbm`` for hyperdial and an
  equivalent report/should_prune callback for Optuna.

Variants: no pruning, Median, ASHA, Hyperband (all with a random sampler) and BOHB-style
(hyperdial: ``BOHBSampler`` + ``HyperbandPruner``; Optuna: ``TPESampler`` + its
``HyperbandPruner``, the combination Optuna documents for BOHB-like search).

Protocol, per task and seed, for each library: the no-pruning run does ``--trials`` trials (a
real random search of ~10 CPU seconds, 3-4x the trials of the first protocol); its time ``W``
is the time budget of every pruned run of that library and seed (cut at ``W`` exactly: a trial
still training then is stopped), and its final best score ``S`` is the target. Recorded per
run: the time when the best COMPLETE score first reached ``S`` (the "time to the no-pruning
score", as a fraction of ``W``; also in training steps), the time to a fixed target, and the
best score at ``W``. Runs of the two libraries alternate within one process.

Pruner settings, the same for both libraries: rungs at 1, 3, 9 and 27 steps (η = 3, the
reduction factor the Hyperband paper recommends; ``min_resource=1``, ``max_resource=27``, so
Hyperband has ``floor(log_3 27) + 1 = 4`` brackets). ``rank_correlation`` in the summary
gives, from the no-pruning runs, Spearman's ρ between a trial's score at each rung and its
final score: how informative the first rung is.

A second, independent target (``S_ind``, supplementary): a no-pruning run of the same size
whose random sampler has another seed (the models' own seeds unchanged). The pruned variants
with the random sampler draw exactly the reference's configurations in the same order (same
seed), so ``S`` is the final score of a configuration they are sure to meet, by trial number;
BOHB-style replaces most draws by model proposals after its start-up and loses that. ``S_ind``
is reached by none of them by construction. Recorded per run: the time to ``S_ind`` (as a
fraction of the same ``W``), and the BOHB-style vs Hyperband count on it; the targets of the
issue stay defined on ``S``.

Time is the CPU time of each (single-threaded) process, ``time.process_time()``: on an idle
machine it equals the wall time, and on the shared 2-core machine this runs on it keeps one
run's budget meaningful for the next. Wall times are recorded too. ``--jobs`` runs the
(task, seed) units in that many processes — each measures its own CPU time, so the
measurement is unchanged — and every unit is cached in ``bench/results/cache/pruning/`` as
it ends (keyed by the code it ran), so an interrupted run resumes.

    pip install . --group bench && python bench/pruning.py [--seeds 10] [--jobs 2]

Writes bench/results/pruning.json and bench/results/pruning.png.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread per model: both libraries alike

import argparse
import hashlib
import json
import logging
import multiprocessing
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import hyperdial

VARIANTS = ["none", "median", "asha", "hyperband", "bohb"]
LIBS = ("hyperdial", "optuna")
# (first step, last step, direction, fixed target)
TASKS: dict[str, tuple[int, int, str, float]] = {
    "mlp": (1, 27, "maximize", 0.97),
    "lgbm": (0, 27, "minimize", 0.12),
}


#: Trials of the no-pruning reference run per task (``--trials``'s default).
REFERENCE_TRIALS = {"mlp": 24, "lgbm": 64}
RUNGS = (1, 3, 9, 27)  # min_resource = 1, reduction factor 3, max_resource = 27
IND_SEED = 1_000_003  # sampler seed offset of the independent reference (S_ind)


class _TimeUp(Exception):
    pass


def make_study(
    lib: str, variant: str, seed: int, task: str, sampler_seed: int | None = None
) -> Any:
    first, last, direction, _ = TASKS[task]
    sseed = seed if sampler_seed is None else sampler_seed
    # Hyperband/ASHA from the first rung at step 1, η = 3: rungs at 1, 3, 9 (and 27)
    if lib == "hyperdial":
        p: Any = hyperdial.pruners
        s: Any = hyperdial.samplers
        create = hyperdial.create_study
        bohb_sampler = s.BOHBSampler(seed=sseed)
        # ASHA's top rung is a full training (Li et al. 2020): not judged there. Optuna's
        # SuccessiveHalvingPruner has no such option; the best trial at the top rung always
        # goes on in both, so the time to a score is the same either way.
        asha_kw: dict[str, Any] = {"max_resource": last}
    else:
        import optuna

        p, s, create = optuna.pruners, optuna.samplers, optuna.create_study
        bohb_sampler = s.TPESampler(seed=sseed)
        asha_kw = {}
    pruner = {
        "none": lambda: p.NopPruner(),
        "median": lambda: p.MedianPruner(n_startup_trials=5, n_warmup_steps=first + 1),
        "asha": lambda: p.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, **asha_kw),
        "hyperband": lambda: p.HyperbandPruner(1, last, reduction_factor=3),
        "bohb": lambda: p.HyperbandPruner(1, last, reduction_factor=3),
    }[variant]()
    sampler = bohb_sampler if variant == "bohb" else s.RandomSampler(seed=sseed)
    return create(direction=direction, sampler=sampler, pruner=pruner)


def mlp_objective(
    data: tuple[np.ndarray, ...], seed: int, tick: Callable[[], None], cpu: dict[str, float]
) -> Callable[[Any], float]:
    """``cpu`` accumulates the CPU seconds of the model's training steps (``model``), of the
    validation score (``eval``) and of ``report`` + ``should_prune`` (``report``), and counts
    the epochs per batch size (``epochs_bs<n>``)."""
    X_tr, X_va, y_tr, y_va = data
    classes = np.arange(10)
    _, last, _, _ = TASKS["mlp"]

    def objective(trial: Any) -> float:
        clf = MLPClassifier(
            hidden_layer_sizes=(trial.suggest_int("width", 8, 64, log=True),),
            alpha=trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
            learning_rate_init=trial.suggest_float("lr", 1e-4, 3e-1, log=True),
            batch_size=trial.suggest_categorical("batch_size", [64, 128, 256]),
            random_state=seed,
        )
        key = f"epochs_bs{clf.batch_size}"
        acc = 0.0
        clock = time.process_time
        for epoch in range(1, last + 1):
            t0 = clock()
            clf.partial_fit(X_tr, y_tr, classes=classes)
            t1 = clock()
            cpu["model"] += t1 - t0
            cpu[key] = cpu.get(key, 0) + 1
            tick()
            acc = float(clf.score(X_va, y_va))
            t2 = clock()
            trial.report(acc, epoch)
            prune = trial.should_prune()
            cpu["eval"] += t2 - t1
            cpu["report"] += clock() - t2
            if prune:
                raise trial_pruned(trial)
        return acc

    return objective


def lgbm_objective(
    data: tuple[np.ndarray, ...], seed: int, tick: Callable[[], None], cpu: dict[str, float]
) -> Callable[[Any], float]:
    """``cpu`` as in :func:`mlp_objective`: ``model`` is ``lgb.train`` (booster construction,
    boosting rounds and LightGBM's own validation metric) without the callbacks, ``report``
    the pruning callback."""
    import lightgbm as lgb

    X_tr, X_va, y_tr, y_va = data
    _, last, _, _ = TASKS["lgbm"]
    # binned once: building the data set is not part of what pruning saves
    ds_params = {"feature_pre_filter": False, "verbosity": -1}
    dtr = lgb.Dataset(X_tr, y_tr, params=ds_params)
    dva = lgb.Dataset(X_va, y_va, reference=dtr, params=ds_params)
    dtr.construct()
    dva.construct()

    def objective(trial: Any) -> float:
        params = {
            "objective": "multiclass",
            "num_class": 10,
            "metric": "multi_logloss",
            "verbosity": -1,
            "num_threads": 1,
            "seed": seed,
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.5, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 4, 64, log=True),
            "min_child_samples": trial.suggest_int("min_child_samples", 2, 100, log=True),
            "feature_fraction": trial.suggest_float("feature_fraction", 0.3, 1.0),
            "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 10.0, log=True),
        }
        if isinstance(trial, hyperdial.Trial):
            from hyperdial.integration.lightgbm import LightGBMPruningCallback

            cb: Any = LightGBMPruningCallback(trial, "multi_logloss")
        else:
            cb = _OptunaLightGBMCallback(trial)

        final: list[float] = []
        clock = time.process_time
        in_callbacks = [0.0]

        def ticker(env: Any) -> None:
            t0 = clock()
            tick()
            final[:] = [float(env.evaluation_result_list[0][2])]
            in_callbacks[0] += clock() - t0

        def pruning(env: Any) -> None:
            t0 = clock()
            try:
                cb(env)
            finally:
                dt = clock() - t0
                cpu["report"] += dt
                in_callbacks[0] += dt

        start = clock()
        try:
            lgb.train(
                params,
                dtr,
                num_boost_round=last + 1,
                valid_sets=[dva],
                callbacks=[ticker, pruning],
                keep_training_booster=True,  # no model serialisation at the end
            )
        finally:
            cpu["model"] += clock() - start - in_callbacks[0]
        return final[0]

    return objective


class _OptunaLightGBMCallback:
    """What ``optuna_integration.LightGBMPruningCallback`` does, for the Optuna runs (the
    integration package is not installed here): report the metric each round, prune."""

    def __init__(self, trial: Any) -> None:
        self._trial = trial

    def __call__(self, env: Any) -> None:
        import optuna

        for name, metric, value, _ in env.evaluation_result_list:
            if name == "valid_0" and metric == "multi_logloss":
                self._trial.report(float(value), env.iteration)
                if self._trial.should_prune():
                    raise optuna.TrialPruned()


def trial_pruned(trial: Any) -> Exception:
    if isinstance(trial, hyperdial.Trial):
        return hyperdial.TrialPruned()
    import optuna

    return optuna.TrialPruned()


def run(
    lib: str,
    task: str,
    variant: str,
    seed: int,
    data: tuple[np.ndarray, ...],
    n_trials: int | None,
    budget: float | None,
    sampler_seed: int | None = None,
) -> dict[str, Any]:
    """One study; ``n_trials`` for the no-pruning baseline, else the time ``budget``."""
    _, _, direction, fixed_target = TASKS[task]
    study = make_study(lib, variant, seed, task, sampler_seed)
    sign = 1.0 if direction == "maximize" else -1.0
    counters = {"steps": 0}
    load_start = os.getloadavg()[0]
    start_wall = time.perf_counter()
    start = time.process_time()

    def tick() -> None:
        counters["steps"] += 1
        if budget is not None and time.process_time() - start > budget:
            study.stop()  # after this trial, which ends now
            raise _TimeUp()

    make = mlp_objective if task == "mlp" else lgbm_objective
    cpu_parts: dict[str, float] = {"model": 0.0, "eval": 0.0, "report": 0.0}
    objective = make(data, seed, tick, cpu_parts)
    # (seconds, best so far, training steps so far) at each improvement
    history: list[tuple[float, float, int]] = []

    def callback(st: Any, frozen: Any) -> None:
        if frozen.state.name != "COMPLETE" or frozen.value is None:
            return
        if not history or sign * frozen.value > sign * history[-1][1]:
            history.append((time.process_time() - start, float(frozen.value), counters["steps"]))

    study.optimize(objective, n_trials=n_trials, callbacks=[callback], catch=(_TimeUp,))
    cpu = time.process_time() - start
    wall = time.perf_counter() - start_wall
    states = [t.state.name for t in study.trials]
    modes: dict[str, int] = {}
    for t in study.trials:  # how BOHBSampler chose each trial's parameters
        mode = t.system_attrs.get("bohb:mode")
        if mode is not None:
            modes[mode] = modes.get(mode, 0) + 1
    curves = None
    if variant == "none":  # (score at the rungs 1, 3, 9; final score) per finished trial
        curves = [
            [t.intermediate_values.get(r) for r in RUNGS[:-1]] + [t.value]
            for t in study.trials
            if t.state.name == "COMPLETE"
        ]
    return {
        "curves": curves,
        "lib": lib,
        "task": task,
        "variant": variant,
        "seed": seed,
        "cpu_s": cpu,
        "wall_s": wall,
        "loadavg_start": load_start,
        "loadavg_end": os.getloadavg()[0],
        "steps": counters["steps"],
        # where the CPU time went (s): the model library's training (its per-trial set-up
        # included), the harness's validation score (MLP), report + should_prune; the rest
        # (sampler, trial bookkeeping, harness loop) is cpu_s minus these
        "cpu_parts": cpu_parts,
        "n_trials": len(states),
        "n_pruned": states.count("PRUNED"),
        "history": history,
        "bohb_modes": modes or None,
        "time_to_fixed_target_s": next(
            (t for t, v, _ in history if sign * v >= sign * fixed_target), None
        ),
    }


def _best_at(history: list[tuple[float, float, int]], t_max: float) -> float | None:
    vals = [v for t, v, _ in history if t <= t_max]
    return vals[-1] if vals else None


def _reach(
    history: list[tuple[float, float, int]], target: float, sign: float
) -> tuple[float, int] | None:
    """(seconds, training steps) when the best score first reached ``target``."""
    return next(((t, n) for t, v, n in history if sign * v >= sign * target - 1e-12), None)


def _setup() -> tuple[np.ndarray, ...]:
    import optuna

    optuna.logging.set_verbosity(logging.ERROR)
    hyperdial.logging.set_verbosity(logging.ERROR)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    return tuple(train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y))


def run_unit(task: str, seed: int, n_trials: int) -> list[dict[str, Any]]:
    """Every variant and library for one task and seed, in one process (alternating libraries:
    the same load for both)."""
    data = _setup()
    sign = 1.0 if TASKS[task][2] == "maximize" else -1.0
    for lib in LIBS:  # warm-up, not measured: first-use imports would inflate the first run
        run(lib, task, "bohb", seed, data, 2, None)
    base: dict[str, dict[str, Any]] = {}
    runs = []
    for variant in VARIANTS:
        for lib in LIBS:
            if variant == "none":
                r = run(lib, task, variant, seed, data, n_trials, None)
                base[lib] = r
            else:
                r = run(lib, task, variant, seed, data, None, base[lib]["cpu_s"])
            ref = base[lib]
            r["budget_s"] = ref["cpu_s"]
            r["target"] = ref["history"][-1][1]
            r["best_at_budget"] = _best_at(r["history"], ref["cpu_s"])
            hit = _reach(r["history"], r["target"], sign)
            r["time_to_none_score_s"] = None if hit is None else hit[0]
            r["time_to_none_score_frac"] = None if hit is None else hit[0] / ref["cpu_s"]
            # the same in training steps: what the load of the machine cannot change
            r["steps_to_none_score_frac"] = None if hit is None else hit[1] / ref["steps"]
            r["loadavg"] = os.getloadavg()[0]
            runs.append(r)
            frac = r["time_to_none_score_frac"]
            print(
                f"seed {seed} {task:>4} {variant:>9} {lib:>9}: {r['cpu_s']:5.2f} s cpu "
                f"({r['wall_s']:6.2f} wall, load {r['loadavg']:4.1f}), "
                f"{r['n_trials']:3d} trials ({r['n_pruned']:3d} pruned), "
                f"{r['steps']:4d} steps, best@W {r['best_at_budget']:.4f}, "
                f"to S {'-' if frac is None else f'{frac:.2f}'} W",
                flush=True,
            )
    # the independent reference (supplementary target S_ind): after the measured runs, so
    # their order and load are as before
    for lib in LIBS:
        ind = run(lib, task, "none", seed, data, n_trials, None, sampler_seed=IND_SEED + seed)
        s_ind = ind["history"][-1][1]
        for r in runs:
            if r["lib"] != lib:
                continue
            ref = base[lib]
            r["target_ind"] = s_ind
            r["ind_reference_cpu_s"] = ind["cpu_s"]
            hit = _reach(r["history"], s_ind, sign)
            hit = None if hit is None or hit[0] > ref["cpu_s"] else hit
            r["time_to_ind_score_frac"] = None if hit is None else hit[0] / ref["cpu_s"]
            r["steps_to_ind_score_frac"] = None if hit is None else hit[1] / ref["steps"]
    return runs


def _code_key() -> str:
    """A hash of the code a cached unit ran: this file, the pruners and BOHBSampler."""
    root = Path(hyperdial.__file__).parent
    files = [Path(__file__), *sorted((root / "pruners").glob("*.py")), root / "samplers/_bohb.py"]
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _cached_unit(cache: Path, key: str, task: str, seed: int, n_trials: int) -> Any:
    path = cache / f"{task}_s{seed}_n{n_trials}_{key}.json"
    if path.exists():
        return json.loads(path.read_text())
    runs = run_unit(task, seed, n_trials)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(runs))
    tmp.replace(path)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument(
        "--trials",
        default=",".join(f"{k}={v}" for k, v in REFERENCE_TRIALS.items()),
        help="trials of the no-pruning run, per task",
    )
    parser.add_argument("--tasks", default="mlp,lgbm")
    parser.add_argument("--jobs", type=int, default=2, help="processes, one (task, seed) each")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "pruning"))
    parser.add_argument(
        "--cache", default=str(Path(__file__).parent / "results" / "cache" / "pruning")
    )
    args = parser.parse_args()

    import lightgbm
    import optuna

    tasks = args.tasks.split(",")
    n_trials = {k: int(v) for k, v in (kv.split("=") for kv in args.trials.split(","))}
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    key = _code_key()
    load_before = os.getloadavg()
    units = [(task, seed) for seed in range(args.seeds) for task in tasks]
    runs: list[dict[str, Any]] = []
    if args.jobs <= 1:
        for task, seed in units:
            runs += _cached_unit(cache, key, task, seed, n_trials[task])
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(args.jobs, mp_context=ctx) as pool:
            futures = [
                pool.submit(_cached_unit, cache, key, task, seed, n_trials[task])
                for task, seed in units
            ]
            for fut in futures:
                runs += fut.result()

    summary = summarise(runs, tasks)
    print(markdown_table(summary, tasks))
    print(markdown_table_ind(summary, tasks))
    summary["cpu_per_step"] = cpu = cpu_per_step(runs, tasks)
    print(markdown_table_cpu(cpu, tasks))
    result = {
        "benchmark": "pruning",
        "tasks": {
            "mlp": "MLPClassifier.partial_fit on sklearn digits, validation accuracy per epoch "
            "(steps 1..27)",
            "lgbm": "LightGBM multiclass on sklearn digits, validation multi_logloss per round "
            "(steps 0..27)",
        },
        "fixed_targets": {t: TASKS[t][3] for t in tasks},
        "args": vars(args),
        "code_key": key,
        "summary": summary,
        "runs": runs,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg(),
        },
        "versions": {
            "hyperdial": hyperdial.__version__,
            "optuna": optuna.__version__,
            "lightgbm": lightgbm.__version__,
            "scikit-learn": __import__("sklearn").__version__,
        },
    }
    out = Path(args.out)
    out.parent.mkdir(exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    _plot(summary, runs, tasks, out.with_suffix(".png"))
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.png').name}")


def summarise(runs: list[dict[str, Any]], tasks: list[str]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    print(
        f"\n{'task':>4} {'variant':>9} {'lib':>9} {'W s':>6} {'steps':>6} {'to S / W':>9} "
        f"{'steps/W':>8} {'<=40%':>5} {'reached':>7} {'best@W':>7} {'to fixed s':>10}"
    )
    for task in tasks:
        for variant in VARIANTS:
            for lib in LIBS:
                rs = [
                    r
                    for r in runs
                    if r["task"] == task and r["variant"] == variant and r["lib"] == lib
                ]
                # a run that never reached S counts as "beyond the budget" in the median
                fracs = [r["time_to_none_score_frac"] for r in rs]
                step_fracs = [r["steps_to_none_score_frac"] for r in rs]
                fixed = [r["time_to_fixed_target_s"] for r in rs]
                s = {
                    "budget_s": statistics.median(r["budget_s"] for r in rs),
                    "steps": statistics.median(r["steps"] for r in rs),
                    "n_trials": statistics.median(r["n_trials"] for r in rs),
                    "time_to_none_score_frac_median": _median_or_none(fracs),
                    "steps_to_none_score_frac_median": _median_or_none(step_fracs),
                    "seeds_within_40pct_of_none_time": sum(
                        f is not None and f <= 0.4 for f in fracs
                    ),
                    "reached_none_score": sum(f is not None for f in fracs),
                    "best_at_budget_median": statistics.median(
                        r["best_at_budget"] for r in rs if r["best_at_budget"] is not None
                    ),
                    "time_to_fixed_target_s_median": _median_or_none(fixed),
                    "reached_fixed_target": sum(f is not None for f in fixed),
                    "n_seeds": len(rs),
                }
                ind = [r.get("time_to_ind_score_frac") for r in rs]
                if any("target_ind" in r for r in rs):  # the supplementary target S_ind
                    s["time_to_ind_score_frac_median"] = _median_or_none(ind)
                    s["steps_to_ind_score_frac_median"] = _median_or_none(
                        [r.get("steps_to_ind_score_frac") for r in rs]
                    )
                    s["seeds_within_40pct_ind"] = sum(f is not None and f <= 0.4 for f in ind)
                    s["reached_ind_score"] = sum(f is not None for f in ind)
                summary[f"{task}/{variant}/{lib}"] = s
                mf = s["time_to_none_score_frac_median"]
                ms = s["steps_to_none_score_frac_median"]
                tf = s["time_to_fixed_target_s_median"]
                print(
                    f"{task:>4} {variant:>9} {lib:>9} {s['budget_s']:6.2f} {s['steps']:6.0f} "
                    f"{'>1' if mf is None else f'{mf:.2f}':>9} "
                    f"{'>1' if ms is None else f'{ms:.2f}':>8} "
                    f"{s['seeds_within_40pct_of_none_time']:>5} "
                    f"{s['reached_none_score']:>3}/{len(rs):<3} "
                    f"{s['best_at_budget_median']:7.4f} {'-' if tf is None else f'{tf:.2f}':>10}"
                )
        for lib in LIBS:
            summary[f"{task}/bohb_le_hyperband/{lib}"] = c = _bohb_vs_hyperband(runs, task, lib)
            print(
                f"{task:>4} BOHB-style <= Hyperband to S, {lib}: {c['bohb_le_hyperband_time']}/"
                f"{c['seeds']} seeds by CPU time ({c['same_work']} of them with the same training "
                f"steps, {c['both_never_reached']} where neither reached S; "
                f"{c['bohb_le_hyperband_time_raw']} comparing raw CPU times), "
                f"{c['bohb_le_hyperband_steps']}/{c['seeds']} by training steps"
            )
            if not all("target_ind" in r for r in runs if r["task"] == task):
                continue
            c = _bohb_vs_hyperband(runs, task, lib, "ind_score")
            summary[f"{task}/bohb_le_hyperband_ind/{lib}"] = c
            print(
                f"{task:>4} BOHB-style <= Hyperband to S_ind, {lib}: "
                f"{c['bohb_le_hyperband_time']}/{c['seeds']} seeds by CPU time "
                f"({c['same_work']} same steps, {c['both_never_reached']} neither), "
                f"{c['bohb_le_hyperband_steps']}/{c['seeds']} by training steps"
            )
            for v in ("asha", "hyperband", "bohb"):
                t = summary[f"{task}/{v}/{lib}"]
                mf = t["time_to_ind_score_frac_median"]
                frac = ">1" if mf is None else f"{mf:.2f}"
                print(
                    f"{task:>4} {v:>9} {lib:>9} to S_ind / W: {frac}"
                    f", {t['seeds_within_40pct_ind']} seeds <= 0.4, reached on "
                    f"{t['reached_ind_score']}"
                )
        rho = _rank_correlation(runs, task)
        summary[f"{task}/rank_correlation"] = rho
        print(
            f"{task:>4} Spearman rho(score at rung, final score), median over no-pruning runs: "
            + ", ".join(f"step {r}: {v:.2f}" for r, v in rho.items())
        )
    return summary


def _bohb_vs_hyperband(
    runs: list[dict[str, Any]], task: str, lib: str, key: str = "none_score"
) -> dict[str, int]:
    """Per seed, is BOHB-style's time to ``S`` (``key="ind_score"``: to ``S_ind``) at most plain
    Hyperband's?

    Both runs share the seed, so their random trials are the same configurations in the same
    brackets until the model proposes its first one. When both reached ``S`` after the same
    number of training steps they did the same training (``S`` came from that shared start),
    and their CPU times differ only by noise: such a seed counts as a tie (≤ holds), as does a
    seed where neither reached ``S``. Otherwise the CPU times decide. The raw CPU-time
    comparison and the training-step comparison are counted too.
    """
    n = le = le_raw = le_steps = same = never = 0
    for seed in sorted({r["seed"] for r in runs}):
        by = {
            r["variant"]: r
            for r in runs
            if r["task"] == task and r["lib"] == lib and r["seed"] == seed
        }
        if "bohb" not in by or "hyperband" not in by:
            continue
        n += 1
        bt, ht = (by[v][f"time_to_{key}_frac"] for v in ("bohb", "hyperband"))
        bs, hs = (by[v][f"steps_to_{key}_frac"] for v in ("bohb", "hyperband"))
        raw = (math_inf if bt is None else bt) <= (math_inf if ht is None else ht)
        le_raw += raw
        le_steps += (math_inf if bs is None else bs) <= (math_inf if hs is None else hs)
        if bt is None and ht is None:
            never += 1
            le += 1
        elif bs is not None and bs == hs:
            same += 1
            le += 1
        else:
            le += raw
    return {
        "seeds": n,
        "bohb_le_hyperband_time": le,
        "bohb_le_hyperband_time_raw": le_raw,
        "bohb_le_hyperband_steps": le_steps,
        "same_work": same,
        "both_never_reached": never,
    }


def markdown_table(summary: dict[str, Any], tasks: list[str]) -> str:
    """The README table: per task, variant and library the median fraction of ``W`` (CPU time
    and training steps) to reach ``S``, the seeds within 40%, and the median best after ``W``."""
    names = {"none": "none (own)", "median": "Median", "asha": "ASHA", "hyperband": "Hyperband"}
    names["bohb"] = "BOHB-style"
    head = "| task | variant |"
    for lib in LIBS:
        head += f" {lib} time to S / W | steps | seeds ≤ 0.4 | best after W |"
    lines = [head, "|" + "---|" * (2 + 4 * len(LIBS))]
    for task in tasks:
        for v in VARIANTS:
            row = f"| {task} | {names[v]} |"
            for lib in LIBS:
                s = summary[f"{task}/{v}/{lib}"]
                mf = s["time_to_none_score_frac_median"]
                ms = s["steps_to_none_score_frac_median"]
                row += (
                    f" {'>1' if mf is None else f'{mf:.2f}'} |"
                    f" {'>1' if ms is None else f'{ms:.2f}'} |"
                    f" {s['seeds_within_40pct_of_none_time']}/{s['n_seeds']} |"
                    f" {s['best_at_budget_median']:.4f} |"
                )
            lines.append(row)
    return "\n".join(lines)


def markdown_table_ind(summary: dict[str, Any], tasks: list[str]) -> str:
    """The supplementary table: per task, variant and library, the median fraction of ``W`` to
    reach ``S_ind`` (the independent reference's score), the seeds within 40% and the seeds
    that reached it at all."""
    head = "| task | variant |"
    for lib in LIBS:
        head += f" {lib} time to S_ind / W | seeds ≤ 0.4 | reached |"
    lines = [head, "|" + "---|" * (2 + 3 * len(LIBS))]
    for task in tasks:
        for v in VARIANTS:
            row = f"| {task} | {v} |"
            for lib in LIBS:
                s = summary[f"{task}/{v}/{lib}"]
                if "time_to_ind_score_frac_median" not in s:
                    return ""
                mf = s["time_to_ind_score_frac_median"]
                row += (
                    f" {'>1' if mf is None else f'{mf:.2f}'} |"
                    f" {s['seeds_within_40pct_ind']}/{s['n_seeds']} |"
                    f" {s['reached_ind_score']}/{s['n_seeds']} |"
                )
            lines.append(row)
    return "\n".join(lines)


def cpu_per_step(runs: list[dict[str, Any]], tasks: list[str]) -> dict[str, Any]:
    """Per task, variant and library, medians over seeds of the CPU milliseconds per training
    step spent in the model library (``model``), the validation score (``eval``), report +
    should_prune (``report``) and everything else (``other``), and, for the MLP, the share of
    the epochs trained with batch size 64 (the dearest per epoch)."""
    out: dict[str, Any] = {}
    for task in tasks:
        for variant in VARIANTS:
            for lib in LIBS:
                rs = [
                    r
                    for r in runs
                    if r["task"] == task
                    and r["variant"] == variant
                    and r["lib"] == lib
                    and r.get("cpu_parts")
                ]
                if not rs:
                    continue
                parts: dict[str, list[float]] = {"total": [], "other": []}
                bs64 = []
                for r in rs:
                    c, n = r["cpu_parts"], max(1, r["steps"])
                    known = 0.0
                    for k in ("model", "eval", "report"):
                        parts.setdefault(k, []).append(1000 * c[k] / n)
                        known += c[k]
                    parts["other"].append(1000 * (r["cpu_s"] - known) / n)
                    parts["total"].append(1000 * r["cpu_s"] / n)
                    epochs = sum(v for k, v in c.items() if k.startswith("epochs_bs"))
                    if epochs:
                        bs64.append(c.get("epochs_bs64", 0) / epochs)
                row = {k: statistics.median(v) for k, v in parts.items()}
                if bs64:
                    row["batch64_share"] = statistics.median(bs64)
                out[f"{task}/{variant}/{lib}"] = row
    return out


def markdown_table_cpu(cpu: dict[str, Any], tasks: list[str]) -> str:
    """The CPU ms per training step by part (medians over seeds)."""
    head = "| task | variant | lib | total | model | eval | report + should_prune | other |"
    head += " batch-64 share |"
    lines = [head, "|" + "---|" * 9]
    for task in tasks:
        for v in VARIANTS:
            for lib in LIBS:
                c = cpu.get(f"{task}/{v}/{lib}")
                if c is None:
                    continue
                share = f"{c['batch64_share']:.2f}" if "batch64_share" in c else "-"
                lines.append(
                    f"| {task} | {v} | {lib} | {c['total']:.2f} | {c['model']:.2f} | "
                    f"{c['eval']:.2f} | {c['report']:.3f} | {c['other']:.3f} | {share} |"
                )
    return "\n".join(lines)


def _rank_correlation(runs: list[dict[str, Any]], task: str) -> dict[str, float]:
    """Median over the no-pruning runs of Spearman's rho between each trial's score at a rung
    (1, 3, 9) and its final score: how well a rung ranks the configurations."""
    from scipy.stats import spearmanr

    out: dict[str, float] = {}
    for i, rung in enumerate(RUNGS[:-1]):
        rhos = []
        for r in runs:
            if r["task"] != task or r["variant"] != "none" or not r.get("curves"):
                continue
            pairs = [(c[i], c[-1]) for c in r["curves"] if c[i] is not None]
            if len(pairs) >= 3:
                rho = spearmanr(*zip(*pairs, strict=True))[0]
                if rho == rho:
                    rhos.append(float(rho))
        if rhos:
            out[str(rung)] = statistics.median(rhos)
    return out


math_inf = float("inf")


def _median_or_none(xs: list[float | None]) -> float | None:
    vals = [math_inf if x is None else x for x in xs]
    m = statistics.median(vals) if vals else math_inf
    return None if m == math_inf else m


def _plot(
    summary: dict[str, Any], runs: list[dict[str, Any]], tasks: list[str], path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(tasks), 3, figsize=(15, 3.6 * len(tasks)), squeeze=False)
    x = np.arange(len(VARIANTS))
    panels = [
        ("time_to_none_score", "time to the no-pruning score / its time (CPU s)"),
        ("steps_to_none_score", "training steps to the no-pruning score / its steps"),
    ]
    for row, task in enumerate(tasks):
        for col, (key, title) in enumerate(panels):
            ax = axes[row][col]
            for i, lib in enumerate(LIBS):
                off = (i - 0.5) * 0.38
                med = [summary[f"{task}/{v}/{lib}"][f"{key}_frac_median"] for v in VARIANTS]
                ax.bar(x + off, [1.05 if m is None else m for m in med], width=0.38, label=lib)
                for j, v in enumerate(VARIANTS):
                    pts = [
                        r[f"{key}_frac"]
                        for r in runs
                        if r["task"] == task and r["variant"] == v and r["lib"] == lib
                    ]
                    ys = [1.05 if p is None else p for p in pts]
                    ax.scatter([j + off] * len(ys), ys, color="k", s=8, zorder=3)
            ax.axhline(0.4, color="r", lw=0.8, ls="--")
            ax.set_xticks(x, VARIANTS)
            ax.set_ylim(0, 1.1)
            ax.set_title(f"{task}: {title}", fontsize=9)
            ax.legend(loc="upper left", fontsize=8)
        ax_b = axes[row][2]
        vals = []
        for i, lib in enumerate(LIBS):
            best = [summary[f"{task}/{v}/{lib}"]["best_at_budget_median"] for v in VARIANTS]
            vals += best
            ax_b.bar(x + (i - 0.5) * 0.38, best, width=0.38, label=lib)
        lo, hi = min(vals), max(vals)
        pad = (hi - lo) * 0.5 + 1e-3
        ax_b.set_ylim(lo - pad, hi + pad)
        ax_b.set_xticks(x, VARIANTS)
        metric = "accuracy" if TASKS[task][2] == "maximize" else "logloss"
        ax_b.set_title(f"{task}: best validation {metric} within that time", fontsize=9)
    fig.suptitle(
        "Pruning on digits: medians over seeds (bars; 1.05 = never), seeds (dots); "
        "hyperdial and Optuna in the same run"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
