"""Pruners: each rule on constructed histories with known decisions."""

from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hyperdial
from hyperdial import TrialState
from hyperdial.pruners import (
    BasePruner,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PatientPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    WilcoxonPruner,
)
from hyperdial.pruners._wilcoxon import signed_rank_pvalue_greater
from hyperdial.storages import InMemoryStorage
from hyperdial.trial import FrozenTrial


def _study(direction: str = "minimize", pruner: BasePruner | None = None) -> hyperdial.Study:
    return hyperdial.create_study(
        direction=direction,
        pruner=pruner,
        sampler=hyperdial.samplers.RandomSampler(seed=0),
    )


def _add(
    study: hyperdial.Study,
    curve: dict[int, float],
    state: TrialState = TrialState.COMPLETE,
) -> None:
    value = curve[max(curve)] if state == TrialState.COMPLETE and curve else None
    study.add_trial(FrozenTrial(state=state, value=value, intermediate_values=curve))


def _decide(study: hyperdial.Study, pruner: BasePruner, curve: dict[int, float]) -> bool:
    """Reports `curve` in a new trial and asks `pruner` at its last report."""
    trial = study.ask()
    for step, v in curve.items():
        trial.report(v, step)
    decision = pruner.prune(study, study._storage.get_trial(trial._trial_id))
    study.tell(trial, state=TrialState.FAIL)  # leave nothing RUNNING; FAIL never counts
    return decision


# -- Percentile / Median --------------------------------------------------------------------------
def _five(study: hyperdial.Study) -> None:
    for v in (1.0, 2.0, 3.0, 4.0, 5.0):
        _add(study, {0: v + 10, 1: v})


@pytest.mark.parametrize(("value", "pruned"), [(3.5, True), (3.0, False), (2.5, False)])
def test_median_against_the_median_of_best_so_far(value: float, pruned: bool) -> None:
    study = _study()
    _five(study)
    assert _decide(study, MedianPruner(n_startup_trials=5), {0: 20.0, 1: value}) is pruned


@pytest.mark.parametrize(("value", "pruned"), [(2.5, True), (3.0, False), (3.5, False)])
def test_median_maximize_flips_the_comparison(value: float, pruned: bool) -> None:
    study = _study("maximize")
    for v in (1.0, 2.0, 3.0, 4.0, 5.0):
        _add(study, {0: v - 10, 1: v})
    assert _decide(study, MedianPruner(n_startup_trials=0), {0: -20.0, 1: value}) is pruned


def test_percentile_uses_the_given_percentile() -> None:
    study = _study()
    _five(study)
    pruner = PercentilePruner(25.0, n_startup_trials=0)  # threshold = 2.0
    assert _decide(study, pruner, {1: 2.5}) is True
    assert _decide(study, pruner, {1: 2.0}) is False


def test_the_trials_best_so_far_counts_not_its_last_value() -> None:
    study = _study()
    _five(study)
    # last value 9 is bad, but 1.5 at step 0 is the best so far and beats the median 3
    assert _decide(study, MedianPruner(n_startup_trials=0), {0: 1.5, 1: 9.0}) is False


def test_no_pruning_before_enough_complete_trials() -> None:
    study = _study()
    _five(study)
    assert _decide(study, MedianPruner(n_startup_trials=6), {1: 100.0}) is False
    assert _decide(study, MedianPruner(n_startup_trials=5), {1: 100.0}) is True


@pytest.mark.parametrize(
    ("warmup", "interval", "step", "checked"),
    [(2, 1, 1, False), (2, 1, 2, True), (0, 3, 2, False), (0, 3, 3, True), (1, 2, 3, True)],
)
def test_warmup_and_interval(warmup: int, interval: int, step: int, checked: bool) -> None:
    study = _study()
    for v in (1.0, 2.0, 3.0):
        _add(study, dict.fromkeys(range(6), v))
    pruner = MedianPruner(n_startup_trials=0, n_warmup_steps=warmup, interval_steps=interval)
    assert _decide(study, pruner, {step: 100.0}) is checked


def test_n_min_trials_needs_enough_reports_at_the_step() -> None:
    study = _study()
    _add(study, {0: 1.0})
    _add(study, {5: 1.0})  # reported only later: does not count at step 0
    assert _decide(study, MedianPruner(n_startup_trials=0, n_min_trials=2), {0: 9.0}) is False
    assert _decide(study, MedianPruner(n_startup_trials=0, n_min_trials=1), {0: 9.0}) is True


def test_nan_values() -> None:
    study = _study()
    _five(study)
    # a COMPLETE trial's NaN is ignored: the median of the others stays 3
    study.add_trial(
        FrozenTrial(state=TrialState.COMPLETE, value=3.0, intermediate_values={1: math.nan})
    )
    pruner = MedianPruner(n_startup_trials=0)
    assert _decide(study, pruner, {1: 2.9}) is False
    assert _decide(study, pruner, {1: math.nan}) is True  # nothing but NaN so far


def test_failed_trials_do_not_count_and_other_workers_complete_trials_do() -> None:
    storage = InMemoryStorage()
    worker_a = hyperdial.create_study(storage=storage, study_name="s")
    worker_b = hyperdial.load_study(study_name="s", storage=storage)
    _add(worker_a, {0: 10.0}, TrialState.FAIL)
    pruner = MedianPruner(n_startup_trials=0)
    assert _decide(worker_b, pruner, {0: 50.0}) is False  # nobody to compare with
    running = worker_a.ask()
    running.report(1.0, 0)  # another worker's running trial: does not count yet
    assert _decide(worker_b, pruner, {0: 50.0}) is False
    worker_a.tell(running, 1.0)  # counts once COMPLETE, seen through the shared storage
    assert _decide(worker_b, pruner, {0: 50.0}) is True


