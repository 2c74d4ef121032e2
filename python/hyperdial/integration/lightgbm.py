"""Pruning for LightGBM training (``pip install "hyperdial[lightgbm]"``).

Example:
    >>> import hyperdial, lightgbm as lgb
    >>> from hyperdial.integration.lightgbm import LightGBMPruningCallback
    >>> def objective(trial):
    ...     params = {"learning_rate": trial.suggest_float("lr", 1e-3, 0.3, log=True),
    ...               "objective": "binary", "metric": "binary_logloss", "verbosity": -1}
    ...     cb = LightGBMPruningCallback(trial, "binary_logloss")
    ...     lgb.train(params, dtrain, valid_sets=[dvalid], callbacks=[cb])  # doctest: +SKIP
    ...     return cb.last_value
"""

from __future__ import annotations

from typing import Any

import lightgbm  # noqa: F401  (the integration needs it installed)

from hyperdial._direction import StudyDirection
from hyperdial.exceptions import TrialPruned
from hyperdial.trial._trial import BaseTrial, Trial

__all__ = ["LightGBMPruningCallback"]


class LightGBMPruningCallback:
    """Reports a validation metric after every boosting round and prunes through the study.

    Works with ``lightgbm.train``, ``lightgbm.cv`` (the mean over folds is reported) and the
    scikit-learn API (``callbacks=[...]`` of ``fit``). The reported step is the iteration.

    Args:
        trial: The trial being evaluated.
        metric: The metric name as LightGBM reports it, e.g. ``"binary_logloss"``, ``"auc"``.
        valid_name: The validation set's name (``"valid_0"`` by default in ``train``; ``cv``
            reports ``"valid"``, which is used when ``valid_name`` is not found).

    Raises:
        TrialPruned: from the boosting loop, when the study's pruner says so.
        ValueError: the metric's direction (LightGBM knows whether higher is better) disagrees
            with the study's direction.
        KeyError: the metric or validation set is not among the evaluation results.
    """

    def __init__(self, trial: BaseTrial, metric: str, valid_name: str = "valid_0") -> None:
        self._trial = trial
        self._metric = metric
        self._valid_name = valid_name
        self._checked = False
        self.last_value: float | None = None

    def _find(self, results: list[tuple[Any, ...]]) -> tuple[Any, ...]:
        for names in (self._valid_name, "valid"):
            for entry in results:
                if entry[0] == names and entry[1] == self._metric:
                    return entry
        available = [f"{e[0]}:{e[1]}" for e in results]
        raise KeyError(
            f"No evaluation result for metric {self._metric!r} on {self._valid_name!r}; "
            f"available: {available}."
        )

    def __call__(self, env: Any) -> None:
        results = env.evaluation_result_list or []
        if not results:
            raise KeyError("LightGBM reported no evaluation results: pass valid_sets.")
        entry = self._find(results)
        value, higher_is_better = float(entry[2]), bool(entry[3])
        if not self._checked and isinstance(self._trial, Trial):
            direction = self._trial.study.direction
            expected = StudyDirection.MAXIMIZE if higher_is_better else StudyDirection.MINIMIZE
            if direction != expected:
                raise ValueError(
                    f"Metric {self._metric!r} should be "
                    f"{'maximized' if higher_is_better else 'minimized'}, but the study's "
                    f"direction is {direction.name}."
                )
            self._checked = True
        self.last_value = value
        self._trial.report(value, env.iteration)
        if self._trial.should_prune():
            raise TrialPruned(f"Trial was pruned at iteration {env.iteration}.")
