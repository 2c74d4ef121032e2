"""Properties over the public API's argument space (hypothesis).

* Storage round trips: whatever a study records through the public API (live trials and
  ``add_trial``), every storage returns exactly that, and the in-memory and SQLite storages
  return the same thing.
* ``suggest_*``: any arguments either raise ``ValueError``/``TypeError`` naming the problem,
  or give a value of the distribution, of the right type.

The fast lane runs a modest number of examples; the slow lane (``-m slow``) many more.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import hyperdial  # noqa: E402
from hyperdial.distributions import (  # noqa: E402
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.samplers import RandomSampler  # noqa: E402
from hyperdial.trial import FrozenTrial, TrialState  # noqa: E402

_FAST = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
_SLOW = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def canon(x: Any) -> Any:
    """A comparable form that tells apart 1, 1.0 and True and equates NaN with NaN."""
    if isinstance(x, bool):
        return ("bool", x)
    if isinstance(x, int):
        return ("int", x)
    if isinstance(x, float):
        return ("float", "nan" if math.isnan(x) else x)
    if isinstance(x, dict):
        return ("dict", sorted((canon(k), canon(v)) for k, v in x.items()))
    if isinstance(x, (list, tuple)):
        return ("list", [canon(v) for v in x])
    if isinstance(x, BaseDistribution):
        return ("dist", type(x).__name__, canon(x._asdict()))
    return (type(x).__name__, x)


def record(t: FrozenTrial) -> Any:
    """What a storage must keep of a trial (its times come from the storage's clock)."""
    return canon(
        {
            "number": t.number,
            "state": int(t.state),
            "values": t.values,
            "params": t.params,
            "distributions": t.distributions,
            "user_attrs": t.user_attrs,
            "intermediate_values": t.intermediate_values,
        }
    )


# -- strategies ----------------------------------------------------------------------------------
# Text any database stores: no lone surrogates (category Cs), no NUL.
# Short names over JSON's special characters find keys hidden inside other keys.
names = st.text(alphabet='a"\\:, {}[]é', max_size=4) | st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | names
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(names, inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def dist_and_value(draw: st.DrawFn) -> tuple[BaseDistribution, Any]:
    kind = draw(st.sampled_from(["float", "float_step", "float_log", "int", "int_log", "cat"]))
    if kind == "cat":
        choices = draw(
            st.lists(
                st.none() | st.booleans() | st.integers(-5, 5) | st.floats(width=32) | names,
                min_size=1,
                max_size=4,
                unique_by=canon,
            )
        )
        dist: BaseDistribution = CategoricalDistribution(choices)
        return dist, draw(st.sampled_from(choices))
    if kind.startswith("int"):
        log = kind == "int_log"
        low = draw(st.integers(1 if log else -1000, 1000))
        high = draw(st.integers(low, low + 1000))
        value = draw(st.integers(low, high))
        return IntDistribution(low, high, log=log), value
    low = draw(st.floats(1e-6 if kind == "float_log" else -1e6, 1e6))
    high = draw(st.floats(low, max(low, 1e6)))
    if kind == "float_step":
        n = draw(st.integers(1, 100))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # high snapped onto the grid
            dist = FloatDistribution(low, low + n * 0.5, step=0.5)
        return dist, low + draw(st.integers(0, n)) * 0.5
    return FloatDistribution(low, high, log=kind == "float_log"), draw(st.floats(low, high))


@st.composite
def frozen_trials(draw: st.DrawFn) -> FrozenTrial:
    state = draw(st.sampled_from([TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL]))
    params: dict[str, Any] = {}
    dists: dict[str, BaseDistribution] = {}
    for i in range(draw(st.integers(0, 3))):
        dist, value = draw(dist_and_value())
        name = draw(names) + f"#{i}"  # distinct within the trial
        params[name], dists[name] = value, dist
    values = None
    if state == TrialState.COMPLETE or (state == TrialState.PRUNED and draw(st.booleans())):
        values = [draw(st.floats(allow_nan=False))]
    return FrozenTrial(
        state=state,
        values=values,
        params=params,
        distributions=dists,
        user_attrs=draw(st.dictionaries(names, json_values, max_size=3)),
        intermediate_values=draw(st.dictionaries(st.integers(0, 10**6), st.floats(), max_size=4)),
    )


# -- storage round trips -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    pytest.importorskip("sqlalchemy")
    return f"sqlite:///{tmp_path_factory.mktemp('props') / 'p.db'}"


def _studies(sqlite_url: str) -> list[hyperdial.Study]:
    return [
        hyperdial.create_study(storage=storage, sampler=RandomSampler(seed=0))
        for storage in (None, sqlite_url)
    ]


def _added_trials_round_trip(sqlite_url: str, trials: list[FrozenTrial]) -> None:
    for i, t in enumerate(trials):  # one name, one kind of distribution in a study
        t.params = {f"{i}:{k}": v for k, v in t.params.items()}
        t.distributions = {f"{i}:{k}": d for k, d in t.distributions.items()}
    got = []
    for study in _studies(sqlite_url):
        for t in trials:
            study.add_trial(t)
        got.append([record(t) for t in study.trials])
        for i, t in enumerate(study.trials):
            expected = FrozenTrial(
                number=i,
                state=trials[i].state,
                values=trials[i].values,
                params=trials[i].params,
                distributions=trials[i].distributions,
                user_attrs=hyperdial.trial._checks.json_copy(trials[i].user_attrs),
                intermediate_values=trials[i].intermediate_values,
            )
            assert record(t) == record(expected)
    assert got[0] == got[1]


@given(st.lists(frozen_trials(), max_size=3))
@_FAST
def test_added_trials_round_trip_identically(sqlite_url: str, trials: list[FrozenTrial]) -> None:
    _added_trials_round_trip(sqlite_url, trials)


@pytest.mark.slow
@given(st.lists(frozen_trials(), max_size=5))
@_SLOW
def test_added_trials_round_trip_identically_many(
    sqlite_url: str, trials: list[FrozenTrial]
) -> None:
    _added_trials_round_trip(sqlite_url, trials)


_live = given(
    params=st.lists(st.tuples(names, dist_and_value()), max_size=4, unique_by=lambda p: p[0]),
    reports=st.dictionaries(st.integers(0, 1000), st.floats(), max_size=3),
    attrs=st.dictionaries(names, json_values, max_size=3),
    value=st.floats(allow_nan=False),
)


@_live
@_FAST
def test_live_trials_round_trip_identically(sqlite_url: str, **kwargs: Any) -> None:
    _live_round_trip(sqlite_url, **kwargs)


@pytest.mark.slow
@_live
@_SLOW
def test_live_trials_round_trip_identically_many(sqlite_url: str, **kwargs: Any) -> None:
    _live_round_trip(sqlite_url, **kwargs)


def _live_round_trip(
    sqlite_url: str,
    params: list[tuple[str, tuple[BaseDistribution, Any]]],
    reports: dict[int, float],
    attrs: dict[str, Any],
    value: float,
) -> None:
    got = []
    for study in _studies(sqlite_url):
        trial = study.ask()
        for name, (dist, _value) in params:
            assert canon(trial._suggest(name, dist)) is not None
        for step, r in reports.items():
            trial.report(r, step)
        for k, a in attrs.items():
            trial.set_user_attr(k, a)
        study.tell(trial, value)
        (frozen,) = study.trials
        assert record(frozen) == record(study._storage.get_trial(frozen._trial_id))
        assert canon(frozen.intermediate_values) == canon(reports)
        assert canon(frozen.user_attrs) == canon(hyperdial.trial._checks.json_copy(attrs))
        assert canon(trial.user_attrs) == canon(frozen.user_attrs)
        got.append(
            canon(
                {
                    "names": sorted(frozen.params),
                    "distributions": frozen.distributions,
                    "iv": frozen.intermediate_values,
                    "attrs": frozen.user_attrs,
                    "values": frozen.values,
                }
            )
        )
    assert got[0] == got[1]


# -- suggest_* over its argument space -----------------------------------------------------------
_counter = itertools.count()
anything = (
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats()
    | st.text(max_size=3)
    | st.builds(np.float32, st.floats(width=32))
    | st.builds(np.int64, st.integers(-(2**40), 2**40))
    | st.builds(np.array, st.floats())
    | st.builds(lambda v: np.array([v]), st.floats())
)
numbers_ = st.integers(-1000, 1000) | st.floats(-1e3, 1e3) | anything


@pytest.fixture(scope="module")
def live_study() -> hyperdial.Study:
    return hyperdial.create_study(sampler=RandomSampler(seed=0))


def _suggest_float_property(
    study: hyperdial.Study, low: Any, high: Any, step: Any, log: Any
) -> None:
    trial = study.ask()
    name = f"x{next(_counter)}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # high snapped onto the grid
            v = trial.suggest_float(name, low, high, step=step, log=log)
    except (ValueError, TypeError) as e:
        refusal = str(e)
    else:
        refusal = None
    if refusal is not None:
        assert refusal  # a refusal says what is wrong
        return
    assert type(v) is float
    dist = trial.distributions[name]
    assert isinstance(dist, FloatDistribution)
    assert dist.low <= v <= dist.high
    assert dist._contains(v)
    assert float(low) == dist.low and dist.log == bool(log)


def _suggest_int_property(
    study: hyperdial.Study, low: Any, high: Any, step: Any, log: Any
) -> None:
    trial = study.ask()
    name = f"n{next(_counter)}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            v = trial.suggest_int(name, low, high, step=step, log=log)
    except (ValueError, TypeError) as e:
        refusal = str(e)
    else:
        refusal = None
    if refusal is not None:
        assert refusal  # a refusal says what is wrong
        return
    assert type(v) is int
    dist = trial.distributions[name]
    assert isinstance(dist, IntDistribution)
    assert dist.low <= v <= dist.high and (v - dist.low) % dist.step == 0


@given(
    low=numbers_,
    high=numbers_,
    step=st.none() | numbers_,
    log=st.booleans() | anything,
)
@_FAST
def test_suggest_float_either_refuses_or_suggests_a_value_of_its_distribution(
    live_study: hyperdial.Study, low: Any, high: Any, step: Any, log: Any
) -> None:
    _suggest_float_property(live_study, low, high, step, log)


@given(
    low=numbers_, high=numbers_, step=st.integers(-3, 50) | anything, log=st.booleans() | anything
)
@_FAST
def test_suggest_int_either_refuses_or_suggests_a_value_of_its_distribution(
    live_study: hyperdial.Study, low: Any, high: Any, step: Any, log: Any
) -> None:
    _suggest_int_property(live_study, low, high, step, log)


@given(
    choices=st.lists(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3),
        max_size=5,
    )
    | anything
)
@_FAST
def test_suggest_categorical_either_refuses_or_returns_one_of_the_choices(
    live_study: hyperdial.Study, choices: Any
) -> None:
    trial = live_study.ask()
    try:
        v = trial.suggest_categorical(f"c{next(_counter)}", choices)
    except (ValueError, TypeError) as e:
        refusal = str(e)
    else:
        refusal = None
    if refusal is not None:
        assert refusal  # a refusal says what is wrong
        return
    assert any(canon(v) == canon(c) for c in choices)


@pytest.mark.slow
@given(
    low=numbers_,
    high=numbers_,
    step=st.none() | numbers_,
    log=st.booleans() | anything,
    kind=st.sampled_from(["float", "int"]),
)
@_SLOW
def test_suggest_either_refuses_or_suggests_many(
    live_study: hyperdial.Study, low: Any, high: Any, step: Any, log: Any, kind: str
) -> None:
    if kind == "float":
        _suggest_float_property(live_study, low, high, step, log)
    else:
        _suggest_int_property(live_study, low, high, 1 if step is None else step, log)