def test_trials_pruned_before_the_step_do_not_count_there() -> None:
    """The comparison rule on an improving-curve history: with five trials pruned at step 1
    with poor early values counted, the median of best-so-far values at step 10 would be 9;
    only the COMPLETE trials count, and their median is 3."""
    study = _study()
    for v in (1.0, 3.0, 5.0):
        _add(study, {1: 20.0, 10: v})
    for _ in range(5):
        _add(study, {1: 9.0}, TrialState.PRUNED)
    pruner = MedianPruner(n_startup_trials=0)
    assert _decide(study, pruner, {1: 30.0, 10: 4.0}) is True  # worse than 3
    assert _decide(study, pruner, {1: 30.0, 10: 2.0}) is False
    # at step 1 the pruned trials reported, but do not count either: the median is 20
    assert _decide(study, pruner, {1: 10.0}) is False


def test_pruned_and_running_trials_do_not_count_even_at_steps_they_reached() -> None:
    """A trial pruned at step 6 and another worker's running trial at step 8 do not count at
    step 5; COMPLETE trials count at the steps they reached, with their best so far."""
    storage = InMemoryStorage()
    study = hyperdial.create_study(storage=storage, study_name="s")
    other = hyperdial.load_study(study_name="s", storage=storage)
    _add(study, {0: 5.0, 5: 4.0, 9: 4.5})
    _add(study, {0: 6.0, 5: 2.0, 6: 1.0})  # COMPLETE after step 6
    _add(study, {0: 6.0, 5: 1.0, 6: 1.0}, TrialState.PRUNED)
    running = other.ask()
    for s, v in ((0, 7.0), (5, 0.5), (8, 0.5)):
        running.report(v, s)
    pruner = MedianPruner(n_startup_trials=0)
    # step 5: the COMPLETE trials' 4 and 2 -> median 3 (with the others it would be 1.5)
    assert _decide(study, pruner, {5: 3.5}) is True
    assert _decide(study, pruner, {5: 2.5}) is False
    # step 9: only the first trial reached it; its best so far is 4
    assert _decide(study, pruner, {9: 4.2}) is True
    assert _decide(study, pruner, {9: 3.9}) is False
    other.tell(running, 0.5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"percentile": -1.0}, "percentile"),
        ({"percentile": 101.0}, "percentile"),
        ({"percentile": math.nan}, "percentile"),
        ({"percentile": 50.0, "n_startup_trials": -1}, "n_startup_trials"),
        ({"percentile": 50.0, "n_warmup_steps": -1}, "n_warmup_steps"),
        ({"percentile": 50.0, "interval_steps": 0}, "interval_steps"),
        ({"percentile": 50.0, "n_min_trials": 0}, "n_min_trials"),
        ({"percentile": 50.0, "interval_steps": 1.5}, "interval_steps"),
    ],
)
def test_percentile_validation(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        PercentilePruner(**kwargs)


def test_multi_objective_is_rejected() -> None:
    study = hyperdial.create_study(directions=["minimize", "minimize"])
    with pytest.raises(NotImplementedError):
        MedianPruner().prune(study, FrozenTrial(intermediate_values={0: 1.0}))


# -- Successive halving ---------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "pruned"), [(2.5, True), (2.0, False), (1.5, False)])
def test_asha_keeps_the_best_fraction_at_a_rung(value: float, pruned: bool) -> None:
    study = _study()
    for v in (1.0, 2.0, 3.0):
        _add(study, {1: v})
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    # rung at step 1 holds [1, 2, 3, value]: the best 4 // 2 = 2 go on
    assert _decide(study, pruner, {0: 0.0, 1: value}) is pruned


def test_asha_judges_each_rung_once_at_the_report_that_reaches_it() -> None:
    study = _study()
    for v in (1.0, 2.0, 3.0):
        _add(study, {1: v, 2: v, 3: v})
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    assert _decide(study, pruner, {1: 1.0, 2: 9.0}) is True  # rung at 2: [1, 2, 3, 9]
    assert _decide(study, pruner, {1: 1.0, 2: 1.0, 3: 9.0}) is False  # 3 is not a rung
    # skipping from step 0 to step 4 crosses the rungs 1, 2 and 4 at once, judged on 4's value
    assert _decide(study, pruner, {0: 0.0, 4: 9.0}) is True


def test_asha_with_fewer_trials_than_the_reduction_factor_keeps_only_the_best() -> None:
    study = _study()
    _add(study, {1: 2.0})
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=4)
    assert _decide(study, pruner, {1: 1.0}) is False
    assert _decide(study, pruner, {1: 3.0}) is True


def test_asha_bootstrap_count() -> None:
    study = _study()
    _add(study, {1: 1.0})
    assert _decide(study, SuccessiveHalvingPruner(1, 2, bootstrap_count=3), {1: 9.0}) is False
    assert _decide(study, SuccessiveHalvingPruner(1, 2, bootstrap_count=2), {1: 9.0}) is True


def test_asha_min_early_stopping_rate_moves_the_first_rung() -> None:
    study = _study()
    _add(study, {1: 1.0, 2: 1.0})
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2, min_early_stopping_rate=1)
    assert _decide(study, pruner, {1: 9.0}) is False  # first rung is at 2
    assert _decide(study, pruner, {1: 1.0, 2: 9.0}) is True


def test_asha_auto_min_resource_waits_for_a_complete_trial() -> None:
    study = _study()
    _add(study, {1: 1.0, 4: 1.0}, TrialState.PRUNED)
    pruner = SuccessiveHalvingPruner(reduction_factor=2)
    assert _decide(study, pruner, {1: 9.0}) is False  # no complete trial yet
    _add(study, dict.fromkeys(range(0, 401, 4), 1.0))  # 400 steps: min_resource = 4
    assert _decide(study, pruner, {1: 9.0}) is False  # step 1 is below the first rung
    assert _decide(study, pruner, {1: 1.0, 4: 9.0}) is True


