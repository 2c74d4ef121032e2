"""The study functions (create/load/delete/get_all_study_names) on one shared storage."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import hyperdial
from hyperdial.exceptions import DuplicatedStudyError
from hyperdial.samplers import RandomSampler
from hyperdial.storages import InMemoryStorage


def _objective(trial: hyperdial.Trial) -> float:
    return trial.suggest_float("x", -1.0, 1.0) ** 2


def test_studies_share_a_storage() -> None:
    storage = InMemoryStorage()
    a = hyperdial.create_study(storage=storage, study_name="a", sampler=RandomSampler(seed=0))
    hyperdial.create_study(storage=storage, study_name="b", direction="maximize")
    a.optimize(_objective, n_trials=5)

    assert sorted(hyperdial.get_all_study_names(storage)) == ["a", "b"]
    loaded = hyperdial.load_study(study_name="a", storage=storage)
    assert [t.number for t in loaded.trials] == [0, 1, 2, 3, 4]
    assert loaded.trials == a.trials
    assert loaded.best_trial == a.best_trial
    assert hyperdial.load_study(study_name="b", storage=storage).trials == []

    # A trial added through one study object is seen by the other, best included.
    loaded.enqueue_trial({"x": 0.0})
    a.optimize(_objective, n_trials=1)
    assert loaded.best_value == 0.0 and loaded.best_trial.number == 5


def test_create_study_with_a_taken_name() -> None:
    storage = InMemoryStorage()
    first = hyperdial.create_study(storage=storage, study_name="s", direction="maximize")
    first.set_user_attr("k", "v")
    with pytest.raises(DuplicatedStudyError):
        hyperdial.create_study(storage=storage, study_name="s")
    again = hyperdial.create_study(storage=storage, study_name="s", load_if_exists=True)
    assert again.direction == hyperdial.StudyDirection.MAXIMIZE
    assert again.user_attrs == {"k": "v"}
    with pytest.raises(ValueError, match="directions"):
        hyperdial.create_study(
            storage=storage, study_name="s", direction="minimize", load_if_exists=True
        )
    assert hyperdial.get_all_study_names(storage) == ["s"]


def test_load_study_without_a_name() -> None:
    storage = InMemoryStorage()
    with pytest.raises(ValueError, match="0 studies"):
        hyperdial.load_study(study_name=None, storage=storage)
    hyperdial.create_study(storage=storage, study_name="only")
    assert hyperdial.load_study(study_name=None, storage=storage).study_name == "only"
    hyperdial.create_study(storage=storage)
    with pytest.raises(ValueError, match="2 studies"):
        hyperdial.load_study(study_name=None, storage=storage)
    with pytest.raises(KeyError):
        hyperdial.load_study(study_name="absent", storage=storage)


def test_delete_study() -> None:
    storage = InMemoryStorage()
    study = hyperdial.create_study(storage=storage, study_name="gone")
    study.optimize(_objective, n_trials=3)
    hyperdial.create_study(storage=storage, study_name="kept")

    hyperdial.delete_study(study_name="gone", storage=storage)

    assert hyperdial.get_all_study_names(storage) == ["kept"]
    with pytest.raises(KeyError):
        hyperdial.load_study(study_name="gone", storage=storage)
    with pytest.raises(KeyError):
        hyperdial.delete_study(study_name="gone", storage=storage)
    reborn = hyperdial.create_study(storage=storage, study_name="gone")
    assert reborn.trials == []


def test_create_study_load_if_exists_from_many_threads() -> None:
    storage = InMemoryStorage()
    n_threads = 10
    barrier = threading.Barrier(n_threads)

    def worker() -> str:
        barrier.wait(timeout=30)
        study = hyperdial.create_study(storage=storage, study_name="shared", load_if_exists=True)
        trial = study.ask()
        study.tell(trial, _objective(trial))
        return study.study_name

    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        futures = [pool.submit(worker) for _ in range(n_threads)]
        names = [f.result() for f in futures]  # re-raises a worker's exception
    assert names == ["shared"] * n_threads
    assert hyperdial.get_all_study_names(storage) == ["shared"]
    trials = hyperdial.load_study(study_name="shared", storage=storage).trials
    assert [t.number for t in trials] == list(range(n_threads))
    assert all(t.state == hyperdial.TrialState.COMPLETE for t in trials)
