"""Storages against the storage contract (``hyperdial.testing.StorageContract``).

Three parts: the in-memory storage runs the whole contract (plus what only it promises); a
storage that implements nothing but the abstract methods runs it too, which exercises
``BaseStorage``'s default implementations a SQL storage may inherit; and deliberately broken
storages show that each targeted contract test can fail.
"""

from __future__ import annotations

import copy
import datetime
import math
import re
import subprocess
import sys
import time
from collections.abc import Container, Sequence
from typing import Any

import pytest
from hypothesis import Phase, settings

from hyperdial._direction import StudyDirection
from hyperdial.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution
from hyperdial.storages import BaseStorage, InMemoryStorage
from hyperdial.testing import StorageContract
from hyperdial.trial import FrozenTrial, TrialState


class TestInMemoryStorage(StorageContract):
    def make_storage(self) -> InMemoryStorage:
        return InMemoryStorage()

    def test_param_outside_its_distribution_raises(self, storage: BaseStorage) -> None:
        tid = storage.create_new_trial(storage.create_new_study([StudyDirection.MINIMIZE]))
        for internal, dist in [
            (1.5, FloatDistribution(0, 1)),
            (0.3, FloatDistribution(0, 1, step=0.25)),
            (2.0, CategoricalDistribution(["a", "b"])),
        ]:
            with pytest.raises(ValueError, match="is not in"):
                storage.set_trial_param(tid, "p", internal, dist)
        assert storage.get_trial(tid).params == {}

    def test_finished_template_without_times_gets_them(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study([StudyDirection.MINIMIZE])
        tid = storage.create_new_trial(sid, FrozenTrial(state=TrialState.COMPLETE, value=1.0))
        t = storage.get_trial(tid)
        assert t.datetime_start is not None and t.datetime_complete is not None
        assert t.datetime_start <= t.datetime_complete

    def test_reads_without_deepcopy_do_not_copy(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study([StudyDirection.MINIMIZE])
        storage.create_new_trial(sid)
        first = storage.get_all_trials(sid, deepcopy=False)
        second = storage.get_all_trials(sid, deepcopy=False)
        assert all(a is b for a, b in zip(first, second, strict=True))


def test_import_hyperdial_does_not_import_testing() -> None:
    code = (
        "import sys, hyperdial\n"
        "loaded = {'pytest', 'hypothesis', 'hyperdial.testing'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- BaseStorage's default methods ----------------------------------------------------------------
def _forward(name: str) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._inner, name)(*args, **kwargs)

    method.__name__ = name
    return method


#: Implements only the abstract methods (by forwarding to an InMemoryStorage), so that
#: pop_waiting_trial, get_n_trials, the id/number lookups and check_trial_is_updatable are
#: BaseStorage's own.
_AbstractOnlyStorage = type(
    "_AbstractOnlyStorage",
    (BaseStorage,),
    {
        "__module__": __name__,  # so that pickle finds the class (the contract pickles storages)
        "__init__": lambda self: setattr(self, "_inner", InMemoryStorage()),
        **{name: _forward(name) for name in BaseStorage.__abstractmethods__},
    },
)


class TestBaseStorageDefaults(StorageContract):
    def make_storage(self) -> BaseStorage:
        storage: BaseStorage = _AbstractOnlyStorage()
        return storage

    def test_defaults_are_in_use(self, storage: BaseStorage) -> None:
        for name in (
            "pop_waiting_trial",
            "get_n_trials",
            "get_trial_id_from_study_id_trial_number",
            "get_trial_number_from_id",
            "check_trial_is_updatable",
        ):
            assert getattr(type(storage), name) is getattr(BaseStorage, name)


# -- The contract catches broken storages ---------------------------------------------------------
# Each storage below is InMemoryStorage with one bug a real storage could have. Every row names
# a contract test that passes on InMemoryStorage and must fail on the broken one.


class _RacyClaim(InMemoryStorage):
    """``claim`` checks, then writes: no insert-if-absent."""

    def claim(self, study_id: int, key: str, value: str) -> str:
        claims = self._study(study_id).claims
        if key not in claims:
            time.sleep(0.005)
            claims[key] = value
        return claims[key]


class _LikeClaims(InMemoryStorage):
    """``get_claims`` matches the prefix like an unescaped SQL ``LIKE 'prefix%'``."""

    def get_claims(self, study_id: int, prefix: str = "") -> dict[str, str]:
        pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in prefix)
        regex = re.compile(pattern + ".*", re.DOTALL)
        with self._lock:
            claims = self._study(study_id).claims
            return {k: v for k, v in claims.items() if regex.fullmatch(k)}


class _RacyNumbers(InMemoryStorage):
    """Counts the study's trials to number a new one, outside the transaction."""

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        number = len(self._study(study_id).trial_ids)
        time.sleep(0.001)
        tid = super().create_new_trial(study_id, template_trial)
        with self._lock:
            self._trials[tid].number = number
        return tid


class _GlobalNumbers(InMemoryStorage):
    """Numbers trials across all studies (the trial id) instead of per study."""

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        tid = super().create_new_trial(study_id, template_trial)
        with self._lock:
            self._trials[tid].number = tid
        return tid


class _CheckThenAct(InMemoryStorage):
    """``set_trial_state_values`` checks the state, then writes: no compare-and-set."""

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        t = self._updatable(trial_id)
        if state == TrialState.RUNNING and t.state != TrialState.WAITING:
            return False
        time.sleep(0.005)
        with self._lock:
            new = copy.copy(self._trials[trial_id])
            new.state = state
            if state.is_finished():
                new.values = values
                new.datetime_complete = datetime.datetime.now(datetime.timezone.utc)
            self._commit(new)
        return True


class _DoublePop(InMemoryStorage):
    """``pop_waiting_trial`` reads the first WAITING trial, then marks it RUNNING blindly."""

    def pop_waiting_trial(self, study_id: int) -> int | None:
        with self._lock:
            waiting = list(self._study(study_id).waiting)
        if not waiting:
            return None
        time.sleep(0.002)
        with self._lock:
            new = copy.copy(self._trials[waiting[0]])
            new.state = TrialState.RUNNING
            self._commit(new)
        return waiting[0]


class _LifoPop(InMemoryStorage):
    """``pop_waiting_trial`` takes the newest WAITING trial."""

    def pop_waiting_trial(self, study_id: int) -> int | None:
        with self._lock:
            waiting = list(self._study(study_id).waiting)
            if not waiting:
                return None
            self.set_trial_state_values(waiting[-1], TrialState.RUNNING)
            return waiting[-1]


class _LeakyPop(InMemoryStorage):
    """``pop_waiting_trial`` forgets the ``WHERE study_id = ?``."""

    def pop_waiting_trial(self, study_id: int) -> int | None:
        with self._lock:
            self._study(study_id)
            for sid in list(self._studies):
                tid = super().pop_waiting_trial(sid)
                if tid is not None:
                    return tid
            return None


class _SharedRecords(InMemoryStorage):
    """``get_trial`` hands out the stored record itself."""

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            return self._trial(trial_id)


class _ShallowCopies(InMemoryStorage):
    """``get_all_trials(deepcopy=True)`` copies the records but not their dicts."""

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        trials = super().get_all_trials(study_id, deepcopy=False, states=states)
        return [copy.copy(t) for t in trials] if deepcopy else trials


class _InPlaceWrites(InMemoryStorage):
    """``set_trial_user_attr`` changes the stored record in place (no copy-on-write)."""

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            t = self._updatable(trial_id)
            t.user_attrs[key] = copy.deepcopy(value)
            self._commit(t)


class _WritableWhenFinished(InMemoryStorage):
    """``set_trial_user_attr`` forgets to check that the trial is unfinished."""

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            new = copy.copy(self._trial(trial_id))
            new.user_attrs = {**new.user_attrs, key: copy.deepcopy(value)}
            self._commit(new)


class _UnmarkedReports(InMemoryStorage):
    """``set_trial_intermediate_value`` does not mark the trial changed."""

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        with self._lock:
            new = copy.copy(self._updatable(trial_id))
            new.intermediate_values = {**new.intermediate_values, step: value}
            self._trials[trial_id] = new


class _ConsumingReads(InMemoryStorage):
    """``get_trials_changed_since`` clears the "changed" flags it reports (one reader only)."""

    def get_trials_changed_since(self, study_id: int, mark: int) -> tuple[list[FrozenTrial], int]:
        with self._lock:
            trials, new_mark = super().get_trials_changed_since(study_id, mark)
            for t in trials:
                self._study(study_id).changed.pop(t._trial_id, None)
            return trials, new_mark


class _ChangeOrder(InMemoryStorage):
    """``get_all_trials`` without ``ORDER BY number``: rows come in the order of last change."""

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        trials = super().get_all_trials(study_id, deepcopy, states)
        with self._lock:
            order = list(self._study(study_id).changed)
        return sorted(trials, key=lambda t: order.index(t._trial_id))


class _EmptyForUnknownStudy(InMemoryStorage):
    """``get_all_trials`` of an unknown study is ``[]`` (a bare ``SELECT … WHERE``)."""

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        if study_id not in self._studies:
            return []
        return super().get_all_trials(study_id, deepcopy, states)


class _NameOutlivesStudy(InMemoryStorage):
    """``delete_study`` leaves the name behind."""

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            name = self._study(study_id).name
            super().delete_study(study_id)
            self._name_to_id[name] = study_id


class _DefaultsDirections(InMemoryStorage):
    """``create_new_study`` silently turns NOT_SET into MINIMIZE instead of rejecting it."""

    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        directions = [d or StudyDirection.MINIMIZE for d in directions]
        return super().create_new_study(directions, study_name)


class _CopiesTemplateShallowly(InMemoryStorage):
    """``create_new_trial`` keeps the template's dicts instead of copies."""

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        tid = super().create_new_trial(study_id, template_trial)
        if template_trial is not None:
            with self._lock:
                t = self._trials[tid]
                t.user_attrs = template_trial.user_attrs
                t.system_attrs = template_trial.system_attrs
                t.intermediate_values = template_trial.intermediate_values
        return tid


class _TemplateNotStarted(InMemoryStorage):
    """Takes a RUNNING template's timestamps as they are (None: never started)."""

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        tid = super().create_new_trial(study_id, template_trial)
        if template_trial is not None:
            with self._lock:
                self._trials[tid].datetime_start = template_trial.datetime_start
        return tid


class _AliasedStudyAttrs(InMemoryStorage):
    """``get_study_user_attrs`` returns the stored dict."""

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return self._study(study_id).user_attrs


class _ChoiceByEquality(InMemoryStorage):
    """Stores a categorical choice found with ``==`` (``list.index``), which mixes 1 and True."""

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        if isinstance(distribution, CategoricalDistribution):
            choice = distribution.choices[int(param_value_internal)]
            param_value_internal = float(list(distribution.choices).index(choice))
        super().set_trial_param(trial_id, param_name, param_value_internal, distribution)


class _FixedRanges(InMemoryStorage):
    """Requires a parameter to keep the exact distribution it first had (no dynamic ranges)."""

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        with self._lock:
            study = self._studies[self._trial_study[trial_id]]
            first = study.param_distributions.get(param_name)
            if first is not None and first != distribution:
                raise ValueError(f"{param_name!r} was {first!r}")
        super().set_trial_param(trial_id, param_name, param_value_internal, distribution)


class _NaiveTimes(InMemoryStorage):
    """Stores ``datetime_start`` without its time zone (a naive ``DATETIME`` column)."""

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        tid = super().create_new_trial(study_id, template_trial)
        with self._lock:
            t = self._trials[tid]
            if t.datetime_start is not None:
                t.datetime_start = t.datetime_start.replace(tzinfo=None)
        return tid


class _ShortFloats(InMemoryStorage):
    """Keeps objective values to 12 significant digits (floats written as text)."""

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        if values is not None:
            values = [float(f"{v:.12g}") for v in values]
        return super().set_trial_state_values(trial_id, state, values)


class _BoolsAsInts(InMemoryStorage):
    """Stores booleans inside trial user attributes as 0/1."""

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        def lossy(v: Any) -> Any:
            if isinstance(v, bool):
                return int(v)
            if isinstance(v, list):
                return [lossy(x) for x in v]
            if isinstance(v, dict):
                return {k: lossy(x) for k, x in v.items()}
            return v

        super().set_trial_user_attr(trial_id, key, lossy(value))


class _DropsNaN(InMemoryStorage):
    """Skips NaN intermediate values (a ``NOT NULL`` column that NaN cannot enter)."""

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        if not math.isnan(value):
            super().set_trial_intermediate_value(trial_id, step, value)


class _LostUpdates(InMemoryStorage):
    """``set_trial_system_attr`` reads, changes and writes back the attributes unlocked."""

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        attrs = {**self._updatable(trial_id).system_attrs, key: value}
        time.sleep(0.001)
        with self._lock:
            new = copy.copy(self._trials[trial_id])
            new.system_attrs = attrs
            self._commit(new)


_BROKEN: list[tuple[type[BaseStorage], str, dict[str, Any]]] = [
    (_RacyClaim, "test_racing_claims_have_one_winner", {}),
    (_LikeClaims, "test_get_claims_prefix_is_literal", {}),
    (_RacyNumbers, "test_concurrent_trial_creation_gives_gap_free_numbers", {}),
    (_GlobalNumbers, "test_trial_numbers_count_up_per_study", {}),
    (_CheckThenAct, "test_concurrent_finish_has_one_winner", {}),
    (_CheckThenAct, "test_concurrent_start_has_one_winner", {}),
    (_DoublePop, "test_pop_waiting_trial_hands_out_each_trial_once", {}),
    (_LifoPop, "test_pop_waiting_trial_is_fifo", {}),
    (_LeakyPop, "test_pop_waiting_trial_returns_none_when_nothing_waits", {}),
    (_SharedRecords, "test_returned_records_are_copies", {"reader": "get_trial"}),
    (_ShallowCopies, "test_returned_records_are_copies", {"reader": "get_all_trials"}),
    (_InPlaceWrites, "test_get_trial_is_a_snapshot", {}),
    (
        _WritableWhenFinished,
        "test_finished_trial_cannot_change",
        {"state": TrialState.PRUNED, "setter": "user_attr"},
    ),
    (_UnmarkedReports, "test_each_write_marks_the_trial_changed", {"write": "intermediate"}),
    (_UnmarkedReports, "test_incremental_reads_rebuild_the_study", {}),
    (_ConsumingReads, "test_marks_are_monotone_and_reading_consumes_nothing", {}),
    (_ChangeOrder, "test_get_all_trials_is_ordered_by_number", {}),
    (_EmptyForUnknownStudy, "test_unknown_study_id_raises_key_error", {"op": "get_all_trials"}),
    (_NameOutlivesStudy, "test_delete_study_removes_its_trials_claims_and_name", {}),
    (_DefaultsDirections, "test_invalid_directions_raise", {"directions": [StudyDirection(0)]}),
    (_CopiesTemplateShallowly, "test_template_is_copied", {}),
    (_TemplateNotStarted, "test_running_template_starts_now", {}),
    (_AliasedStudyAttrs, "test_study_attrs_are_copies", {"kind": "user"}),
    (_ChoiceByEquality, "test_categorical_choices_keep_their_type", {}),
    (_FixedRanges, "test_range_may_change_across_trials", {}),
    (_NaiveTimes, "test_new_trial_is_running_and_starts_now", {}),
    (_ShortFloats, "test_values_round_trip_exactly", {}),
    (_BoolsAsInts, "test_trial_attr_values_round_trip", {}),
    (_DropsNaN, "test_intermediate_values_round_trip", {}),
    (_LostUpdates, "test_concurrent_writes_to_one_trial_are_all_kept", {"write": "system_attr"}),
]


@pytest.mark.parametrize(
    ("broken", "test_name", "kwargs"),
    _BROKEN,
    ids=[f"{cls.__name__.lstrip('_')}-{name[5:]}" for cls, name, _ in _BROKEN],
)
def test_contract_catches_a_broken_storage(
    broken: type[BaseStorage], test_name: str, kwargs: dict[str, Any]
) -> None:
    contract = StorageContract()
    # Hypothesis finds these bugs in a few examples; shrinking them would take seconds.
    contract.hypothesis_settings = settings(
        StorageContract.hypothesis_settings, phases=[Phase.explicit, Phase.generate]
    )
    contract_test = getattr(contract, test_name)
    contract_test(InMemoryStorage(), **kwargs)  # passes on the real storage ...
    # ... and fails on the broken one (_FixedRanges rejects a legal call: ValueError).
    failure = ValueError if broken is _FixedRanges else (AssertionError, pytest.fail.Exception)
    with pytest.raises(failure):
        contract_test(broken(), **kwargs)


# == the read-only view ==========================================================================
def test_trial_view_shows_records_through_its_function_and_refuses_writes() -> None:
    from hyperdial.storages._view import TrialView

    inner = InMemoryStorage()
    sid = inner.create_new_study([StudyDirection.MINIMIZE])
    tid = inner.create_new_trial(sid)

    def show(t: FrozenTrial) -> FrozenTrial:
        new = copy.copy(t)
        new.user_attrs = {**t.user_attrs, "shown": True}
        return new

    view = TrialView(inner, show, what="The test view")
    assert view.get_trial(tid).user_attrs == {"shown": True}
    assert [t.user_attrs for t in view.get_all_trials(sid)] == [{"shown": True}]
    changed, mark = view.get_trials_changed_since(sid, 0)
    assert [t.user_attrs for t in changed] == [{"shown": True}]
    assert inner.get_trial(tid).user_attrs == {}  # the inner records are not modified
    view.set_trial_user_attr(tid, "k", 1)  # attributes pass through
    assert inner.get_trial(tid).user_attrs == {"k": 1}
    changed, _ = view.get_trials_changed_since(sid, mark)
    assert [t.user_attrs for t in changed] == [{"k": 1, "shown": True}]
    with pytest.raises(RuntimeError, match="The test view is read-only"):
        view.set_trial_state_values(tid, TrialState.COMPLETE, [1.0])
    with pytest.raises(RuntimeError, match="read-only"):
        view.create_new_trial(sid)
    assert inner.get_trial(tid).state == TrialState.RUNNING
