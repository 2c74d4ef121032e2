"""The storage contract: the tests every :class:`~hyperdial.storages.BaseStorage` must pass.

A storage's test module subclasses :class:`StorageContract` and says how to make a fresh, empty
storage; pytest then runs every test below against it::

    from hyperdial.storages import InMemoryStorage
    from hyperdial.testing import StorageContract

    class TestInMemoryStorage(StorageContract):
        def make_storage(self) -> InMemoryStorage:
            return InMemoryStorage()

A SQL storage plugs in the same way (``make_storage`` returning, say,
``RDBStorage("sqlite:///...")``). When making the storage needs other pytest fixtures (a
temporary directory, a database server), override the ``storage`` fixture instead::

    class TestSQLiteStorage(StorageContract):
        @pytest.fixture
        def storage(self, tmp_path):
            s = RDBStorage(f"sqlite:///{tmp_path / 'db.sqlite3'}")
            yield s
            s.remove_session()

Storage-specific tests go in the subclass next to the inherited ones.

The tests use only the public ``BaseStorage`` methods and create the studies they need, so a
storage may be shared by the examples of a hypothesis test. Concurrency is tested with threads
sharing one storage object. Timestamps must be UTC-aware and within ``clock_slack`` of this
machine's clock. Floats must come back ``==`` to what was stored (so ``-0.0`` may come back as
``0.0``); attribute values must come back as the same JSON. A storage must survive ``pickle``
and ``copy.deepcopy``, as an independent copy of its studies or as a new connection to the same
ones, and the marks of ``get_trials_changed_since`` must stay valid for the copy.

This module imports pytest and hypothesis: import it from tests only (``import hyperdial`` does
not import it).
"""

from __future__ import annotations

import copy
import datetime
import json
import math
import pickle
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperdial._direction import StudyDirection
from hyperdial.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.exceptions import DuplicatedStudyError, UpdateFinishedTrialError
from hyperdial.storages import BaseStorage, StudyInfo
from hyperdial.trial import FrozenTrial, TrialState

__all__ = ["StorageContract"]

_T = TypeVar("_T")

_MIN = [StudyDirection.MINIMIZE]
_MAX = [StudyDirection.MAXIMIZE]
_UTC = datetime.timezone.utc
_INF = math.inf
#: An id no test creates (ids are never this large in a storage this small).
_UNKNOWN_ID = 987_654_321
_FINISHED = [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL]

_X = FloatDistribution(-1.0, 1.0)
_N = IntDistribution(0, 10)
_C = CategoricalDistribution(["a", None, 2.5])

_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)


def _json(value: Any) -> str:
    """Type-aware text for comparing attribute values (tells ``True``, ``1`` and ``1.0`` apart)."""
    return json.dumps(value, sort_keys=True)


def _same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _assert_utc(dt: datetime.datetime | None, what: str) -> datetime.datetime:
    assert dt is not None, f"{what} is not set"
    assert dt.tzinfo is not None and dt.utcoffset() == datetime.timedelta(0), (
        f"{what} = {dt!r} is not a UTC-aware datetime"
    )
    return dt


def _race(n_threads: int, fn: Callable[[int], _T]) -> list[_T]:
    """Runs ``fn(0) … fn(n_threads - 1)`` in threads released together; their results in order.

    An exception in a thread is re-raised here.
    """
    barrier = threading.Barrier(n_threads)

    def run(i: int) -> _T:
        barrier.wait(timeout=30)
        return fn(i)

    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        futures = [pool.submit(run, i) for i in range(n_threads)]
        return [f.result() for f in futures]


def _template(state: TrialState, n_values: int = 1) -> FrozenTrial:
    """A trial record as ``Study.add_trial`` / ``Study.enqueue_trial`` would pass it."""
    start = datetime.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=_UTC)
    if state == TrialState.WAITING:
        return FrozenTrial(
            state=state,
            user_attrs={"origin": "queue", "tags": ["a", 1]},
            system_attrs={"fixed_params": {"x": 0.5, "c": None}},
        )
    return FrozenTrial(
        state=state,
        values=None if state == TrialState.FAIL else [0.25, -_INF, 3.0][:n_values],
        params={"x": -0.5, "n": 7, "c": None},
        distributions={"x": _X, "n": _N, "c": _C},
        user_attrs={"origin": "import", "nested": {"k": [1, 2.5, None, True]}},
        system_attrs={"source": "elsewhere"},
        intermediate_values={0: 1.5, 3: 0.75, 10: 0.5},
        datetime_start=start,
        datetime_complete=start + datetime.timedelta(seconds=1, microseconds=250),
    )


# Trial writes, by name: each takes (storage, trial_id) and is valid on a RUNNING trial.
_WRITES: dict[str, Callable[[BaseStorage, int], object]] = {
    "param": lambda s, t: s.set_trial_param(t, "w", 0.5, FloatDistribution(0.0, 1.0)),
    "intermediate": lambda s, t: s.set_trial_intermediate_value(t, 4, 0.125),
    "user_attr": lambda s, t: s.set_trial_user_attr(t, "k", [1, "two"]),
    "system_attr": lambda s, t: s.set_trial_system_attr(t, "k", {"a": 1}),
    "complete": lambda s, t: s.set_trial_state_values(t, TrialState.COMPLETE, [1.0]),
    "prune": lambda s, t: s.set_trial_state_values(t, TrialState.PRUNED, [2.0]),
    "fail": lambda s, t: s.set_trial_state_values(t, TrialState.FAIL),
}
_SETTERS_ON_FINISHED: dict[str, Callable[[BaseStorage, int], object]] = {
    **_WRITES,
    "start": lambda s, t: s.set_trial_state_values(t, TrialState.RUNNING),
}

# Operations on a study id, by name.
_STUDY_OPS: dict[str, Callable[[BaseStorage, int], object]] = {
    "delete_study": lambda s, i: s.delete_study(i),
    "get_study_name_from_id": lambda s, i: s.get_study_name_from_id(i),
    "get_study_directions": lambda s, i: s.get_study_directions(i),
    "set_study_user_attr": lambda s, i: s.set_study_user_attr(i, "k", 1),
    "set_study_system_attr": lambda s, i: s.set_study_system_attr(i, "k", 1),
    "get_study_user_attrs": lambda s, i: s.get_study_user_attrs(i),
    "get_study_system_attrs": lambda s, i: s.get_study_system_attrs(i),
    "claim": lambda s, i: s.claim(i, "k", "v"),
    "get_claims": lambda s, i: s.get_claims(i),
    "create_new_trial": lambda s, i: s.create_new_trial(i),
    "get_all_trials": lambda s, i: s.get_all_trials(i),
    "get_n_trials": lambda s, i: s.get_n_trials(i),
    "get_trials_changed_since": lambda s, i: s.get_trials_changed_since(i, 0),
    "pop_waiting_trial": lambda s, i: s.pop_waiting_trial(i),
    "get_trial_id_from_study_id_trial_number": (
        lambda s, i: s.get_trial_id_from_study_id_trial_number(i, 0)
    ),
}

# Operations on a trial id, by name.
_TRIAL_OPS: dict[str, Callable[[BaseStorage, int], object]] = {
    **_SETTERS_ON_FINISHED,
    "get_trial": lambda s, t: s.get_trial(t),
    "get_trial_number_from_id": lambda s, t: s.get_trial_number_from_id(t),
}