def test_asha_nan_at_a_rung_is_the_worst() -> None:
    study = _study()
    _add(study, {1: math.nan}, TrialState.PRUNED)
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    assert _decide(study, pruner, {1: 1e300}) is False  # NaN loses to anything
    assert _decide(study, pruner, {1: math.nan}) is True


def test_asha_does_not_judge_at_or_beyond_max_resource() -> None:
    """ASHA's top rung is R (Li et al. 2020, Algorithm 2): a trial that got there has had its
    full training; without max_resource the same trial is stopped after its last step."""
    study = _study()
    for v in (1.0, 2.0, 3.0):
        _add(study, {1: v, 3: v, 9: v})
    full = {1: 1.0, 3: 1.0, 9: 5.0}  # the best at rungs 1 and 3, the worst at 9
    assert _decide(study, SuccessiveHalvingPruner(1, 3), full) is True
    assert _decide(study, SuccessiveHalvingPruner(1, 3, max_resource=9), full) is False
    assert _decide(study, SuccessiveHalvingPruner(1, 3, max_resource=8), full) is False
    # rungs below max_resource are judged as before
    assert _decide(study, SuccessiveHalvingPruner(1, 3, max_resource=9), {1: 1.0, 3: 5.0}) is True
    assert SuccessiveHalvingPruner(1, 3, max_resource=9)._rungs(100) == [1, 3, 9]
    assert SuccessiveHalvingPruner(1, 3)._rungs(100) == [1, 3, 9, 27, 81]


def test_asha_auto_max_resource_is_the_first_complete_trials_length() -> None:
    study = _study()
    for v in (1.0, 2.0, 3.0):
        _add(study, {1: v, 3: v, 9: v}, TrialState.PRUNED)
    pruner = SuccessiveHalvingPruner(1, 3, max_resource="auto")
    assert pruner.max_resource is None
    assert _decide(study, pruner, {1: 9.0}) is False  # the full length is not known yet
    _add(study, dict.fromkeys(range(10), 1.0))  # last step 9
    assert _decide(study, pruner, {1: 9.0}) is True
    assert pruner.max_resource == 9
    assert _decide(study, pruner, {1: 1.0, 3: 1.0, 9: 9.0}) is False  # 9 is the top rung


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_resource": 0}, "max_resource"),
        ({"max_resource": "soon"}, "max_resource"),
        ({"max_resource": 2.5}, "max_resource"),
        ({"min_resource": 10, "max_resource": 5}, "max_resource"),
    ],
)
def test_asha_max_resource_validation(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        SuccessiveHalvingPruner(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_resource": 0}, "min_resource"),
        ({"min_resource": "soon"}, "min_resource"),
        ({"reduction_factor": 1}, "reduction_factor"),
        ({"min_early_stopping_rate": -1}, "min_early_stopping_rate"),
        ({"bootstrap_count": -1}, "bootstrap_count"),
    ],
)
def test_asha_validation(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        SuccessiveHalvingPruner(**kwargs)


# -- Hyperband ------------------------------------------------------------------------------------
def test_hyperband_brackets_and_their_shares() -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=81, reduction_factor=3)
    assert pruner.n_brackets == 5
    # Li et al. (2018), Table 1 (R = 81, eta = 3): n = 81, 34, 15, 8, 5 for s = 4 .. 0
    assert pruner.bracket_sizes() == [81, 34, 15, 8, 5]
    cycle = [pruner.bracket_of(n) for n in range(143)]
    assert [pruner.bracket_of(n) for n in range(143, 286)] == cycle  # the cycle repeats
    counts = Counter(pruner.bracket_of(n) for n in range(143 * 7))
    assert [counts[b] for b in range(5)] == [7 * n for n in (81, 34, 15, 8, 5)]
    # interleaved, not in blocks: every prefix of the cycle holds each bracket's share to
    # within one trial (in blocks, the first 81 trials would all be bracket 0's)
    sizes = [81, 34, 15, 8, 5]
    for m in range(1, 144):
        for b, n in enumerate(sizes):
            assert abs(cycle[:m].count(b) - m * n / 143) < 1, (m, b)
    assert cycle[0] == 0  # the most exploratory bracket first, as in Algorithm 1
    # so each bracket has had a trial by 143 / n_b trials (in blocks: bracket 4 from trial 138)
    assert [cycle.index(b) < 143 / n for b, n in enumerate(sizes)] == [True] * 5
    small = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    assert small.bracket_sizes() == [27, 12, 6, 4]
    assert [small.bracket_of(n) for n in range(10)] == [0, 1, 0, 2, 0, 3, 0, 1, 0, 0]


@pytest.mark.parametrize(("eta", "n_brackets", "bound"), [(3, 7, 1.0), (2, 12, 1.4), (7, 7, 1.4)])
def test_hyperband_cycle_shares_on_every_prefix(eta: int, n_brackets: int, bound: float) -> None:
    # the bounds the docstring states: within one trial for eta = 3 up to 7 brackets, within
    # 1.4 for larger ones (the greedy interleave is not within one in general: 1.38 at eta = 7)
    pruner = HyperbandPruner(
        min_resource=1, max_resource=eta ** (n_brackets - 1), reduction_factor=eta
    )
    sizes = pruner.bracket_sizes()
    assert sizes is not None and len(sizes) == n_brackets
    total = sum(sizes)
    counts = [0] * n_brackets
    worst = 0.0
    for m in range(1, total + 1):
        counts[pruner.bracket_of(m - 1)] += 1
        worst = max(worst, max(abs(c - m * n / total) for c, n in zip(counts, sizes, strict=True)))
    assert counts == sizes
    assert worst < bound


