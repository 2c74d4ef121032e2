"""XGBoost and LightGBM pruning callbacks, with the real libraries."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import hyperdial
from hyperdial import TrialState
from hyperdial.pruners import BasePruner, MedianPruner


class _PruneFrom(BasePruner):
    """Prunes once a trial has reported step `step`."""

    def __init__(self, step: int) -> None:
        self.step = step

    def prune(self, study: hyperdial.Study, trial: hyperdial.FrozenTrial) -> bool:
        return trial.last_step is not None and trial.last_step >= self.step


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(400, 6))
    y = (X[:, 0] + 0.5 * X[:, 1] ** 2 + 0.3 * rng.normal(size=400) > 0.5).astype(int)
    return X[:300], y[:300], X[300:], y[300:]


# -- XGBoost --------------------------------------------------------------------------------------
xgb = pytest.importorskip("xgboost")


def _xgb_run(study: hyperdial.Study, key: str = "validation-logloss") -> dict[str, Any]:
    from hyperdial.integration.xgboost import XGBoostPruningCallback

    Xtr, ytr, Xva, yva = _data()
    dtrain, dvalid = xgb.DMatrix(Xtr, label=ytr), xgb.DMatrix(Xva, label=yva)
    out: dict[str, Any] = {}

    def objective(trial: hyperdial.Trial) -> float:
        params = {
            "eta": trial.suggest_float("eta", 0.01, 0.5, log=True),
            "max_depth": trial.suggest_int("max_depth", 1, 4),
            "objective": "binary:logistic",
            "eval_metric": "logloss",
            "nthread": 1,
        }
        cb = XGBoostPruningCallback(trial, key)
        evals_result: dict[str, Any] = {}
        xgb.train(
            params,
            dtrain,
            num_boost_round=8,
            evals=[(dvalid, "validation")],
            evals_result=evals_result,
            callbacks=[cb],
            verbose_eval=False,
        )
        out["evals_result"] = evals_result
        assert cb.last_value is not None
        return cb.last_value

    study.optimize(objective, n_trials=1)
    return out


def test_xgboost_reports_every_round() -> None:
    study = hyperdial.create_study(sampler=hyperdial.samplers.RandomSampler(seed=0))
    out = _xgb_run(study)
    t = study.trials[0]
    assert t.state == TrialState.COMPLETE
    expected = out["evals_result"]["validation"]["logloss"]
    assert [t.intermediate_values[i] for i in range(8)] == pytest.approx(expected, rel=1e-12)
    assert t.value == pytest.approx(expected[-1])


def test_xgboost_prunes_inside_the_boosting_loop() -> None:
    study = hyperdial.create_study(pruner=_PruneFrom(3))
    _xgb_run(study)
    t = study.trials[0]
    assert t.state == TrialState.PRUNED
    assert sorted(t.intermediate_values) == [0, 1, 2, 3]


def test_xgboost_unknown_key_lists_the_available_ones() -> None:
    study = hyperdial.create_study()
    with pytest.raises(KeyError, match="validation-logloss"):
        _xgb_run(study, key="validation-auc")
    assert study.trials[0].state == TrialState.FAIL


def test_xgboost_bad_key_shape() -> None:
    from hyperdial.integration.xgboost import XGBoostPruningCallback

    with pytest.raises(ValueError, match="observation_key"):
        XGBoostPruningCallback(hyperdial.FixedTrial({}), "logloss")


def test_xgboost_sklearn_api() -> None:
    from hyperdial.integration.xgboost import XGBoostPruningCallback

    Xtr, ytr, Xva, yva = _data()
    study = hyperdial.create_study(pruner=_PruneFrom(2))

    def objective(trial: hyperdial.Trial) -> float:
        cb = XGBoostPruningCallback(trial, "validation_0-logloss")
        model = xgb.XGBClassifier(n_estimators=6, n_jobs=1, eval_metric="logloss", callbacks=[cb])
        model.fit(Xtr, ytr, eval_set=[(Xva, yva)], verbose=False)
        return float(cb.last_value or 0.0)

    study.optimize(objective, n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert sorted(study.trials[0].intermediate_values) == [0, 1, 2]


# -- LightGBM -------------------------------------------------------------------------------------
def _lgb_objective(metric: str = "binary_logloss") -> Any:
    lgb = pytest.importorskip("lightgbm")
    from hyperdial.integration.lightgbm import LightGBMPruningCallback

    Xtr, ytr, Xva, yva = _data()

    def objective(trial: hyperdial.Trial) -> float:
        params = {
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 2, 16),
            "objective": "binary",
            "metric": metric,
            "verbosity": -1,
            "num_threads": 1,
        }
        cb = LightGBMPruningCallback(trial, metric)
        record: dict[str, Any] = {}
        dtrain = lgb.Dataset(Xtr, label=ytr)
        dvalid = lgb.Dataset(Xva, label=yva, reference=dtrain)
        lgb.train(
            params,
            dtrain,
            num_boost_round=10,
            valid_sets=[dvalid],
            callbacks=[cb, lgb.record_evaluation(record)],
        )
        objective.record = record  # type: ignore[attr-defined]
        assert cb.last_value is not None
        return cb.last_value

    return objective


def test_lightgbm_reports_every_iteration() -> None:
    objective = _lgb_objective()
    study = hyperdial.create_study(sampler=hyperdial.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=1)
    t = study.trials[0]
    assert t.state == TrialState.COMPLETE
    expected = objective.record["valid_0"]["binary_logloss"]
    assert [t.intermediate_values[i] for i in range(10)] == pytest.approx(expected, rel=1e-12)


def test_lightgbm_prunes() -> None:
    study = hyperdial.create_study(pruner=_PruneFrom(4))
    study.optimize(_lgb_objective(), n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert sorted(study.trials[0].intermediate_values) == [0, 1, 2, 3, 4]


def test_lightgbm_direction_must_match_the_metric() -> None:
    study = hyperdial.create_study(direction="minimize")
    with pytest.raises(ValueError, match="maximized"):
        study.optimize(_lgb_objective("auc"), n_trials=1)
    assert study.trials[0].state == TrialState.FAIL
    ok = hyperdial.create_study(direction="maximize")
    ok.optimize(_lgb_objective("auc"), n_trials=1)
    assert ok.trials[0].state == TrialState.COMPLETE


def test_lightgbm_cv_reports_the_mean_over_folds() -> None:
    lgb = pytest.importorskip("lightgbm")
    from hyperdial.integration.lightgbm import LightGBMPruningCallback

    Xtr, ytr, _, _ = _data()
    study = hyperdial.create_study()
    trial = study.ask()
    cb = LightGBMPruningCallback(trial, "binary_logloss")
    params = {"objective": "binary", "metric": "binary_logloss", "verbosity": -1, "num_threads": 1}
    res = lgb.cv(
        params,
        lgb.Dataset(Xtr, label=ytr),
        num_boost_round=5,
        nfold=3,
        stratified=False,  # stratified folds would need scikit-learn
        callbacks=[cb],
    )
    study.tell(trial, cb.last_value)
    t = study.trials[0]
    key = next(k for k in res if k.endswith("binary_logloss-mean"))
    assert [t.intermediate_values[i] for i in range(5)] == pytest.approx(res[key], rel=1e-12)


def test_boosting_with_median_pruner_in_optimize() -> None:
    study = hyperdial.create_study(
        pruner=MedianPruner(n_startup_trials=2), sampler=hyperdial.samplers.RandomSampler(seed=3)
    )
    study.optimize(_lgb_objective(), n_trials=10, n_jobs=2)
    states = {t.state for t in study.trials}
    assert TrialState.RUNNING not in states and TrialState.FAIL not in states
    assert TrialState.COMPLETE in states
