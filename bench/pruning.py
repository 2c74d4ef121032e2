"""Pruners on a real iterative training task: hyperdial vs Optuna, same run.

Task: scikit-learn's MLPClassifier trained epoch by epoch (``partial_fit``) on the digits data
set, validation accuracy reported after every epoch. For each seed, each pruner (none, median,
ASHA, Hyperband) runs the same number of trials with a random sampler in hyperdial and in
Optuna, interleaved so that both see the same machine load. Recorded per run: wall time,
epochs trained, best validation accuracy, and the wall time until the best accuracy first
reached the target.

    pip install ".[bench]" && python bench/pruning.py [--seeds 5 --trials 16 --epochs 10]

Writes bench/results/pruning.json and bench/results/pruning.png.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import hyperdial

PRUNERS = ["none", "median", "asha", "hyperband"]


def make_pruner(lib: str, name: str, epochs: int) -> Any:
    if lib == "hyperdial":
        p: Any = hyperdial.pruners
        none = p.NopPruner()
    else:
        import optuna

        p = optuna.pruners
        none = p.NopPruner()
    if name == "none":
        return none
    if name == "median":
        return p.MedianPruner(n_startup_trials=4, n_warmup_steps=2)
    if name == "asha":
        return p.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    return p.HyperbandPruner(min_resource=1, max_resource=epochs, reduction_factor=3)


def run(
    lib: str,
    pruner_name: str,
    seed: int,
    n_trials: int,
    epochs: int,
    target: float,
    data: tuple[np.ndarray, ...],
) -> dict[str, Any]:
    X_tr, X_va, y_tr, y_va = data
    classes = np.arange(10)
    counters = {"epochs": 0}
    if lib == "hyperdial":
        pruned_exc: type[Exception] = hyperdial.TrialPruned
        study: Any = hyperdial.create_study(
            direction="maximize",
            sampler=hyperdial.samplers.RandomSampler(seed=seed),
            pruner=make_pruner(lib, pruner_name, epochs),
        )
    else:
        import optuna

        pruned_exc = optuna.TrialPruned
        study = optuna.create_study(
            direction="maximize",
            sampler=optuna.samplers.RandomSampler(seed=seed),
            pruner=make_pruner(lib, pruner_name, epochs),
        )

    def objective(trial: Any) -> float:
        clf = MLPClassifier(
            hidden_layer_sizes=(trial.suggest_int("width", 8, 64, log=True),),
            alpha=trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
            learning_rate_init=trial.suggest_float("lr", 1e-4, 3e-1, log=True),
            batch_size=trial.suggest_categorical("batch_size", [32, 64, 128]),
            random_state=seed,
        )
        acc = 0.0
        for epoch in range(epochs):
            clf.partial_fit(X_tr, y_tr, classes=classes)
            counters["epochs"] += 1
            acc = float(clf.score(X_va, y_va))
            trial.report(acc, epoch)
            if trial.should_prune():
                raise pruned_exc()
        return acc

    reached: list[float] = []
    start = time.perf_counter()

    def callback(st: Any, frozen: Any) -> None:
        complete = frozen.state.name == "COMPLETE" and frozen.value is not None
        if not reached and complete and frozen.value >= target:
            reached.append(time.perf_counter() - start)

    study.optimize(objective, n_trials=n_trials, callbacks=[callback])
    wall = time.perf_counter() - start
    complete = [t.value for t in study.trials if t.state.name == "COMPLETE"]
    return {
        "lib": lib,
        "pruner": pruner_name,
        "seed": seed,
        "wall_s": wall,
        "epochs": counters["epochs"],
        "best": max(complete) if complete else None,
        "time_to_target_s": reached[0] if reached else None,
        "n_pruned": sum(t.state.name == "PRUNED" for t in study.trials),
    }


def _median(xs: list[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return statistics.median(vals) if vals else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--target", type=float, default=0.95)
    args = parser.parse_args()

    import optuna

    optuna.logging.set_verbosity(logging.WARNING)
    hyperdial.logging.set_verbosity(logging.WARNING)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    X, y = load_digits(return_X_y=True)
    data = tuple(train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y))
    load_before = os.getloadavg()
    runs: list[dict[str, Any]] = []
    for seed in range(args.seeds):
        for pruner_name in PRUNERS:
            for lib in ("hyperdial", "optuna"):  # interleaved: the same load for both
                r = run(lib, pruner_name, seed, args.trials, args.epochs, args.target, data)
                runs.append(r)
                print(
                    f"seed {seed} {pruner_name:>9} {lib:>9}: {r['wall_s']:6.2f} s, "
                    f"{r['epochs']:4d} epochs, best {r['best']:.4f}, pruned {r['n_pruned']}",
                    flush=True,
                )

    summary: dict[str, dict[str, Any]] = {}
    print(f"\nmedians over {args.seeds} seeds ({args.trials} trials x {args.epochs} epochs)")
    print(
        f"{'pruner':>10} {'lib':>10} {'wall s':>8} {'epochs':>7} {'best':>7} {'to target s':>12}"
    )
    for pruner_name in PRUNERS:
        for lib in ("hyperdial", "optuna"):
            rs = [r for r in runs if r["lib"] == lib and r["pruner"] == pruner_name]
            s = {
                "wall_s": _median([r["wall_s"] for r in rs]),
                "epochs": _median([r["epochs"] for r in rs]),
                "best": _median([r["best"] for r in rs]),
                "time_to_target_s": _median([r["time_to_target_s"] for r in rs]),
                "reached_target": sum(r["time_to_target_s"] is not None for r in rs),
            }
            summary[f"{pruner_name}/{lib}"] = s
            ttt = s["time_to_target_s"]
            ttt_text = f"{ttt:.2f}" if ttt is not None else "-"
            print(
                f"{pruner_name:>10} {lib:>10} {s['wall_s']:8.2f} {s['epochs']:7.0f} "
                f"{s['best']:7.4f} {ttt_text:>12}"
            )

    result = {
        "benchmark": "pruning",
        "task": "MLPClassifier.partial_fit on sklearn digits, validation accuracy per epoch",
        "args": vars(args),
        "summary_medians": summary,
        "runs": runs,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg(),
        },
        "versions": {"hyperdial": hyperdial.__version__, "optuna": optuna.__version__},
    }
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "pruning.json").write_text(json.dumps(result, indent=2) + "\n")
    _plot(summary, out / "pruning.png")
    print(f"wrote {out / 'pruning.json'} and pruning.png")


def _plot(summary: dict[str, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    x = np.arange(len(PRUNERS))
    metrics: list[tuple[str, str, Callable[[Any], float]]] = [
        ("wall_s", "wall time (s)", float),
        ("epochs", "epochs trained", float),
        ("best", "best validation accuracy", float),
    ]
    for ax, (key, label, conv) in zip(axes, metrics, strict=True):
        for i, lib in enumerate(("hyperdial", "optuna")):
            vals = [conv(summary[f"{p}/{lib}"][key] or 0.0) for p in PRUNERS]
            ax.bar(x + (i - 0.5) * 0.38, vals, width=0.38, label=lib)
        ax.set_xticks(x, PRUNERS)
        ax.set_title(label)
        if key == "best":
            lo = min(conv(s["best"] or 1.0) for s in summary.values())
            ax.set_ylim(max(0.0, lo - 0.02), 1.0)
    axes[0].legend()
    fig.suptitle("Pruners on MLP/digits, medians over seeds (same run)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