def test_hyperband_never_prunes_at_max_resource() -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    study = _study()
    assert pruner.bracket_sizes() == [9, 5, 3]
    for _ in range(10):  # trials 0 .. 9 (five of them in bracket 0), all better than mine
        _add(study, {1: 0.0, 3: 0.0, 9: 0.0}, TrialState.PRUNED)
    assert pruner.bracket_of(10) == 0
    assert [pruner.bracket_of(n) for n in range(10)].count(0) == 5
    # rung 9 is max_resource: no judgment there; rung 3 (judged at its own report) would
    trial = study.ask()
    for s, v in {1: 0.0, 3: 0.0, 9: 5.0}.items():
        trial.report(v, s)
    assert pruner.prune(study, study._storage.get_trial(trial._trial_id)) is False
    # ASHA with the same rungs and no max_resource stops it at rung 9
    asha = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    assert asha.prune(study, study._storage.get_trial(trial._trial_id)) is True


def test_hyperband_isolates_brackets_with_a_constructed_history() -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    study = _study()
    # one cycle of 17 trials: 9 in bracket 0, 5 in bracket 1, 3 in bracket 2, interleaved
    cycle = [0, 1, 0, 2, 0, 1, 0, 2, 0, 1, 0, 1, 0, 2, 0, 1, 0]
    assert [pruner.bracket_of(n) for n in range(18)] == [*cycle, 0]
    for n in range(17):
        _add(study, {1: 9.0 if cycle[n] == 0 else 0.0}, TrialState.PRUNED)
    # trial 17 is the best of bracket 0 at rung 1; the eight better trials are elsewhere
    assert _decide(study, pruner, {1: 5.0}) is False
    assert _decide(study, SuccessiveHalvingPruner(1, 3), {1: 5.0}) is True


def test_hyperband_auto_max_resource() -> None:
    pruner = HyperbandPruner(min_resource=1, reduction_factor=3)
    assert pruner.n_brackets is None and pruner.bracket_of(0) is None
    study = _study()
    assert _decide(study, pruner, {1: 1.0}) is False
    _add(study, dict.fromkeys(range(28), 1.0))  # last step 27 -> 4 brackets
    _decide(study, pruner, {1: 1.0})
    assert pruner.n_brackets == 4


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_resource": 0}, "min_resource"),
        ({"min_resource": "auto"}, "min_resource"),
        ({"max_resource": 0}, "max_resource"),
        ({"min_resource": 10, "max_resource": 5}, "max_resource"),
        ({"reduction_factor": 1}, "reduction_factor"),
    ],
)
def test_hyperband_validation(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        HyperbandPruner(**kwargs)


# -- Threshold ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "pruned"), [(-0.5, True), (0.0, False), (5.0, False), (10.0, False), (10.5, True)]
)
def test_threshold(value: float, pruned: bool) -> None:
    assert _decide(_study(), ThresholdPruner(lower=0.0, upper=10.0), {0: value}) is pruned


def test_threshold_nan_warmup_interval() -> None:
    study = _study()
    assert _decide(study, ThresholdPruner(upper=1.0), {0: math.nan}) is True
    assert _decide(study, ThresholdPruner(upper=1.0, n_warmup_steps=3), {2: 9.0}) is False
    assert _decide(study, ThresholdPruner(upper=1.0, interval_steps=2), {3: 9.0}) is False
    assert _decide(study, ThresholdPruner(upper=1.0, interval_steps=2), {4: 9.0}) is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "Give `lower`, `upper` or both"),
        ({"lower": 2.0, "upper": 1.0}, "`lower` <= `upper` is required"),
        ({"lower": math.nan}, "`lower` must be None or a number"),
        ({"upper": "1"}, "`upper` must be None or a number"),
    ],
)
def test_threshold_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ThresholdPruner(**kwargs)


# -- Patient --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "min_delta", "pruned"),
    [
        ([5.0, 4.0, 3.0, 3.5, 3.2], 0.0, True),  # no new best in the last 2
        ([5.0, 4.0, 3.0, 2.9, 3.5], 0.0, False),  # 2.9 improved
        ([5.0, 4.0, 3.0, 2.9, 3.5], 0.2, True),  # ... but by less than min_delta
        ([5.0, 4.0], 0.0, False),  # not enough reports yet
        ([5.0, 4.0, math.nan, math.nan], 0.0, True),  # NaN is no improvement
    ],
)
def test_patient_alone(values: list[float], min_delta: float, pruned: bool) -> None:
    curve = dict(enumerate(values))
    assert _decide(_study(), PatientPruner(None, patience=2, min_delta=min_delta), curve) is pruned


def test_patient_defers_to_the_wrapped_pruner_once_stale() -> None:
    curve = {0: 5.0, 1: 6.0, 2: 7.0}
    assert _decide(_study(), PatientPruner(NopPruner(), patience=1), curve) is False
    assert _decide(_study(), PatientPruner(ThresholdPruner(upper=6.5), patience=1), curve) is True
    # not stale: the wrapped pruner is not asked
    improving = {0: 7.0, 1: 6.0, 2: 5.0}
    assert (
        _decide(_study(), PatientPruner(ThresholdPruner(upper=1), patience=1), improving) is False
    )


def test_patient_maximize() -> None:
    study = _study("maximize")
    assert _decide(study, PatientPruner(None, patience=1), {0: 1.0, 1: 2.0}) is False
    assert _decide(study, PatientPruner(None, patience=1), {0: 2.0, 1: 1.0}) is True


def test_patient_validation() -> None:
    with pytest.raises(ValueError, match="patience"):
        PatientPruner(None, patience=-1)
    with pytest.raises(ValueError, match="min_delta"):
        PatientPruner(None, patience=1, min_delta=-0.1)
    with pytest.raises(TypeError, match="wrapped_pruner"):
        PatientPruner(object(), patience=1)  # type: ignore[arg-type]


