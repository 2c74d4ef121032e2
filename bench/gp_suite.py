"""Problems for the GP quality benchmark (``gp_quality.py``), written once for any sampler whose
trials have Optuna-style ``suggest_float`` / ``suggest_int`` / ``suggest_categorical``
(hyperdial and Optuna both do). All are minimised.

``PROBLEMS[name] = Problem(objective, optimum, kind, noisy)``; ``optimum`` is the known global
minimum of the space as written (for the mixed problems: of the discretised space), or ``None``
for the model-tuning tasks, whose regret is measured against the best value any sampler found.

The test functions reuse ``tpe_suite.py`` where it has them (Branin, Hartmann-6, Rosenbrock,
Ackley, Levy, Styblinski-Tang, Rastrigin, the two mixed and the two conditional problems) and
``cmaes_sampler.py`` (shifted sphere, ellipsoids and Rastrigin); the BBOB-style families
``bbob_<family>_<d>d`` are defined below (Hansen et al. 2009). Other definitions
follow the Virtual Library of Simulation Experiments (Surjanovic & Bingham,
https://www.sfu.ca/~ssurjano/optimization.html). The model-tuning tasks use datasets that
scikit-learn ships (no download). Kind "ml" tasks use one fixed 3-fold split and model seed, so
they are deterministic; kind "noisy" tasks draw both afresh at each evaluation from the run's
noise stream, as a user meets them. A run gets its objective from ``make_objective(name, seed)``
and a configuration's noise-free value from ``true_value(name, params)``. The problem list, the
noise model and the cost of one evaluation are in docs/design/quality_benchmark.md.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import warnings
from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cmaes_sampler import _x, ellipsoid, rotated_ellipsoid, sphere
from cmaes_sampler import rastrigin as shifted_rastrigin
from tpe_suite import (
    ackley,
    branin,
    conditional,
    conditional3,
    hartmann6,
    levy,
    mixed,
    mixed10,
    rastrigin,
    rosenbrock,
    styblinski_tang,
)

Objective = Callable[[Any], float]


NoisyObjective = Callable[[Any, np.random.Generator], float]


class Problem(NamedTuple):
    objective: Objective
    optimum: float | None
    kind: str  # "continuous", "mixed", "conditional", "ml" (deterministic) or "noisy"
    # For kind "noisy": the task as a function of (trial, noise stream); ``objective`` then
    # evaluates it on one fixed stream (seed 0), and ``make_objective`` gives a run its own.
    noisy: NoisyObjective | None = None


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
    elif name == "diabetes":
        x, y = datasets.load_diabetes(return_X_y=True)
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


# ---- noisy model-tuning tasks -------------------------------------------------------------
# What a user meets when tuning a model: each evaluation cross-validates on a split drawn
# afresh, and trains with a fresh model seed, both taken from the run's noise stream
# (``make_objective``). Three folds and small models keep one evaluation cheap; the losses
# (clipped log loss, error rate, mean squared error) are minimised.


def _seeds(rng: np.random.Generator) -> tuple[int, int]:
    """The CV split seed and the model seed of one evaluation."""
    split, model = rng.integers(0, 2**31 - 1, size=2)
    return int(split), int(model)


#: The user attribute GPSampler reads as a trial's standard error (its ``STDERR_ATTR``).
STDERR_ATTR = "value_stderr"
#: The fold losses of the last :func:`_noisy_cv` call of this process.
_LAST_FOLDS: list[float] = []


def _noisy_cv(make: Callable[[], Any], data: str, loss: str, split_seed: int) -> float:
    """Mean over 3 shuffled folds (seeded by ``split_seed``) of ``loss``: "log_loss" (class
    probabilities clipped to [1e-3, 1], so one confident mistake of a small forest costs at
    most log(1000)), "error" (1 - accuracy) or "mse". The fold losses are left in
    ``_LAST_FOLDS`` for the objective's standard error (:class:`_NoisyRun`)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    x, y = _data(data)
    if loss == "mse":
        folds: Any = KFold(3, shuffle=True, random_state=split_seed)
    else:
        folds = StratifiedKFold(3, shuffle=True, random_state=split_seed)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for train, test in folds.split(x, y):
            model = make().fit(x[train], y[train])
            if loss == "log_loss":
                proba = np.clip(model.predict_proba(x[test]), 1e-3, 1.0)
                cols = np.searchsorted(model.classes_, y[test])
                out.append(-float(np.log(proba[np.arange(len(test)), cols]).mean()))
            elif loss == "error":
                out.append(float((model.predict(x[test]) != y[test]).mean()))
            else:
                out.append(float(((model.predict(x[test]) - y[test]) ** 2).mean()))
    _LAST_FOLDS[:] = out
    return float(np.mean(out))


