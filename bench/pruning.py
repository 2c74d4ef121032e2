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

``--replay``: the shared-configuration protocol of issue 20, which the pruner comparisons
against Optuna use. Each task has a pool of configurations drawn once by a NumPy generator of
its own (``POOL_SEED``, independent of both libraries). Each configuration's full learning
curve is computed once by a deterministic training (the model's seed is its index in the
pool) and cached on disk with the CPU seconds of every step (``--curve-cache``). A seed draws
two disjoint lists from the pool: the list both libraries replay in the same order (enqueued
into a hyperdial study and an Optuna study, so the pruner is the only difference), and the
independent reference whose final best is the target ``S_ind``. A trial "trains" step k by
reading the k-th cached value, and the steps are counted; training is deterministic, so the
steps are the headline and the CPU time (the cached training CPU plus the CPU of the study's
own calls, measured) is beside them. The first ``REFERENCE_TRIALS`` configurations of the
list without pruning give the budget ``W`` in steps and the score ``S``. No model is trained
after the pool's one pass: 20 seeds of every pruner cost the pruners' own calls only.
Tasks: ``mlp`` and ``lgbm`` as above (27 and 28 steps), ``cv`` (an ``SGDClassifier``
scored by 10-fold cross-validation on digits, one fold per step: the objective
WilcoxonPruner is for) and synthetic curve shapes
(``improving``, ``noisy``, ``plateau``) for the median rule. Pruners at Optuna's defaults;
``rule:<candidate>`` are the median pruner's comparison rules measured for
docs/design/pruning.md. Seeds: ``--seeds-range tuning`` (100-109, where the rule and any
default were chosen) or ``judging`` (0-19, where they are read).

    python bench/pruning.py --replay --tasks mlp,lgbm,cv --seeds-range judging \
        --replay-out bench/results/pruning_replay.json
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread per model: both libraries alike

import argparse
import hashlib
import inspect
import json
import logging
import math
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
    parser.add_argument(
        "--replay",
        action="store_true",
        help="the shared-configuration protocol: cached learning curves replayed to both",
    )
    parser.add_argument("--replay-out", default=None, help="--replay: the JSON to write")
    parser.add_argument("--seeds-range", default="judging", help="tuning, judging or A-B")
    parser.add_argument(
        "--pruners",
        default="none,median,percentile25,asha,hyperband,patient,wilcoxon",
        help="--replay: pruners at Optuna's defaults, and rule:<candidate>",
    )
    parser.add_argument(
        "--curve-cache", default=str(Path(__file__).parent / "results" / "cache" / "curves")
    )
    args = parser.parse_args()
    if args.replay and args.tasks == "mo":
        mo_main(args)
        return
    if args.replay:
        replay_main(args)
        return

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
        "machine": _machine(load_before),
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


# --------------------------------------------------------------------------------------------
# The shared-configuration protocol (issue 20): learning curves computed once, replayed.
# --------------------------------------------------------------------------------------------

#: Configurations per task in the pool the seeds draw their lists from.
POOL_SIZE = {"mlp": 600, "lgbm": 900, "cv": 400}
#: Steps of one full training (or folds of one cross-validation), per task.
REPLAY_STEPS = {"mlp": 27, "lgbm": 28, "cv": 10}
#: Direction per task.
REPLAY_DIRECTION = {
    "mlp": "maximize",
    "lgbm": "minimize",
    "cv": "maximize",
    "improving": "maximize",
    "noisy": "maximize",
    "plateau": "maximize",
}
#: Configurations of a seed's list per configuration of its no-pruning reference.
LIST_FACTOR = 12
POOL_SEED = 20_261_207  # the pool's draws: independent of both libraries and of every seed
TUNING_SEEDS = range(100, 110)  # the rule and defaults were chosen on these
JUDGING_SEEDS = range(20)  # the acceptance tables are read on these
CURVE_SHAPES = ("improving", "noisy", "plateau")


