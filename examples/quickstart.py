"""Tune a support-vector classifier end to end with hyperdial.

Cross-validated accuracy of scikit-learn's SVC on the handwritten-digits data set that ships
with scikit-learn. The search space has log-scaled floats, a categorical kernel and a
parameter that exists only for one kernel (define-by-run). In-memory study, no server;
well under a minute on a laptop:

    pip install ".[examples]" && python examples/quickstart.py
"""

from __future__ import annotations

import argparse

from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC

import hyperdial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    X, y = load_digits(return_X_y=True)
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=args.seed)

    def objective(trial: hyperdial.Trial) -> float:
        scaler = trial.suggest_categorical("scaler", ["standard", "minmax"])
        kernel = trial.suggest_categorical("kernel", ["rbf", "poly", "sigmoid"])
        svc = SVC(
            C=trial.suggest_float("C", 1e-3, 1e3, log=True),
            gamma=trial.suggest_float("gamma", 1e-5, 1e0, log=True),
            kernel=kernel,
            # Only the polynomial kernel has a degree: the parameter exists in those trials only.
            degree=trial.suggest_int("degree", 2, 5) if kernel == "poly" else 3,
        )
        model = make_pipeline(StandardScaler() if scaler == "standard" else MinMaxScaler(), svc)
        return float(cross_val_score(model, X, y, cv=folds, scoring="accuracy").mean())

    study = hyperdial.create_study(
        direction="maximize",
        sampler=hyperdial.samplers.QMCSampler(seed=args.seed),
        study_name="digits-svc",
    )
    study.optimize(objective, n_trials=args.n_trials)

    best = study.best_trial
    print(
        f"\nBest cross-validated accuracy: {best.value:.4f} (trial {best.number} of "
        f"{len(study.trials)})"
    )
    print("Best hyperparameters:")
    for name, value in best.params.items():
        print(f"  {name:>7} = {value!r}")


if __name__ == "__main__":
    main()