def logreg_breast_cancer(trial: Any, rng: np.random.Generator) -> float:
    """Log loss of a standardised logistic regression (liblinear) on breast_cancer; 4 params."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    c = trial.suggest_float("C", 1e-4, 1e4, log=True)
    l1 = trial.suggest_categorical("penalty", ["l1", "l2"]) == "l1"
    weight = trial.suggest_categorical("class_weight", ["none", "balanced"])
    scaling = trial.suggest_float("intercept_scaling", 0.1, 10.0, log=True)
    split, seed = _seeds(rng)
    return _noisy_cv(
        lambda: make_pipeline(
            StandardScaler(),
            LogisticRegression(
                C=c,
                l1_ratio=1.0 if l1 else 0.0,
                solver="liblinear",
                tol=1e-3,
                class_weight=None if weight == "none" else "balanced",
                intercept_scaling=scaling,
                random_state=seed,
            ),
        ),
        "breast_cancer",
        "log_loss",
        split,
    )


def svc_breast_cancer(trial: Any, rng: np.random.Generator) -> float:
    """Error rate of a standardised RBF SVC on breast_cancer; C, gamma, class weight."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    c = trial.suggest_float("C", 1e-2, 1e3, log=True)
    gamma = trial.suggest_float("gamma", 1e-5, 1.0, log=True)
    weight = trial.suggest_categorical("class_weight", ["none", "balanced"])
    split, _ = _seeds(rng)
    return _noisy_cv(
        lambda: make_pipeline(
            StandardScaler(),
            SVC(C=c, gamma=gamma, class_weight=None if weight == "none" else "balanced"),
        ),
        "breast_cancer",
        "error",
        split,
    )


def knn_digits(trial: Any, rng: np.random.Generator) -> float:
    """Error rate of k-nearest neighbours on 600 digits; k, weights, Minkowski p, scaling."""
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    k = trial.suggest_int("n_neighbors", 1, 50, log=True)
    weights = trial.suggest_categorical("weights", ["uniform", "distance"])
    p = trial.suggest_categorical("p", [1, 2])
    scaler = trial.suggest_categorical("scaler", ["none", "standard", "minmax"])
    split, _ = _seeds(rng)

    def make() -> Any:
        model = KNeighborsClassifier(k, weights=weights, p=p)
        if scaler == "none":
            return model
        return make_pipeline(StandardScaler() if scaler == "standard" else MinMaxScaler(), model)

    return _noisy_cv(make, "digits", "error", split)


def forest_diabetes(trial: Any, rng: np.random.Generator) -> float:
    """Mean squared error of a random forest (5-20 trees) on diabetes (442 x 10); 5 params."""
    from sklearn.ensemble import RandomForestRegressor

    trees = trial.suggest_int("n_estimators", 5, 20)
    depth = trial.suggest_int("max_depth", 1, 16)
    leaf = trial.suggest_int("min_samples_leaf", 1, 64, log=True)
    features = trial.suggest_float("max_features", 0.1, 1.0)
    bootstrap = trial.suggest_categorical("bootstrap", [True, False])
    split, seed = _seeds(rng)
    return _noisy_cv(
        lambda: RandomForestRegressor(
            trees,
            max_depth=depth,
            min_samples_leaf=leaf,
            max_features=features,
            bootstrap=bootstrap,
            random_state=seed,
            n_jobs=1,
        ),
        "diabetes",
        "mse",
        split,
    )