def _pool_params(task: str) -> list[dict[str, Any]]:
    """The pool's configurations: log-uniform / uniform draws of the live protocol's spaces,
    from a NumPy generator of its own."""
    rng = np.random.default_rng([POOL_SEED, sorted(POOL_SIZE).index(task)])
    out: list[dict[str, Any]] = []

    def logu(lo: float, hi: float) -> float:
        return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))

    for _ in range(POOL_SIZE[task]):
        if task == "mlp":
            out.append(
                {
                    "width": int(round(logu(8, 64))),
                    "alpha": logu(1e-6, 1e-1),
                    "lr": logu(1e-4, 3e-1),
                    "batch_size": int(rng.choice([64, 128, 256])),
                }
            )
        elif task == "lgbm":
            out.append(
                {
                    "learning_rate": logu(0.01, 0.5),
                    "num_leaves": int(round(logu(4, 64))),
                    "min_child_samples": int(round(logu(2, 100))),
                    "feature_fraction": float(rng.uniform(0.3, 1.0)),
                    "lambda_l2": logu(1e-3, 10.0),
                }
            )
        else:
            out.append(
                {
                    "alpha": logu(1e-6, 1.0),
                    "eta0": logu(1e-4, 1.0),
                    "loss": str(rng.choice(["hinge", "log_loss", "modified_huber"])),
                    "l1_ratio": float(rng.uniform(0.0, 1.0)),
                }
            )
    return out


def _train_curve(
    task: str, index: int, params: dict[str, Any], data: tuple[np.ndarray, ...]
) -> tuple[list[float], list[float]]:
    """(value, CPU seconds) at each step of one full, deterministic training of a pool
    configuration; the model's seed is the configuration's index in the pool."""
    X_tr, X_va, y_tr, y_va = data
    clock = time.process_time
    values: list[float] = []
    cpu: list[float] = []
    if task == "mlp":
        clf = MLPClassifier(
            hidden_layer_sizes=(params["width"],),
            alpha=params["alpha"],
            learning_rate_init=params["lr"],
            batch_size=params["batch_size"],
            random_state=index,
        )
        for _ in range(REPLAY_STEPS[task]):
            t0 = clock()
            clf.partial_fit(X_tr, y_tr, classes=np.arange(10))
            values.append(float(clf.score(X_va, y_va)))
            cpu.append(clock() - t0)
    elif task == "lgbm":
        import lightgbm as lgb

        record: dict[str, Any] = {}
        last = [clock()]

        def stamp(env: Any) -> None:
            now = clock()
            cpu.append(now - last[0])
            last[0] = now

        last[0] = clock()
        lgb.train(
            {
                "objective": "multiclass",
                "num_class": 10,
                "metric": "multi_logloss",
                "verbosity": -1,
                "num_threads": 1,
                "seed": index,
                **params,
            },
            lgb.Dataset(X_tr, y_tr, params={"verbosity": -1}),
            num_boost_round=REPLAY_STEPS[task],
            valid_sets=[lgb.Dataset(X_va, y_va, params={"verbosity": -1})],
            callbacks=[lgb.record_evaluation(record), stamp],
            keep_training_booster=True,
        )
        values = [float(v) for v in record["valid_0"]["multi_logloss"]]
    else:
        from sklearn.linear_model import SGDClassifier
        from sklearn.model_selection import StratifiedKFold

        X = np.vstack([X_tr, X_va])
        y = np.concatenate([y_tr, y_va])
        folds = StratifiedKFold(REPLAY_STEPS[task], shuffle=True, random_state=0)
        for tr, va in folds.split(X, y):
            t0 = clock()
            clf = SGDClassifier(
                penalty="elasticnet",
                learning_rate="adaptive",
                max_iter=5,
                tol=None,
                random_state=index,
                **params,
            )
            clf.fit(X[tr], y[tr])
            values.append(float(clf.score(X[va], y[va])))
            cpu.append(clock() - t0)
    return values, cpu