# -- Wilcoxon -------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=70))
def test_signed_rank_pvalue_matches_scipy_without_ties(d: list[float]) -> None:
    stats = pytest.importorskip("scipy.stats")
    arr = np.array(d)
    arr = arr[arr != 0]
    if len(arr) == 0 or len(np.unique(np.abs(arr))) < len(arr):
        assert len(arr) > 0 or signed_rank_pvalue_greater(np.array(d)) == 1.0
        return
    expected = stats.wilcoxon(arr, alternative="greater", zero_method="wilcox").pvalue
    assert signed_rank_pvalue_greater(arr) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-3, 3).map(float), min_size=1, max_size=11))
def test_signed_rank_pvalue_with_ties_is_the_exact_permutation_probability(d: list[float]) -> None:
    import itertools

    arr = np.array(d)
    nz = arr[arr != 0]
    if len(nz) == 0:
        assert signed_rank_pvalue_greater(arr) == 1.0
        return
    absd = np.abs(nz)
    ranks = np.array([np.mean(np.where(np.sort(absd) == a)[0] + 1) for a in absd])
    observed = ranks[nz > 0].sum()
    sums = [
        sum(r for r, s in zip(ranks, signs, strict=False) if s)
        for signs in itertools.product([0, 1], repeat=len(nz))
    ]
    brute = np.mean([s >= observed - 1e-9 for s in sums])
    assert signed_rank_pvalue_greater(arr) == pytest.approx(brute, abs=1e-12)


def test_signed_rank_pvalue_normal_approximation_beyond_50() -> None:
    stats = pytest.importorskip("scipy.stats")
    arr = np.round(np.random.default_rng(1).normal(0.2, 1.0, 80), 1)  # ties, n > 50
    expected = stats.wilcoxon(arr, alternative="greater", method="approx").pvalue
    assert signed_rank_pvalue_greater(arr) == pytest.approx(expected, rel=1e-9)


def _wilcoxon_study() -> hyperdial.Study:
    study = _study()
    _add(study, {i: 1.0 + 0.01 * i for i in range(10)})  # the best trial, per instance
    return study


def test_wilcoxon_prunes_a_trial_worse_on_every_instance() -> None:
    pruner = WilcoxonPruner(p_threshold=0.1)
    worse = {i: 1.5 + 0.02 * i for i in range(4)}  # p = 1/16 after 4 instances
    assert _decide(_wilcoxon_study(), pruner, worse) is True
    assert _decide(_wilcoxon_study(), pruner, dict(list(worse.items())[:3])) is False  # p = 1/8


def test_wilcoxon_keeps_better_and_mixed_trials() -> None:
    pruner = WilcoxonPruner(p_threshold=0.1)
    better = dict.fromkeys(range(10), 0.5)
    mixed = {i: 1.0 + 0.01 * i + (0.1 if i % 2 else -0.2) for i in range(10)}
    assert _decide(_wilcoxon_study(), pruner, better) is False
    assert _decide(_wilcoxon_study(), pruner, mixed) is False


def test_wilcoxon_startup_nan_and_no_best() -> None:
    assert _decide(_study(), WilcoxonPruner(), {0: 9.0, 1: 9.0}) is False  # no best trial
    pruner = WilcoxonPruner(p_threshold=0.1, n_startup_steps=5)
    assert _decide(_wilcoxon_study(), pruner, dict.fromkeys(range(4), 9.0)) is False
    nan_curve = dict.fromkeys(range(5), math.nan)
    assert _decide(_wilcoxon_study(), pruner, nan_curve) is True  # NaN is the worst outcome


@pytest.mark.parametrize("p", [0.0, 1.0, -0.1, math.nan])
def test_wilcoxon_validation(p: float) -> None:
    with pytest.raises(ValueError, match="p_threshold"):
        WilcoxonPruner(p_threshold=p)


