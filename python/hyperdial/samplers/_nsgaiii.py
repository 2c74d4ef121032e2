"""NSGAIIISampler: NSGA-II's generations and children with reference-point survivor selection."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from hyperdial.samplers.nsgaii._crossovers import BaseCrossover
from hyperdial.samplers.nsgaii._mutations import BaseMutation
from hyperdial.samplers.nsgaii._ranking import constrained_ranks, das_dennis, select_nsga3
from hyperdial.samplers.nsgaii._sampler import (
    AfterTrialStrategy,
    ChildStrategy,
    EliteStrategy,
    _GASampler,
)
from hyperdial.trial._system_attrs import NSGAIII_GENERATION_KEY

if TYPE_CHECKING:
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["NSGAIIISampler"]


class NSGAIIISampler(_GASampler):
    """NSGA-III (Deb and Jain, "An evolutionary many-objective optimization algorithm using
    reference-point-based nondominated sorting approach, Part I", IEEE TEC 18(4), 2014), with
    Optuna's interface.

    As :class:`~hyperdial.samplers.NSGAIISampler` (generations shared through the storage,
    constrained domination, the same crossovers and mutations), except how the last front that
    does not fit whole into the next parents is cut: instead of crowding distance, the
    candidates are normalised (ideal point and the intercepts of the extreme points'
    hyperplane) and associated with the nearest of the ``reference_points``; members are then
    taken from the reference points with the fewest members chosen so far, the one nearest to
    the reference line first. With many objectives, where most trials are non-dominated, this
    keeps the parents spread over the front (``hyperdial/samplers/nsgaii/_ranking.py``). The
    tournament compares parents by constrained front only.

    Args:
        reference_points: (r, m) array of reference points for ``m`` objectives (each row is
            a direction in the normalised objective space; the rows need not sum to one).
            None: the Das-Dennis points of the unit simplex with ``dividing_parameter``
            divisions per objective, ``C(m + p - 1, p)`` of them.
        dividing_parameter: ``p`` above, an int >= 1.
        population_size, mutation, mutation_prob, crossover, crossover_prob, swapping_prob,
        seed, constraints_func, elite_population_selection_strategy,
        child_generation_strategy, after_trial_strategy: as in
            :class:`~hyperdial.samplers.NSGAIISampler`.

    Example:
        >>> import hyperdial
        >>> sampler = hyperdial.samplers.NSGAIIISampler(population_size=12, seed=0)
        >>> study = hyperdial.create_study(directions=["minimize"] * 3, sampler=sampler)
        >>> def objective(trial):
        ...     x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        ...     return x * y, x * (1 - y), 1 - x
        >>> study.optimize(objective, n_trials=36)
        >>> len(study.best_trials) > 1
        True
    """

    _GENERATION_KEY = NSGAIII_GENERATION_KEY
    _PARENTS_PREFIX = "nsga3:parents:"

    def __init__(
        self,
        *,
        population_size: int = 50,
        mutation: BaseMutation | None = None,
        mutation_prob: float | None = None,
        crossover: BaseCrossover | None = None,
        crossover_prob: float = 0.9,
        swapping_prob: float = 0.5,
        seed: int | None = None,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        reference_points: np.ndarray | None = None,
        dividing_parameter: int = 3,
        elite_population_selection_strategy: EliteStrategy | None = None,
        child_generation_strategy: ChildStrategy | None = None,
        after_trial_strategy: AfterTrialStrategy | None = None,
    ) -> None:
        super().__init__(
            population_size=population_size,
            mutation=mutation,
            mutation_prob=mutation_prob,
            crossover=crossover,
            crossover_prob=crossover_prob,
            swapping_prob=swapping_prob,
            seed=seed,
            constraints_func=constraints_func,
            elite_population_selection_strategy=elite_population_selection_strategy,
            child_generation_strategy=child_generation_strategy,
            after_trial_strategy=after_trial_strategy,
        )
        if (
            isinstance(dividing_parameter, bool)
            or not isinstance(dividing_parameter, int)
            or dividing_parameter < 1
        ):
            raise ValueError(
                f"`dividing_parameter` must be an int >= 1, got {dividing_parameter!r}."
            )
        self._dividing_parameter = dividing_parameter
        self._reference: np.ndarray | None = None
        if reference_points is not None:
            ref = np.array(reference_points, dtype=float)
            if (
                ref.ndim != 2
                or ref.shape[0] < 1
                or not np.all(np.isfinite(ref))
                or np.any(ref < 0)
                or np.any(ref.sum(axis=1) <= 0)
            ):
                raise ValueError(
                    "`reference_points` must be None or a 2-d array (points, objectives) of "
                    "finite non-negative numbers with a positive sum in each row, got "
                    f"{reference_points!r}."
                )
            self._reference = ref

    def _reference_points(self, n_objectives: int) -> np.ndarray:
        if self._reference is None:
            return das_dennis(n_objectives, self._dividing_parameter)
        if self._reference.shape[1] != n_objectives:
            raise ValueError(
                f"`reference_points` has {self._reference.shape[1]} columns but the study has "
                f"{n_objectives} objectives."
            )
        return self._reference

    def _survivors(
        self,
        loss: np.ndarray,
        violation: np.ndarray | None,
        k: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        return select_nsga3(loss, violation, k, self._reference_points(loss.shape[1]), rng)

    def _scores(self, loss: np.ndarray, violation: np.ndarray | None) -> np.ndarray:
        return constrained_ranks(loss, violation)