def _synthetic_curves(shape: str, n: int) -> tuple[list[list[float]], list[list[float]]]:
    """Accuracy-like learning curves (maximised, 27 steps) of three shapes users have:
    ``improving`` (saturating exponentials whose rates and ceilings differ, so curves cross),
    ``noisy`` (the same with evaluation noise of sd 0.03 on every step) and ``plateau`` (a fast
    rise to a plateau, then a late second rise for a third of the configurations)."""
    rng = np.random.default_rng([POOL_SEED, 7, CURVE_SHAPES.index(shape)])
    t = np.arange(1, 28, dtype=float)
    curves = []
    for _ in range(n):
        ceiling = rng.uniform(0.6, 0.98)
        rate = np.exp(rng.uniform(np.log(0.03), np.log(1.0)))
        y = ceiling * (1.0 - np.exp(-rate * t))
        if shape == "noisy":
            y = y + rng.normal(0.0, 0.03, t.size)
        elif shape == "plateau":
            y = ceiling * 0.8 * (1.0 - np.exp(-1.5 * t))
            if rng.uniform() < 1.0 / 3.0:
                start = rng.integers(5, 20)
                y = y + ceiling * 0.2 / (1.0 + np.exp(-(t - start)))
        curves.append([float(v) for v in y])
    return curves, [[0.0] * 27 for _ in range(n)]


def _curves_one(task: str, start: int, stop: int) -> list[tuple[list[float], list[float]]]:
    data = _setup()
    params = _pool_params(task)
    return [_train_curve(task, i, params[i], data) for i in range(start, stop)]


def load_curves(task: str, cache: Path, jobs: int) -> dict[str, Any]:
    """The pool's curves of ``task``, from ``cache`` or trained once (in ``jobs`` processes)
    and written there; keyed by the pool's size and the training code."""
    if task in CURVE_SHAPES:
        values, cpu = _synthetic_curves(task, 600)
        return {"values": values, "cpu": cpu, "params": None}
    src = inspect.getsource(_train_curve) + inspect.getsource(_pool_params)
    key = hashlib.sha256(f"{src}{POOL_SIZE[task]}{POOL_SEED}".encode()).hexdigest()[:12]
    path = cache / f"curves_{task}_{key}.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    n = POOL_SIZE[task]
    cuts = [n * k // jobs for k in range(jobs + 1)]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
        parts = list(pool.map(_curves_one, [task] * jobs, cuts[:-1], cuts[1:]))
    pairs = [c for part in parts for c in part]
    out = {
        "values": [v for v, _ in pairs],
        "cpu": [c for _, c in pairs],
        "params": _pool_params(task),
    }
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out))
    return out


def seed_lists(task: str, seed: int, n_pool: int) -> tuple[list[int], list[int]]:
    """One seed's configurations, drawn without replacement from the pool by a generator of
    their own: (the list both libraries replay in order, the independent reference's)."""
    n_ref = REFERENCE_TRIALS.get(task, 24)
    perm = np.random.default_rng([seed, 31]).permutation(n_pool)
    return [int(i) for i in perm[n_ref : n_ref * (1 + LIST_FACTOR)]], [
        int(i) for i in perm[:n_ref]
    ]


