"""Problems for the GP quality benchmark (``gp_quality.py``), written once for any sampler whose
trials have Optuna-style ``suggest_float`` / ``suggest_int`` / ``suggest_categorical``
(hyperdial and Optuna both do). All are minimised.

``PROBLEMS[name] = Problem(objective, optimum)``; ``optimum`` is the known global minimum of the
space as written (for the mixed problems: of the discretised space), or ``None`` for the
model-tuning tasks, whose regret is measured against the best value any sampler found.

The test functions reuse ``tpe_suite.py`` where it has them (Branin, Hartmann-6, Rosenbrock,
Ackley, Levy, Styblinski-Tang, Rastrigin, the mixed and the conditional problem); definitions
follow the Virtual Library of Simulation Experiments (Surjanovic & Bingham,
https://www.sfu.ca/~ssurjano/optimization.html). The model-tuning tasks use datasets that
scikit-learn ships (no download) and a fixed 3-fold split, so each objective is deterministic;
one evaluation costs about 0.05-0.3 s on one core.
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tpe_suite import (
    ackley,
    branin,
    conditional,
    hartmann6,
    levy,
    mixed,
    rastrigin,
    rosenbrock,
    styblinski_tang,
)

Objective = Callable[[Any], float]


class Problem(NamedTuple):
    objective: Objective
    optimum: float | None
    kind: str  # "continuous", "mixed", "conditional" or "ml"


_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)
_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann3(trial: Any) -> float:
    x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(3)])
    return float(-(_H_ALPHA * np.exp(-(_H3_A * (x - _H3_P) ** 2).sum(1))).sum())


_ACKLEY_CHOICES = [-20.0, -5.0, 0.0, 5.0, 20.0]


def ackley_mixed(trial: Any) -> float:
    """Ackley-10 with 3 float, 5 integer and 2 categorical coordinates; optimum 0 at x = 0."""
    x = [trial.suggest_float(f"x{i}", -32.768, 32.768) for i in range(3)]
    x += [float(trial.suggest_int(f"i{i}", -32, 32)) for i in range(5)]
    x += [float(trial.suggest_categorical(f"c{i}", _ACKLEY_CHOICES)) for i in range(2)]
    v = np.array(x)
    a = -20 * math.exp(-0.2 * math.sqrt(float((v**2).mean())))
    return a - math.exp(float(np.cos(2 * math.pi * v).mean())) + 20 + math.e


# ---- model-tuning tasks -------------------------------------------------------------------


@cache
def _data(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets

    if name == "breast_cancer":
        x, y = datasets.load_breast_cancer(return_X_y=True)
    elif name == "digits":
        x, y = datasets.load_digits(return_X_y=True)
        x, y = x[:600] / 16.0, y[:600]
    else:
        x, y = datasets.load_wine(return_X_y=True)
    return np.asarray(x, dtype=float), np.asarray(y)


def _cv(model: Any, data: str, scoring: str) -> float:
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    x, y = _data(data)
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(cross_val_score(model, x, y, cv=folds, scoring=scoring).mean())


# The tasks are deterministic, so a configuration asked twice (common with integer or
# categorical parameters) is trained once per process (@cache on the training functions).


@cache
def _hgb(lr: float, iters: int, leaves: int, min_leaf: int, l2: float) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(
        learning_rate=lr,
        max_iter=iters,
        max_leaf_nodes=leaves,
        min_samples_leaf=min_leaf,
        l2_regularization=l2,
        max_bins=16,
        early_stopping=False,
        random_state=0,
    )
    return -_cv(model, "breast_cancer", "neg_log_loss")


def hgb_breast_cancer(trial: Any) -> float:
    """3-fold log loss of HistGradientBoosting on breast_cancer (569 x 30); 5 parameters."""
    return _hgb(
        trial.suggest_float("learning_rate", 1e-3, 1.0, log=True),
        trial.suggest_int("max_iter", 5, 30),
        trial.suggest_int("max_leaf_nodes", 2, 64, log=True),
        trial.suggest_int("min_samples_leaf", 1, 100, log=True),
        trial.suggest_float("l2_regularization", 1e-6, 10.0, log=True),
    )


@cache
def _svc(c: float, gamma: float, kernel: str) -> float:
    from sklearn.svm import SVC

    return 1.0 - _cv(SVC(C=c, gamma=gamma, kernel=kernel), "digits", "accuracy")


def svc_digits(trial: Any) -> float:
    """3-fold error rate of an SVC on 600 digits (64 features); C, gamma and the kernel."""
    return _svc(
        trial.suggest_float("C", 1e-3, 1e3, log=True),
        trial.suggest_float("gamma", 1e-4, 10.0, log=True),
        trial.suggest_categorical("kernel", ["rbf", "poly", "sigmoid"]),
    )


@cache
def _mlp(units: int, layers: int, alpha: float, lr: float, activation: str) -> float:
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(
        StandardScaler(),
        MLPClassifier(
            (units,) * layers,
            alpha=alpha,
            learning_rate_init=lr,
            activation=activation,
            max_iter=40,
            random_state=0,
        ),
    )
    return -_cv(model, "wine", "neg_log_loss")


def mlp_wine(trial: Any) -> float:
    """3-fold log loss of a 40-epoch full-batch MLP on wine (178 x 13); 5 parameters."""
    return _mlp(
        trial.suggest_int("units", 2, 128, log=True),
        trial.suggest_int("layers", 1, 2),
        trial.suggest_float("alpha", 1e-6, 1.0, log=True),
        trial.suggest_float("learning_rate_init", 1e-4, 0.3, log=True),
        trial.suggest_categorical("activation", ["relu", "tanh"]),
    )


PROBLEMS: dict[str, Problem] = {
    "branin_2d": Problem(branin, 0.397887357729738, "continuous"),
    "hartmann_3d": Problem(hartmann3, -3.86278214782076, "continuous"),
    "hartmann_6d": Problem(hartmann6, -3.32236801141551, "continuous"),
    "rosenbrock_5d": Problem(rosenbrock(5), 0.0, "continuous"),
    "ackley_10d": Problem(ackley(10), 0.0, "continuous"),
    "ackley_20d": Problem(ackley(20), 0.0, "continuous"),
    "levy_10d": Problem(levy(10), 0.0, "continuous"),
    "styblinski_tang_20d": Problem(styblinski_tang(20), -39.1661657037714 * 20, "continuous"),
    "rastrigin_2d": Problem(rastrigin(2), 0.0, "continuous"),
    "rastrigin_10d": Problem(rastrigin(10), 0.0, "continuous"),
    "mixed_int_cat_8d": Problem(mixed, 0.0, "mixed"),
    "ackley_mixed_10d": Problem(ackley_mixed, 0.0, "mixed"),
    "conditional_4level": Problem(conditional, 0.0, "conditional"),
    "hgb_breast_cancer": Problem(hgb_breast_cancer, None, "ml"),
    "svc_digits": Problem(svc_digits, None, "ml"),
    "mlp_wine": Problem(mlp_wine, None, "ml"),
}