# -- through optimize -----------------------------------------------------------------------------
def _curve_objective(trial: hyperdial.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    value = 0.0
    for step in range(20):
        value = (x - 0.3) ** 2 + max(0.0, 0.5 - 0.05 * step)  # improves, then plateaus
        trial.report(value, step)
        if trial.should_prune():
            raise hyperdial.TrialPruned()
    return value


@pytest.mark.parametrize(
    "pruner",
    [
        MedianPruner(n_startup_trials=3),
        SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
        HyperbandPruner(min_resource=1, max_resource=20, reduction_factor=3),
        PatientPruner(MedianPruner(n_startup_trials=3), patience=2),
        ThresholdPruner(upper=0.5, n_warmup_steps=5),
    ],
    ids=lambda p: type(p).__name__,
)
@pytest.mark.parametrize("n_jobs", [1, 4])
def test_pruners_in_optimize(pruner: BasePruner, n_jobs: int) -> None:
    study = _study(pruner=pruner)
    study.optimize(_curve_objective, n_trials=40, n_jobs=n_jobs)
    states = Counter(t.state for t in study.trials)
    assert states[TrialState.RUNNING] == 0 and states[TrialState.FAIL] == 0
    assert states[TrialState.PRUNED] > 0 and states[TrialState.COMPLETE] > 0
    for t in study.trials:
        if t.state == TrialState.PRUNED:  # the value is the last reported one
            assert t.value == t.intermediate_values[max(t.intermediate_values)]


# -- every pruner against a straightforward reference, on random histories ------------------------
# Each reference below restates the documented rule on plain dicts, written independently of the
# pruners' code; hypothesis draws histories (other trials in every state, NaN and ±inf values,
# ties, gaps between steps) and both must take the same decision at the new trial's last report.
_POOL = [0.0, 1.0, 1.0, 2.0, 2.5, 3.0, -1.0, math.nan, math.inf]
_STATES = [TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.FAIL]


@st.composite
def _curves(
    draw: Any, max_step: int = 12, min_size: int = 1, max_size: int = 6
) -> dict[int, float]:
    steps = draw(st.sets(st.integers(0, max_step), min_size=min_size, max_size=max_size))
    return {s: draw(st.sampled_from(_POOL)) for s in sorted(steps)}


@st.composite
def _histories(draw: Any) -> dict[str, Any]:
    others = draw(
        st.lists(
            st.tuples(st.sampled_from(_STATES), _curves(), st.sampled_from(_POOL[:7])),
            max_size=8,
        )
    )
    return {
        "direction": draw(st.sampled_from(["minimize", "maximize"])),
        "others": others,  # (state, curve, final value of a COMPLETE trial)
        "mine": draw(_curves()),
    }


def _build(h: dict[str, Any], pruner: BasePruner) -> tuple[hyperdial.Study, FrozenTrial]:
    """The history as a study; the new trial reports ``h["mine"]`` and is returned last."""
    study = _study(h["direction"], pruner)
    running = []
    for state, curve, final in h["others"]:
        if state == TrialState.RUNNING:
            t = study.ask()
            for s, v in curve.items():
                t.report(v, s)
            running.append(t)
        else:
            value = final if state == TrialState.COMPLETE else None
            study.add_trial(FrozenTrial(state=state, value=value, intermediate_values=curve))
    mine = study.ask()
    for s, v in h["mine"].items():
        mine.report(v, s)
    return study, study._storage.get_trial(mine._trial_id)


def _sign(h: dict[str, Any]) -> float:
    return 1.0 if h["direction"] == "minimize" else -1.0


def _counted(h: dict[str, Any]) -> list[tuple[TrialState, dict[int, float], float]]:
    return [o for o in h["others"] if o[0] != TrialState.FAIL]


def _ref_percentile_value(xs: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks (NumPy's default percentile)."""
    xs = sorted(xs)
    pos = q / 100.0 * (len(xs) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(xs) - 1)
    a, b, t = xs[lo], xs[hi], pos - lo
    if t == 0 or a == b:  # also inf == inf
        return a
    if a == -math.inf:  # the limit of a + (b - a) t next to an infinity; -inf .. inf: NaN
        return math.nan if b == math.inf else a
    if b == math.inf:
        return b
    return a + (b - a) * t


def _ref_percentile(
    h: dict[str, Any], q: float, startup: int, warmup: int, interval: int, n_min: int
) -> bool:
    step = max(h["mine"])
    if step < warmup or (step - warmup) % interval:
        return False
    if sum(o[0] == TrialState.COMPLETE for o in h["others"]) < startup:
        return False
    sign = _sign(h)

    def best(curve: dict[int, float]) -> float | None:
        vals = [sign * v for s, v in curve.items() if s <= step and v == v]
        return min(vals) if vals else None

    mine = best(h["mine"])
    if mine is None:
        return True
    # COMPLETE trials that reached the step (reported at it or later)
    others = [
        b
        for state, c, _ in h["others"]
        if state == TrialState.COMPLETE and max(c) >= step and (b := best(c)) is not None
    ]
    if len(others) < n_min:
        return False
    return mine > _ref_percentile_value(others, q)


@settings(max_examples=80, deadline=None)
@given(
    _histories(),
    st.sampled_from([0.0, 25.0, 50.0, 80.0, 100.0]),
    st.integers(0, 3),
    st.integers(0, 4),
    st.integers(1, 3),
    st.integers(1, 3),
)
def test_percentile_matches_the_reference(
    h: dict[str, Any], q: float, startup: int, warmup: int, interval: int, n_min: int
) -> None:
    pruner = PercentilePruner(q, startup, warmup, interval, n_min_trials=n_min)
    study, mine = _build(h, pruner)
    assert pruner.prune(study, mine) is _ref_percentile(h, q, startup, warmup, interval, n_min)


def _ref_rung_value(curve: dict[int, float], rung: int, sign: float) -> float | None:
    later = [s for s in curve if s >= rung]
    if not later:
        return None
    v = sign * curve[min(later)]
    return math.inf if v != v else v


def _ref_asha(
    h: dict[str, Any],
    others: list[dict[int, float]],
    min_r: int,
    eta: int,
    rate: int,
    bootstrap: int,
    max_r: int | None = None,
) -> bool:
    sign = _sign(h)
    steps = sorted(h["mine"])
    step = steps[-1]
    previous = steps[-2] if len(steps) > 1 else -1
    k = 0
    while (rung := min_r * eta ** (rate + k)) <= step and (max_r is None or rung < max_r):
        k += 1
        if rung <= previous:
            continue  # that rung was judged at an earlier report
        mine = _ref_rung_value(h["mine"], rung, sign)
        assert mine is not None
        values = [mine] + [v for c in others if (v := _ref_rung_value(c, rung, sign)) is not None]
        if len(values) < bootstrap:
            continue
        if mine == math.inf:  # NaN or +inf loss: the worst, never promoted
            return True
        n_keep = max(1, len(values) // eta)
        if sum(v < mine for v in values) >= n_keep:
            return True
    return False


@settings(max_examples=160, deadline=None)
@given(
    _histories(),
    st.integers(1, 3),
    st.integers(2, 4),
    st.integers(0, 2),
    st.integers(0, 4),
    st.sampled_from([None, 3, 4, 9]),
)
def test_successive_halving_matches_the_reference(
    h: dict[str, Any], min_r: int, eta: int, rate: int, bootstrap: int, max_r: int | None
) -> None:
    pruner = SuccessiveHalvingPruner(min_r, eta, rate, bootstrap, max_resource=max_r)
    study, mine = _build(h, pruner)
    others = [c for _, c, _ in _counted(h)]
    expected = _ref_asha(h, others, min_r, eta, rate, bootstrap, max_r=max_r)
    assert pruner.prune(study, mine) is expected


def _ref_hyperband_sizes(min_r: int, max_r: int, eta: int) -> list[int]:
    """Li et al. (2018), Algorithm 1: s_max = floor(log_eta(R / r)) and, for s = s_max .. 0,
    n = ceil((s_max + 1) / (s + 1) * eta**s) trials."""
    s_max = max(k for k in range(20) if min_r * eta**k <= max_r)
    return [math.ceil((s_max + 1) * eta**s / (s + 1)) for s in range(s_max, -1, -1)]


def _ref_bracket(number: int, sizes: list[int]) -> int:
    """Cycles of ``sum(sizes)`` trial numbers; in each, trial ``i = 1, 2, …`` goes to the
    bracket whose count is furthest below its share ``i * sizes[b] / sum(sizes)`` (exact
    fractions), ties to the smaller ``b``."""
    total = sum(sizes)
    counts = [0] * len(sizes)
    order = []
    for i in range(1, total + 1):
        behind = [Fraction(i * n, total) - counts[b] for b, n in enumerate(sizes)]
        b = behind.index(max(behind))  # the first of the largest: the smaller b on ties
        counts[b] += 1
        order.append(b)
    return order[number % total]


@settings(max_examples=100, deadline=None)
@given(_histories(), st.integers(1, 2), st.integers(2, 3), st.sampled_from([9, 12]))
def test_hyperband_matches_the_reference(
    h: dict[str, Any], min_r: int, eta: int, max_r: int
) -> None:
    pruner = HyperbandPruner(min_r, max_r, eta)
    study, mine = _build(h, pruner)
    # reference: brackets b = 0 .. floor(log_eta(max/min)) of the paper's sizes, in its order;
    # a trial is judged by successive halving with rate b among the trials of its own bracket
    # only, at the rungs below max_resource
    sizes = _ref_hyperband_sizes(min_r, max_r, eta)
    assert pruner.n_brackets == len(sizes)
    assert pruner.bracket_sizes() == sizes
    numbers = [t.number for t in study._get_trials() if t.number != mine.number]
    bracket = _ref_bracket(mine.number, sizes)
    assert pruner.bracket_of(mine.number) == bracket
    # study numbers follow the order of h["others"] (each adds one trial)
    same = [
        c
        for (state, c, _), n in zip(h["others"], numbers, strict=True)
        if state != TrialState.FAIL and _ref_bracket(n, sizes) == bracket
    ]
    expected = _ref_asha(h, same, min_r, eta, bracket, 0, max_r=max_r)
    assert pruner.prune(study, mine) is expected


def _ref_threshold(
    h: dict[str, Any], lower: float | None, upper: float | None, warmup: int, interval: int
) -> bool:
    step = max(h["mine"])
    if step < warmup or (step - warmup) % interval:
        return False
    v = h["mine"][step]
    if v != v:
        return True
    return (lower is not None and v < lower) or (upper is not None and v > upper)


@settings(max_examples=60, deadline=None)
@given(
    _histories(),
    st.sampled_from([None, -0.5, 1.0]),
    st.sampled_from([None, 1.0, 2.2]),
    st.integers(0, 4),
    st.integers(1, 3),
)
def test_threshold_matches_the_reference(
    h: dict[str, Any], lower: float | None, upper: float | None, warmup: int, interval: int
) -> None:
    if lower is None and upper is None:
        upper = 1.5
    pruner = ThresholdPruner(lower, upper, warmup, interval)
    study, mine = _build(h, pruner)
    assert pruner.prune(study, mine) is _ref_threshold(h, lower, upper, warmup, interval)


def _ref_stale(h: dict[str, Any], patience: int, min_delta: float) -> bool:
    sign = _sign(h)
    losses = [sign * h["mine"][s] for s in sorted(h["mine"])]
    if len(losses) <= patience:
        return False
    cut = len(losses) - patience
    before = [v for v in losses[:cut] if v == v]
    recent = [v for v in losses[cut:] if v == v]
    if not before:
        return False
    if not recent:
        return True
    return not (min(before) - min(recent) > min_delta)  # no improvement beyond min_delta


@settings(max_examples=80, deadline=None)
@given(_histories(), st.integers(0, 3), st.sampled_from([0.0, 0.5, 1.0]), st.booleans())
def test_patient_matches_the_reference(
    h: dict[str, Any], patience: int, min_delta: float, wrap: bool
) -> None:
    wrapped = MedianPruner(n_startup_trials=0) if wrap else None
    pruner = PatientPruner(wrapped, patience, min_delta)
    study, mine = _build(h, pruner)
    expected = _ref_stale(h, patience, min_delta) and (
        not wrap or _ref_percentile(h, 50.0, 0, 0, 1, 1)
    )
    assert pruner.prune(study, mine) is expected


def _ref_signed_rank_p(d: list[float]) -> float:
    """P(W+ >= observed) over all 2**n sign patterns, average ranks for ties, zeros dropped."""
    import itertools

    d = [x for x in d if x != 0]
    if not d:
        return 1.0
    a = sorted(abs(x) for x in d)
    rank = {v: sum(i + 1 for i, w in enumerate(a) if w == v) / a.count(v) for v in set(a)}
    ranks = [rank[abs(x)] for x in d]
    observed = sum(r for r, x in zip(ranks, d, strict=True) if x > 0)
    hits = sum(
        sum(r for r, s in zip(ranks, signs, strict=True) if s) >= observed - 1e-9
        for signs in itertools.product((0, 1), repeat=len(d))
    )
    return hits / 2 ** len(d)


@st.composite
def _instance_histories(draw: Any) -> dict[str, Any]:
    """Trials reporting per-instance scores 0..9 (Wilcoxon's use); the new trial's scores are
    often another trial's shifted by a constant, so that the test has evidence to find."""
    h = draw(_histories())
    h["others"] = [(s, draw(_curves(9, 3, 10)), f) for s, _, f in h["others"]]
    mine = draw(_curves(9, 1, 10))
    if h["others"] and draw(st.booleans()):
        base = draw(st.sampled_from([c for _, c, _ in h["others"]]))
        shift = draw(st.sampled_from([-1.0, 0.5, 1.0, 3.0]))
        mine = {k: v + shift for k, v in base.items()}
    h["mine"] = mine
    return h


def _ref_wilcoxon(h: dict[str, Any], p: float, startup: int) -> bool:
    if len(h["mine"]) < max(startup, 1):
        return False
    sign = _sign(h)
    complete = [
        (sign * f, i, c) for i, (s, c, f) in enumerate(h["others"]) if s == TrialState.COMPLETE
    ]
    if not complete:
        return False
    best = min(complete, key=lambda x: (x[0], x[1]))[2]  # ties: the earliest trial
    common = sorted(set(h["mine"]) & set(best))
    if not common:
        return False

    def loss(v: float) -> float:
        return math.inf if v != v else sign * v

    d = []
    for s in common:
        a, b = loss(h["mine"][s]), loss(best[s])
        d.append(0.0 if a == b else a - b)  # equal, or the same infinity: no evidence
    return _ref_signed_rank_p(d) < p


@settings(max_examples=80, deadline=None)
@given(_instance_histories(), st.sampled_from([0.05, 0.1, 0.3]), st.integers(0, 3))
def test_wilcoxon_matches_the_reference(h: dict[str, Any], p: float, startup: int) -> None:
    pruner = WilcoxonPruner(p_threshold=p, n_startup_steps=startup)
    study, mine = _build(h, pruner)
    assert pruner.prune(study, mine) is _ref_wilcoxon(h, p, startup)


@settings(max_examples=30, deadline=None)
@given(_histories())
def test_nop_never_prunes(h: dict[str, Any]) -> None:
    study, mine = _build(h, NopPruner())
    assert NopPruner().prune(study, mine) is False


# -- processes sharing a database -----------------------------------------------------------------
def _db_url(kind: str, tmp_path: Any) -> str:
    if kind == "sqlite":
        pytest.importorskip("sqlalchemy")
        return f"sqlite:///{tmp_path / 'pruning.db'}"
    import os

    url = os.environ.get("HYPERDIAL_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but HYPERDIAL_TEST_POSTGRES_URL is not set")
        pytest.skip("HYPERDIAL_TEST_POSTGRES_URL is not set: no PostgreSQL server")
    pytest.importorskip("psycopg")
    return url


def _spawn() -> Any:
    import multiprocessing

    return multiprocessing.get_context("spawn")


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_another_processs_running_trial_counts_for_asha_as_soon_as_it_reports(
    kind: str, tmp_path: Any
) -> None:
    import time
    import uuid

    import _pruning_workers as workers

    url = _db_url(kind, tmp_path)
    name = f"prune-{uuid.uuid4().hex}"
    hyperdial.create_study(storage=url, study_name=name)
    study = hyperdial.load_study(study_name=name, storage=url)
    median = MedianPruner(n_startup_trials=0)
    asha = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    ctx = _spawn()
    ready, done = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=workers.report_and_wait, args=(url, name, ready, done))
    try:
        mine = study.ask()
        mine.report(50.0, 0)
        mine.report(50.0, 1)
        frozen = study._storage.get_trial(mine._trial_id)
        assert not median.prune(study, frozen) and not asha.prune(study, frozen)  # alone
        proc.start()
        deadline = time.monotonic() + 120
        while not ready.wait(0.2):
            assert proc.is_alive(), f"the worker process died (exit code {proc.exitcode})"
            assert time.monotonic() < deadline, "the worker process did not report in time"
        # ASHA counts its values while it is still RUNNING: rung 1 holds [1.0, 50.0], only the
        # best goes on; the median rule waits for COMPLETE trials
        assert asha.prune(study, frozen)
        assert not median.prune(study, frozen)
        study.tell(mine, state=TrialState.PRUNED)
    finally:
        done.set()
        proc.join(120)
    assert proc.exitcode == 0
    states = {t.number: t.state for t in hyperdial.load_study(study_name=name, storage=url).trials}
    assert states == {0: TrialState.PRUNED, 1: TrialState.COMPLETE}
    hyperdial.delete_study(study_name=name, storage=url)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_processes_prune_and_intermediate_values_persist(kind: str, tmp_path: Any) -> None:
    """3 processes x 12 trials under ASHA; reloaded from a new connection, every trial holds
    exactly the curve it reported, none is left RUNNING, pruned trials keep their last value,
    were stopped at a rung, and none of them is the best at its rung (the rung only grows, so
    the best at the end was the best when it was judged)."""
    import uuid

    import _pruning_workers as workers

    from hyperdial.storages import RDBStorage

    url = _db_url(kind, tmp_path)
    name = f"prune-{uuid.uuid4().hex}"
    hyperdial.create_study(storage=url, study_name=name)
    n_procs, n_trials = 3, 12
    with _spawn().Pool(n_procs) as pool:
        pool.starmap(workers.optimize_pruned, [(url, name, n_trials, w) for w in range(n_procs)])
    storage = RDBStorage(url)  # a fresh connection and cache
    trials = hyperdial.load_study(study_name=name, storage=storage).trials
    assert len(trials) == n_procs * n_trials
    states = Counter(t.state for t in trials)
    assert set(states) <= {TrialState.COMPLETE, TrialState.PRUNED}
    assert states[TrialState.PRUNED] > 0 and states[TrialState.COMPLETE] > 0
    assert {t.user_attrs["worker"] for t in trials} == set(range(n_procs))
    for t in trials:
        x = t.params["x"]
        last = max(t.intermediate_values)
        assert t.intermediate_values == {s: workers.curve(x, s) for s in range(last + 1)}
        if t.state == TrialState.COMPLETE:
            assert last == workers.N_STEPS - 1
        else:
            assert t.value == t.intermediate_values[last] and last < workers.N_STEPS - 1
            assert last in (1, 2, 4, 8)  # ASHA decides only at its rungs
            at_rung = [
                u.intermediate_values[last] for u in trials if last in u.intermediate_values
            ]
            assert t.intermediate_values[last] > min(at_rung)
    hyperdial.delete_study(study_name=name, storage=url)