def replay(
    study: Any,
    lib: str,
    order: list[int],
    curves: dict[str, Any],
    task: str,
    budget_steps: int | None,
) -> dict[str, Any]:
    """Replays ``order``'s curves into ``study`` through ask / report / should_prune / tell:
    a trial "trains" step k by reading the k-th cached value. Stops when the list ends or
    ``budget_steps`` training steps are spent (a trial then still training is left out).
    Returns the training steps, their cached CPU seconds, the CPU seconds of the study's own
    calls, and (steps, best) at each improvement of the best complete value."""
    if lib == "hyperdial":
        pruned_state: Any = hyperdial.trial.TrialState.PRUNED
        fail_state: Any = hyperdial.trial.TrialState.FAIL
    else:
        import optuna

        pruned_state = optuna.trial.TrialState.PRUNED
        fail_state = optuna.trial.TrialState.FAIL
    sign = 1.0 if REPLAY_DIRECTION[task] == "maximize" else -1.0
    first = 0 if task in ("lgbm", "cv") else 1
    n_steps, train_cpu, history = 0, 0.0, []
    best = -math.inf
    cv = task == "cv"
    start = time.process_time()
    for idx in order:
        study.enqueue_trial({"cfg": idx})
        trial = study.ask()
        trial.suggest_int("cfg", 0, len(curves["values"]) - 1)
        values, cpus = curves["values"][idx], curves["cpu"][idx]
        state = None
        for k, v in enumerate(values):
            if budget_steps is not None and n_steps >= budget_steps:
                state = fail_state
                break
            n_steps += 1
            train_cpu += cpus[k]
            trial.report(v, k + first)
            if trial.should_prune():
                state = pruned_state
                break
        if state is None:
            final = float(np.mean(values)) if cv else values[-1]
            study.tell(trial, final)
            if sign * final > best:
                best = sign * final
                cpu_now = train_cpu + time.process_time() - start
                history.append((n_steps, cpu_now, final))
        else:
            study.tell(trial, state=state)
            if state is fail_state:
                break
    return {
        "steps": n_steps,
        "train_cpu_s": train_cpu,
        "study_cpu_s": time.process_time() - start,
        "history": history,
        "n_trials": len(study.trials),
    }


def _replay_pruner(lib: str, name: str) -> Any:
    """The pruner ``name`` at Optuna's defaults, from ``lib``; ``rule:<candidate>`` are the
    comparison rules measured for the median pruner (docs/design/pruning.md)."""
    if name.startswith("rule:"):
        return RULES[name[5:]]()
    if lib == "hyperdial":
        p: Any = hyperdial.pruners
    else:
        import optuna

        p = optuna.pruners
    return {
        "none": lambda: p.NopPruner(),
        "median": lambda: p.MedianPruner(),
        "percentile25": lambda: p.PercentilePruner(25.0),
        "asha": lambda: p.SuccessiveHalvingPruner(),
        "hyperband": lambda: p.HyperbandPruner(),
        "patient": lambda: p.PatientPruner(p.MedianPruner(), patience=3),
        "wilcoxon": lambda: p.WilcoxonPruner(),
        "asha_eta3": lambda: p.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
    }[name]()


def _new_study(lib: str, task: str, pruner: Any, name: str = "replay") -> Any:
    """A study with a fixed name: Optuna's HyperbandPruner hashes it into its bracket
    assignment, so a generated name would make its runs differ from one call to the next."""
    if lib == "hyperdial":
        return hyperdial.create_study(
            study_name=name,
            direction=REPLAY_DIRECTION[task],
            sampler=hyperdial.samplers.RandomSampler(seed=0),
            pruner=pruner,
        )
    import optuna

    return optuna.create_study(
        study_name=name,
        direction=REPLAY_DIRECTION[task],
        sampler=optuna.samplers.RandomSampler(seed=0),
        pruner=pruner,
    )


def replay_seed(
    task: str, seed: int, curves: dict[str, Any], pruners: list[str]
) -> list[dict[str, Any]]:
    """Every (pruner, library) on one seed's list; the no-pruning reference (its first
    ``REFERENCE_TRIALS`` configurations) gives the budget ``W`` in steps and ``S``; the
    independent list's no-pruning run gives ``S_ind``."""
    sign = 1.0 if REPLAY_DIRECTION[task] == "maximize" else -1.0
    order, ind = seed_lists(task, seed, len(curves["values"]))
    n_ref = len(ind)
    ref = replay(
        _new_study("hyperdial", task, None), "hyperdial", order[:n_ref], curves, task, None
    )
    ind_run = replay(_new_study("hyperdial", task, None), "hyperdial", ind, curves, task, None)
    budget = ref["steps"]
    s_ref, s_ind = ref["history"][-1][2], ind_run["history"][-1][2]
    out = []
    for name in pruners:
        libs = ("hyperdial",) if name.startswith("rule:") else LIBS
        for lib in libs:
            study = _new_study(lib, task, _replay_pruner(lib, name), f"{task}-{seed}")
            r = replay(study, lib, order, curves, task, budget)
            hist = r["history"]

            def reach(target: float, i: int = 0, hist: list[Any] = hist) -> Any:
                return next((h[i] for h in hist if sign * h[2] >= sign * target - 1e-12), None)

            r.update(
                task=task,
                seed=seed,
                pruner=name,
                lib=lib,
                budget_steps=budget,
                S=s_ref,
                S_ind=s_ind,
                steps_to_S=reach(s_ref),
                steps_to_S_ind=reach(s_ind),
                cpu_to_S_ind=reach(s_ind, 1),
                budget_cpu_s=ref["train_cpu_s"] + ref["study_cpu_s"],
                best_at_W=hist[-1][2] if hist else None,
            )
            r["history"] = None
            out.append(r)
    return out


