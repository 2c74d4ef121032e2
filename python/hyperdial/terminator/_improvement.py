"""Improvement evaluators: how much better than the best trial the study could still get.

Every evaluator reads the COMPLETE trials of the list it is given, in that order (FAIL, PRUNED
and unfinished trials are ignored), and returns a number in the units of the objective that the
terminator compares with an error evaluator's.
"""

from __future__ import annotations

import abc
import math
import numbers
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperdial._direction import StudyDirection
from hyperdial.samplers._seeding import blake2b, check_seed
from hyperdial.trial._state import TrialState

if TYPE_CHECKING:
    from hyperdial.samplers._gp._incumbent import Model
    from hyperdial.trial._frozen import FrozenTrial

__all__ = [
    "DEFAULT_MIN_N_TRIALS",
    "BaseImprovementEvaluator",
    "BestValueStagnationEvaluator",
    "EMMREvaluator",
    "RegretBoundEvaluator",
]

DEFAULT_MIN_N_TRIALS = 20
DEFAULT_TOP_TRIALS_RATIO = 0.5
#: What an evaluator returns when it cannot judge yet: the terminator never stops on it.
NOT_YET = math.inf


def check_positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def _check_direction(study_direction: Any) -> StudyDirection:
    if study_direction not in (StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE):
        raise ValueError(
            "`study_direction` must be StudyDirection.MINIMIZE or StudyDirection.MAXIMIZE, "
            f"got {study_direction!r}."
        )
    return StudyDirection(study_direction)


def _data_seed(seed: int, n: int, what: bytes) -> int:
    """A seed for the fit and search of ``n`` complete trials: the same trials give the same
    answer, and prefixes of one study get independent seeds."""
    h = blake2b(seed.to_bytes(8, "little") + n.to_bytes(8, "little"), digest_size=8)
    h.update(what)
    return int.from_bytes(h.digest(), "little") >> 1


class BaseImprovementEvaluator(abc.ABC):
    """Estimates the room left for improvement from a study's trials."""

    @abc.abstractmethod
    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The room left for improvement over the best COMPLETE trial of ``trials``, in the
        objective's units (larger: more to gain)."""


