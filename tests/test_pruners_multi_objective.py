"""Multi-objective pruning: ``Trial.report`` of vectors, their storage, and ParetoPruner."""

from __future__ import annotations

import math
from typing import Any

import pytest

import hyperdial
from hyperdial.pruners import MedianPruner, NopPruner, ParetoPruner
from hyperdial.storages import InMemoryStorage
from hyperdial.trial import FrozenTrial, TrialState
from hyperdial.trial._intermediate import intermediate_vectors, vector_key

DIRECTIONS = ["maximize", "minimize"]  # (accuracy, model size)


def _study(pruner: Any = None, storage: Any = None, name: str | None = None) -> hyperdial.Study:
    return hyperdial.create_study(
        directions=DIRECTIONS, pruner=pruner, storage=storage, study_name=name
    )


def _add(
    study: hyperdial.Study,
    curve: dict[int, tuple[float, float]],
    state: TrialState = TrialState.COMPLETE,
) -> None:
    attrs = {vector_key(s): list(v) for s, v in curve.items()}
    values = list(curve[max(curve)]) if state == TrialState.COMPLETE else None
    study.add_trial(FrozenTrial(state=state, values=values, system_attrs=attrs))


def _decide(study: hyperdial.Study, pruner: Any, curve: dict[int, tuple[float, float]]) -> bool:
    trial = study.ask()
    for s, v in curve.items():
        trial.report(list(v), s)
    decision = bool(pruner.prune(study, study._storage.get_trial(trial._trial_id)))
    study.tell(trial, state=TrialState.FAIL)
    return decision


# -- reporting and storage ------------------------------------------------------------------------
def _storage(kind: str, tmp_path: Any) -> Any:
    if kind == "inmemory":
        return InMemoryStorage()
    if kind == "sqlite":
        pytest.importorskip("sqlalchemy")
        return f"sqlite:///{tmp_path / 'mo.db'}"
    from hyperdial.storages.journal import JournalFileBackend, JournalStorage

    return JournalStorage(JournalFileBackend(str(tmp_path / "mo.log")))


@pytest.mark.parametrize("kind", ["inmemory", "sqlite", "journal"])
def test_vectors_are_stored_and_reloaded(kind: str, tmp_path: Any) -> None:
    storage = _storage(kind, tmp_path)
    study = _study(storage=storage, name="mo")
    trial = study.ask()
    trial.report([0.5, 10.0], 0)
    trial.report((0.75, 12), 3)
    trial.report([math.inf, -1.5], 4)
    study.tell(trial, [0.75, 12.0])
    if kind == "journal":  # a new reader replays the log
        storage = _storage(kind, tmp_path)
    reloaded = hyperdial.load_study(study_name="mo", storage=storage).trials[0]
    assert intermediate_vectors(reloaded) == {
        0: (0.5, 10.0),
        3: (0.75, 12.0),
        4: (math.inf, -1.5),
    }
    assert reloaded.intermediate_values == {}  # the single-objective mapping is untouched


def test_reporting_a_step_twice_keeps_the_first_vector() -> None:
    study = _study()
    trial = study.ask()
    trial.report([1.0, 2.0], 1)
    with pytest.warns(UserWarning, match="already reported"):
        trial.report([3.0, 4.0], 1)
    assert intermediate_vectors(study._storage.get_trial(trial._trial_id)) == {1: (1.0, 2.0)}


@pytest.mark.parametrize(
    ("value", "error"),
    [(1.0, TypeError), ("ab", TypeError), ([1.0], ValueError), ([1.0, 2.0, 3.0], ValueError)],
)
def test_a_vector_needs_one_number_per_objective(value: Any, error: type) -> None:
    trial = _study().ask()
    with pytest.raises(error):
        trial.report(value, 0)


def test_single_objective_reports_are_unchanged() -> None:
    trial = hyperdial.create_study().ask()
    with pytest.raises(TypeError):
        trial.report([1.0, 2.0], 0)  # type: ignore[arg-type]
    trial.report(1.0, 0)
    assert trial.study._storage.get_trial(trial._trial_id).intermediate_values == {0: 1.0}


def test_should_prune_refuses_a_single_objective_pruner() -> None:
    trial = _study(MedianPruner()).ask()
    trial.report([1.0, 2.0], 0)
    with pytest.raises(NotImplementedError, match="ParetoPruner"):
        trial.should_prune()
    nop = _study(NopPruner()).ask()
    nop.report([1.0, 2.0], 0)
    assert nop.should_prune() is False


