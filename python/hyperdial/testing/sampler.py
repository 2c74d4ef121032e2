"""The contract every sampler fulfils, as a reusable pytest test class.

A sampler's test module subclasses :class:`SamplerContract` and says how to build the sampler;
pytest then runs every contract test against it::

    from hyperdial.samplers import RandomSampler
    from hyperdial.testing import SamplerContract

    class TestRandomSampler(SamplerContract):
        def make_sampler(self, seed):
            return RandomSampler(seed=seed)

A sampler that legitimately cannot meet one clause (say, the seed has no effect) overrides that
test, with a ``pytest.skip`` that gives the reason or with the check that does hold, so the
exception is visible in the test report. Slow samplers may lower the class attributes
``n_trials``, ``max_examples`` and ``trials_per_example``.

The module also offers the pieces the suite is built from, for samplers' own tests:
:data:`DISTRIBUTION_KINDS`, :data:`EXTREME_DISTRIBUTIONS`, :func:`distribution_strategy`
(hypothesis), :func:`suggest` and :func:`assert_in_distribution`.

Integer distributions are generated within ``[-2**53, 2**53]``: parameters are stored as
float64, which holds every integer only up to that size.
"""

from __future__ import annotations

import copy
import decimal
import math
import pickle
import sys
import time
import warnings
from collections.abc import Callable, Collection, Mapping
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hyperdial
from hyperdial.distributions import (
    BaseDistribution,
    CategoricalChoiceType,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.exceptions import TrialPruned
from hyperdial.samplers import BaseSampler
from hyperdial.study import Study
from hyperdial.trial import BaseTrial, FrozenTrial, TrialState

__all__ = [
    "DISTRIBUTION_KINDS",
    "EXTREME_DISTRIBUTIONS",
    "SamplerContract",
    "assert_in_distribution",
    "distribution_strategy",
    "round_trip",
    "suggest",
]

_T = TypeVar("_T")

_MAX_EXACT_INT = 2**53
_FMAX = sys.float_info.max

#: One distribution of every kind a sampler must handle, single-valued ones included.
DISTRIBUTION_KINDS: dict[str, BaseDistribution] = {
    "float": FloatDistribution(-3.5, 7.25),
    "float_log": FloatDistribution(1e-5, 10.0, log=True),
    "float_step": FloatDistribution(-1.0, 1.0, step=0.25),
    "float_step_decimal": FloatDistribution(0.0, 1.0, step=0.1),
    "int": IntDistribution(-7, 12),
    "int_step": IntDistribution(0, 30, step=3),
    "int_log": IntDistribution(1, 1000, log=True),
    # Equal in Python, different choices: a sampler must hand back the very object.
    "categorical": CategoricalDistribution([1, True, 1.0, None, "a"]),
    "single_float": FloatDistribution(2.5, 2.5),
    "single_float_log": FloatDistribution(0.5, 0.5, log=True),
    "single_float_step": FloatDistribution(1.0, 1.0, step=0.5),
    "single_int": IntDistribution(5, 5),
    "single_int_step": IntDistribution(3, 3, step=2),
    "single_int_log": IntDistribution(4, 4, log=True),
    "single_categorical": CategoricalDistribution(["only"]),
}

#: Distributions at the limits of float64 and of exactly stored integers.
EXTREME_DISTRIBUTIONS: dict[str, BaseDistribution] = {
    "float_log_1e-300_1e300": FloatDistribution(1e-300, 1e300, log=True),
    "float_log_all_normal": FloatDistribution(sys.float_info.min, _FMAX, log=True),
    "float_all_finite": FloatDistribution(-_FMAX, _FMAX),
    "float_huge_offset": FloatDistribution(1e300, 2e300),
    "float_subnormal": FloatDistribution(0.0, 5e-324),
    "float_two_adjacent": FloatDistribution(1.0, math.nextafter(1.0, 2.0)),
    "float_step_huge": FloatDistribution(-1e300, 1e300, step=1e299),
    "float_step_tiny": FloatDistribution(0.0, 1e-300, step=1e-301),
    "int_2p53": IntDistribution(-_MAX_EXACT_INT, _MAX_EXACT_INT),
    "int_log_2p53": IntDistribution(1, _MAX_EXACT_INT, log=True),
    "int_step_2p50": IntDistribution(0, 7 * 2**50, step=7),
    "int_step_near_2p53": IntDistribution(_MAX_EXACT_INT - 10, _MAX_EXACT_INT, step=5),
}


# --- helpers ----------------------------------------------------------------------------------


def suggest(trial: BaseTrial, name: str, dist: BaseDistribution) -> Any:
    """Calls the ``suggest_*`` method of ``trial`` that creates ``dist``.

    Example:
        >>> import hyperdial
        >>> trial = hyperdial.trial.FixedTrial({"x": 3})
        >>> suggest(trial, "x", IntDistribution(0, 5))
        3
    """
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, CategoricalDistribution):
        return trial.suggest_categorical(name, dist.choices)
    raise TypeError(f"Unknown distribution {dist!r}.")


