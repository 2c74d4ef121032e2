"""Build the plot gallery (docs/gallery/) from real studies on scikit-learn's digits data.

Three studies, each small enough to run in about a minute on a laptop:

* **sgd**: an ``SGDClassifier`` trained epoch by epoch with ``partial_fit``, reporting the
  validation error after each epoch so the median rule can prune; conditional parameters
  (``l1_ratio`` only with the elastic-net penalty, ``eta0`` only with a fixed or adaptive
  learning rate). Run twice, with TPE and with random search, to compare them.
* **forest**: a random forest with two objectives, the validation error and the number of tree
  nodes (a proxy for the model's size and prediction cost).
* **sparse**: an elastic-net ``SGDClassifier`` whose error is minimised under a constraint on
  its number of non-zero coefficients (``Trial.set_constraint``).

Then every plot of ``hyperdial.visualization.matplotlib`` is written as a PNG:

    pip install ".[examples,plot]" && python examples/gallery.py --out docs/gallery
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import hyperdial
from hyperdial.samplers import RandomSampler, TPESampler

EPOCHS = 12
MAX_NONZERO = 250  # the sparse study's limit on non-zero coefficients (of 640)


def load() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_valid), y_train, y_valid


def sgd_study(data: tuple[np.ndarray, ...], sampler: Any, n_trials: int, name: str) -> Any:
    X_train, X_valid, y_train, y_valid = data
    classes = np.unique(y_train)

    def objective(trial: hyperdial.Trial) -> float:
        loss = trial.suggest_categorical("loss", ["hinge", "log_loss", "modified_huber"])
        penalty = trial.suggest_categorical("penalty", ["l2", "elasticnet"])
        schedule = trial.suggest_categorical("learning_rate", ["optimal", "constant", "adaptive"])
        # Conditional parameters: each exists only in the trials of its branch.
        l1_ratio = trial.suggest_float("l1_ratio", 0.0, 1.0) if penalty == "elasticnet" else 0.15
        eta0 = trial.suggest_float("eta0", 1e-4, 1.0, log=True) if schedule != "optimal" else 0.01
        model = SGDClassifier(
            loss=loss,
            penalty=penalty,
            alpha=trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
            l1_ratio=l1_ratio,
            learning_rate=schedule,
            eta0=eta0,
            random_state=0,
        )
        error = 1.0
        for epoch in range(EPOCHS):
            model.partial_fit(X_train, y_train, classes=classes)
            error = 1.0 - model.score(X_valid, y_valid)
            trial.report(error, epoch)
            if trial.should_prune():
                raise hyperdial.TrialPruned()
        return error

    study = hyperdial.create_study(
        study_name=name,
        sampler=sampler,
        pruner=hyperdial.pruners.MedianPruner(n_startup_trials=8, n_warmup_steps=2),
    )
    study.optimize(objective, n_trials=n_trials)
    return study


def forest_study(data: tuple[np.ndarray, ...], n_trials: int, seed: int) -> Any:
    X_train, X_valid, y_train, y_valid = data

    def objective(trial: hyperdial.Trial) -> tuple[float, float]:
        model = RandomForestClassifier(
            n_estimators=trial.suggest_int("n_estimators", 2, 64, log=True),
            max_depth=trial.suggest_int("max_depth", 2, 16),
            max_features=trial.suggest_categorical("max_features", ["sqrt", "log2"]),
            random_state=0,
            n_jobs=1,
        ).fit(X_train, y_train)
        nodes = sum(t.tree_.node_count for t in model.estimators_)
        return 1.0 - model.score(X_valid, y_valid), float(nodes)

    study = hyperdial.create_study(
        study_name="forest", directions=["minimize", "minimize"], sampler=TPESampler(seed=seed)
    )
    study.optimize(objective, n_trials=n_trials)
    return study


def sparse_study(data: tuple[np.ndarray, ...], n_trials: int, seed: int) -> Any:
    X_train, X_valid, y_train, y_valid = data

    def objective(trial: hyperdial.Trial) -> float:
        model = SGDClassifier(
            loss="log_loss",
            penalty="elasticnet",
            alpha=trial.suggest_float("alpha", 1e-5, 1e-1, log=True),
            l1_ratio=trial.suggest_float("l1_ratio", 0.0, 1.0),
            max_iter=30,
            tol=None,
            random_state=0,
        ).fit(X_train, y_train)
        trial.set_constraint("nonzero", float(np.count_nonzero(model.coef_) - MAX_NONZERO))
        return 1.0 - model.score(X_valid, y_valid)

    study = hyperdial.create_study(study_name="sparse", sampler=TPESampler(seed=seed))
    study.optimize(objective, n_trials=n_trials)
    return study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/gallery", help="directory for the PNGs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-trials", type=int, default=80)
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import hyperdial.visualization.matplotlib as vis

    hyperdial.logging.set_verbosity(hyperdial.logging.get_verbosity() + 10)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = load()
    n = args.n_trials
    sgd = sgd_study(data, TPESampler(seed=args.seed), n, "sgd (TPE)")
    sgd_random = sgd_study(data, RandomSampler(seed=args.seed), n, "sgd (random)")
    forest = forest_study(data, n // 2, args.seed)
    sparse = sparse_study(data, n // 2, args.seed)

    def save(name: str, result: Any, dpi: int = 100) -> None:
        ax = result.flat[0] if isinstance(result, np.ndarray) else result
        fig = ax.figure
        path = out / f"{name}.png"
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
        plt.close(fig)
        # A 256-colour palette keeps the PNGs small enough to commit (Pillow comes with
        # matplotlib).
        from PIL import Image

        with Image.open(path) as image:
            small = image.convert("RGB").quantize(colors=256)
        small.save(path, optimize=True)

    error = "Validation error"
    save("optimization_history", vis.plot_optimization_history(sgd, target_name=error))
    save("edf", vis.plot_edf([sgd, sgd_random], target_name=error))
    save("intermediate_values", vis.plot_intermediate_values(sgd))
    save(
        "slice",
        vis.plot_slice(sgd, params=["alpha", "eta0", "l1_ratio", "loss"], target_name=error),
    )
    save("contour", vis.plot_contour(sgd, params=["alpha", "eta0"], target_name=error))
    save("parallel_coordinate", vis.plot_parallel_coordinate(sgd, target_name=error), 90)
    save("rank", vis.plot_rank(sgd, params=["alpha", "eta0", "l1_ratio"], target_name=error), 90)
    save(
        "param_importances",
        vis.plot_param_importances(sgd, target_name=error),
    )
    save("timeline", vis.plot_timeline(sgd))
    save(
        "pareto_front",
        vis.plot_pareto_front(forest, target_names=[error, "Tree nodes"]),
    )
    save("hypervolume_history", vis.plot_hypervolume_history(forest, [0.5, 20000.0]))
    save("constrained_history", vis.plot_optimization_history(sparse, target_name=error))
    print(f"wrote {len(list(out.glob('*.png')))} PNGs to {out}")


if __name__ == "__main__":
    main()