# -- ParetoPruner's decisions on constructed histories -------------------------------------------
def _four(study: hyperdial.Study) -> None:
    """Vectors at step 2; fronts: {A, B}, {C}, {D}."""
    for v in ((0.9, 10.0), (0.8, 5.0), (0.7, 20.0), (0.6, 30.0)):
        _add(study, {0: (0.1, v[1]), 2: v})


@pytest.mark.parametrize(
    ("vector", "fraction", "pruned"),
    [
        ((0.85, 8.0), 0.5, False),  # on the first front
        ((0.75, 25.0), 0.5, True),  # behind A and B: 2 of 4 on better fronts
        ((0.65, 25.0), 0.5, True),  # behind A, B and C
        ((0.75, 25.0), 0.8, False),  # 2 of 4 < 0.8
        ((0.65, 25.0), 0.8, False),  # 3 of 4 < 0.8
        ((0.5, 40.0), 0.8, True),  # dominated by all four
        ((0.5, 40.0), 1.0, True),
    ],
)
def test_pareto_pruner_ranks_by_non_dominated_fronts(
    vector: tuple[float, float], fraction: float, pruned: bool
) -> None:
    study = _study()
    _four(study)
    pruner = ParetoPruner(fraction, n_startup_trials=4)
    assert _decide(study, pruner, {0: (0.0, 50.0), 2: vector}) is pruned


def test_pareto_pruner_counts_only_complete_trials_that_reached_the_step() -> None:
    study = _study()
    _four(study)
    # pruned, running and short trials that would each dominate the new one do not count
    _add(study, {2: (0.99, 1.0)}, TrialState.PRUNED)
    running = study.ask()
    running.report([0.99, 1.0], 2)
    _add(study, {0: (0.99, 1.0)})  # COMPLETE, but stopped before step 2
    pruner = ParetoPruner(n_startup_trials=0)
    assert _decide(study, pruner, {2: (0.85, 8.0)}) is False
    # at step 0 the short trial counts: its (0.99, 1) dominates (0.2, 5), which the four's
    # (0.1, x) do not, so 1 of 5 is on a better front
    assert _decide(study, pruner, {0: (0.2, 5.0)}) is False
    assert _decide(study, ParetoPruner(0.2, n_startup_trials=0), {0: (0.2, 5.0)}) is True
    # at step 1 it does not (it stopped at 0); the four count with their step-0 vectors
    assert _decide(study, ParetoPruner(0.2, n_startup_trials=0), {1: (0.2, 5.0)}) is False
    assert _decide(study, ParetoPruner(0.2, n_startup_trials=0), {1: (0.05, 40.0)}) is True
    study.tell(running, [0.99, 1.0])


def test_pareto_pruner_nan_startup_warmup_interval() -> None:
    study = _study()
    _four(study)
    assert _decide(study, ParetoPruner(n_startup_trials=0), {2: (math.nan, 1.0)}) is True
    assert _decide(study, ParetoPruner(n_startup_trials=6), {2: (0.5, 40.0)}) is False
    assert _decide(study, ParetoPruner(n_warmup_steps=3), {2: (0.5, 40.0)}) is False
    assert _decide(study, ParetoPruner(interval_steps=3), {2: (0.5, 40.0)}) is False
    assert _decide(study, ParetoPruner(n_min_trials=5), {2: (0.5, 40.0)}) is False
    assert _decide(study, ParetoPruner(), {}) is False


@pytest.mark.parametrize("fraction", [0.0, 1.5, math.nan, True])
def test_pareto_pruner_validation(fraction: Any) -> None:
    with pytest.raises(ValueError, match="fraction"):
        ParetoPruner(fraction)


def test_pareto_pruner_in_optimize() -> None:
    """A two-objective loop: slow learners with large models are pruned, others complete."""

    def objective(trial: hyperdial.Trial) -> tuple[float, float]:
        rate = trial.suggest_float("rate", 0.01, 1.0, log=True)
        size = trial.suggest_float("size", 1.0, 100.0)
        acc = 0.0
        for step in range(10):
            acc = 1.0 - math.exp(-rate * (step + 1))
            trial.report([acc, size], step)
            if trial.should_prune():
                raise hyperdial.TrialPruned()
        return acc, size

    study = hyperdial.create_study(
        directions=DIRECTIONS,
        pruner=ParetoPruner(n_startup_trials=5),
        sampler=hyperdial.samplers.RandomSampler(seed=0),
    )
    study.optimize(objective, n_trials=30)
    states = [t.state for t in study.trials]
    assert TrialState.PRUNED in states and TrialState.COMPLETE in states
    for t in study.trials:
        if t.state == TrialState.PRUNED:
            assert t.values is None and intermediate_vectors(t)
