"""A storage that is an append-only log of operations, replayed by every process.

Each write to the storage is one record (a JSON object with an ``"op"``) appended to a
:class:`~hyperdial.storages.journal.BaseJournalBackend`; each process rebuilds the studies by
applying the records in log order to an :class:`~hyperdial.storages.InMemoryStorage`, its
replayed state. Replay is incremental: a process remembers how many records it has applied
and reads only the new ones, once per storage call.

Atomic operations are decided by the order of the log. A write takes the backend's lock,
replays the log to its end, applies its record to the replayed state (which raises, and
nothing is written, when the operation is not allowed), appends the record and releases the
lock. The record was checked against the whole log, so replaying it in any process has the same
effect: trial numbers are gap-free, each WAITING trial is started by one worker, a trial
finishes once, a claim has one holder. Records carry every value a replay needs (a generated
study name, timestamps), so replays agree. The record format, the locking and the handling of
torn records are in docs/design/journal_storage.md.

Heartbeats are records too. Staleness is judged by the observer's own monotonic clock: a
RUNNING trial whose worker records heartbeats is failed when no record about it has appeared
in the log for ``grace_period`` seconds of the reaper's time, so skewed clocks between machines
do not matter (the written timestamps are only for display).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Container, Iterator, Sequence
from typing import Any

from hyperdial._direction import StudyDirection
from hyperdial.distributions import BaseDistribution, distribution_to_json, json_to_distribution
from hyperdial.exceptions import (
    DuplicatedStudyError,
    StorageInternalError,
    UpdateFinishedTrialError,
)
from hyperdial.storages._base import BaseStorage, StudyInfo, check_study_name
from hyperdial.storages._heartbeat_args import check_heartbeat_args
from hyperdial.storages._in_memory import InMemoryStorage
from hyperdial.storages.journal._backend import BaseJournalBackend
from hyperdial.trial._frozen import FrozenTrial
from hyperdial.trial._state import TrialState
from hyperdial.trial._system_attrs import (
    FAIL_REASON_KEY,
    FAILED_TRIAL_KEY,
    FIXED_PARAMS_KEY,
    RETRY_HISTORY_KEY,
)

__all__ = ["JournalStorage"]

_logger = logging.getLogger("hyperdial")

#: The record format this code writes; a log with a newer format is refused.
FORMAT = 1


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_RUNNING = TrialState.RUNNING
_WAITING = TrialState.WAITING
# Errors a record may raise when it is applied; the record is then skipped (first writer wins).
_REFUSED = (KeyError, ValueError, TypeError, UpdateFinishedTrialError, DuplicatedStudyError)


def _now_us() -> int:
    return time.time_ns() // 1000


def _to_us(dt: datetime.datetime | None) -> int | None:
    """Microseconds since the Unix epoch; a naive ``dt`` is taken as UTC."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return (dt - _EPOCH) // datetime.timedelta(microseconds=1)


def _from_us(us: int | None) -> datetime.datetime | None:
    return None if us is None else _EPOCH + datetime.timedelta(microseconds=us)


def _dumps(record: dict[str, Any]) -> str:
    # Non-ASCII is escaped, so any str (a lone surrogate too) is one ASCII line.
    return json.dumps(record, separators=(",", ":"))


class _FatalLogError(StorageInternalError):
    """The log cannot be replayed by this version of hyperdial (no record is skipped)."""