def extra_trees_wine(trial: Any, rng: np.random.Generator) -> float:
    """Clipped log loss of extremely randomised trees (5-20) on wine; 5 params."""
    from sklearn.ensemble import ExtraTreesClassifier

    trees = trial.suggest_int("n_estimators", 5, 20)
    depth = trial.suggest_int("max_depth", 1, 12)
    leaf = trial.suggest_int("min_samples_leaf", 1, 32, log=True)
    features = trial.suggest_float("max_features", 0.05, 1.0)
    criterion = trial.suggest_categorical("criterion", ["gini", "entropy"])
    split, seed = _seeds(rng)
    return _noisy_cv(
        lambda: ExtraTreesClassifier(
            trees,
            max_depth=depth,
            min_samples_leaf=leaf,
            max_features=features,
            criterion=criterion,
            random_state=seed,
            n_jobs=1,
        ),
        "wine",
        "log_loss",
        split,
    )


def kernel_ridge_diabetes(trial: Any, rng: np.random.Generator) -> float:
    """Mean squared error of standardised kernel ridge regression on diabetes; 4 params."""
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    alpha = trial.suggest_float("alpha", 1e-4, 1e2, log=True)
    kernel = trial.suggest_categorical("kernel", ["rbf", "laplacian", "polynomial"])
    gamma = trial.suggest_float("gamma", 1e-4, 1.0, log=True)
    degree = trial.suggest_int("degree", 1, 4)  # read by the polynomial kernel only
    split, _ = _seeds(rng)
    return _noisy_cv(
        lambda: make_pipeline(
            StandardScaler(), KernelRidge(alpha=alpha, kernel=kernel, gamma=gamma, degree=degree)
        ),
        "diabetes",
        "mse",
        split,
    )


def lgbm_breast_cancer(trial: Any, rng: np.random.Generator) -> float:
    """Log loss of LightGBM (10-60 rounds, one thread) on breast_cancer; 7 params."""
    from lightgbm import LGBMClassifier

    rounds = trial.suggest_int("n_estimators", 10, 60)
    lr = trial.suggest_float("learning_rate", 1e-2, 1.0, log=True)
    leaves = trial.suggest_int("num_leaves", 2, 64, log=True)
    child = trial.suggest_int("min_child_samples", 2, 64, log=True)
    subsample = trial.suggest_float("subsample", 0.4, 1.0)
    colsample = trial.suggest_float("colsample_bytree", 0.2, 1.0)
    reg = trial.suggest_float("reg_lambda", 1e-4, 10.0, log=True)
    split, seed = _seeds(rng)
    return _noisy_cv(
        lambda: LGBMClassifier(
            n_estimators=rounds,
            learning_rate=lr,
            num_leaves=leaves,
            min_child_samples=child,
            subsample=subsample,
            subsample_freq=1,
            colsample_bytree=colsample,
            reg_lambda=reg,
            random_state=seed,
            n_jobs=1,
            verbose=-1,
        ),
        "breast_cancer",
        "log_loss",
        split,
    )


def xgb_wine(trial: Any, rng: np.random.Generator) -> float:
    """Log loss of XGBoost (10-50 rounds, hist, one thread) on wine; 7 params."""
    from xgboost import XGBClassifier

    rounds = trial.suggest_int("n_estimators", 10, 50)
    lr = trial.suggest_float("learning_rate", 1e-2, 1.0, log=True)
    depth = trial.suggest_int("max_depth", 1, 8)
    child = trial.suggest_float("min_child_weight", 1e-2, 10.0, log=True)
    subsample = trial.suggest_float("subsample", 0.4, 1.0)
    colsample = trial.suggest_float("colsample_bytree", 0.2, 1.0)
    reg = trial.suggest_float("reg_lambda", 1e-4, 10.0, log=True)
    split, seed = _seeds(rng)
    return _noisy_cv(
        lambda: XGBClassifier(
            n_estimators=rounds,
            learning_rate=lr,
            max_depth=depth,
            min_child_weight=child,
            subsample=subsample,
            colsample_bytree=colsample,
            reg_lambda=reg,
            tree_method="hist",
            random_state=seed,
            n_jobs=1,
        ),
        "wine",
        "log_loss",
        split,
    )


