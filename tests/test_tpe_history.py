"""TPE's incremental history (samplers/_tpe/_history.py) against a rebuild from the records.

The history is updated from ``get_trials_changed_since`` one changed trial at a time and its
group matrices one changed row at a time; every column must equal what the stored trials
say, whatever order the trials start, gain parameters and finish in.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import hyperdial
from hyperdial import TrialState
from hyperdial.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    internal_to_unit,
)
from hyperdial.samplers import TPESampler
from hyperdial.samplers._tpe._history import History, same_distributions
from hyperdial.trial import FrozenTrial

# Every kind of column, including a plain float range that changes during the study.
_DISTS: dict[str, BaseDistribution] = {
    "f": FloatDistribution(-5.0, 5.0),
    "flog": FloatDistribution(1e-4, 1.0, log=True),
    "fstep": FloatDistribution(0.0, 1.0, step=0.25),
    "i": IntDistribution(-3, 7),
    "ilog": IntDistribution(1, 1000, log=True),
    "c": CategoricalDistribution(["a", 1, True, None]),
}
_WIDE = FloatDistribution(-10.0, 10.0)


def _suggest(trial: hyperdial.Trial, name: str, dist: BaseDistribution) -> Any:
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, log=dist.log, step=dist.step)
    assert isinstance(dist, CategoricalDistribution)
    return trial.suggest_categorical(name, list(dist.choices))


def _reference_cell(t: hyperdial.trial.FrozenTrial, name: str, dist: BaseDistribution) -> float:
    """What ``History.matrix`` must hold for trial ``t`` in the column of ``name``/``dist``."""
    if name not in t.params:
        return math.nan
    v = t.distributions[name].to_internal_repr(t.params[name])
    if isinstance(dist, CategoricalDistribution):
        return v if 0 <= v < len(dist.choices) else math.nan
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    if not dist.low <= v <= dist.high:
        return math.nan
    return min(max(internal_to_unit(dist, v), 0.0), 1.0)


def _check(study: hyperdial.Study, hist: History, query: dict[str, BaseDistribution]) -> None:
    trials = study.get_trials(deepcopy=False)
    assert hist.n == len(trials)
    names = tuple(query)
    mat = hist.matrix(names, tuple(query.values()))
    ref = np.array([[_reference_cell(t, n, query[n]) for n in names] for t in trials])
    # Rows updated one at a time use the scalar formulas exactly; a first build is vectorised
    # (the same formulas in another order of operations, hence the tolerance).
    np.testing.assert_allclose(mat, ref, rtol=1e-12, atol=1e-15)
    for t in trials:
        assert hist.state[t.number] == int(t.state)
        if t.values is not None:
            np.testing.assert_array_equal(hist.values[t.number], np.array(t.values) * hist.signs)
        for name in _DISTS:
            col = hist.params.get(name)
            got = math.nan if col is None else float(col[t.number])
            want = (
                t.distributions[name].to_internal_repr(t.params[name])
                if name in t.params
                else math.nan
            )
            assert got == want or (math.isnan(got) and math.isnan(want)), (t.number, name)
    finished = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert hist.n_finished() == len(finished)
    # The groups partition the names of finished trials, each trial's names a union of groups.
    seen = set().union(*(t.params for t in finished)) if finished else set()
    assert set().union(*hist.groups) == seen if hist.groups else not seen
    assert sum(len(g) for g in hist.groups) == len(seen)
    for t in finished:
        assert all(g <= set(t.params) or not (g & set(t.params)) for g in hist.groups)


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_incremental_history_matches_the_records(direction: str) -> None:
    sampler = TPESampler(seed=3, n_startup_trials=4)
    study = hyperdial.create_study(sampler=sampler, direction=direction)
    rng = np.random.default_rng(0)
    narrow = dict(_DISTS)
    wide = dict(_DISTS, f=_WIDE)
    running: list[hyperdial.Trial] = []
    for step in range(60):
        space = wide if step >= 30 else narrow  # the range of "f" grows half-way
        trial = study.ask()
        # A conditional space: each trial has a random subset of the parameters.
        for name, dist in space.items():
            if name == "f" or rng.random() < 0.7:
                _suggest(trial, name, dist)
        running.append(trial)
        if step % 5 == 0:  # a finished trial at the ends of every range (and outside "f")
            at_ends = {
                n: (d.low if step % 10 else d.high)
                if not isinstance(d, CategoricalDistribution)
                else d.choices[-1]
                for n, d in space.items()
            }
            if space is wide:
                at_ends["f"] = 7.5
            study.add_trial(
                FrozenTrial(
                    state=TrialState.COMPLETE, value=0.0, params=at_ends, distributions=space
                )
            )
        if rng.random() < 0.7 or step == 59:  # finish some trials late, out of order
            for t in rng.permutation(len(running)).tolist():
                kind = rng.choice(["complete", "complete", "pruned", "fail"])
                tr = running[t]
                if kind == "complete":
                    study.tell(tr, float(rng.normal()))
                elif kind == "pruned":
                    study.tell(tr, state=TrialState.PRUNED)
                else:
                    study.tell(tr, state=TrialState.FAIL)
            running = []
        hist = sampler._updated_history(study)
        # Query with the space in force and, every few steps, with the other one (a rebuild).
        _check(study, hist, space)
        if step % 7 == 0:
            _check(study, hist, narrow if space is wide else wide)


def test_same_distributions_compares_values_not_objects() -> None:
    a = (FloatDistribution(0, 1), CategoricalDistribution([1, "x"]))
    b = (FloatDistribution(0.0, 1.0), CategoricalDistribution([1, "x"]))
    assert same_distributions(a, a) and same_distributions(a, b)
    assert not same_distributions(
        a, (FloatDistribution(0, 1), CategoricalDistribution([True, "x"]))
    )
    assert not same_distributions(a, a[:1])
    assert not same_distributions(a, (IntDistribution(0, 1), a[1]))