def _rule(name: str) -> type:
    """A :class:`hyperdial.pruners.MedianPruner` at Optuna's defaults whose comparison set is
    the candidate ``name`` (docs/design/pruning.md):

    * ``all_best``: every other trial that reported by step s, its best over steps ≤ s;
    * ``complete_at``: COMPLETE trials' values at step s (Optuna's rule);
    * ``complete_avg``: COMPLETE trials' running averages up to s (Golovin et al. 2017);
    * ``complete_best``: COMPLETE trials' best over steps ≤ s;
    * ``reached_best``: trials (COMPLETE, PRUNED or RUNNING) that reported at a step ≥ s,
      their best over steps ≤ s;
    * ``reached_last``: the same trials, their last value at a step ≤ s.
    """
    from hyperdial.pruners._utils import best_loss_until, check_interval, loss_sign, n_complete

    def value(t: Any, step: int, sign: float) -> float:
        iv = t.intermediate_values
        if name == "complete_at":
            return sign * iv[step] if step in iv else math.nan
        if name == "complete_avg":
            xs = [sign * v for s, v in iv.items() if s <= step and not math.isnan(v)]
            return float(np.mean(xs)) if xs else math.nan
        if name == "reached_last":
            s = max((s for s in iv if s <= step), default=None)
            return math.nan if s is None else sign * iv[s]
        return best_loss_until(t, step, sign)

    class Rule(hyperdial.pruners.MedianPruner):
        def prune(self, study: Any, trial: Any) -> bool:
            step = trial.last_step
            if step is None or not check_interval(step, 0, 1):
                return False
            if n_complete(study) < 5:
                return False
            sign = loss_sign(study)
            mine = best_loss_until(trial, step, sign)
            if math.isnan(mine):
                return True
            states = ["COMPLETE"] if name.startswith("complete") else None
            others = []
            for t in study.get_trials(deepcopy=False):
                if t.number == trial.number or t.state.name == "FAIL" or not t.intermediate_values:
                    continue
                if states is not None and t.state.name not in states:
                    continue
                if name.startswith("reached") and max(t.intermediate_values) < step:
                    continue
                others.append(value(t, step, sign))
            arr = np.sort([v for v in others if not math.isnan(v)])
            return len(arr) >= 1 and mine > float(np.percentile(arr, 50.0))

    return Rule


RULES = {
    n: _rule(n)
    for n in (
        "all_best",
        "complete_at",
        "complete_avg",
        "complete_best",
        "reached_best",
        "reached_last",
    )
}


def _median(xs: list[float | None]) -> float | None:
    """The median, a missing value counting as infinitely large (a seed that never reached the
    target); None when more than half are missing."""
    vals = sorted(math.inf if x is None else float(x) for x in xs)
    if not vals:
        return None
    m = statistics.median(vals)
    return None if math.isinf(m) else m