def mlp_breast_cancer(trial: Any, rng: np.random.Generator) -> float:
    """Log loss of a small standardised MLP (20 Adam epochs) on breast_cancer; 5 params."""
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    units = trial.suggest_int("units", 2, 32, log=True)
    alpha = trial.suggest_float("alpha", 1e-6, 1.0, log=True)
    lr = trial.suggest_float("learning_rate_init", 1e-4, 0.3, log=True)
    batch = trial.suggest_categorical("batch_size", [64, 128, 512])
    activation = trial.suggest_categorical("activation", ["relu", "tanh"])
    split, seed = _seeds(rng)
    return _noisy_cv(
        lambda: make_pipeline(
            StandardScaler(),
            MLPClassifier(
                (units,),
                alpha=alpha,
                learning_rate_init=lr,
                batch_size=batch,
                activation=activation,
                max_iter=20,
                random_state=seed,
            ),
        ),
        "breast_cancer",
        "log_loss",
        split,
    )


def ridge_diabetes(trial: Any, rng: np.random.Generator) -> float:
    """Mean squared error of ridge regression on standardised polynomial features of diabetes;
    degree, interactions only or not, alpha."""
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    degree = trial.suggest_int("degree", 1, 3)
    interaction = trial.suggest_categorical("interaction_only", [False, True])
    alpha = trial.suggest_float("alpha", 1e-3, 1e4, log=True)
    split, _ = _seeds(rng)
    return _noisy_cv(
        lambda: make_pipeline(
            PolynomialFeatures(degree, interaction_only=interaction, include_bias=False),
            StandardScaler(),
            Ridge(alpha=alpha),
        ),
        "diabetes",
        "mse",
        split,
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
    "mixed_int_cat_10d": Problem(mixed10, 0.0, "mixed"),
    "conditional_3branch": Problem(conditional3, 0.0, "conditional"),
}

NOISY: dict[str, NoisyObjective] = {
    "logreg_breast_cancer": logreg_breast_cancer,
    "svc_breast_cancer": svc_breast_cancer,
    "knn_digits": knn_digits,
    "forest_diabetes": forest_diabetes,
    "extra_trees_wine": extra_trees_wine,
    "kernel_ridge_diabetes": kernel_ridge_diabetes,
    "lgbm_breast_cancer": lgbm_breast_cancer,
    "xgb_wine": xgb_wine,
    "mlp_breast_cancer": mlp_breast_cancer,
    "ridge_diabetes": ridge_diabetes,
}

# ---- one run's objective, and the noise-free value of a configuration ---------------------

TRUE_VALUE_REPEATS = 10
"""Evaluations averaged by ``true_value`` for a noisy task: each on its own fixed split and
model seed, the same for every configuration and every sampler (common random numbers), so two
configurations' true values differ by their quality, not by their draws."""


def _name_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "little")


class _NoisyRun:
    """A noisy task's objective for one run: evaluation ``k`` (counted from 0) draws its noise
    from ``default_rng([key(name), seed, k])``, so every sampler on the same (problem, seed)
    meets the same noise sequence, whatever it proposes."""

    def __init__(self, name: str, seed: int, task: NoisyObjective) -> None:
        self._entropy = [_name_key(name), seed]
        self._task = task
        self.evaluations = 0

    def __call__(self, trial: Any) -> float:
        rng = np.random.default_rng([*self._entropy, self.evaluations])
        self.evaluations += 1
        _LAST_FOLDS.clear()
        value = self._task(trial, rng)
        # What the objective knows of its noise: each evaluation draws a new split, so the
        # folds' spread over sqrt(k) estimates the standard error of the returned mean.
        k = len(_LAST_FOLDS)
        if k >= 2 and hasattr(trial, "set_user_attr"):
            trial.set_user_attr(STDERR_ATTR, float(np.std(_LAST_FOLDS, ddof=1) / math.sqrt(k)))
        return value


def make_objective(name: str, seed: int) -> Objective:
    """A fresh objective for one run of problem ``name`` with seed ``seed``: the problem's own
    objective when it is deterministic, else one with the run's own noise stream."""
    problem = PROBLEMS[name]
    if problem.noisy is None:
        return problem.objective
    return _NoisyRun(name, seed, problem.noisy)


