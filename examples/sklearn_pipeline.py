"""Search a scikit-learn pipeline with HyperSearchCV, a drop-in for RandomizedSearchCV.

The pipeline scales the breast-cancer data set that ships with scikit-learn and classifies it
with either a support-vector machine or a random forest: a list of two dicts, each a
sub-space with its own parameters (scipy.stats distributions and lists, as RandomizedSearchCV
takes them, estimators included). The study's GP proposes each candidate from the earlier
ones; the Wilcoxon pruner stops a candidate after the folds that already show it is worse than
the best (with a pruner the folds run one after another; without one, ``n_jobs`` runs them in
parallel). The held-out score is that of the refitted best pipeline. Under a minute on two
cores:

    pip install ".[examples]" && python examples/sklearn_pipeline.py
"""

from __future__ import annotations

import argparse

from scipy.stats import loguniform, randint
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC

import hyperdial
from hyperdial.sklearn import HyperSearchCV


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=args.seed
    )
    pipe = Pipeline([("scale", StandardScaler()), ("clf", SVC())])
    space = [
        {
            "scale": [StandardScaler(), MinMaxScaler()],
            "clf": [SVC()],
            "clf__C": loguniform(1e-2, 1e3),
            "clf__gamma": loguniform(1e-4, 1e0),
        },
        {
            "scale": ["passthrough"],
            "clf": [RandomForestClassifier(n_estimators=50, random_state=args.seed)],
            "clf__max_depth": randint(2, 16),
            "clf__max_features": loguniform(0.05, 1.0),
        },
    ]
    search = HyperSearchCV(
        pipe,
        space,
        n_trials=args.n_trials,
        cv=StratifiedKFold(10, shuffle=True, random_state=args.seed),
        scoring="balanced_accuracy",
        pruner=hyperdial.pruners.WilcoxonPruner(p_threshold=0.1, n_startup_steps=3),
        random_state=args.seed,
    )
    search.fit(X_train, y_train)

    res = search.cv_results_
    print(f"{len(res['params'])} candidates, {int(res['pruned'].sum())} pruned before 10 folds")
    print(f"best CV balanced accuracy {search.best_score_:.4f} with")
    for name, value in search.best_params_.items():
        print(f"    {name} = {value}")
    print(f"held-out balanced accuracy {search.score(X_test, y_test):.4f}")
    study = search.study_
    print(f"the study: {len(study.trials)} trials, best trial {study.best_trial.number}")


if __name__ == "__main__":
    main()
