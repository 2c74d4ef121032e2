"""Pruning for XGBoost training (``pip install "hyperdial[xgboost]"``).

Example:
    >>> import hyperdial, xgboost as xgb
    >>> from hyperdial.integration.xgboost import XGBoostPruningCallback
    >>> def objective(trial):
    ...     params = {"eta": trial.suggest_float("eta", 1e-3, 1.0, log=True),
    ...               "objective": "binary:logistic", "eval_metric": "logloss"}
    ...     cb = XGBoostPruningCallback(trial, "validation-logloss")
    ...     booster = xgb.train(params, dtrain, evals=[(dvalid, "validation")],
    ...                         callbacks=[cb])  # doctest: +SKIP
    ...     return cb.last_value
"""

from __future__ import annotations

from typing import Any

import xgboost

from hyperdial.exceptions import TrialPruned
from hyperdial.trial._trial import BaseTrial

__all__ = ["XGBoostPruningCallback"]


class XGBoostPruningCallback(xgboost.callback.TrainingCallback):
    """Reports an evaluation metric after every boosting round and prunes through the study.

    Works with ``xgboost.train`` and with the scikit-learn API (``callbacks=[...]`` of the
    estimator). The reported step is the boosting round (0-based).

    Args:
        trial: The trial being evaluated.
        observation_key: ``"<eval set name>-<metric>"``, e.g. ``"validation-logloss"`` for
            ``evals=[(dvalid, "validation")]``, or ``"validation_0-logloss"`` with the
            scikit-learn API.

    Raises:
        TrialPruned: from the boosting loop, when the study's pruner says so.
        KeyError: after the first round, when ``observation_key`` names no evaluation result
            (the message lists the available keys).
    """

    def __init__(self, trial: BaseTrial, observation_key: str) -> None:
        super().__init__()
        if "-" not in observation_key:
            raise ValueError(
                f"`observation_key` must look like '<eval set>-<metric>', got {observation_key!r}."
            )
        self._trial = trial
        self._key = observation_key
        self.last_value: float | None = None

    def after_iteration(self, model: Any, epoch: int, evals_log: dict[str, Any]) -> bool:
        data, _, metric = self._key.partition("-")
        try:
            history = evals_log[data][metric]
        except KeyError:
            available = [f"{d}-{m}" for d, metrics in evals_log.items() for m in metrics]
            raise KeyError(
                f"No evaluation result {self._key!r}; available: {available}."
            ) from None
        last = history[-1]
        value = float(last[0] if isinstance(last, tuple) else last)  # (mean, std) in xgb.cv
        self.last_value = value
        self._trial.report(value, epoch)
        if self._trial.should_prune():
            raise TrialPruned(f"Trial was pruned at boosting round {epoch}.")
        return False