class _Params:
    """A trial whose suggest calls return the values of a stored configuration."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params

    def suggest_float(self, name: str, low: float, high: float, **kw: Any) -> float:
        return float(self.params[name])

    def suggest_int(self, name: str, low: int, high: int, **kw: Any) -> int:
        return int(self.params[name])

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        value = self.params[name]
        # JSON turns tuples into lists and may turn a float choice like 1.0 into 1.
        return next((c for c in choices if c == value), value)


_TRUE: dict[tuple[str, str], float] = {}


@cache
def task_code(name: str) -> str:
    """A hash of a noisy task's definition (its function, the CV helper and the number of
    true-value repeats), so that runs of an older definition are not mixed with new ones."""
    import inspect

    task = PROBLEMS[name].noisy
    if task is None:
        return ""
    text = inspect.getsource(task) + inspect.getsource(_noisy_cv) + str(TRUE_VALUE_REPEATS)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def true_value(name: str, params: dict[str, Any]) -> float:
    """The noise-free value of a configuration: the objective itself for a deterministic
    problem; for a noisy task the mean over ``TRUE_VALUE_REPEATS`` evaluations on fixed noise
    streams (``default_rng([key(name), 2**32 - 1, 2**32 - 1, r])``, disjoint from any run's),
    cached per process by (name, params)."""
    problem = PROBLEMS[name]
    if problem.noisy is None:
        return float(problem.objective(_Params(params)))
    key = (name, json.dumps(params, sort_keys=True))
    if key not in _TRUE:
        values = [
            problem.noisy(
                _Params(params), np.random.default_rng([_name_key(name), 2**32 - 1, 2**32 - 1, r])
            )
            for r in range(TRUE_VALUE_REPEATS)
        ]
        _TRUE[key] = float(np.mean(values))
    return _TRUE[key]


# ---- BBOB-style functions -----------------------------------------------------------------
# After Hansen et al., "Real-parameter black-box optimization benchmarking 2009: noiseless
# functions definitions" (INRIA RR-6829), on [-5, 5]^d with optimum 0. Sphere, the separable
# and the rotated ellipsoid and Rastrigin come from ``cmaes_sampler.py`` (one shift per d); the
# families below draw their optimum x_opt in [-4, 4]^d and their rotations R, Q from a
# generator seeded by the problem's name, so each problem has its own fixed instance. The
# oscillation and asymmetry transforms (T_osz, T_asy) and the boundary penalty are left out:
# the domain is the box, and the functions keep their character (conditioning, ruggedness,
# funnel structure) without them.


def _instance(name: str) -> np.random.Generator:
    return np.random.default_rng([_name_key(name), 0xB0B])


def _orthogonal(rng: np.random.Generator, d: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def _conditioning(alpha: float, d: int) -> np.ndarray:
    """The diagonal of BBOB's Lambda^alpha: alpha^(i / (2 (d - 1))), i = 0 .. d - 1."""
    return alpha ** (0.5 * np.arange(d) / max(d - 1, 1))


def bbob_rosenbrock(name: str, d: int) -> Objective:
    """f8: Rosenbrock, shifted and scaled so that the valley spans the box."""
    x_opt = 0.75 * _instance(name).uniform(-4.0, 4.0, d)  # BBOB: x_opt in [-3, 3]^d
    c = max(1.0, math.sqrt(d) / 8.0)

    def f(trial: Any) -> float:
        z = c * (_x(trial, d) - x_opt) + 1.0
        return float((100 * (z[:-1] ** 2 - z[1:]) ** 2 + (z[:-1] - 1) ** 2).sum())

    return f


def bbob_step_ellipsoid(name: str, d: int) -> Objective:
    """f7: a rotated ellipsoid on a staircase (plateaus everywhere; rounding to 1, and to
    0.1 near the optimum)."""
    rng = _instance(name)
    x_opt, r, q = rng.uniform(-4.0, 4.0, d), _orthogonal(rng, d), _orthogonal(rng, d)
    lam, w = _conditioning(10.0, d), 100.0 ** (np.arange(d) / max(d - 1, 1))

    def f(trial: Any) -> float:
        z_hat = lam * (r @ (_x(trial, d) - x_opt))
        z_tilde = np.where(
            np.abs(z_hat) > 0.5, np.floor(0.5 + z_hat), np.floor(0.5 + 10 * z_hat) / 10
        )
        z = q @ z_tilde
        return float(0.1 * max(abs(z_hat[0]) / 1e4, float((w * z**2).sum())))

    return f


def bbob_sharp_ridge(name: str, d: int) -> Objective:
    """f13: a rotated ridge whose cross-section is a cone (not differentiable on the ridge)."""
    rng = _instance(name)
    x_opt, r, q = rng.uniform(-4.0, 4.0, d), _orthogonal(rng, d), _orthogonal(rng, d)
    lam = _conditioning(10.0, d)

    def f(trial: Any) -> float:
        z = q @ (lam * (r @ (_x(trial, d) - x_opt)))
        return float(z[0] ** 2 + 100 * math.sqrt(float((z[1:] ** 2).sum())))

    return f


def bbob_different_powers(name: str, d: int) -> Objective:
    """f14: rotated coordinates raised to powers from 2 to 6 (sensitivities differ by axis)."""
    rng = _instance(name)
    x_opt, r = rng.uniform(-4.0, 4.0, d), _orthogonal(rng, d)
    powers = 2 + 4 * np.arange(d) / max(d - 1, 1)

    def f(trial: Any) -> float:
        z = r @ (_x(trial, d) - x_opt)
        return float(math.sqrt(float((np.abs(z) ** powers).sum())))

    return f


_W_K = np.arange(12)
_W_F0 = float((0.5**_W_K * np.cos(math.pi * 3.0**_W_K)).sum())


def bbob_weierstrass(name: str, d: int) -> Objective:
    """f16: Weierstrass, rugged and repetitive (continuous, nowhere differentiable)."""
    rng = _instance(name)
    x_opt, r, q = rng.uniform(-4.0, 4.0, d), _orthogonal(rng, d), _orthogonal(rng, d)
    lam = _conditioning(0.01, d)

    def f(trial: Any) -> float:
        z = r @ (lam * (q @ (_x(trial, d) - x_opt)))
        terms = 0.5**_W_K * np.cos(2 * math.pi * 3.0**_W_K * (z[:, None] + 0.5))
        return float(10 * (terms.sum() / d - _W_F0) ** 3)

    return f


def bbob_gallagher101(name: str, d: int) -> Objective:
    """f21: 101 Gaussian peaks of random heights, orientations and conditioning; the highest
    (weight 10, its centre in [-4, 4]^d) is the optimum."""
    rng = _instance(name)
    r = _orthogonal(rng, d)
    centres = rng.uniform(-4.9, 4.9, (101, d))
    centres[0] = rng.uniform(-4.0, 4.0, d)
    weights = np.concatenate([[10.0], 1.1 + 8.0 * np.arange(100) / 99])
    alphas = np.concatenate([[1000.0], rng.permutation(1000.0 ** (2 * np.arange(100) / 99))])
    scales = np.array([rng.permutation(_conditioning(a, d)) / a**0.25 for a in alphas])
    centres_r = centres @ r.T

    def f(trial: Any) -> float:
        diff = (r @ _x(trial, d)) - centres_r
        peaks = weights * np.exp(-((scales * diff**2).sum(1)) / (2 * d))
        return float((10.0 - peaks.max()) ** 2)

    return f


def bbob_lunacek(name: str, d: int) -> Objective:
    """f24: Lunacek bi-Rastrigin, two funnels of which the better one is the smaller."""
    rng = _instance(name)
    mu0, s = 2.5, 1.0 - 1.0 / (2 * math.sqrt(d + 20) - 8.2)
    mu1 = -math.sqrt((mu0**2 - 1.0) / s)
    signs = np.where(rng.uniform(size=d) < 0.5, -1.0, 1.0)
    r, q = _orthogonal(rng, d), _orthogonal(rng, d)
    lam = _conditioning(100.0, d)

    def f(trial: Any) -> float:
        x_hat = 2 * signs * _x(trial, d)  # the optimum is at x = signs * mu0 / 2
        z = q @ (lam * (r @ (x_hat - mu0)))
        funnels = min(float(((x_hat - mu0) ** 2).sum()), d + s * float(((x_hat - mu1) ** 2).sum()))
        return funnels + 10 * (d - float(np.cos(2 * math.pi * z).sum()))

    return f


def bbob_attractive_sector(name: str, d: int) -> Objective:
    """f6: a rotated quadratic that is 100x steeper in the orthant of x_opt as seen from it
    (a highly asymmetric optimum)."""
    rng = _instance(name)
    x_opt, r, q = rng.uniform(-4.0, 4.0, d), _orthogonal(rng, d), _orthogonal(rng, d)
    lam = _conditioning(10.0, d)

    def f(trial: Any) -> float:
        z = q @ (lam * (r @ (_x(trial, d) - x_opt)))
        s = np.where(z * x_opt > 0, 100.0, 1.0)
        return float(((s * z) ** 2).sum() ** 0.9)

    return f


_BBOB: dict[str, Callable[[str, int], Objective]] = {
    "rosenbrock": bbob_rosenbrock,
    "step_ellipsoid": bbob_step_ellipsoid,
    "sharp_ridge": bbob_sharp_ridge,
    "different_powers": bbob_different_powers,
    "weierstrass": bbob_weierstrass,
    "gallagher101": bbob_gallagher101,
    "lunacek": bbob_lunacek,
    "attractive_sector": bbob_attractive_sector,
}
_BBOB_SHARED: dict[str, Callable[[int], Objective]] = {
    "sphere": sphere,
    "ellipsoid": ellipsoid,
    "rotated_ellipsoid": rotated_ellipsoid,
    "rastrigin": shifted_rastrigin,
}
BBOB_INSTANCES = [
    ("sphere", 2),
    ("sphere", 10),
    ("ellipsoid", 5),
    ("ellipsoid", 20),
    ("rotated_ellipsoid", 2),
    ("rotated_ellipsoid", 10),
    ("rastrigin", 5),
    ("rastrigin", 20),
    ("rosenbrock", 2),
    ("rosenbrock", 10),
    ("step_ellipsoid", 5),
    ("step_ellipsoid", 10),
    ("sharp_ridge", 5),
    ("sharp_ridge", 20),
    ("different_powers", 10),
    ("different_powers", 20),
    ("weierstrass", 2),
    ("weierstrass", 5),
    ("gallagher101", 5),
    ("gallagher101", 20),
    ("lunacek", 5),
    ("lunacek", 10),
    ("attractive_sector", 5),
    ("attractive_sector", 10),
]
"""(family, d) of the BBOB-style problems, each called ``bbob_<family>_<d>d`` (optimum 0)."""


for _name, _task in NOISY.items():
    PROBLEMS[_name] = Problem(_NoisyRun(_name, 0, _task), None, "noisy", _task)
for _family, _d in BBOB_INSTANCES:
    _name = f"bbob_{_family}_{_d}d"
    if _family in _BBOB_SHARED:
        PROBLEMS[_name] = Problem(_BBOB_SHARED[_family](_d), 0.0, "continuous")
    else:
        PROBLEMS[_name] = Problem(_BBOB[_family](_name, _d), 0.0, "continuous")


def main() -> None:
    """``python bench/gp_suite.py [--evaluations N] [TASK ...]``: seconds per evaluation of the
    noisy tasks (median, 90th percentile, maximum) on N random configurations, after one
    warm-up evaluation (imports); run with ``OMP_NUM_THREADS=1``."""
    import argparse
    import time

    import optuna

    ap = argparse.ArgumentParser(description="seconds per evaluation of the noisy tasks")
    ap.add_argument("tasks", nargs="*", default=list(NOISY))
    ap.add_argument("--evaluations", type=int, default=40)
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    print(f"load average at start: {os.getloadavg()}")
    print("| task | median | p90 | max |\n|---|---|---|---|")
    for name in args.tasks:
        objective = make_objective(name, 7)
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
        study.optimize(objective, n_trials=1)
        seconds: list[float] = []

        def timed(
            trial: Any, objective: Objective = objective, out: list[float] = seconds
        ) -> float:
            t0 = time.perf_counter()
            try:
                return objective(trial)
            finally:
                out.append(time.perf_counter() - t0)

        study.optimize(timed, n_trials=args.evaluations)
        q = np.percentile(seconds, [50, 90, 100])
        print(f"| {name} | {q[0]:.3f} | {q[1]:.3f} | {q[2]:.3f} |", flush=True)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
