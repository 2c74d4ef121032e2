"""Error evaluators: how much of an improvement is noise, below which tuning further is moot."""

from __future__ import annotations

import abc
import math
import numbers
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperdial._direction import StudyDirection
from hyperdial.terminator._improvement import (
    BaseImprovementEvaluator,
    _check_direction,
    check_positive_int,
)
from hyperdial.trial._state import TrialState
from hyperdial.trial._system_attrs import CV_SCORES_KEY

if TYPE_CHECKING:
    from hyperdial.trial._frozen import FrozenTrial
    from hyperdial.trial._trial import Trial

__all__ = [
    "BaseErrorEvaluator",
    "CrossValidationErrorEvaluator",
    "MedianErrorEvaluator",
    "StaticErrorEvaluator",
    "report_cross_validation_scores",
]


class BaseErrorEvaluator(abc.ABC):
    """Estimates the statistical error of the objective, in its units."""

    @abc.abstractmethod
    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The error of the objective judged from ``trials`` (COMPLETE ones only)."""


def report_cross_validation_scores(trial: Trial, scores: Sequence[float]) -> None:
    """Stores a trial's cross-validation scores for :class:`CrossValidationErrorEvaluator`.

    Call it in the objective with the per-fold scores whose mean the objective returns. They are
    kept in the trial's system attribute ``"terminator:cv_scores"`` (Optuna's key, so studies
    moved between the two libraries keep them).

    Args:
        trial: The running trial.
        scores: Two or more finite numbers (a list, tuple or 1-d array).

    Raises:
        ValueError: fewer than two scores, or a score that is not a finite number.

    Example:
        >>> import hyperdial
        >>> from hyperdial.terminator import report_cross_validation_scores
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", 0, 1)
        ...     scores = [x + e for e in (-0.01, 0.0, 0.01)]
        ...     report_cross_validation_scores(trial, scores)
        ...     return sum(scores) / len(scores)
        >>> study = hyperdial.create_study(direction="maximize")
        >>> study.optimize(objective, n_trials=2)
        >>> len(study.trials[0].system_attrs["terminator:cv_scores"])
        3
    """
    values = np.asarray(scores, dtype=object)
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(f"`scores` must hold two or more numbers (one per fold), got {scores!r}.")
    out = []
    for s in values:
        if isinstance(s, bool) or not isinstance(s, numbers.Real) or not math.isfinite(s):
            raise ValueError(f"`scores` must be finite numbers, got {s!r} in {scores!r}.")
        out.append(float(s))
    trial.set_system_attr(CV_SCORES_KEY, out)


class CrossValidationErrorEvaluator(BaseErrorEvaluator):
    """The standard error of the best trial's cross-validation mean.

    For ``k`` fold scores with variance ``s^2``, the error is
    ``sqrt((1 / k + 1 / (k - 1)) s^2)``: the corrected resampled variance of Nadeau & Bengio
    (2003), "Inference for the Generalization Error" (Machine Learning 52), eq. (13) with a test
    to training ratio of ``1 / (k - 1)``, which accounts for the folds sharing training data.
    Makarova et al. (2022) stop when the regret bound falls below it.

    Raises (from :meth:`evaluate`):
        ValueError: no trial is complete, or the best one has no scores
            (:func:`report_cross_validation_scores` was not called).
    """

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        direction = _check_direction(study_direction)
        complete = [t for t in trials if t.state == TrialState.COMPLETE and t.values]
        if not complete:
            raise ValueError(
                "No trial is complete yet, so the cross-validation error cannot be evaluated."
            )
        pick = max if direction == StudyDirection.MAXIMIZE else min
        best = pick(complete, key=lambda t: (t.values or [math.nan])[0])
        scores = best.system_attrs.get(CV_SCORES_KEY)
        if not isinstance(scores, list) or len(scores) < 2:
            raise ValueError(
                f"The best trial (number {best.number}) has no cross-validation scores: call "
                "`report_cross_validation_scores(trial, scores)` in the objective with the "
                "per-fold scores, or give the terminator another `error_evaluator`."
            )
        k = len(scores)
        return float(math.sqrt((1.0 / k + 1.0 / (k - 1)) * float(np.var(scores))))


class StaticErrorEvaluator(BaseErrorEvaluator):
    """A fixed error: stop once the improvement evaluator's estimate is below ``constant``.

    Args:
        constant: The error, in the objective's units.
    """

    def __init__(self, constant: float) -> None:
        if isinstance(constant, bool) or not isinstance(constant, numbers.Real):
            raise ValueError(f"`constant` must be a number, got {constant!r}.")
        self._constant: float = float(constant)

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        return self._constant


class MedianErrorEvaluator(BaseErrorEvaluator):
    """A threshold set from the study's early improvement estimates: their median times
    ``threshold_ratio``.

    The heuristic Ishibashi et al. (2023) pair with :class:`EMMREvaluator`: after
    ``warm_up_trials`` complete trials (often random start-up trials), the paired improvement
    evaluator is run on the first ``1, 2, ..., n_initial_trials`` trials that follow; the
    threshold is the median of those values times ``threshold_ratio``, computed once and kept.
    Until there are ``warm_up_trials + n_initial_trials`` complete trials the error is the
    smallest negative number, so no non-negative improvement is below it.

    Args:
        paired_improvement_evaluator: The terminator's improvement evaluator.
        warm_up_trials: Complete trials to skip first (``>= 0``).
        n_initial_trials: Complete trials the median is taken over (``>= 1``).
        threshold_ratio: A finite number ``> 0``.
    """

    def __init__(
        self,
        paired_improvement_evaluator: BaseImprovementEvaluator,
        warm_up_trials: int = 10,
        n_initial_trials: int = 20,
        threshold_ratio: float = 0.01,
    ) -> None:
        if not isinstance(paired_improvement_evaluator, BaseImprovementEvaluator):
            raise TypeError(
                "`paired_improvement_evaluator` must be a BaseImprovementEvaluator, got "
                f"{type(paired_improvement_evaluator).__name__}."
            )
        if not (isinstance(threshold_ratio, numbers.Real) and 0 < threshold_ratio < math.inf):
            raise ValueError(
                f"`threshold_ratio` must be a finite number > 0, got {threshold_ratio!r}."
            )
        self._paired: BaseImprovementEvaluator = paired_improvement_evaluator
        self._warm_up_trials: int = check_positive_int("warm_up_trials", warm_up_trials, minimum=0)
        self._n_initial_trials: int = check_positive_int("n_initial_trials", n_initial_trials)
        self._threshold_ratio: float = float(threshold_ratio)
        self._threshold: float | None = None

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        if self._threshold is not None:
            return self._threshold
        complete = sorted(
            (t for t in trials if t.state == TrialState.COMPLETE), key=lambda t: t.number
        )
        start, count = self._warm_up_trials, self._n_initial_trials
        if len(complete) < start + count:
            return -sys.float_info.min
        criteria: list[Any] = [
            self._paired.evaluate(complete[start : start + i], study_direction)
            for i in range(1, count + 1)
        ]
        median = float(sorted(criteria)[len(criteria) // 2])
        self._threshold = min(sys.float_info.max, median * self._threshold_ratio)
        return self._threshold