def replay_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per (task, pruner, lib): median steps to ``S_ind`` and to ``S`` as fractions of ``W``
    (quartiles beside), seeds reaching ``S_ind``, median best at ``W``, median CPU (cached
    training + the study's own calls) as a fraction of the no-pruning run's."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault((r["task"], r["pruner"], r["lib"]), []).append(r)
    out: dict[str, Any] = {}
    for (task, pruner, lib), rs in sorted(groups.items()):
        fr = [
            None if r["steps_to_S_ind"] is None else r["steps_to_S_ind"] / r["budget_steps"]
            for r in rs
        ]
        fs = [None if r["steps_to_S"] is None else r["steps_to_S"] / r["budget_steps"] for r in rs]
        q = sorted(math.inf if x is None else x for x in fr)
        out[f"{task}/{pruner}/{lib}"] = {
            "seeds": len(rs),
            "steps_to_S_ind_frac": _median(fr),
            "steps_to_S_ind_q25_q75": [float(np.percentile(q, 25)), float(np.percentile(q, 75))],
            "reached_S_ind": sum(x is not None for x in fr),
            "steps_to_S_frac": _median(fs),
            "best_at_W": statistics.median(
                r["best_at_W"] for r in rs if r["best_at_W"] is not None
            ),
            "steps_used_frac": statistics.median(r["steps"] / r["budget_steps"] for r in rs),
            "cpu_to_S_ind_frac": _median(
                [
                    None if r["cpu_to_S_ind"] is None else r["cpu_to_S_ind"] / r["budget_cpu_s"]
                    for r in rs
                ]
            ),
            "study_cpu_s": statistics.median(r["study_cpu_s"] for r in rs),
            # the mean with a seed that never reached S_ind counted as the whole budget
            "steps_to_S_ind_mean_capped": float(np.mean([1.0 if x is None else x for x in fr])),
        }
    return out


def replay_main(args: argparse.Namespace) -> None:
    import optuna

    optuna.logging.set_verbosity(logging.ERROR)
    hyperdial.logging.set_verbosity(logging.ERROR)
    warnings.filterwarnings("ignore")
    seeds = _parse_seeds(args.seeds_range)
    cache = Path(args.curve_cache)
    runs: list[dict[str, Any]] = []
    load_before = os.getloadavg()
    for task in args.tasks.split(","):
        curves = load_curves(task, cache, args.jobs)
        pruners = args.pruners.split(",")
        if task == "cv":
            pruners = [p for p in pruners if p in ("wilcoxon", "none") or p.startswith("rule:")]
        else:
            pruners = [p for p in pruners if p != "wilcoxon"]
        for seed in seeds:
            runs += replay_seed(task, seed, curves, pruners)
    summary = replay_summary(runs)
    print(
        f"{'task/pruner/lib':>36} {'S_ind/W':>8} {'q25-q75':>13} {'hit':>4} {'S/W':>6} "
        f"{'best@W':>8} {'cpu/W':>6} {'own s':>6} {'mean':>6}"
    )
    for k, v in summary.items():
        f = v["steps_to_S_ind_frac"]
        s = v["steps_to_S_frac"]
        print(
            f"{k:>36} {_fmt(f):>8} "
            f"{v['steps_to_S_ind_q25_q75'][0]:.2f}-{v['steps_to_S_ind_q25_q75'][1]:.2f} "
            f"{v['reached_S_ind']:>4} {_fmt(s):>6} {v['best_at_W']:8.4f} "
            f"{_fmt(v['cpu_to_S_ind_frac']):>6} {v['study_cpu_s']:6.2f} "
            f"{v['steps_to_S_ind_mean_capped']:6.3f}"
        )
    if args.replay_out:
        result = {
            "benchmark": "pruning, shared configurations replayed (issue 20)",
            "args": vars(args),
            "summary": summary,
            "runs": runs,
            "machine": _machine(load_before),
            "versions": {"hyperdial": hyperdial.__version__, "optuna": optuna.__version__},
        }
        Path(args.replay_out).write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.replay_out}")


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _machine(load_before: tuple[float, float, float]) -> dict[str, Any]:
    """The machine a results file was measured on, with the load before and now."""
    return {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
    }