class RegretBoundEvaluator(BaseImprovementEvaluator):
    """An upper bound on the regret of the best trial, from a GP's confidence bounds.

    Makarova et al. (2022), "Automatic Termination for Hyperparameter Optimization" (AutoML
    Conf., PMLR 188): with high probability the objective lies between the lower and
    upper confidence bounds (LCB, UCB) of a GP fitted to the trials, so the best value anywhere
    exceeds the best trial's by at most ``max_x UCB(x) - max_i LCB(x_i)`` (for a maximised
    objective; minimised ones are negated). The GP is GPSampler's, fitted to the top
    ``top_trials_ratio`` of the complete trials (at least ``min_n_trials`` of them, all when
    fewer) over the parameters every complete trial has; the UCB is maximised by the core's
    acquisition search. The confidence parameter is ``beta = 2 log(d n^2 pi^2 / (6 delta)) / 5``
    with ``delta = 0.1`` (``hyperdial.terminator._gp.ucb_beta``).

    The bound is in the objective's units, so it can be compared with a cross-validation error.

    Args:
        top_trials_ratio: The share of the best complete trials the GP is fitted to, in
            ``(0, 1]``.
        min_n_trials: The fewest complete trials the GP is fitted to.
        seed: Seeds the fit's restarts and the UCB search; None draws one. The same trials give
            the same bound.

    Raises (from :meth:`evaluate`):
        ValueError: no trial is complete, or the complete trials share no parameter with more
            than one value.

    Example:
        >>> import hyperdial
        >>> from hyperdial.terminator import RegretBoundEvaluator
        >>> study = hyperdial.create_study(sampler=hyperdial.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=20)
        >>> bound = RegretBoundEvaluator(seed=0).evaluate(study.trials, study.direction)
        >>> bound >= 0
        True
    """

    def __init__(
        self,
        top_trials_ratio: float = DEFAULT_TOP_TRIALS_RATIO,
        min_n_trials: int = DEFAULT_MIN_N_TRIALS,
        seed: int | None = None,
    ) -> None:
        if not (isinstance(top_trials_ratio, numbers.Real) and 0 < top_trials_ratio <= 1):
            raise ValueError(f"`top_trials_ratio` must be in (0, 1], got {top_trials_ratio!r}.")
        self._top_trials_ratio: float = float(top_trials_ratio)
        self._min_n_trials: int = check_positive_int("min_n_trials", min_n_trials)
        self._seed: int = check_seed(seed)
        self._delta: float = 0.1

    def _top(self, y: np.ndarray) -> np.ndarray:
        """Mask of the top trials: the ``k`` largest ``y`` and every trial tied with the k-th."""
        n = len(y)
        k = min(max(int(n * self._top_trials_ratio), self._min_n_trials), n)
        kth = np.partition(y, n - k)[n - k]
        top: np.ndarray = y >= kth
        return top

    def _fitted(
        self, trials: Sequence[FrozenTrial], study_direction: StudyDirection
    ) -> tuple[Model, np.ndarray, int]:
        """The GP of the top trials, their coordinates, and the seed of the UCB search."""
        from hyperdial.terminator import _gp

        direction = _check_direction(study_direction)
        complete = _gp.complete_trials(trials)
        if not complete:
            raise ValueError("No trial is complete yet, so the regret bound cannot be evaluated.")
        encoded = _gp.encode(complete)
        if encoded is None:
            raise ValueError(
                "The complete trials share no parameter with more than one value (the "
                f"intersection search space is empty); {type(self).__name__} needs one."
            )
        coder, x = encoded
        y = _gp.targets(complete, direction)
        top = self._top(y)
        seed = _data_seed(self._seed, len(complete), b"fit")
        model = _gp.fit(coder, x[top], y[top], deterministic=False, seed=seed)
        return model, x[top], _data_seed(self._seed, len(complete), b"ucb")

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The regret bound of the best complete trial of ``trials`` (>= 0)."""
        from hyperdial.terminator import _gp

        model, x_top, seed = self._fitted(trials, study_direction)
        return _gp.regret_bound(model, x_top, self._delta, seed)


class BestValueStagnationEvaluator(BaseImprovementEvaluator):
    """The trials left before the best value has not improved for ``max_stagnation_trials``.

    Counts the complete trials since the one with the best value (the first of equals) and
    returns ``max_stagnation_trials`` minus that count: it reaches a negative number once the
    best value has stood still for more than ``max_stagnation_trials`` complete trials. Paired
    with ``StaticErrorEvaluator(0)`` (the terminator's default for it), the study stops then.

    Args:
        max_stagnation_trials: Complete trials without a new best value that are tolerated.

    Example:
        >>> from hyperdial import StudyDirection, create_trial
        >>> from hyperdial.terminator import BestValueStagnationEvaluator
        >>> trials = [create_trial(value=v) for v in [3.0, 1.0, 2.0, 2.0]]
        >>> BestValueStagnationEvaluator(5).evaluate(trials, StudyDirection.MINIMIZE)
        3
    """

    def __init__(self, max_stagnation_trials: int = 30) -> None:
        self._max_stagnation_trials = check_positive_int(
            "max_stagnation_trials", max_stagnation_trials, minimum=0
        )

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """``max_stagnation_trials`` minus the complete trials since the best one.

        Raises:
            ValueError: no trial is complete.
        """
        direction = _check_direction(study_direction)
        values = np.array(
            [t.values[0] for t in trials if t.state == TrialState.COMPLETE and t.values],
            dtype=np.float64,
        )
        if values.size == 0:
            raise ValueError("No trial is complete yet, so the stagnation cannot be evaluated.")
        best = int(
            np.argmax(values) if direction == StudyDirection.MAXIMIZE else np.argmin(values)
        )
        return self._max_stagnation_trials - (values.size - 1 - best)


class EMMREvaluator(BaseImprovementEvaluator):
    """The expected minimum model regret (EMMR) of the last trial.

    Ishibashi et al. (2023), "A stopping criterion for Bayesian optimization by the gap of
    expected minimum simple regrets" (AISTATS, PMLR 206), Algorithm 1 with Theorem 1: an upper
    bound on how much the expected minimum simple regret changed with the last trial ``t``,

        ``Delta mu + v h(-Delta mu / v) + kappa_{t-1} sqrt(KL / 2)``,

    where ``Delta mu = mu_{t-1}(x*_{t-1}) - mu_t(x*_t)`` (the model's best-point means before
    and after the trial), ``v^2 = Var_t[f(x*_t) - f(x*_{t-1})]``, ``h(z) = phi(z) + z Phi(z)``,
    ``kappa_{t-1}`` the regret bound of the model of the first ``t - 1`` trials (Makarova et al.
    2022, as :class:`RegretBoundEvaluator`), and ``KL`` the divergence between the posteriors
    before and after the trial (eq. 4; its square root over 2 by Pinsker's inequality). The
    posterior before the trial is taken with the hyperparameters fitted after it, so that both
    posteriors have the same prior (Sec. 4.4), and ``KL`` uses the model's fitted noise variance
    (the fixed tiny one for a deterministic objective).

    Two GPs of GPSampler's kind are fitted per call (the first ``t - 1`` complete trials, then
    all ``t``, warm-started). The value is in the objective's units; pair it with
    :class:`~hyperdial.terminator.MedianErrorEvaluator`, which compares it with its own early
    values.

    Args:
        deterministic_objective: The objective has no noise: the GP's noise is fixed tiny.
        delta: The confidence level of the regret bound ``kappa`` (in ``(0, 1)``).
        min_n_trials: Below this many complete trials (at least 2), :meth:`evaluate` returns
            ``inf`` (never stop).
        seed: Seeds the fits and the UCB search; None draws one.

    Example:
        >>> import hyperdial
        >>> from hyperdial.terminator import EMMREvaluator, MedianErrorEvaluator, Terminator
        >>> emmr = EMMREvaluator(seed=0)
        >>> terminator = Terminator(emmr, MedianErrorEvaluator(emmr), min_n_trials=20)
        >>> study = hyperdial.create_study(sampler=hyperdial.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=5)
        >>> terminator.should_terminate(study)
        False
    """

    def __init__(
        self,
        deterministic_objective: bool = False,
        delta: float = 0.1,
        min_n_trials: int = 2,
        seed: int | None = None,
    ) -> None:
        if not (isinstance(delta, numbers.Real) and 0 < delta < 1):
            raise ValueError(f"`delta` must be in (0, 1), got {delta!r}.")
        self._deterministic: bool = bool(deterministic_objective)
        self._delta: float = float(delta)
        self.min_n_trials: int = check_positive_int("min_n_trials", min_n_trials, minimum=2)
        self._seed: int = check_seed(seed)

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The EMMR after the last complete trial of ``trials`` (>= 0), or ``inf`` with fewer
        than ``min_n_trials`` complete trials or no parameter to model (with a warning)."""
        from hyperdial.terminator import _gp

        direction = _check_direction(study_direction)
        complete = _gp.complete_trials(trials)
        n = len(complete)
        if n < self.min_n_trials:
            return NOT_YET
        encoded = _gp.encode(complete)
        if encoded is None:
            warnings.warn(
                f"{type(self).__name__}: the complete trials share no parameter with more than "
                "one value, so there is nothing to model and the study is never stopped.",
                UserWarning,
                stacklevel=2,
            )
            return NOT_YET
        coder, x = encoded
        y = _gp.targets(complete, direction)
        fit_seed = _data_seed(self._seed, n, b"fit")
        before = _gp.fit(coder, x[:-1], y[:-1], deterministic=self._deterministic, seed=fit_seed)
        after = _gp.fit(
            coder, x, y, deterministic=self._deterministic, seed=fit_seed, previous=before
        )

        best_after = int(np.argmax(y))
        best_before = int(np.argmax(y[:-1]))
        pair = x[[best_after, best_before]]
        cov = _gp.posterior_cov(after, pair, pair)
        mean_after, _ = after.predict(pair[:1])
        mean_before, _ = before.predict(pair[1:])
        delta_mu = float(mean_before[0] - mean_after[0])
        floor = max(1e-10 * float(np.var(y)), 1e-300)  # x*_t = x*_{t-1}: v would be 0
        v = math.sqrt(max(floor, cov[0, 0] - 2 * cov[0, 1] + cov[1, 1]))
        z = -delta_mu / v
        gap = delta_mu + v * (_pdf(z) + z * _cdf(z))

        # eq. (4): KL between the posteriors after and before trial t, at its point x_t.
        mu, var = _gp.predict_without_last(after, x[-1:])
        s2, noise = max(float(var[0]), 0.0), _gp.noise_variance(after)
        kl = 0.5 * (
            math.log1p(s2 / noise)
            - s2 / (s2 + noise)
            + s2 * (float(y[-1]) - float(mu[0])) ** 2 / (s2 + noise) ** 2
        )
        kappa = _gp.regret_bound(before, x[:-1], self._delta, _data_seed(self._seed, n, b"ucb"))
        return float(max(gap, 0.0) + kappa * math.sqrt(max(kl, 0.0) / 2))


def _pdf(z: float) -> float:
    return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def _cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2))