class JournalStorage(BaseStorage):
    """Studies in an append-only log (a file on a local or network file system), shared by
    threads, processes and machines without a database server.

    Args:
        log_storage: Where the log lives, usually a
            :class:`~hyperdial.storages.journal.JournalFileBackend`.
        heartbeat_interval: Seconds between heartbeats. When set, a background thread of this
            storage records a heartbeat for every RUNNING trial this process runs, and fails
            RUNNING trials of other processes (that record heartbeats) when nothing about them
            has appeared in the log for ``grace_period`` seconds (see
            :meth:`fail_stale_trials`). None: no heartbeats. At least 0.1 s.
        grace_period: Seconds without a sign of life after which a RUNNING trial is failed;
            default ``1.5 * heartbeat_interval``.
        max_retry: Enqueue the parameters of a trial failed for a stale heartbeat, or by
            SIGTERM while ``Study.optimize`` ran, again: at most this many times per chain.

    Example:
        >>> import os, tempfile, hyperdial
        >>> from hyperdial.storages import JournalStorage
        >>> from hyperdial.storages.journal import JournalFileBackend
        >>> path = os.path.join(tempfile.mkdtemp(), "journal.log")
        >>> study = hyperdial.create_study(storage=JournalStorage(JournalFileBackend(path)))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> [t.number for t in study.trials]
        [0, 1, 2]
    """

    def __init__(
        self,
        log_storage: BaseJournalBackend,
        *,
        heartbeat_interval: float | None = None,
        grace_period: float | None = None,
        max_retry: int = 0,
    ) -> None:
        if not isinstance(log_storage, BaseJournalBackend):
            raise TypeError(
                f"`log_storage` must be a hyperdial.storages.journal.BaseJournalBackend (e.g. "
                f"JournalFileBackend(path)), got {log_storage!r}."
            )
        grace_period = check_heartbeat_args(heartbeat_interval, grace_period, max_retry)
        self._backend = log_storage
        self._heartbeat_args = (
            None if heartbeat_interval is None else float(heartbeat_interval),
            None if grace_period is None else float(grace_period),
            int(max_retry),
        )
        self._setup()

    def _setup(self) -> None:
        self._lock = threading.RLock()
        self._reset_state()
        self._mark_base = 0  # added to the replayed state's marks (see _rebuild)
        self._max_mark = 0
        self._broken = False
        self._owned: set[int] = set()  # RUNNING trials this storage object beats for
        self._dists: dict[str, BaseDistribution] = {}  # distribution JSON -> distribution
        self._dist_texts: dict[int, tuple[BaseDistribution, str]] = {}  # id -> (dist, JSON)
        if self._heartbeat_args[0] is not None:
            _start_heartbeat(self, self._heartbeat_args[0] / 2)

    def _reset_state(self) -> None:
        self._state = InMemoryStorage()
        self._n = 0  # records of the log applied (or skipped) so far
        self._header: dict[str, Any] | None = None
        # RUNNING trials whose worker records heartbeats -> when (this process's monotonic
        # clock) the last record about them was read.
        self._beating: dict[int, float] = {}

    @property
    def max_retry(self) -> int:
        """How many times a chain of failed trials is enqueued again: trials failed by the
        heartbeat reaper (see :meth:`fail_stale_trials`) or by SIGTERM during
        ``Study.optimize``."""
        return self._heartbeat_args[2]

    @property
    def log_storage(self) -> BaseJournalBackend:
        """The backend holding the log."""
        return self._backend

    def __getstate__(self) -> dict[str, Any]:
        return {"log_storage": self._backend, "heartbeat": self._heartbeat_args}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Unpickled: the backend reopens its file, and the log is replayed from the start.
        self._backend = state["log_storage"]
        self._heartbeat_args = tuple(state["heartbeat"])
        self._setup()

    def __repr__(self) -> str:
        return f"JournalStorage({self._backend!r})"

    # -- replay -----------------------------------------------------------------------------------
    def _sync(self) -> None:
        """Applies the records appended since the last call (hold ``self._lock``)."""
        if self._broken:
            self._rebuild()
        records = self._backend.read_logs(self._n)
        if not records:
            return
        now = time.monotonic()
        for r in records:
            try:
                self._apply(r, now)
            except _REFUSED as e:
                # Only a writer that bypassed the lock (or a damaged record) gets here; every
                # process skips the same record.
                _logger.warning(
                    f"{self!r}: skipped log record {self._n} ({r.get('op')!r}), which does not "
                    f"apply to the replayed studies: {e!r}."
                )
            self._n += 1

    def _rebuild(self) -> None:
        """Replays the whole log into a new state (after a failed append left the replayed
        state ahead of the log). Marks handed out before stay valid: they are all below the
        new marks, which start above them (see :meth:`get_trials_changed_since`)."""
        self._broken = False
        self._reset_state()
        self._mark_base = self._max_mark + 1
        self._sync()

    def _fresh(self) -> InMemoryStorage:
        with self._lock:
            self._sync()
            return self._state

    def _dist(self, text: str) -> BaseDistribution:
        dist = self._dists.get(text)
        if dist is None:
            dist = self._dists[text] = json_to_distribution(text)
        return dist

    def _dist_text(self, dist: BaseDistribution) -> str:
        hit = self._dist_texts.get(id(dist))
        if hit is not None and hit[0] is dist:
            return hit[1]
        text = distribution_to_json(dist)
        if len(self._dist_texts) > 1024:
            self._dist_texts.clear()
        self._dist_texts[id(dist)] = (dist, text)
        self._dists.setdefault(text, dist)
        return text

    def _apply(self, r: dict[str, Any], now: float) -> tuple[Any, bool]:
        """Applies one record to the replayed state: (its result, whether it changed anything).

        Raises one of ``_REFUSED`` when the operation is not allowed on the replayed state
        (which is then unchanged), ``_FatalLogError`` for a log this code cannot replay.
        """
        op = r.get("op")
        st = self._state
        tid: Any = r.get("tid")
        if tid in self._beating:
            self._beating[tid] = now  # any record about a trial shows its worker is alive
        if op == "param":
            st.set_trial_param(tid, r["name"], r["v"], self._dist(r["d"]))
            return None, True
        if op == "state":
            state = TrialState(r["state"])
            prev = st._trial(tid)
            changed = st.set_trial_state_values(tid, state, r.get("values"))
            if changed:
                self._stamp(tid, r["t"], prev.datetime_start is None)
                if state == _RUNNING:
                    if r.get("hb"):
                        self._beating[tid] = now
                else:
                    self._beating.pop(tid, None)
            return changed, changed
        if op == "trial":
            new_id = st.create_new_trial(r["sid"], self._template(r))
            if r.get("hb"):
                self._beating[new_id] = now
            return new_id, True
        if op == "iv":
            st.set_trial_intermediate_value(tid, r["step"], r["value"])
            return None, True
        if op == "trial_attr":
            if r["user"]:
                st.set_trial_user_attr(tid, r["key"], r["value"])
            else:
                st.set_trial_system_attr(tid, r["key"], r["value"])
            return None, True
        if op == "beat":
            for t in r["tids"]:
                if t in self._beating:
                    self._beating[t] = now
            return None, True
        if op == "study":
            sid = st.create_new_study([StudyDirection(d) for d in r["dirs"]], r["name"])
            return sid, True
        if op == "study_attr":
            if r["user"]:
                st.set_study_user_attr(r["sid"], r["key"], r["value"])
            else:
                st.set_study_system_attr(r["sid"], r["key"], r["value"])
            return None, True
        if op == "claim":
            claims = st._study(r["sid"]).claims
            if r["key"] in claims:
                return claims[r["key"]], False
            return st.claim(r["sid"], r["key"], r["value"]), True
        if op == "del_study":
            dead = set(st._study(r["sid"]).trial_ids)
            st.delete_study(r["sid"])
            for t in dead & self._beating.keys():
                del self._beating[t]
            return None, True
        if op == "journal":
            if not isinstance(r.get("format"), int) or r["format"] > FORMAT:
                raise _FatalLogError(
                    f"{self._backend!r} was written by a newer hyperdial (journal format "
                    f"{r.get('format')!r}; this one reads up to {FORMAT}): upgrade hyperdial."
                )
            if self._header is None:
                self._header = r
            return None, True
        if op is None and "op_code" in r:
            raise _FatalLogError(
                f"{self._backend!r} is a log written by Optuna's JournalStorage, which "
                "hyperdial cannot replay; open it with Optuna, or copy its studies into a "
                "hyperdial storage."
            )
        raise ValueError(f"unknown operation {op!r}")

    def _stamp(self, tid: int, t_us: int, set_start: bool) -> None:
        """Gives a trial the time its state changed as written in the log (not the time of
        the replay, which the in-memory state would use)."""
        st = self._state
        new = st._trial(tid).__copy__()
        when = _from_us(t_us)
        if new.state == _RUNNING:
            new.datetime_start = when
        else:
            new.datetime_complete = when
            if set_start:
                new.datetime_start = when
        st._commit(new, state_changed=False)

    def _template(self, r: dict[str, Any]) -> FrozenTrial:
        params: dict[str, Any] = {}
        dists: dict[str, BaseDistribution] = {}
        for name, (internal, text) in r.get("params", {}).items():
            dist = dists[name] = self._dist(text)
            params[name] = dist.to_external_repr(internal)
        return FrozenTrial(
            state=TrialState(r["state"]),
            values=r.get("values"),
            params=params,
            distributions=dists,
            user_attrs=r.get("ua"),
            system_attrs=r.get("sa"),
            intermediate_values={int(k): float(v) for k, v in r.get("iv", {}).items()},
            datetime_start=_from_us(r.get("start")),
            datetime_complete=_from_us(r.get("end")),
        )

    # -- writes -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Holds this object's lock and the backend's, with the replayed state at the log's end.

        The log is replayed once before the backend's lock is taken, so that only what other
        processes append meanwhile is replayed while holding it (shorter waits for the others).
        """
        with self._lock:
            self._sync()
            kind = getattr(self._backend, "lock_kind", None)
            with self._backend.lock():
                self._sync()
                if self._header is not None and self._header.get("lock") != kind:
                    theirs = self._header.get("lock")
                    raise ValueError(
                        f"{self._backend!r} is written by processes using {theirs!r} locks, "
                        f"this one uses {kind!r} locks: every writer of a journal must use the "
                        "same kind of lock."
                    )
                yield

    def _append(self, records: list[dict[str, Any]]) -> list[Any]:
        """Applies ``records`` to the replayed state and appends those that changed it; their
        results. Call inside :meth:`_exclusive`.

        Each record goes through JSON first, so this process applies exactly what every other
        process will read (a non-JSON attribute raises TypeError here, before anything is
        written).
        """
        header = None
        if self._n == 0 and self._header is None:
            header = {"op": "journal", "format": FORMAT, "lock": self._backend_lock_kind()}
        texts = [_dumps(r) for r in records]
        now = time.monotonic()
        results: list[Any] = []
        written: list[str] = []
        try:
            for text in texts:
                result, changed = self._apply(json.loads(text), now)
                results.append(result)
                if changed:
                    written.append(text)
        except BaseException:
            if written:  # part of the batch was applied: replay the log again next time
                self._broken = True
            raise
        if not written:
            return results
        if header is not None:
            written.insert(0, _dumps(header))
        try:
            append_bytes = getattr(self._backend, "_append_bytes", None)
            if append_bytes is not None:  # JournalFileBackend: the lines are encoded already
                append_bytes("".join(t + "\n" for t in written).encode())
            else:
                self._backend.append_logs([json.loads(t) for t in written])
        except BaseException:
            self._broken = True  # the replayed state is ahead of the log: replay it again
            raise
        self._n += len(written)
        if header is not None:
            self._header = header
        return results

    def _backend_lock_kind(self) -> str | None:
        return getattr(self._backend, "lock_kind", None)

    def _write(self, record: dict[str, Any]) -> Any:
        with self._exclusive():
            return self._append([record])[0]

    def _hb(self) -> dict[str, bool]:
        return {"hb": True} if self._heartbeat_args[0] is not None else {}

    # -- studies ----------------------------------------------------------------------------------
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        study_name = check_study_name(study_name)
        dirs = [int(StudyDirection(d)) for d in directions]
        if study_name is None:
            study_name = f"no-name-{os.urandom(16).hex()}"
        return int(self._write({"op": "study", "name": study_name, "dirs": dirs}))

    def delete_study(self, study_id: int) -> None:
        self._write({"op": "del_study", "sid": study_id})

    def get_study_id_from_name(self, study_name: str) -> int:
        return self._fresh().get_study_id_from_name(study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self._fresh().get_study_name_from_id(study_id)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return self._fresh().get_study_directions(study_id)

    def get_all_studies(self) -> list[StudyInfo]:
        return self._fresh().get_all_studies()

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._write(
            {"op": "study_attr", "sid": study_id, "user": True, "key": key, "value": value}
        )

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._write(
            {"op": "study_attr", "sid": study_id, "user": False, "key": key, "value": value}
        )

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._fresh().get_study_user_attrs(study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._fresh().get_study_system_attrs(study_id)

    def claim(self, study_id: int, key: str, value: str) -> str:
        with self._lock:
            held = self._fresh()._study(study_id).claims.get(key)
        if held is not None:  # claims are permanent: no need for the lock
            return held
        return str(self._write({"op": "claim", "sid": study_id, "key": key, "value": value}))

    def get_claims(self, study_id: int, prefix: str = "") -> dict[str, str]:
        return self._fresh().get_claims(study_id, prefix)

    # -- trials -----------------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        now = _now_us()
        t = template_trial
        rec: dict[str, Any] = {"op": "trial", "sid": study_id}
        if t is None:
            state = _RUNNING
            rec.update(state=int(state), start=now)
        else:
            state = TrialState(t.state)
            start, end = _to_us(t.datetime_start), _to_us(t.datetime_complete)
            if state == _RUNNING and start is None:
                start = now
            if state.is_finished():
                start = now if start is None else start
                end = now if end is None else end
            rec.update(
                state=int(state),
                values=None if t.values is None else list(t.values),
                params={
                    name: [d.to_internal_repr(t.params[name]), self._dist_text(d)]
                    for name, d in t.distributions.items()
                },
                ua=t.user_attrs,
                sa=t.system_attrs,
                iv={str(int(k)): float(v) for k, v in t.intermediate_values.items()},
                start=start,
                end=end,
            )
        if state == _RUNNING:
            rec.update(self._hb())
        with self._exclusive():
            tid = int(self._append([rec])[0])
            if state == _RUNNING and self._heartbeat_args[0] is not None:
                self._owned.add(tid)
        return tid

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        self._write(
            {
                "op": "param",
                "tid": trial_id,
                "name": param_name,
                "v": float(param_value_internal),
                "d": self._dist_text(distribution),
            }
        )

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        state = TrialState(state)
        rec: dict[str, Any] = {
            "op": "state",
            "tid": trial_id,
            "state": int(state),
            "values": None if values is None else [float(v) for v in values],
            "t": _now_us(),
        }
        if state == _RUNNING:
            rec.update(self._hb())
        with self._exclusive():
            try:
                ok = bool(self._append([rec])[0])
            except UpdateFinishedTrialError:
                self._owned.discard(trial_id)
                raise
            if state == _RUNNING:
                if ok and self._heartbeat_args[0] is not None:
                    self._owned.add(trial_id)
            else:
                self._owned.discard(trial_id)
        return ok

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        self._write({"op": "iv", "tid": trial_id, "step": int(step), "value": float(value)})

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._write(
            {"op": "trial_attr", "tid": trial_id, "user": True, "key": key, "value": value}
        )

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._write(
            {"op": "trial_attr", "tid": trial_id, "user": False, "key": key, "value": value}
        )

    def get_trial(self, trial_id: int) -> FrozenTrial:
        return self._fresh().get_trial(trial_id)

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        return self._fresh().get_all_trials(study_id, deepcopy=deepcopy, states=states)

    def get_trials_changed_since(self, study_id: int, mark: int) -> tuple[list[FrozenTrial], int]:
        with self._lock:
            state = self._fresh()
            base = self._mark_base
            # A mark from before a rebuild of the replayed state: everything may have changed.
            trials, inner = state.get_trials_changed_since(
                study_id, mark - base if mark >= base else 0
            )
            new_mark = base + inner
            self._max_mark = max(self._max_mark, new_mark)
        return trials, new_mark

    def pop_waiting_trial(self, study_id: int) -> int | None:
        with self._lock:
            if not self._fresh()._study(study_id).waiting:  # most calls find nothing waiting
                return None
            with self._exclusive():
                for tid in self._state._study(study_id).waiting:
                    rec = {
                        "op": "state",
                        "tid": tid,
                        "state": int(_RUNNING),
                        "values": None,
                        "t": _now_us(),
                        **self._hb(),
                    }
                    self._append([rec])
                    if self._heartbeat_args[0] is not None:
                        self._owned.add(tid)
                    return tid
        return None

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        return self._fresh().get_n_trials(study_id, states)

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        return self._fresh().get_trial_id_from_study_id_trial_number(study_id, trial_number)

    def get_trial_number_from_id(self, trial_id: int) -> int:
        return self._fresh().get_trial_number_from_id(trial_id)

    # -- heartbeats -------------------------------------------------------------------------------
    def _beat(self) -> None:
        """Records a heartbeat for every RUNNING trial this storage object runs."""
        with self._lock:
            if not self._owned:
                return
            with self._exclusive():
                trials = self._state._trials
                owned = sorted(
                    t for t in self._owned if t in trials and trials[t].state == _RUNNING
                )
                self._owned.intersection_update(owned)
                if owned:
                    self._append([{"op": "beat", "tids": owned, "t": _now_us()}])

    def fail_stale_trials(self) -> list[int]:
        """Fails RUNNING trials of other processes that record heartbeats but about which
        nothing has appeared in the log for ``grace_period`` seconds; their ids.

        Runs every ``heartbeat_interval / 2`` seconds in a background thread of every process
        with a heartbeat; callable by hand too. The time is this process's monotonic clock,
        from the moment it read the last record about the trial. With ``max_retry > 0`` each
        failed trial's parameters are enqueued again as a WAITING trial whose ``system_attrs``
        hold ``failed_trial`` (the failed trial's number) and ``retry_history`` (all earlier
        attempts), at most ``max_retry`` times per chain. Processes racing on one trial fail it
        once (the decision is made under the log's lock).
        """
        grace = self._heartbeat_args[1]
        if grace is None:
            return []
        with self._lock:
            self._sync()
            now = time.monotonic()
            if not any(now - seen > grace for seen in self._beating.values()):
                return []
            failed: list[int] = []
            with self._exclusive():
                now = time.monotonic()
                records: list[dict[str, Any]] = []
                st = self._state
                for tid, seen in list(self._beating.items()):
                    if now - seen <= grace or tid in self._owned:
                        continue
                    t = st._trials.get(tid)
                    if t is None or t.state != _RUNNING:
                        continue
                    t_us = _now_us()
                    reason = f"no heartbeat for more than {grace} s (the worker died or hung)"
                    records.append(
                        {
                            "op": "trial_attr",
                            "tid": tid,
                            "user": False,
                            "key": FAIL_REASON_KEY,
                            "value": reason,
                        }
                    )
                    records.append(
                        {"op": "state", "tid": tid, "state": int(TrialState.FAIL), "t": t_us}
                    )
                    history = [*t.system_attrs.get(RETRY_HISTORY_KEY, []), t.number]
                    if len(history) <= self.max_retry:
                        records.append(
                            {
                                "op": "trial",
                                "sid": st._trial_study[tid],
                                "state": int(_WAITING),
                                "ua": t.user_attrs,
                                "sa": {
                                    FIXED_PARAMS_KEY: t.params,
                                    FAILED_TRIAL_KEY: t.number,
                                    RETRY_HISTORY_KEY: history,
                                },
                            }
                        )
                    failed.append(tid)
                if records:
                    self._append(records)
            return failed


def _start_heartbeat(storage: JournalStorage, tick: float) -> None:
    """Starts the thread that beats and reaps every ``tick`` seconds until ``storage`` is
    garbage-collected."""
    stop = threading.Event()
    thread = threading.Thread(
        target=_heartbeat_loop,
        args=(weakref.ref(storage), stop, tick),
        name="hyperdial-journal-heartbeat",
        daemon=True,
    )
    thread.start()
    weakref.finalize(storage, stop.set)


def _heartbeat_loop(ref: weakref.ref[JournalStorage], stop: threading.Event, tick: float) -> None:
    while not stop.wait(tick):
        storage = ref()
        if storage is None:
            return
        try:
            storage._beat()
            for tid in storage.fail_stale_trials():
                _logger.warning(f"Trial id {tid} failed: its worker stopped sending heartbeats.")
        except Exception as e:
            _logger.warning(f"Heartbeat of {storage!r} failed (will retry): {e!r}")
        del storage