def _parse_seeds(text: str) -> list[int]:
    if text == "tuning":
        return list(TUNING_SEEDS)
    if text == "judging":
        return list(JUDGING_SEEDS)
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def _hypervolume_2d(points: list[tuple[float, float]], ref: tuple[float, float]) -> float:
    """The area dominated by ``points`` (two losses, minimised) and bounded by ``ref``."""
    front = sorted(p for p in points if p[0] < ref[0] and p[1] < ref[1])
    area, best_y = 0.0, ref[1]
    for x, y in front:
        if y < best_y:
            area += (ref[0] - x) * (best_y - y)
            best_y = y
    return area


def replay_mo(seed: int, curves: dict[str, Any], pruner: Any, budget: int | None, n: int) -> Any:
    """The MLP as a two-objective task: validation accuracy (maximised) and the model's size,
    its number of weights (minimised), reported together every epoch. Returns the steps, and
    (steps, hypervolume of the completed trials) at each completed trial."""
    order, _ = seed_lists("mlp", seed, len(curves["values"]))
    order = order[:n]
    study = hyperdial.create_study(
        directions=["maximize", "minimize"],
        sampler=hyperdial.samplers.RandomSampler(seed=0),
        pruner=pruner,
    )
    n_steps, history, done = 0, [], []
    for idx in order:
        width = curves["params"][idx]["width"]
        size = float(64 * width + width * 10 + width + 10)
        study.enqueue_trial({"cfg": idx})
        trial = study.ask()
        trial.suggest_int("cfg", 0, len(curves["values"]) - 1)
        state = None
        for k, acc in enumerate(curves["values"][idx]):
            if budget is not None and n_steps >= budget:
                state = "cut"
                break
            n_steps += 1
            trial.report([acc, size], k + 1)
            if trial.should_prune():
                state = "pruned"
                break
        if state == "cut":
            study.tell(trial, state=hyperdial.trial.TrialState.FAIL)
            break
        if state == "pruned":
            study.tell(trial, state=hyperdial.trial.TrialState.PRUNED)
            continue
        acc = curves["values"][idx][-1]
        study.tell(trial, [acc, size])
        done.append((1.0 - acc, size / 4810.0))
        history.append((n_steps, _hypervolume_2d(done, (1.0, 1.0))))
    return {"steps": n_steps, "history": history}


def mo_main(args: argparse.Namespace) -> None:
    """ParetoPruner against no pruning on the two-objective MLP: the steps to reach the
    no-pruning run's final hypervolume, and the hypervolume at its budget ``W``."""
    hyperdial.logging.set_verbosity(logging.ERROR)
    curves = load_curves("mlp", Path(args.curve_cache), args.jobs)
    n_ref = REFERENCE_TRIALS["mlp"]
    rows = []
    for seed in _parse_seeds(args.seeds_range):
        ref = replay_mo(seed, curves, None, None, n_ref)
        target = ref["history"][-1][1]
        run = replay_mo(seed, curves, hyperdial.pruners.ParetoPruner(), ref["steps"], 10**9)
        hit = next((s for s, hv in run["history"] if hv >= target - 1e-12), None)
        rows.append(
            {
                "seed": seed,
                "budget_steps": ref["steps"],
                "hv_none": target,
                "hv_pareto_at_W": run["history"][-1][1],
                "steps_to_hv_none_frac": None if hit is None else hit / ref["steps"],
            }
        )
    fr = [r["steps_to_hv_none_frac"] for r in rows]
    summary = {
        "seeds": len(rows),
        "steps_to_hv_none_frac_median": _median(fr),
        "reached": sum(x is not None for x in fr),
        "hv_none_median": statistics.median(r["hv_none"] for r in rows),
        "hv_pareto_at_W_median": statistics.median(r["hv_pareto_at_W"] for r in rows),
        "pareto_at_W_not_worse": sum(r["hv_pareto_at_W"] >= r["hv_none"] - 1e-12 for r in rows),
    }
    print(json.dumps(summary, indent=1))
    if args.replay_out:
        path = Path(args.replay_out)
        data = json.loads(path.read_text()) if path.exists() else {}
        data["multi_objective"] = {"summary": summary, "runs": rows, "loadavg": os.getloadavg()}
        path.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