def _same_choice(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def assert_in_distribution(dist: BaseDistribution, value: Any, name: str = "value") -> None:
    """Asserts that ``value`` is what a suggestion of ``dist`` may return.

    Floats must be ``float``, integers ``int`` and categorical values one of the choices *with
    its type* (``True`` is not ``1``); numbers must lie in ``[low, high]`` on the step grid.

    Raises:
        AssertionError: naming ``name``, the value and the distribution.
    """
    where = f"{name}={value!r} ({type(value).__name__}) from {dist!r}"
    if isinstance(dist, CategoricalDistribution):
        assert any(_same_choice(value, c) for c in dist.choices), f"not a choice: {where}"
        return
    if isinstance(dist, FloatDistribution):
        assert type(value) is float, f"not a float: {where}"
        assert not math.isnan(value), f"NaN: {where}"
    elif isinstance(dist, IntDistribution):
        assert type(value) is int, f"not an int: {where}"
    else:
        raise TypeError(f"Unknown distribution {dist!r}.")
    assert dist.low <= value <= dist.high, f"outside [low, high]: {where}"
    if isinstance(dist, IntDistribution):
        assert (value - dist.low) % dist.step == 0, f"off the step grid: {where}"
    elif dist.step is not None:
        k = (value - dist.low) / dist.step
        assert abs(k - round(k)) <= 1e-8 * max(1.0, abs(k)), f"off the step grid: {where}"


def _typed(params: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Parameters in a form where ``1``, ``1.0`` and ``True`` compare different."""
    return {k: (type(v).__name__, repr(v)) for k, v in params.items()}


def _score(dist: BaseDistribution, value: Any) -> float:
    """A finite number that varies with the value, as an objective value."""
    if isinstance(dist, CategoricalDistribution):
        return dist.to_internal_repr(value)
    x = float(value)
    return math.copysign(math.log1p(abs(x)), x)


def _objective(space: Mapping[str, BaseDistribution]) -> Callable[[BaseTrial], float]:
    def objective(trial: BaseTrial) -> float:
        return math.fsum(_score(d, suggest(trial, n, d)) for n, d in space.items())

    return objective


#: A mixed space used by the tests that are not about one kind of distribution.
_MIXED: dict[str, BaseDistribution] = {
    "x": FloatDistribution(-2.0, 3.0),
    "lr": FloatDistribution(1e-4, 1.0, log=True),
    "n": IntDistribution(0, 9),
    "c": CategoricalDistribution([1, True, 1.0, None, "a"]),
}


def _assert_params(trial: FrozenTrial, space: Mapping[str, BaseDistribution]) -> None:
    assert set(trial.params) == set(space), f"trial {trial.number} has {trial.params}"
    for name, dist in space.items():
        assert trial.distributions[name] == dist
        assert_in_distribution(dist, trial.params[name], f"trial {trial.number}: {name}")


# --- hypothesis strategies --------------------------------------------------------------------


def _quiet(factory: Callable[[], BaseDistribution]) -> BaseDistribution | None:
    """The distribution, or None when building it warned (``high`` was snapped)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dist = factory()
    return None if caught else dist


def _decimal(units: int, exponent: int) -> float:
    return float(decimal.Decimal(units).scaleb(exponent))


@st.composite
def _linear_floats(draw: st.DrawFn) -> BaseDistribution:
    finite = st.floats(allow_nan=False, allow_infinity=False)
    low, high = sorted((draw(finite), draw(finite)))
    return FloatDistribution(low, high)


@st.composite
def _log_floats(draw: st.DrawFn) -> BaseDistribution:
    positive = st.floats(min_value=sys.float_info.min, max_value=_FMAX)
    low, high = sorted((draw(positive), draw(positive)))
    return FloatDistribution(low, high, log=True)


@st.composite
def _step_floats(draw: st.DrawFn) -> BaseDistribution | None:
    # Decimal grids (low = a * 10**e, step = m * 10**e) as users write them, whose `high`
    # is not snapped; magnitudes stay below ~1e298 so that high - low is finite.
    exponent = draw(st.integers(-300, 290))
    a = draw(st.integers(-(10**6), 10**6))
    m = draw(st.integers(1, 10**4))
    n = draw(st.integers(0, 10**4))
    low, step, high = (_decimal(v, exponent) for v in (a, m, a + n * m))
    return _quiet(lambda: FloatDistribution(low, high, step=step))


@st.composite
def _ints(draw: st.DrawFn) -> BaseDistribution:
    bound = st.integers(-_MAX_EXACT_INT, _MAX_EXACT_INT)
    low, high = sorted((draw(bound), draw(bound)))
    return IntDistribution(low, high)


@st.composite
def _step_ints(draw: st.DrawFn) -> BaseDistribution:
    low = draw(st.integers(-_MAX_EXACT_INT, _MAX_EXACT_INT))
    step = draw(st.integers(1, 2**52) | st.integers(1, 10))
    n = draw(st.integers(0, min((_MAX_EXACT_INT - low) // step, 10**6)))
    return IntDistribution(low, low + n * step, step=step)


@st.composite
def _log_ints(draw: st.DrawFn) -> BaseDistribution:
    bound = st.integers(1, _MAX_EXACT_INT) | st.integers(1, 100)
    low, high = sorted((draw(bound), draw(bound)))
    return IntDistribution(low, high, log=True)


def _choice_key(c: CategoricalChoiceType) -> tuple[str, Any]:
    if isinstance(c, float) and math.isnan(c):
        return ("float", "nan")
    return (type(c).__name__, c)


_CHOICES = st.lists(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats() | st.text(max_size=5),
    min_size=1,
    max_size=8,
    unique_by=_choice_key,
)


_STRATEGIES: dict[str, Callable[[], st.SearchStrategy[Any]]] = {
    "float": _linear_floats,
    "float_log": _log_floats,
    "float_step": lambda: _step_floats().filter(lambda d: d is not None),
    "int": _ints,
    "int_step": _step_ints,
    "int_log": _log_ints,
    "categorical": lambda: _CHOICES.map(CategoricalDistribution),
}


def distribution_strategy(
    kinds: Collection[str] | None = None,
) -> st.SearchStrategy[BaseDistribution]:
    """A hypothesis strategy for distributions, with bounds up to the float64 limits.

    Linear floats span any finite range, log floats any positive normal range; stepped floats
    use decimal grids (``low = a * 10**e``, ``step = m * 10**e``); integers stay within
    ``[-2**53, 2**53]``; categorical choices mix None, bools, ints, floats (NaN and ±inf
    included) and strings.

    Args:
        kinds: Some of ``"float"``, ``"float_log"``, ``"float_step"``, ``"int"``,
            ``"int_step"``, ``"int_log"``, ``"categorical"``; None means all of them.

    Example:
        >>> from hypothesis import given
        >>> @given(distribution_strategy(["int", "int_log"]))
        ... def test_low_is_inside(dist):
        ...     assert dist._contains(float(dist.low))
    """
    names = sorted(_STRATEGIES) if kinds is None else list(kinds)
    unknown = sorted(set(names) - set(_STRATEGIES))
    if unknown or not names:
        raise ValueError(
            f"`kinds` must be a non-empty subset of {sorted(_STRATEGIES)}, got {kinds!r}."
        )
    return st.one_of(*(_STRATEGIES[k]() for k in names))


def round_trip(obj: _T, how: str) -> _T:
    """``obj`` through ``pickle`` (``how="pickle"``) or ``copy.deepcopy`` (``"deepcopy"``)."""
    if how == "pickle":
        loaded: _T = pickle.loads(pickle.dumps(obj))
        return loaded
    if how == "deepcopy":
        return copy.deepcopy(obj)
    raise ValueError(f"`how` must be 'pickle' or 'deepcopy', got {how!r}.")


# --- the contract -----------------------------------------------------------------------------


class _Boom(Exception):
    """Raised by contract objectives on purpose."""


class SamplerContract:
    """Tests that every sampler must pass; subclass it and implement :meth:`make_sampler`.

    What is checked: suggestions of every kind of distribution (and of random ones, with
    hypothesis) stay inside it, categorical choices keep their type; ranges that change from
    trial to trial; conditional (define-by-run) parameters; objectives returning NaN or ±inf,
    raising or pruning; multi-objective studies; ``n_jobs=4``; ask-and-tell; enqueued trials;
    equal seeds give equal trials, different seeds different ones; ``reseed_rng``; bounds at
    the limits of float64; a study pickled or deep-copied with its sampler goes on as the
    original does, independent of it.

    Attributes:
        n_trials: Trials per study in most tests (lower it for an expensive sampler).
        max_examples: Hypothesis examples in the random-distribution test.
        trials_per_example: Trials per hypothesis example (raise it past a model-based
            sampler's start-up trials so that its model is exercised too).
    """

    n_trials: ClassVar[int] = 32
    max_examples: ClassVar[int] = 25
    trials_per_example: ClassVar[int] = 6

    def make_sampler(self, seed: int | None) -> BaseSampler:
        """Returns a new sampler; override it in the subclass.

        Args:
            seed: The seed to give the sampler, or None for an unseeded one. Two samplers made
                with the same integer seed must propose the same trials in studies that run
                the same objective with ``n_jobs=1``.

        Every call must return a fresh object: the suite creates several studies per test.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must override `make_sampler(self, seed)` to return the "
            "sampler under test."
        )

    def _study(self, seed: int | None = 0, **kwargs: Any) -> Study:
        return hyperdial.create_study(sampler=self.make_sampler(seed), **kwargs)

    # -- containment -----------------------------------------------------------------------
    @pytest.mark.parametrize("kind", sorted(DISTRIBUTION_KINDS))
    def test_suggestions_stay_inside_every_kind(self, kind: str) -> None:
        dist = DISTRIBUTION_KINDS[kind]
        study = self._study()
        study.optimize(_objective({"p": dist}), n_trials=self.n_trials)
        trials = study.trials
        assert [t.state for t in trials] == [TrialState.COMPLETE] * self.n_trials
        for t in trials:
            _assert_params(t, {"p": dist})
        distinct = {_choice_key(t.params["p"]) for t in trials}
        if dist.single():
            assert len(distinct) == 1
        else:
            assert len(distinct) >= 2, f"{self.n_trials} trials all proposed {distinct}"

    @pytest.mark.parametrize("kind", sorted(EXTREME_DISTRIBUTIONS))
    def test_extreme_bounds_stay_inside(self, kind: str) -> None:
        dist = EXTREME_DISTRIBUTIONS[kind]
        study = self._study()
        study.optimize(_objective({"p": dist}), n_trials=self.n_trials)
        for t in study.trials:
            assert t.state == TrialState.COMPLETE
            _assert_params(t, {"p": dist})

    def test_random_distributions_stay_inside(self) -> None:
        @settings(
            max_examples=self.max_examples,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        @given(
            dists=st.lists(distribution_strategy(), min_size=1, max_size=3),
            seed=st.integers(0, 2**63 - 1),
        )
        def check(dists: list[BaseDistribution], seed: int) -> None:
            space = {f"p{i}": d for i, d in enumerate(dists)}
            study = hyperdial.create_study(sampler=self.make_sampler(seed))
            study.optimize(_objective(space), n_trials=self.trials_per_example)
            for t in study.trials:
                assert t.state == TrialState.COMPLETE
                _assert_params(t, space)

        check()

    # -- search spaces that change -----------------------------------------------------------
    def test_dynamic_ranges(self) -> None:
        def space(number: int) -> dict[str, BaseDistribution]:
            i = number
            return {
                "shifting": FloatDistribution(float(i), i + 1.0),
                "widening": IntDistribution(-i, i),
                "lr": FloatDistribution(1e-3, 1.0 + i, log=True),
                "even": IntDistribution(0, 2 * i + 2, step=2),
                "halves": FloatDistribution(-i - 0.5, 0.5, step=0.5),
                # Alternates between a wide and a narrow range that does not contain the wide
                # range's centre.
                "flip": FloatDistribution(0.0, 100.0) if i % 2 else FloatDistribution(90.0, 91.0),
            }

        def objective(trial: BaseTrial) -> float:
            return _objective(space(trial.number))(trial)

        study = self._study()
        study.optimize(objective, n_trials=self.n_trials)
        for t in study.trials:
            assert t.state == TrialState.COMPLETE
            _assert_params(t, space(t.number))

    def test_conditional_search_space(self) -> None:
        def objective(trial: BaseTrial) -> float:
            kind = trial.suggest_categorical("kind", ["linear", "tree", "none"])
            if kind == "linear":
                return math.log(trial.suggest_float("c", 1e-3, 1e3, log=True))
            if kind == "tree":
                depth = trial.suggest_int("depth", 1, 8)
                if depth > 4:
                    trial.suggest_categorical("criterion", ["gini", "entropy"])
                return float(depth)
            return 0.0

        study = self._study()
        study.optimize(objective, n_trials=self.n_trials)
        kinds = set()
        for t in study.trials:
            assert t.state == TrialState.COMPLETE
            kind = t.params["kind"]
            kinds.add(kind)
            expected: dict[str, BaseDistribution] = {
                "kind": CategoricalDistribution(["linear", "tree", "none"])
            }
            if kind == "linear":
                expected["c"] = FloatDistribution(1e-3, 1e3, log=True)
            elif kind == "tree":
                expected["depth"] = IntDistribution(1, 8)
                if t.params["depth"] > 4:
                    expected["criterion"] = CategoricalDistribution(["gini", "entropy"])
            _assert_params(t, expected)
        assert len(kinds) >= 2, f"{self.n_trials} trials all took the branch {kinds}"

    # -- objectives that misbehave -----------------------------------------------------------
    def test_bad_objective_outcomes_do_not_stop_sampling(self) -> None:
        outcomes = ["nan", "inf", "raise", "-inf", "prune", "ok"]
        expected_state = {
            "nan": TrialState.FAIL,
            "inf": TrialState.COMPLETE,
            "-inf": TrialState.COMPLETE,
            "raise": TrialState.FAIL,
            "prune": TrialState.PRUNED,
            "ok": TrialState.COMPLETE,
        }

        def objective(trial: BaseTrial) -> float:
            value = _objective(_MIXED)(trial)
            what = outcomes[trial.number % len(outcomes)] if trial.number < 18 else "ok"
            if what == "raise":
                raise _Boom("the objective failed on purpose")
            if what == "prune":
                trial.report(value, 0)
                raise TrialPruned()
            return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}.get(what, value)

        study = self._study()
        n = max(self.n_trials, 24)
        study.optimize(objective, n_trials=n, catch=(_Boom,))
        trials = study.trials
        assert len(trials) == n
        for t in trials:
            what = outcomes[t.number % len(outcomes)] if t.number < 18 else "ok"
            assert t.state == expected_state[what], f"trial {t.number} ({what}): {t.state}"
            _assert_params(t, _MIXED)

    # -- studies of other shapes -------------------------------------------------------------
    def test_multi_objective(self) -> None:
        def objective(trial: BaseTrial) -> tuple[float, float]:
            x = suggest(trial, "x", _MIXED["x"])
            n = suggest(trial, "n", _MIXED["n"])
            c = suggest(trial, "c", _MIXED["c"])
            first = x**2 + n + (0.5 if c is None else 0.0)
            return (math.nan if trial.number % 7 == 3 else first), (x - 1.0) ** 2

        study = self._study(directions=["minimize", "maximize"])
        study.optimize(objective, n_trials=self.n_trials)
        space = {k: _MIXED[k] for k in ("x", "n", "c")}
        for t in study.trials:
            if t.number % 7 == 3:
                assert t.state == TrialState.FAIL
            else:
                assert t.state == TrialState.COMPLETE
                assert t.values is not None and len(t.values) == 2
            _assert_params(t, space)
        assert study.best_trials

    def test_parallel_n_jobs(self) -> None:
        def objective(trial: BaseTrial) -> float:
            value = _objective(_MIXED)(trial)
            time.sleep(0.001)  # let the threads interleave
            return value

        study = self._study()
        study.optimize(objective, n_trials=self.n_trials, n_jobs=4)
        trials = study.trials
        assert [t.number for t in trials] == list(range(self.n_trials))
        assert [t.state for t in trials] == [TrialState.COMPLETE] * self.n_trials
        for t in trials:
            _assert_params(t, _MIXED)

    def test_ask_and_tell(self) -> None:
        study = self._study()
        for _ in range(self.n_trials // 2):
            trial = study.ask()
            study.tell(trial, _objective(_MIXED)(trial))
        trial = study.ask(fixed_distributions=dict(_MIXED))
        assert set(trial.params) == set(_MIXED)
        study.tell(trial.number, 1.0)
        failed = study.ask()
        suggest(failed, "x", _MIXED["x"])
        study.tell(failed, state=TrialState.FAIL)
        pruned = study.ask()
        suggest(pruned, "x", _MIXED["x"])
        study.tell(pruned, state=TrialState.PRUNED)
        for _ in range(3):  # the sampler goes on after a FAIL and a PRUNED trial
            trial = study.ask()
            study.tell(trial, _objective(_MIXED)(trial))

        trials = study.trials
        assert len(trials) == self.n_trials // 2 + 6
        assert all(t.state.is_finished() for t in trials)
        for t in trials:
            only_x = t.number in (failed.number, pruned.number)
            _assert_params(t, {"x": _MIXED["x"]} if only_x else _MIXED)
        assert trials[failed.number].state == TrialState.FAIL
        assert trials[pruned.number].state == TrialState.PRUNED

    def test_enqueued_trials_get_their_params(self) -> None:
        study = self._study()
        given_params: dict[str, Any] = {"x": 0.25, "lr": 1e-3, "n": 3, "c": 1.0}
        study.enqueue_trial(given_params)
        study.enqueue_trial({"c": True})  # the rest is sampled
        study.enqueue_trial({"c": None, "n": 0})
        study.optimize(_objective(_MIXED), n_trials=8)
        trials = study.trials
        assert _typed(trials[0].params) == _typed(given_params)
        assert trials[1].params["c"] is True
        assert trials[2].params["c"] is None and trials[2].params["n"] == 0
        for t in trials:
            assert t.state == TrialState.COMPLETE
            _assert_params(t, _MIXED)

    # -- seeds -------------------------------------------------------------------------------
    def _seeded_run(self, seed: int) -> list[dict[str, tuple[str, str]]]:
        def objective(trial: BaseTrial) -> float:
            value = _objective(_MIXED)(trial)
            if trial.params["c"] == "a":
                value += trial.suggest_float("only_for_a", 0.0, 1.0)
            return value

        study = self._study(seed)
        study.optimize(objective, n_trials=self.n_trials)
        return [_typed(t.params) for t in study.trials]

    def test_same_seed_gives_same_trials(self) -> None:
        assert self._seeded_run(0) == self._seeded_run(0)
        assert self._seeded_run(12345) == self._seeded_run(12345)

    def test_different_seeds_give_different_trials(self) -> None:
        assert self._seeded_run(0) != self._seeded_run(1)

    def test_reseed_rng(self) -> None:
        for seed in (0, None):
            sampler = self.make_sampler(seed)
            sampler.reseed_rng()  # before any study
            study = hyperdial.create_study(sampler=sampler)
            study.optimize(_objective(_MIXED), n_trials=self.n_trials // 2)
            sampler.reseed_rng()
            study.optimize(_objective(_MIXED), n_trials=self.n_trials // 2)
            trials = study.trials
            assert len(trials) == 2 * (self.n_trials // 2)
            for t in trials:
                assert t.state == TrialState.COMPLETE
                _assert_params(t, _MIXED)

    # -- pickling and copying ----------------------------------------------------------------
    @pytest.mark.parametrize("how", ["pickle", "deepcopy"])
    def test_copied_study_continues_like_the_original(self, how: str) -> None:
        study = self._study(0)
        study.optimize(_objective(_MIXED), n_trials=self.n_trials // 2)
        twin = round_trip(study, how)
        assert twin.sampler is not study.sampler and twin._storage is not study._storage
        assert [_typed(t.params) for t in twin.trials] == [_typed(t.params) for t in study.trials]
        for s in (study, twin):
            s.optimize(_objective(_MIXED), n_trials=4)
        assert len(study.trials) == len(twin.trials) == self.n_trials // 2 + 4
        assert [_typed(t.params) for t in twin.trials] == [_typed(t.params) for t in study.trials]
        assert [t.values for t in twin.trials] == [t.values for t in study.trials]

    @pytest.mark.parametrize("how", ["pickle", "deepcopy"])
    def test_copied_sampler_proposes_what_the_original_does(self, how: str) -> None:
        original, copied = self.make_sampler(0), round_trip(self.make_sampler(0), how)
        runs = []
        for sampler in (original, copied):
            study = hyperdial.create_study(sampler=sampler)
            study.optimize(_objective(_MIXED), n_trials=self.n_trials // 2)
            runs.append([_typed(t.params) for t in study.trials])
        assert runs[0] == runs[1]
