"""Log every trial of a study to MLflow, and let the objective log into its trial's run.

Tunes a gradient-boosting classifier on scikit-learn's breast-cancer data. Each trial becomes
one MLflow run (parameters, the cross-validated accuracy, per-fold scores as the history of
``intermediate_value``, state and times as tags) in the experiment named after the study; the
objective also logs the fit time into the same run. Runs go to a local SQLite tracking store
(no server); look at them with ``mlflow ui --backend-store-uri sqlite:///mlflow.db``.
Under a minute on two cores:

    pip install ".[examples,mlflow]" && python examples/mlflow_logging.py
"""

from __future__ import annotations

import argparse
import time

import mlflow
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score

import hyperdial
from hyperdial.integration.mlflow import MLflowCallback


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=12)
    parser.add_argument("--tracking-uri", default="sqlite:///mlflow.db")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    X, y = load_breast_cancer(return_X_y=True)
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=args.seed)
    mlflc = MLflowCallback(tracking_uri=args.tracking_uri, metric_name="accuracy")

    @mlflc.track_in_mlflow()
    def objective(trial: hyperdial.Trial) -> float:
        model = HistGradientBoostingClassifier(
            learning_rate=trial.suggest_float("learning_rate", 1e-3, 0.5, log=True),
            max_leaf_nodes=trial.suggest_int("max_leaf_nodes", 4, 64, log=True),
            l2_regularization=trial.suggest_float("l2_regularization", 1e-6, 10.0, log=True),
            max_iter=50,
            random_state=args.seed,
        )
        start = time.perf_counter()
        scores = cross_val_score(model, X, y, cv=folds)
        mlflow.log_metric("fit_seconds", time.perf_counter() - start)  # into the trial's run
        for fold, score in enumerate(scores):
            trial.report(float(score), fold)
        return float(scores.mean())

    study = hyperdial.create_study(
        study_name=f"breast-cancer-hgb-{int(time.time())}",
        direction="maximize",
        sampler=hyperdial.samplers.GPSampler(seed=args.seed),
    )
    study.optimize(objective, n_trials=args.n_trials, callbacks=[mlflc])
    print(f"best accuracy {study.best_value:.4f} with {study.best_params}")

    client = mlflow.MlflowClient(tracking_uri=args.tracking_uri)
    experiment = client.get_experiment_by_name(study.study_name)
    runs = client.search_runs([experiment.experiment_id], order_by=["metrics.accuracy DESC"])
    print(
        f"{len(runs)} MLflow runs in experiment {study.study_name!r}; best run "
        f"{runs[0].info.run_name} with accuracy {runs[0].data.metrics['accuracy']:.4f}"
    )


if __name__ == "__main__":
    main()