class StorageContract:
    """Tests every storage must pass; subclass it in a ``Test…`` class (see the module doc).

    Attributes:
        n_threads: Threads used by the concurrency tests.
        clock_slack: How far a storage's timestamps may be from this machine's clock.
        hypothesis_settings: The ``hypothesis.settings`` of the property tests; a subclass may
            lower ``max_examples`` for a slow storage.

    Example:
        >>> from hyperdial.storages import InMemoryStorage
        >>> class TestInMemoryStorage(StorageContract):
        ...     def make_storage(self) -> InMemoryStorage:
        ...         return InMemoryStorage()
    """

    n_threads = 8
    clock_slack = datetime.timedelta(seconds=60)
    # Few examples (a SQL storage is slow); no example database, so nothing is written into the
    # working tree. The examples of one test share its storage (each makes its own study).
    hypothesis_settings = settings(max_examples=25, deadline=None, database=None)

    def make_storage(self) -> BaseStorage:
        """Returns a new, empty storage. Override this (or the ``storage`` fixture)."""
        raise NotImplementedError(
            f"{type(self).__name__} must override `make_storage` or the `storage` fixture."
        )

    @pytest.fixture
    def storage(self) -> Iterator[BaseStorage]:
        """A new, empty storage per test from :meth:`make_storage`; its session ends after."""
        storage = self.make_storage()
        try:
            yield storage
        finally:
            storage.remove_session()

    # == studies ==================================================================================
    def test_create_study_with_name(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN, "my-study")
        assert storage.get_study_name_from_id(sid) == "my-study"
        assert storage.get_study_id_from_name("my-study") == sid

    def test_create_study_generates_distinct_names(self, storage: BaseStorage) -> None:
        a = storage.create_new_study(_MIN)
        b = storage.create_new_study(_MIN)
        assert a != b
        name_a, name_b = storage.get_study_name_from_id(a), storage.get_study_name_from_id(b)
        assert isinstance(name_a, str) and name_a and name_a != name_b
        assert storage.get_study_id_from_name(name_a) == a
        assert storage.get_study_id_from_name(name_b) == b

    @pytest.mark.parametrize(
        ("name", "error"),
        [
            (123, TypeError),
            (b"s", TypeError),
            ("a\ud800", ValueError),
            ("a\x00", ValueError),
            ("n" * 513, ValueError),
        ],
        ids=["int", "bytes", "surrogate", "nul", "long"],
    )
    def test_a_name_no_database_can_keep_is_refused(
        self, storage: BaseStorage, name: Any, error: type[Exception]
    ) -> None:
        with pytest.raises(error):
            storage.create_new_study(_MIN, name)
        assert storage.get_all_studies() == []

    def test_duplicate_study_name_raises(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN, "dup")
        with pytest.raises(DuplicatedStudyError):
            storage.create_new_study(_MAX, "dup")
        assert storage.get_study_id_from_name("dup") == sid
        assert storage.get_study_directions(sid) == _MIN
        assert len(storage.get_all_studies()) == 1

    @pytest.mark.parametrize(
        "directions",
        [
            [StudyDirection.MINIMIZE],
            [StudyDirection.MAXIMIZE],
            [StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE],
        ],
        ids=["min", "max", "multi"],
    )
    def test_directions_round_trip(
        self, storage: BaseStorage, directions: list[StudyDirection]
    ) -> None:
        sid = storage.create_new_study(directions)
        got = storage.get_study_directions(sid)
        assert got == directions
        assert all(type(d) is StudyDirection for d in got)

    def test_returned_directions_are_a_copy(self, storage: BaseStorage) -> None:
        given_dirs = [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE]
        sid = storage.create_new_study(given_dirs)
        given_dirs.append(StudyDirection.MINIMIZE)
        storage.get_study_directions(sid).append(StudyDirection.MAXIMIZE)
        assert storage.get_study_directions(sid) == [
            StudyDirection.MINIMIZE,
            StudyDirection.MAXIMIZE,
        ]

    @pytest.mark.parametrize(
        "directions",
        [[], [StudyDirection.NOT_SET], [StudyDirection.MINIMIZE, StudyDirection.NOT_SET]],
        ids=["empty", "not_set", "one_not_set"],
    )
    def test_invalid_directions_raise(
        self, storage: BaseStorage, directions: list[StudyDirection]
    ) -> None:
        with pytest.raises(ValueError):
            storage.create_new_study(directions, "bad")
        assert storage.get_all_studies() == []
        with pytest.raises(KeyError):
            storage.get_study_id_from_name("bad")

    def test_study_lookup_both_ways(self, storage: BaseStorage) -> None:
        ids = {name: storage.create_new_study(_MIN, name) for name in ("a", "b", "c")}
        assert len(set(ids.values())) == 3
        for name, sid in ids.items():
            assert storage.get_study_id_from_name(name) == sid
            assert storage.get_study_name_from_id(sid) == name

    def test_unknown_study_name_raises_key_error(self, storage: BaseStorage) -> None:
        storage.create_new_study(_MIN, "present")
        with pytest.raises(KeyError):
            storage.get_study_id_from_name("absent")
        with pytest.raises(KeyError):
            storage.get_study_id_from_name("PRESENT")

    @pytest.mark.parametrize("op", sorted(_STUDY_OPS))
    def test_unknown_study_id_raises_key_error(self, storage: BaseStorage, op: str) -> None:
        storage.create_new_study(_MIN)
        with pytest.raises(KeyError):
            _STUDY_OPS[op](storage, _UNKNOWN_ID)

    def test_get_all_studies(self, storage: BaseStorage) -> None:
        assert storage.get_all_studies() == []
        a = storage.create_new_study(_MIN, "a")
        b = storage.create_new_study([StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE], "b")
        expected = {
            StudyInfo(a, "a", (StudyDirection.MINIMIZE,)),
            StudyInfo(b, "b", (StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE)),
        }
        assert set(storage.get_all_studies()) == expected
        assert len(storage.get_all_studies()) == 2

    def test_delete_study_removes_its_trials_claims_and_name(self, storage: BaseStorage) -> None:
        gone = storage.create_new_study(_MIN, "gone")
        kept = storage.create_new_study(_MIN, "kept")
        gone_trial = storage.create_new_trial(gone)
        storage.set_trial_param(gone_trial, "x", 0.5, _X)
        storage.claim(gone, "k", "gone-value")
        storage.claim(kept, "k", "kept-value")
        kept_trial = storage.create_new_trial(kept)

        storage.delete_study(gone)

        for lookup in (
            lambda: storage.get_trial(gone_trial),
            lambda: storage.get_study_id_from_name("gone"),
            lambda: storage.get_study_name_from_id(gone),
            lambda: storage.get_claims(gone),
            lambda: storage.get_all_trials(gone),
        ):
            with pytest.raises(KeyError):
                lookup()
        assert storage.get_all_studies() == [StudyInfo(kept, "kept", (StudyDirection.MINIMIZE,))]
        assert storage.get_claims(kept) == {"k": "kept-value"}
        assert [t.trial_id for t in storage.get_all_trials(kept)] == [kept_trial]

    def test_deleted_name_is_free_and_the_new_study_starts_empty(
        self, storage: BaseStorage
    ) -> None:
        old = storage.create_new_study(_MIN, "reused")
        storage.set_trial_param(storage.create_new_trial(old), "x", 0.5, _X)
        storage.create_new_trial(old, _template(TrialState.WAITING))
        storage.claim(old, "k", "old")
        storage.set_study_user_attr(old, "u", 1)
        storage.set_study_system_attr(old, "s", 2)
        storage.delete_study(old)

        new = storage.create_new_study(_MAX, "reused")
        assert storage.get_study_id_from_name("reused") == new
        assert storage.get_study_directions(new) == _MAX
        assert storage.get_all_trials(new) == []
        assert storage.get_n_trials(new) == 0
        assert storage.get_trials_changed_since(new, 0)[0] == []
        assert storage.pop_waiting_trial(new) is None
        assert storage.get_claims(new) == {}
        assert storage.claim(new, "k", "new") == "new"
        assert storage.get_study_user_attrs(new) == {}
        assert storage.get_study_system_attrs(new) == {}
        # The old study's parameter distributions are gone too: "x" may now be an int.
        tid = storage.create_new_trial(new)
        storage.set_trial_param(tid, "x", 3.0, _N)
        assert storage.get_trial(tid).number == 0
        assert storage.get_trial(tid).params == {"x": 3}

    @pytest.mark.parametrize("kind", ["user", "system"])
    def test_study_attrs_round_trip(self, storage: BaseStorage, kind: str) -> None:
        sid = storage.create_new_study(_MIN)
        set_attr = getattr(storage, f"set_study_{kind}_attr")
        get_attrs = getattr(storage, f"get_study_{kind}_attrs")
        assert get_attrs(sid) == {}
        set_attr(sid, "a", {"nested": [1, 2.5, None, "s"]})
        set_attr(sid, "b", True)
        set_attr(sid, "b", 0)  # the later write wins
        assert _json(get_attrs(sid)) == _json({"a": {"nested": [1, 2.5, None, "s"]}, "b": 0})

    def test_study_user_and_system_attrs_are_separate(self, storage: BaseStorage) -> None:
        a = storage.create_new_study(_MIN)
        b = storage.create_new_study(_MIN)
        storage.set_study_user_attr(a, "k", "user")
        storage.set_study_system_attr(a, "k", "system")
        assert storage.get_study_user_attrs(a) == {"k": "user"}
        assert storage.get_study_system_attrs(a) == {"k": "system"}
        assert storage.get_study_user_attrs(b) == {}
        assert storage.get_study_system_attrs(b) == {}

    @pytest.mark.parametrize("kind", ["user", "system"])
    def test_study_attrs_are_copies(self, storage: BaseStorage, kind: str) -> None:
        sid = storage.create_new_study(_MIN)
        set_attr = getattr(storage, f"set_study_{kind}_attr")
        get_attrs = getattr(storage, f"get_study_{kind}_attrs")
        value = {"list": [1, 2]}
        set_attr(sid, "a", value)
        value["list"].append(3)  # the caller's object changes after the write
        got = get_attrs(sid)
        got["a"]["list"].append(4)  # a returned dict is changed by its reader
        got["new"] = 1
        assert get_attrs(sid) == {"a": {"list": [1, 2]}}

    def test_study_attr_values_round_trip(self, storage: BaseStorage) -> None:
        @self.hypothesis_settings
        @given(key=_text, value=_json_values)
        def check(key: str, value: Any) -> None:
            sid = storage.create_new_study(_MIN)
            storage.set_study_user_attr(sid, key, value)
            storage.set_study_system_attr(sid, key, value)
            assert _json(storage.get_study_user_attrs(sid)) == _json({key: value})
            assert _json(storage.get_study_system_attrs(sid)) == _json({key: value})

        check()

    # == claims ===================================================================================
    def test_first_claim_wins(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        assert storage.claim(sid, "grid:3", "first") == "first"
        assert storage.claim(sid, "grid:3", "second") == "first"
        assert storage.claim(sid, "grid:3", "first") == "first"
        assert storage.get_claims(sid) == {"grid:3": "first"}

    def test_get_claims_filters_by_prefix(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        claims = {"grid:0": "a", "grid:1": "b", "gridx": "c", "sobol:x": "d", "g": "e"}
        for k, v in claims.items():
            storage.claim(sid, k, v)
        assert storage.get_claims(sid) == claims
        assert storage.get_claims(sid, "") == claims
        assert storage.get_claims(sid, "grid:") == {"grid:0": "a", "grid:1": "b"}
        assert storage.get_claims(sid, "grid") == {"grid:0": "a", "grid:1": "b", "gridx": "c"}
        assert storage.get_claims(sid, "sobol:x") == {"sobol:x": "d"}
        assert storage.get_claims(sid, "none:") == {}

    def test_get_claims_prefix_is_literal(self, storage: BaseStorage) -> None:
        """SQL LIKE wildcards (``%``, ``_``) and escapes in a prefix match only themselves."""
        sid = storage.create_new_study(_MIN)
        for k in ("a_b", "axb", "a%c", "abc", "a\\d", "a\\\\e"):
            storage.claim(sid, k, k.upper())
        assert storage.get_claims(sid, "a_") == {"a_b": "A_B"}
        assert storage.get_claims(sid, "a%") == {"a%c": "A%C"}
        assert storage.get_claims(sid, "a\\") == {"a\\d": "A\\D", "a\\\\e": "A\\\\E"}

    def test_get_claims_returns_a_copy(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        storage.claim(sid, "k", "v")
        got = storage.get_claims(sid)
        got["k"] = "changed"
        got["other"] = "added"
        assert storage.get_claims(sid) == {"k": "v"}

    def test_claims_are_per_study(self, storage: BaseStorage) -> None:
        a = storage.create_new_study(_MIN)
        b = storage.create_new_study(_MIN)
        assert storage.claim(a, "k", "in-a") == "in-a"
        assert storage.claim(b, "k", "in-b") == "in-b"
        assert storage.get_claims(a) == {"k": "in-a"}
        assert storage.get_claims(b) == {"k": "in-b"}

    def test_racing_claims_have_one_winner(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        offered = [f"worker-{i}" for i in range(self.n_threads)]
        got = _race(self.n_threads, lambda i: storage.claim(sid, "k", offered[i]))
        assert len(set(got)) == 1, f"claimers saw different winners: {got}"
        assert got[0] in offered
        assert storage.get_claims(sid) == {"k": got[0]}

    # == creating trials ==========================================================================
    def test_new_trial_is_running_and_starts_now(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        before = datetime.datetime.now(_UTC)
        tid = storage.create_new_trial(sid)
        after = datetime.datetime.now(_UTC)
        t = storage.get_trial(tid)
        assert t.trial_id == tid
        assert t.number == 0
        assert t.state == TrialState.RUNNING
        assert t.values is None and t.datetime_complete is None
        assert t.params == {} and t.distributions == {} and t.intermediate_values == {}
        assert t.user_attrs == {} and t.system_attrs == {}
        start = _assert_utc(t.datetime_start, "datetime_start")
        assert before - self.clock_slack <= start <= after + self.clock_slack

    def test_trial_numbers_count_up_per_study(self, storage: BaseStorage) -> None:
        a = storage.create_new_study(_MIN)
        b = storage.create_new_study(_MIN)
        ids_a, ids_b = [], []
        for i in range(5):
            ids_a.append(storage.create_new_trial(a))
            if i % 2 == 0:
                ids_b.append(storage.create_new_trial(b, _template(TrialState.WAITING)))
        assert len(set(ids_a + ids_b)) == 8
        assert [storage.get_trial(t).number for t in ids_a] == [0, 1, 2, 3, 4]
        assert [storage.get_trial(t).number for t in ids_b] == [0, 1, 2]

    @pytest.mark.parametrize(
        ("state", "n_values"),
        [
            (TrialState.WAITING, 1),
            (TrialState.COMPLETE, 1),
            (TrialState.COMPLETE, 3),
            (TrialState.PRUNED, 1),
            (TrialState.FAIL, 1),
        ],
        ids=["waiting", "complete", "complete-3-values", "pruned", "fail"],
    )
    def test_template_round_trips(
        self, storage: BaseStorage, state: TrialState, n_values: int
    ) -> None:
        sid = storage.create_new_study(_MIN * n_values)
        storage.create_new_trial(sid)  # so the template's number and id are not 0
        template = _template(state, n_values)
        template.number = 42
        template._trial_id = 4242
        tid = storage.create_new_trial(sid, template)

        expected = copy.deepcopy(template)
        expected.number = 1
        expected._trial_id = tid
        got = storage.get_trial(tid)
        assert got == expected
        # == above takes 1 == 1.0 == True; the types must round-trip too.
        assert {k: type(v) for k, v in got.params.items()} == {
            k: type(v) for k, v in expected.params.items()
        }
        assert _json(got.user_attrs) == _json(expected.user_attrs)
        assert _json(got.system_attrs) == _json(expected.system_attrs)
        if state == TrialState.WAITING:
            assert got.datetime_start is None
        else:
            _assert_utc(got.datetime_start, "datetime_start")
            _assert_utc(got.datetime_complete, "datetime_complete")

    def test_running_template_starts_now(self, storage: BaseStorage) -> None:
        """``Study.ask`` passes a RUNNING template when its sampler reserved attributes."""
        sid = storage.create_new_study(_MIN)
        template = FrozenTrial(state=TrialState.RUNNING, system_attrs={"grid:point": 3})
        before = datetime.datetime.now(_UTC)
        tid = storage.create_new_trial(sid, template)
        after = datetime.datetime.now(_UTC)
        t = storage.get_trial(tid)
        assert (t.number, t.state, t.system_attrs) == (0, TrialState.RUNNING, {"grid:point": 3})
        assert t.datetime_complete is None
        start = _assert_utc(t.datetime_start, "datetime_start")
        assert before - self.clock_slack <= start <= after + self.clock_slack

    def test_template_is_copied(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        template = _template(TrialState.COMPLETE)
        tid = storage.create_new_trial(sid, template)
        expected = copy.deepcopy(storage.get_trial(tid))
        template.user_attrs["nested"]["k"].append("later")
        template.params["x"] = 0.0
        template.intermediate_values[99] = 9.0
        template.system_attrs.clear()
        assert storage.get_trial(tid) == expected

    def test_template_with_incompatible_distribution_raises(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        storage.set_trial_param(storage.create_new_trial(sid), "x", 0.5, _X)
        bad = FrozenTrial(
            state=TrialState.COMPLETE,
            values=[1.0],
            params={"x": 1},
            distributions={"x": IntDistribution(0, 1)},
        )
        with pytest.raises(ValueError):
            storage.create_new_trial(sid, bad)
        assert storage.get_n_trials(sid) == 1
        # The failed call used no number.
        assert storage.get_trial(storage.create_new_trial(sid)).number == 1

    # == parameters ===============================================================================
    def test_set_trial_param_stores_the_external_value(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        t0 = storage.create_new_trial(sid)
        storage.set_trial_param(t0, "x", 0.25, _X)
        storage.set_trial_param(t0, "n", 3.0, _N)
        storage.set_trial_param(t0, "c", 1.0, _C)
        t1 = storage.create_new_trial(sid)
        storage.set_trial_param(t1, "c", 2.0, _C)

        got = storage.get_trial(t0)
        assert got.params == {"x": 0.25, "n": 3, "c": None}
        assert type(got.params["x"]) is float and type(got.params["n"]) is int
        assert got.distributions == {"x": _X, "n": _N, "c": _C}
        assert storage.get_trial(t1).params == {"c": 2.5}
        assert storage.get_trial(t1).distributions == {"c": _C}

    def test_categorical_choices_keep_their_type(self, storage: BaseStorage) -> None:
        """``1``, ``True`` and ``1.0`` are equal in Python but distinct choices."""
        sid = storage.create_new_study(_MIN)
        dist = CategoricalDistribution([1, True, 1.0, None, "1"])
        for i in range(5):
            storage.set_trial_param(storage.create_new_trial(sid), "c", float(i), dist)
        got = [t.params["c"] for t in storage.get_all_trials(sid)]
        assert [(type(v), v) for v in got] == [
            (int, 1),
            (bool, True),
            (float, 1.0),
            (type(None), None),
            (str, "1"),
        ]
        assert all(t.distributions["c"] == dist for t in storage.get_all_trials(sid))

    @pytest.mark.parametrize(
        ("first", "second", "internal"),
        [
            (FloatDistribution(0, 1), IntDistribution(0, 1), 1.0),
            (FloatDistribution(0.1, 1), FloatDistribution(0.1, 1, log=True), 0.5),
            (IntDistribution(1, 10), IntDistribution(1, 10, log=True), 2.0),
            (CategoricalDistribution(["a", "b"]), CategoricalDistribution(["a", "b", "c"]), 0.0),
            (CategoricalDistribution([1, 2]), CategoricalDistribution([1.0, 2.0]), 0.0),
            (CategoricalDistribution(["a"]), FloatDistribution(0, 1), 0.0),
        ],
        ids=["float-to-int", "float-log", "int-log", "more-choices", "choice-types", "cat-float"],
    )
    def test_incompatible_distribution_across_trials_raises(
        self,
        storage: BaseStorage,
        first: BaseDistribution,
        second: BaseDistribution,
        internal: float,
    ) -> None:
        sid = storage.create_new_study(_MIN)
        storage.set_trial_param(storage.create_new_trial(sid), "p", internal, first)
        tid = storage.create_new_trial(sid)
        with pytest.raises(ValueError):
            storage.set_trial_param(tid, "p", internal, second)
        assert storage.get_trial(tid).params == {}
        assert storage.get_trial(tid).distributions == {}
        # Another name is unaffected.
        storage.set_trial_param(tid, "q", internal, second)

    def test_same_param_twice_in_one_trial_raises(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        tid = storage.create_new_trial(sid)
        storage.set_trial_param(tid, "x", 0.25, _X)
        with pytest.raises(ValueError):
            storage.set_trial_param(tid, "x", 0.75, _X)
        assert storage.get_trial(tid).params == {"x": 0.25}

    @pytest.mark.parametrize(
        ("first", "second"),
        [('x"a', "a"), ('{"a": ', "a"), ("a\\", "a"), (', "a": [', "a"), ('\\"', '"')],
    )
    def test_a_name_inside_another_name_is_another_parameter(
        self, storage: BaseStorage, first: str, second: str
    ) -> None:
        """Names holding quotes, backslashes or JSON separators are names like any other."""
        tid = storage.create_new_trial(storage.create_new_study(_MIN))
        storage.set_trial_param(tid, first, 0.25, _X)
        storage.set_trial_param(tid, second, 0.5, _X)
        with pytest.raises(ValueError):
            storage.set_trial_param(tid, first, 0.75, _X)
        assert storage.get_trial(tid).params == {first: 0.25, second: 0.5}

    def test_range_may_change_across_trials(self, storage: BaseStorage) -> None:
        """A dynamic search space: the kind stays, the range and step may change."""
        sid = storage.create_new_study(_MIN)
        t0, t1 = storage.create_new_trial(sid), storage.create_new_trial(sid)
        storage.set_trial_param(t0, "x", 0.5, FloatDistribution(0, 1))
        storage.set_trial_param(t0, "n", 3.0, IntDistribution(0, 10))
        storage.set_trial_param(t1, "x", 7.5, FloatDistribution(5, 10, step=2.5))
        storage.set_trial_param(t1, "n", 50.0, IntDistribution(0, 100, step=5))
        got0, got1 = storage.get_trial(t0), storage.get_trial(t1)
        assert got0.params == {"x": 0.5, "n": 3}
        assert got1.params == {"x": 7.5, "n": 50}
        assert got0.distributions == {"x": FloatDistribution(0, 1), "n": IntDistribution(0, 10)}
        assert got1.distributions == {
            "x": FloatDistribution(5, 10, step=2.5),
            "n": IntDistribution(0, 100, step=5),
        }

    def test_float_param_round_trips_exactly(self, storage: BaseStorage) -> None:
        dist = FloatDistribution(-1e300, 1e300)

        @self.hypothesis_settings
        @given(value=st.floats(dist.low, dist.high))
        def check(value: float) -> None:
            tid = storage.create_new_trial(storage.create_new_study(_MIN))
            storage.set_trial_param(tid, "x", value, dist)
            assert storage.get_trial(tid).params["x"] == value

        check()

    # == state and values =========================================================================
    @pytest.mark.parametrize(
        ("state", "values"),
        [
            (TrialState.COMPLETE, [1.5]),
            (TrialState.COMPLETE, [1.5, -2.0, 0.0]),
            (TrialState.PRUNED, [0.5]),
            (TrialState.FAIL, None),
        ],
        ids=["complete", "complete-3-values", "pruned", "fail"],
    )
    def test_finishing_records_values_and_time(
        self, storage: BaseStorage, state: TrialState, values: list[float] | None
    ) -> None:
        sid = storage.create_new_study(_MIN)
        tid = storage.create_new_trial(sid)
        before = datetime.datetime.now(_UTC)
        assert storage.set_trial_state_values(tid, state, values) is True
        after = datetime.datetime.now(_UTC)
        t = storage.get_trial(tid)
        assert t.state == state
        assert t.values == values
        start = _assert_utc(t.datetime_start, "datetime_start")
        complete = _assert_utc(t.datetime_complete, "datetime_complete")
        assert start <= complete
        assert before - self.clock_slack <= complete <= after + self.clock_slack

    @pytest.mark.parametrize("setter", sorted(_SETTERS_ON_FINISHED))
    @pytest.mark.parametrize("state", _FINISHED, ids=lambda s: s.name.lower())
    def test_finished_trial_cannot_change(
        self, storage: BaseStorage, state: TrialState, setter: str
    ) -> None:
        sid = storage.create_new_study(_MIN)
        tid = storage.create_new_trial(sid)
        storage.set_trial_state_values(tid, state, None if state == TrialState.FAIL else [1.0])
        before = copy.deepcopy(storage.get_trial(tid))
        with pytest.raises(UpdateFinishedTrialError):
            _SETTERS_ON_FINISHED[setter](storage, tid)
        assert storage.get_trial(tid) == before

    def test_waiting_to_running_succeeds_once(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        tid = storage.create_new_trial(sid, _template(TrialState.WAITING))
        assert storage.get_trial(tid).state == TrialState.WAITING
        assert storage.set_trial_state_values(tid, TrialState.RUNNING) is True
        started = copy.deepcopy(storage.get_trial(tid))
        assert started.state == TrialState.RUNNING
        _assert_utc(started.datetime_start, "datetime_start")
        assert storage.set_trial_state_values(tid, TrialState.RUNNING) is False
        assert storage.get_trial(tid) == started
        # A trial created RUNNING cannot be taken either.
        running = storage.create_new_trial(sid)
        assert storage.set_trial_state_values(running, TrialState.RUNNING) is False

    @pytest.mark.parametrize(
        "state", [TrialState.RUNNING, TrialState.WAITING], ids=lambda s: s.name.lower()
    )
    def test_back_to_waiting_raises(self, storage: BaseStorage, state: TrialState) -> None:
        sid = storage.create_new_study(_MIN)
        tid = storage.create_new_trial(sid, FrozenTrial(state=state))
        before = copy.deepcopy(storage.get_trial(tid))
        with pytest.raises(ValueError):
            storage.set_trial_state_values(tid, TrialState.WAITING)
        assert storage.get_trial(tid) == before

    def test_infinite_values_round_trip(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN * 3)
        tid = storage.create_new_trial(sid)
        storage.set_trial_state_values(tid, TrialState.COMPLETE, [_INF, -_INF, 1.0])
        assert storage.get_trial(tid).values == [_INF, -_INF, 1.0]

    def test_values_round_trip_exactly(self, storage: BaseStorage) -> None:
        @self.hypothesis_settings
        @given(values=st.lists(st.floats(allow_nan=False), min_size=1, max_size=3))
        def check(values: list[float]) -> None:
            tid = storage.create_new_trial(storage.create_new_study(_MIN * len(values)))
            storage.set_trial_state_values(tid, TrialState.COMPLETE, values)
            got = storage.get_trial(tid).values
            assert got == values
            assert got is not None and all(type(v) is float for v in got)

        check()

    def test_intermediate_values_round_trip(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        tid = storage.create_new_trial(sid)
        reported = {0: 0.5, 1: math.nan, 2: _INF, 5: -_INF, 1_000_000: -0.25}
        for step, value in reported.items():
            storage.set_trial_intermediate_value(tid, step, value)
        got = storage.get_trial(tid).intermediate_values
        assert sorted(got) == sorted(reported)
        assert all(type(step) is int for step in got)
        assert all(_same_float(got[s], v) for s, v in reported.items()), got

    def test_intermediate_values_round_trip_exactly(self, storage: BaseStorage) -> None:
        @self.hypothesis_settings
        @given(reported=st.dictionaries(st.integers(0, 2**31 - 1), st.floats(), max_size=8))
        def check(reported: dict[int, float]) -> None:
            tid = storage.create_new_trial(storage.create_new_study(_MIN))
            for step, value in reported.items():
                storage.set_trial_intermediate_value(tid, step, value)
            got = storage.get_trial(tid).intermediate_values
            assert sorted(got) == sorted(reported)
            assert all(_same_float(got[s], v) for s, v in reported.items()), got

        check()

    @pytest.mark.parametrize("kind", ["user", "system"])
    def test_trial_attrs_round_trip(self, storage: BaseStorage, kind: str) -> None:
        sid = storage.create_new_study(_MIN)
        tid = storage.create_new_trial(sid)
        other = storage.create_new_trial(sid)
        set_attr = getattr(storage, f"set_trial_{kind}_attr")
        value = {"list": [1, 2.5, None, "s", True]}
        set_attr(tid, "a", value)
        set_attr(tid, "b", 1)
        set_attr(tid, "b", 2.0)  # the later write wins
        value["list"].append("later")  # the caller's object changes after the write
        got = storage.get_trial(tid)
        assert _json(getattr(got, f"{kind}_attrs")) == _json(
            {"a": {"list": [1, 2.5, None, "s", True]}, "b": 2.0}
        )
        other_kind = "system" if kind == "user" else "user"
        assert getattr(got, f"{other_kind}_attrs") == {}
        assert getattr(storage.get_trial(other), f"{kind}_attrs") == {}

    def test_trial_attr_values_round_trip(self, storage: BaseStorage) -> None:
        @self.hypothesis_settings
        @given(key=_text, value=_json_values)
        def check(key: str, value: Any) -> None:
            tid = storage.create_new_trial(storage.create_new_study(_MIN))
            storage.set_trial_user_attr(tid, key, value)
            storage.set_trial_system_attr(tid, key, value)
            got = storage.get_trial(tid)
            assert _json(got.user_attrs) == _json({key: value})
            assert _json(got.system_attrs) == _json({key: value})

        check()

    def test_user_attrs_come_back_as_json_keeps_them(self, storage: BaseStorage) -> None:
        """User attributes are JSON in every storage: a tuple comes back as a list."""
        sid = storage.create_new_study(_MIN)
        tid = storage.create_new_trial(sid)
        storage.set_trial_user_attr(tid, "t", (1, (2.5, None)))
        storage.set_study_user_attr(sid, "t", ("a",))
        template = FrozenTrial(state=TrialState.WAITING, user_attrs={"t": (True,)})
        waiting = storage.create_new_trial(sid, template)
        assert storage.get_trial(tid).user_attrs == {"t": [1, [2.5, None]]}
        assert storage.get_study_user_attrs(sid) == {"t": ["a"]}
        assert storage.get_trial(waiting).user_attrs == {"t": [True]}

    def test_check_trial_is_updatable(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        tid = storage.create_new_trial(sid)
        storage.check_trial_is_updatable(tid, TrialState.RUNNING)
        storage.check_trial_is_updatable(tid, TrialState.WAITING)
        storage.set_trial_state_values(tid, TrialState.COMPLETE, [0.0])
        for state in _FINISHED:
            with pytest.raises(UpdateFinishedTrialError):
                storage.check_trial_is_updatable(tid, state)

    # == reading trials ===========================================================================
    def test_get_trial_is_a_snapshot(self, storage: BaseStorage) -> None:
        """A record read earlier does not change when the trial is written later."""
        sid = storage.create_new_study(_MIN)
        tid = storage.create_new_trial(sid)
        storage.set_trial_user_attr(tid, "k", [1])
        readers = {
            "get_trial": storage.get_trial(tid),
            "get_all_trials": storage.get_all_trials(sid)[0],
            "get_all_trials(deepcopy=False)": storage.get_all_trials(sid, deepcopy=False)[0],
            "get_trials_changed_since": storage.get_trials_changed_since(sid, 0)[0][0],
        }
        expected = copy.deepcopy(readers["get_trial"])
        for write in ("param", "intermediate", "user_attr", "system_attr", "complete"):
            _WRITES[write](storage, tid)
        for reader, record in readers.items():
            assert record == expected, f"the record from {reader} changed"
        assert storage.get_trial(tid) != expected

    @pytest.mark.parametrize("reader", ["get_trial", "get_all_trials"])
    def test_returned_records_are_copies(self, storage: BaseStorage, reader: str) -> None:
        """Changing a returned record (deep inside, too) does not change the storage."""
        sid = storage.create_new_study(_MIN)
        tid = storage.create_new_trial(sid, _template(TrialState.COMPLETE))
        expected = copy.deepcopy(storage.get_trial(tid))

        def read() -> FrozenTrial:
            return (
                storage.get_trial(tid) if reader == "get_trial" else storage.get_all_trials(sid)[0]
            )

        t = read()
        t.params["x"] = 0.0
        t.distributions["y"] = _X
        t.user_attrs["nested"]["k"].append("changed")
        t.system_attrs["new"] = 1
        t.intermediate_values[0] = -1.0
        assert t.values is not None
        t.values[0] = -1.0
        t.state = TrialState.FAIL
        t.number = 99
        assert storage.get_trial(tid) == expected
        assert read() == expected

    def test_get_all_trials_is_ordered_by_number(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        ids = [storage.create_new_trial(sid) for _ in range(3)]
        ids.append(storage.create_new_trial(sid, _template(TrialState.WAITING)))
        ids.append(storage.create_new_trial(sid, _template(TrialState.COMPLETE)))
        for i in (2, 0, 3, 1):  # the last write goes to trial 1
            storage.set_trial_user_attr(ids[i], "order", i)
        storage.set_trial_state_values(ids[1], TrialState.COMPLETE, [1.0])
        for deepcopy in (True, False):
            trials = storage.get_all_trials(sid, deepcopy=deepcopy)
            assert [t.number for t in trials] == [0, 1, 2, 3, 4]
            assert [t.trial_id for t in trials] == ids

    def test_get_all_trials_filters_states(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        states = [
            TrialState.COMPLETE,
            TrialState.RUNNING,
            TrialState.WAITING,
            TrialState.FAIL,
            TrialState.COMPLETE,
            TrialState.PRUNED,
            TrialState.RUNNING,
            TrialState.WAITING,
        ]
        for state in states:
            if state == TrialState.WAITING:
                storage.create_new_trial(sid, _template(TrialState.WAITING))
                continue
            tid = storage.create_new_trial(sid)
            if state.is_finished():
                values = None if state == TrialState.FAIL else [0.0]
                storage.set_trial_state_values(tid, state, values)
        assert [t.state for t in storage.get_all_trials(sid)] == states
        by_state = {s: [n for n, state in enumerate(states) if state == s] for s in TrialState}

        def numbers(filter_states: Any) -> list[int]:
            return [t.number for t in storage.get_all_trials(sid, states=filter_states)]

        assert numbers(None) == list(range(len(states)))
        assert numbers(()) == []
        assert numbers((TrialState.COMPLETE,)) == by_state[TrialState.COMPLETE]
        assert numbers([TrialState.FAIL, TrialState.PRUNED]) == sorted(
            by_state[TrialState.FAIL] + by_state[TrialState.PRUNED]
        )
        running_or_waiting = {TrialState.RUNNING, TrialState.WAITING}
        assert numbers(running_or_waiting) == sorted(
            by_state[TrialState.RUNNING] + by_state[TrialState.WAITING]
        )
        assert [
            t.number
            for t in storage.get_all_trials(sid, deepcopy=False, states=(TrialState.COMPLETE,))
        ] == by_state[TrialState.COMPLETE]

    def test_get_n_trials(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        other = storage.create_new_study(_MIN)
        assert storage.get_n_trials(sid) == 0
        for _ in range(3):
            storage.create_new_trial(sid)
        storage.create_new_trial(sid, _template(TrialState.WAITING))
        storage.set_trial_state_values(storage.create_new_trial(sid), TrialState.FAIL)
        storage.create_new_trial(other)
        assert storage.get_n_trials(sid) == 5
        assert storage.get_n_trials(sid, states=(TrialState.RUNNING,)) == 3
        assert storage.get_n_trials(sid, states=(TrialState.WAITING, TrialState.FAIL)) == 2
        assert storage.get_n_trials(sid, states=(TrialState.COMPLETE,)) == 0
        assert storage.get_n_trials(sid, states=()) == 0
        assert storage.get_n_trials(other) == 1

    def test_trial_id_and_number_lookup(self, storage: BaseStorage) -> None:
        a = storage.create_new_study(_MIN)
        b = storage.create_new_study(_MIN)
        ids_a = [storage.create_new_trial(a) for _ in range(4)]
        ids_b = [storage.create_new_trial(b) for _ in range(2)]
        for study, ids in ((a, ids_a), (b, ids_b)):
            for number, tid in enumerate(ids):
                assert storage.get_trial_id_from_study_id_trial_number(study, number) == tid
                assert storage.get_trial_number_from_id(tid) == number
        for number in (2, 3, -1, 100):
            with pytest.raises(KeyError):
                storage.get_trial_id_from_study_id_trial_number(b, number)

    @pytest.mark.parametrize("op", sorted(_TRIAL_OPS))
    def test_unknown_trial_id_raises_key_error(self, storage: BaseStorage, op: str) -> None:
        storage.create_new_trial(storage.create_new_study(_MIN))
        with pytest.raises(KeyError):
            _TRIAL_OPS[op](storage, _UNKNOWN_ID)

    # == get_trials_changed_since =================================================================
    def test_changed_since_zero_returns_every_trial(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        assert storage.get_trials_changed_since(sid, 0)[0] == []
        ids = [storage.create_new_trial(sid) for _ in range(3)]
        storage.set_trial_state_values(ids[0], TrialState.COMPLETE, [1.0])
        changed, _ = storage.get_trials_changed_since(sid, 0)
        assert changed == storage.get_all_trials(sid)
        assert [t.trial_id for t in changed] == ids

    def test_changed_since_a_mark_returns_only_new_and_changed(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        ids = [storage.create_new_trial(sid) for _ in range(4)]
        _, mark = storage.get_trials_changed_since(sid, 0)
        storage.set_trial_state_values(ids[3], TrialState.COMPLETE, [3.0])
        storage.set_trial_user_attr(ids[1], "k", "v")
        new = storage.create_new_trial(sid)
        changed, _ = storage.get_trials_changed_since(sid, mark)
        assert [t.trial_id for t in changed] == [ids[1], ids[3], new]  # ordered by number
        assert changed[0].user_attrs == {"k": "v"}
        assert changed[1].state == TrialState.COMPLETE and changed[1].values == [3.0]
        assert changed == [storage.get_trial(t) for t in (ids[1], ids[3], new)]

    def test_changed_since_on_an_empty_study(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        changed, mark = storage.get_trials_changed_since(sid, 0)
        assert changed == []
        tid = storage.create_new_trial(sid)
        assert [t.trial_id for t in storage.get_trials_changed_since(sid, mark)[0]] == [tid]

    def test_marks_are_monotone_and_reading_consumes_nothing(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        tid = storage.create_new_trial(sid)
        changed, mark1 = storage.get_trials_changed_since(sid, 0)
        assert storage.get_trials_changed_since(sid, mark1)[0] == []
        marks = [mark1]
        for step in range(3):
            storage.set_trial_intermediate_value(tid, step, float(step))
            changed, mark = storage.get_trials_changed_since(sid, marks[-1])
            assert [t.intermediate_values for t in changed] == [
                {s: float(s) for s in range(step + 1)}
            ]
            assert mark >= marks[-1]
            marks.append(mark)
        # Nothing changed since the last mark; an unchanged study gives no smaller mark.
        changed, mark = storage.get_trials_changed_since(sid, marks[-1])
        assert changed == [] and mark >= marks[-1]
        # An older mark still sees the change: a read consumes nothing (several readers).
        assert [t.trial_id for t in storage.get_trials_changed_since(sid, mark1)[0]] == [tid]

    @pytest.mark.parametrize("write", [*sorted(_WRITES), "start"])
    def test_each_write_marks_the_trial_changed(self, storage: BaseStorage, write: str) -> None:
        sid = storage.create_new_study(_MIN)
        template = _template(TrialState.WAITING) if write == "start" else None
        ids = [storage.create_new_trial(sid, template) for _ in range(3)]
        _, mark = storage.get_trials_changed_since(sid, 0)
        if write == "start":
            assert storage.set_trial_state_values(ids[1], TrialState.RUNNING) is True
        else:
            _WRITES[write](storage, ids[1])
        changed, new_mark = storage.get_trials_changed_since(sid, mark)
        assert [t.trial_id for t in changed] == [ids[1]]
        assert changed[0] == storage.get_trial(ids[1])
        assert new_mark >= mark

    def test_changes_in_another_study_are_not_reported(self, storage: BaseStorage) -> None:
        a = storage.create_new_study(_MIN)
        b = storage.create_new_study(_MIN)
        storage.create_new_trial(a)
        in_b = storage.create_new_trial(b)
        _, mark_a = storage.get_trials_changed_since(a, 0)
        storage.set_trial_state_values(in_b, TrialState.COMPLETE, [1.0])
        storage.create_new_trial(b)
        assert storage.get_trials_changed_since(a, mark_a)[0] == []

    def test_incremental_reads_rebuild_the_study(self, storage: BaseStorage) -> None:
        """A reader keeping the records of ``get_trials_changed_since`` sees what a full read does.

        Random sequences of writes, with reads in between (as a sampler's cache does).
        """
        ops_strategy = st.lists(
            st.tuples(
                st.sampled_from(
                    ["create", "enqueue", "start", "param", "report", "attr", "finish"]
                ),
                st.integers(0, 7),
                st.booleans(),  # read after this write?
            ),
            max_size=30,
        )

        @self.hypothesis_settings
        @given(ops=ops_strategy)
        def check(ops: list[tuple[str, int, bool]]) -> None:
            sid = storage.create_new_study(_MIN)
            ids = [storage.create_new_trial(sid) for _ in range(2)]
            view: dict[int, FrozenTrial] = {}
            mark = 0

            def read() -> None:
                nonlocal mark
                changed, mark = storage.get_trials_changed_since(sid, mark)
                view.update((t.number, t) for t in changed)
                assert view == {t.number: t for t in storage.get_all_trials(sid)}

            read()
            for i, (op, k, read_after) in enumerate(ops):
                if op == "create":
                    ids.append(storage.create_new_trial(sid))
                elif op == "enqueue":
                    waiting = FrozenTrial(state=TrialState.WAITING)
                    ids.append(storage.create_new_trial(sid, waiting))
                else:
                    tid = ids[k % len(ids)]
                    try:
                        if op == "start":
                            storage.set_trial_state_values(tid, TrialState.RUNNING)
                        elif op == "param":
                            storage.set_trial_param(tid, f"p{i}", 0.5, _X)
                        elif op == "report":
                            storage.set_trial_intermediate_value(tid, k, float(i))
                        elif op == "attr":
                            storage.set_trial_user_attr(tid, str(k), i)
                        else:
                            storage.set_trial_state_values(tid, TrialState.COMPLETE, [float(i)])
                    except UpdateFinishedTrialError:
                        pass
                if read_after:
                    read()
            read()

        check()

    # == pop_waiting_trial ========================================================================
    def test_pop_waiting_trial_is_fifo(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        waiting = []
        for i in range(6):
            if i % 2:
                storage.create_new_trial(sid)
            else:
                waiting.append(storage.create_new_trial(sid, _template(TrialState.WAITING)))
        storage.set_trial_state_values(storage.create_new_trial(sid), TrialState.FAIL)
        waiting.append(storage.create_new_trial(sid, _template(TrialState.WAITING)))
        popped = [storage.pop_waiting_trial(sid) for _ in range(len(waiting))]
        assert popped == waiting
        assert storage.pop_waiting_trial(sid) is None
        assert all(storage.get_trial(t).state == TrialState.RUNNING for t in waiting)

    def test_pop_waiting_trial_returns_none_when_nothing_waits(self, storage: BaseStorage) -> None:
        a = storage.create_new_study(_MIN)
        b = storage.create_new_study(_MIN)
        assert storage.pop_waiting_trial(a) is None
        storage.create_new_trial(a)
        storage.set_trial_state_values(storage.create_new_trial(a), TrialState.COMPLETE, [1.0])
        storage.create_new_trial(b, _template(TrialState.WAITING))  # waits in another study
        assert storage.pop_waiting_trial(a) is None
        assert [t.state for t in storage.get_all_trials(a)] == [
            TrialState.RUNNING,
            TrialState.COMPLETE,
        ]

    def test_pop_waiting_trial_hands_out_each_trial_once(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        waiting = {storage.create_new_trial(sid, _template(TrialState.WAITING)) for _ in range(10)}
        storage.create_new_trial(sid)

        def pop_all(_: int) -> list[int]:
            mine = []
            while (tid := storage.pop_waiting_trial(sid)) is not None:
                mine.append(tid)
            return mine

        popped = [tid for mine in _race(self.n_threads, pop_all) for tid in mine]
        assert sorted(popped) == sorted(waiting), "a trial was popped twice or never"
        assert storage.get_n_trials(sid, states=(TrialState.WAITING,)) == 0

    # == concurrency ==============================================================================
    def test_concurrent_trial_creation_gives_gap_free_numbers(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        per_thread = 50
        created = _race(
            self.n_threads, lambda _: [storage.create_new_trial(sid) for _ in range(per_thread)]
        )
        n = self.n_threads * per_thread
        trials = storage.get_all_trials(sid)
        assert [t.number for t in trials] == list(range(n))
        assert len({t.trial_id for t in trials}) == n
        assert sorted(tid for mine in created for tid in mine) == sorted(
            t.trial_id for t in trials
        )
        number = {t.trial_id: t.number for t in trials}
        for mine in created:  # one thread's trials are numbered in the order it made them
            assert [number[t] for t in mine] == sorted(number[t] for t in mine)

    def test_concurrent_finish_has_one_winner(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        tid = storage.create_new_trial(sid)

        def finish(i: int) -> bool:
            try:
                return storage.set_trial_state_values(tid, TrialState.COMPLETE, [float(i)])
            except UpdateFinishedTrialError:
                return False

        won = _race(self.n_threads, finish)
        assert won.count(True) == 1, f"winners: {[i for i, w in enumerate(won) if w]}"
        assert storage.get_trial(tid).values == [float(won.index(True))]

    def test_concurrent_start_has_one_winner(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)
        tid = storage.create_new_trial(sid, _template(TrialState.WAITING))
        won = _race(
            self.n_threads, lambda _: storage.set_trial_state_values(tid, TrialState.RUNNING)
        )
        assert won.count(True) == 1 and won.count(False) == self.n_threads - 1
        assert storage.get_trial(tid).state == TrialState.RUNNING

    @pytest.mark.parametrize(
        "write", ["param", "report", "user_attr", "system_attr", "study_attr"]
    )
    def test_concurrent_writes_to_one_trial_are_all_kept(
        self, storage: BaseStorage, write: str
    ) -> None:
        """No lost updates when several threads add different keys to one record."""
        sid = storage.create_new_study(_MIN)
        tid = storage.create_new_trial(sid)
        per_thread = 5

        def writes(i: int) -> None:
            for j in range(per_thread):
                k = i * per_thread + j
                if write == "param":
                    storage.set_trial_param(tid, f"p{k}", float(k), IntDistribution(0, 1000))
                elif write == "report":
                    storage.set_trial_intermediate_value(tid, k, float(k))
                elif write == "user_attr":
                    storage.set_trial_user_attr(tid, f"k{k}", k)
                elif write == "system_attr":
                    storage.set_trial_system_attr(tid, f"k{k}", k)
                else:
                    storage.set_study_user_attr(sid, f"k{k}", k)

        _race(self.n_threads, writes)
        n = self.n_threads * per_thread
        t = storage.get_trial(tid)
        got = {
            "param": t.params,
            "report": t.intermediate_values,
            "user_attr": t.user_attrs,
            "system_attr": t.system_attrs,
            "study_attr": storage.get_study_user_attrs(sid),
        }[write]
        special: dict[str, dict[Any, Any]] = {
            "param": {f"p{k}": k for k in range(n)},
            "report": {k: float(k) for k in range(n)},
        }
        expected = special.get(write, {f"k{k}": k for k in range(n)})
        assert got == expected

    def test_concurrent_trials_of_many_threads_are_complete(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study(_MIN)

        def run_trials(i: int) -> None:
            for j in range(5):
                tid = storage.create_new_trial(sid)
                storage.set_trial_param(tid, "x", 0.5 / (1 + j), _X)
                storage.set_trial_param(tid, "worker", float(i), IntDistribution(0, 99))
                storage.set_trial_intermediate_value(tid, 0, float(j))
                storage.set_trial_user_attr(tid, "j", j)
                storage.set_trial_state_values(tid, TrialState.COMPLETE, [float(i * 10 + j)])

        _race(self.n_threads, run_trials)
        trials = storage.get_all_trials(sid)
        assert len(trials) == 5 * self.n_threads
        for t in trials:
            j = t.user_attrs["j"]
            assert t.state == TrialState.COMPLETE
            assert t.params == {"x": 0.5 / (1 + j), "worker": t.params["worker"]}
            assert t.intermediate_values == {0: float(j)}
            assert t.values == [float(t.params["worker"] * 10 + j)]
        assert sorted((t.params["worker"], t.user_attrs["j"]) for t in trials) == [
            (i, j) for i in range(self.n_threads) for j in range(5)
        ]

    # == pickling and copying =====================================================================
    @pytest.mark.parametrize("how", ["pickle", "deepcopy"])
    def test_copy_holds_the_studies_and_keeps_working(
        self, storage: BaseStorage, how: str
    ) -> None:
        sid = storage.create_new_study(_MIN, "copied")
        storage.set_study_user_attr(sid, "u", [1, "a"])
        storage.claim(sid, "k", "v")
        for i in range(3):
            tid = storage.create_new_trial(sid)
            storage.set_trial_param(tid, "x", 0.25 * i, _X)
            storage.set_trial_intermediate_value(tid, 0, float(i))
            storage.set_trial_user_attr(tid, "i", i)
            if i < 2:
                storage.set_trial_state_values(tid, TrialState.COMPLETE, [float(i)])
        _, mark = storage.get_trials_changed_since(sid, 0)

        twin = pickle.loads(pickle.dumps(storage)) if how == "pickle" else copy.deepcopy(storage)
        try:
            assert twin is not storage
            assert twin.get_study_id_from_name("copied") == sid
            assert twin.get_study_user_attrs(sid) == {"u": [1, "a"]}
            assert twin.get_claims(sid) == {"k": "v"}
            fields = ("number", "state", "values", "params", "intermediate_values", "user_attrs")
            records = [[getattr(t, f) for f in fields] for t in storage.get_all_trials(sid)]
            assert [[getattr(t, f) for f in fields] for t in twin.get_all_trials(sid)] == records
            assert twin.get_trials_changed_since(sid, mark)[0] == []  # the marks stay valid

            # The copy works (the running trial too), alone or beside the original.
            running = twin.get_all_trials(sid, states=(TrialState.RUNNING,))[0]._trial_id
            twin.set_trial_state_values(running, TrialState.COMPLETE, [2.0])
            new = twin.create_new_trial(sid)
            assert twin.get_trial(new).number == 3
            changed, _ = twin.get_trials_changed_since(sid, mark)
            assert sorted(t.number for t in changed) == [2, 3]
            # Either a new connection to the same studies or an independent copy of them.
            shared = storage.get_n_trials(sid) == 4
            if not shared:
                assert storage.get_n_trials(sid) == 3
                assert storage.get_trial(running).state == TrialState.RUNNING
            other = storage.create_new_trial(sid)
            assert (twin.get_n_trials(sid) == 5) == shared
            assert storage.get_trial(other).number == (4 if shared else 3)
        finally:
            twin.remove_session()
