"""The stopping rule (:class:`Terminator`) and the callback that applies it in ``optimize``."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from hyperdial import logging as _logging
from hyperdial.terminator._error import (
    BaseErrorEvaluator,
    CrossValidationErrorEvaluator,
    StaticErrorEvaluator,
)
from hyperdial.terminator._improvement import (
    DEFAULT_MIN_N_TRIALS,
    BaseImprovementEvaluator,
    BestValueStagnationEvaluator,
    RegretBoundEvaluator,
    check_positive_int,
)
from hyperdial.trial._state import TrialState

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["BaseTerminator", "Terminator", "TerminatorCallback"]

_logger = _logging.get_logger(__name__)


class BaseTerminator(abc.ABC):
    """Decides whether a study should stop."""

    @abc.abstractmethod
    def should_terminate(self, study: Study) -> bool:
        """True when the study should stop."""


def default_error_evaluator(improvement: BaseImprovementEvaluator) -> BaseErrorEvaluator:
    """The error evaluator that goes with ``improvement`` when none is given: a constant 0 for
    :class:`BestValueStagnationEvaluator` (its estimate counts trials), the cross-validation
    error otherwise."""
    if isinstance(improvement, BestValueStagnationEvaluator):
        return StaticErrorEvaluator(0)
    return CrossValidationErrorEvaluator()


def check_single_objective(study: Study, what: str) -> None:
    if study._is_multi_objective():
        raise ValueError(
            f"{what} supports single-objective studies only; this study has "
            f"{len(study.directions)} objectives."
        )


class Terminator(BaseTerminator):
    """Stops a study when the room left for improvement is below the objective's error.

    The rule of Makarova et al. (2022), "Automatic Termination for Hyperparameter Optimization":
    once the study has ``min_n_trials`` complete trials, it should stop when
    ``improvement_evaluator`` (by default an upper bound on the best trial's regret,
    :class:`RegretBoundEvaluator`) is below ``error_evaluator`` (by default the best trial's
    cross-validation error, :class:`CrossValidationErrorEvaluator`, which needs
    :func:`report_cross_validation_scores`): further tuning would then chase noise. FAIL,
    PRUNED and running trials are ignored.

    Args:
        improvement_evaluator: Default: ``RegretBoundEvaluator()``.
        error_evaluator: Default: ``StaticErrorEvaluator(0)`` with a
            :class:`BestValueStagnationEvaluator`, ``CrossValidationErrorEvaluator()``
            otherwise.
        min_n_trials: Complete trials needed before the rule is applied (an integer >= 1).

    Raises:
        ValueError: ``min_n_trials`` is not a positive integer; :meth:`should_terminate` on a
            study with several objectives.

    Example:
        >>> import hyperdial
        >>> from hyperdial.terminator import (
        ...     BestValueStagnationEvaluator, Terminator)
        >>> study = hyperdial.create_study(sampler=hyperdial.samplers.RandomSampler(seed=0))
        >>> terminator = Terminator(BestValueStagnationEvaluator(5), min_n_trials=5)
        >>> while not terminator.should_terminate(study):
        ...     trial = study.ask()
        ...     _ = study.tell(trial, round(trial.suggest_float("x", -1, 1) ** 2, 1))
        >>> len(study.trials) < 100
        True
    """

    def __init__(
        self,
        improvement_evaluator: BaseImprovementEvaluator | None = None,
        error_evaluator: BaseErrorEvaluator | None = None,
        min_n_trials: int = DEFAULT_MIN_N_TRIALS,
    ) -> None:
        if improvement_evaluator is not None and not isinstance(
            improvement_evaluator, BaseImprovementEvaluator
        ):
            raise TypeError(
                "`improvement_evaluator` must be a BaseImprovementEvaluator, got "
                f"{type(improvement_evaluator).__name__}."
            )
        if error_evaluator is not None and not isinstance(error_evaluator, BaseErrorEvaluator):
            raise TypeError(
                "`error_evaluator` must be a BaseErrorEvaluator, got "
                f"{type(error_evaluator).__name__}."
            )
        self._min_n_trials = check_positive_int("min_n_trials", min_n_trials)
        self._improvement_evaluator = improvement_evaluator or RegretBoundEvaluator()
        self._error_evaluator = error_evaluator or default_error_evaluator(
            self._improvement_evaluator
        )

    def should_terminate(self, study: Study) -> bool:
        """True when the study has ``min_n_trials`` complete trials and the improvement
        estimate is below the error estimate."""
        check_single_objective(study, "Terminator")
        trials = study.get_trials(deepcopy=False)
        n_complete = sum(t.state == TrialState.COMPLETE for t in trials)
        if n_complete < self._min_n_trials:
            return False
        direction = study.direction
        improvement = self._improvement_evaluator.evaluate(trials, direction)
        error = self._error_evaluator.evaluate(trials, direction)
        return bool(improvement < error)


class TerminatorCallback:
    """An ``optimize`` callback that stops the study when ``terminator`` says so.

    Args:
        terminator: Default: ``Terminator()`` (regret bound against cross-validation error).

    Example:
        >>> import hyperdial
        >>> from hyperdial.terminator import (
        ...     BestValueStagnationEvaluator, Terminator, TerminatorCallback)
        >>> stop = TerminatorCallback(Terminator(BestValueStagnationEvaluator(3), min_n_trials=3))
        >>> study = hyperdial.create_study()
        >>> study.optimize(lambda t: 1.0, n_trials=50, callbacks=[stop])
        >>> len(study.trials)
        5
    """

    def __init__(self, terminator: BaseTerminator | None = None) -> None:
        if terminator is not None and not isinstance(terminator, BaseTerminator):
            raise TypeError(
                f"`terminator` must be a BaseTerminator, got {type(terminator).__name__}."
            )
        self._terminator = terminator or Terminator()

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if self._terminator.should_terminate(study):
            _logger.info(f"The terminator stopped study {study.study_name!r}.")
            study.stop()
