"""The SQL :class:`~hyperdial.storages.RDBStorage` runs and the row <-> record conversion.

* :class:`Statements`: the hot-path statements, written once per storage for its dialect;
* :class:`Codec`: ``hd_trials`` rows to :class:`~hyperdial.trial.FrozenTrial` records and
  template trials to rows (JSON text, times in microseconds since the epoch);
* ``lock_study``, ``bump``, ``update_trial``, ``insert_trial``, ``require_study``,
  ``raise_if_finished``: steps used inside a transaction (``conn`` is in one), shared by the
  storage and its heartbeat.

The tables are described in ``_rdb_schema``. Importing this module imports SQLAlchemy.
"""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

import sqlalchemy as sa

from hyperdial.distributions import BaseDistribution, distribution_to_json, json_to_distribution
from hyperdial.exceptions import StorageInternalError, UpdateFinishedTrialError
from hyperdial.storages import _rdb_schema as schema
from hyperdial.trial._frozen import FrozenTrial
from hyperdial.trial._state import TrialState

__all__ = [
    "Codec",
    "CorruptedTrialError",
    "Statements",
    "bump",
    "dumps",
    "from_us",
    "insert_trial",
    "lock_study",
    "param_keys",
    "raise_if_finished",
    "require_study",
    "to_us",
    "update_trial",
]

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_US = datetime.timedelta(microseconds=1)
_S, _T_ = schema.studies, schema.trials
_RUN, _WAIT = int(TrialState.RUNNING), int(TrialState.WAITING)
_TRIAL_COLS = (
    "trial_id, study_id, number, state, values_json, params_json, user_attrs, system_attrs, "
    "intermediate_json, start_us, complete_us, heartbeat_us, change_seq"
)


def to_us(dt: datetime.datetime) -> int:
    """Microseconds since the Unix epoch; a naive ``dt`` is taken as UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return (dt - _EPOCH) // _US


def from_us(us: int | None) -> datetime.datetime | None:
    return None if us is None else _EPOCH + datetime.timedelta(microseconds=us)


def dumps(value: Any) -> str:
    return json.dumps(value)


class CorruptedTrialError(StorageInternalError):
    """A stored trial cannot be read back (its row was edited or damaged)."""


class Codec:
    """Converts between ``hd_trials`` rows and :class:`~hyperdial.trial.FrozenTrial` records.

    Parsed distributions are kept by their JSON text: a study repeats a handful of them in
    every trial, and distributions are immutable.
    """

    def __init__(self) -> None:
        self._dists: dict[str, BaseDistribution] = {}

    def dist(self, text: str) -> BaseDistribution:
        d = self._dists.get(text)
        if d is None:
            d = self._dists[text] = json_to_distribution(text)
        return d

    def to_trial(self, row: sa.Row[Any]) -> FrozenTrial:
        """The record of a row.

        Raises:
            CorruptedTrialError: a column does not hold what this code writes (the database
                was edited or damaged); the message names the trial and the column.
        """
        column = "params_json"
        try:
            params: dict[str, Any] = {}
            dists: dict[str, BaseDistribution] = {}
            for name, (internal, dist_text) in json.loads(row.params_json).items():
                d = self.dist(dist_text)
                dists[name] = d
                params[name] = d.to_external_repr(internal)
            column = "values_json"
            values = None if row.values_json is None else json.loads(row.values_json)
            column = "user_attrs"
            user_attrs = json.loads(row.user_attrs)
            column = "system_attrs"
            system_attrs = json.loads(row.system_attrs)
            column = "intermediate_json"
            iv = {int(k): float(v) for k, v in json.loads(row.intermediate_json).items()}
            column = "state"
            t = FrozenTrial(
                number=row.number,
                state=TrialState(row.state),
                values=values,
                datetime_start=from_us(row.start_us),
                datetime_complete=from_us(row.complete_us),
                user_attrs=user_attrs,
                system_attrs=system_attrs,
                intermediate_values=iv,
                trial_id=row.trial_id,
            )
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as e:
            raise CorruptedTrialError(
                f"Trial {row.number} (id {row.trial_id}) has a {column} column that hyperdial "
                f"cannot read ({type(e).__name__}: {e}); the database was edited or damaged"
            ) from None
        t._params = params
        t._distributions = dists
        return t

    def to_trial_or_skip(self, row: sa.Row[Any]) -> FrozenTrial | None:
        """The record of a row, or None (with a warning naming the trial) for a corrupted one,
        so that one damaged row does not make a whole study unreadable."""
        try:
            return self.to_trial(row)
        except CorruptedTrialError as e:
            logging.getLogger("hyperdial").warning(
                f"{e}. It is left out of the study's trials; restore the database from a "
                "backup to get it back."
            )
            return None

    @staticmethod
    def template_row(t: FrozenTrial | None, state: TrialState) -> dict[str, Any]:
        """The columns of a new trial made from ``t`` (None: an empty RUNNING trial)."""
        dists = {} if t is None else dict(t.distributions)
        return {
            "state": int(state),
            "values_json": None if t is None or t.values is None else dumps(list(t.values)),
            "params_json": "{}"
            if t is None
            else dumps(
                {
                    name: [d.to_internal_repr(t.params[name]), distribution_to_json(d)]
                    for name, d in dists.items()
                }
            ),
            "user_attrs": "{}" if t is None else dumps(t.user_attrs),
            "system_attrs": "{}" if t is None else dumps(t.system_attrs),
            "intermediate_json": "{}"
            if t is None
            else dumps({str(int(k)): float(v) for k, v in t.intermediate_values.items()}),
            "start_us": None if t is None or t.datetime_start is None else to_us(t.datetime_start),
            "complete_us": None
            if t is None or t.datetime_complete is None
            else to_us(t.datetime_complete),
        }


# -- steps inside a transaction -------------------------------------------------------------------
def lock_study(conn: sa.Connection, study_id: int) -> Any:
    """Locks the study's row for the rest of the transaction and returns it (``KeyError`` if
    there is no such study)."""
    row = conn.execute(
        sa.select(
            _S.c.study_id,
            _S.c.next_number,
            _S.c.change_seq,
            _S.c.user_attrs,
            _S.c.system_attrs,
        )
        .where(_S.c.study_id == study_id)
        .with_for_update()
    ).one_or_none()
    if row is None:
        raise KeyError(f"No study with id {study_id}.")
    return row


def require_study(conn: sa.Connection, study_id: int) -> int:
    """The study's ``change_seq``; ``KeyError`` if there is no such study."""
    seq = conn.execute(sa.select(_S.c.change_seq).where(_S.c.study_id == study_id)).scalar()
    if seq is None:
        raise KeyError(f"No study with id {study_id}.")
    return int(seq)


def bump(conn: sa.Connection, study: sa.Row[Any]) -> int:
    """Increments the (locked) study's ``change_seq``; the new value."""
    seq = int(study.change_seq) + 1
    conn.execute(sa.update(_S).where(_S.c.study_id == study.study_id).values(change_seq=seq))
    return seq


def update_trial(conn: sa.Connection, row: sa.Row[Any], seq: int, **values: Any) -> None:
    """Writes ``values`` to the trial of ``row`` with change number ``seq``; the new row is left
    in ``conn.info["hyperdial_new_row"]`` for the storage's record of the trial."""
    new = conn.execute(
        sa.update(_T_)
        .where(_T_.c.trial_id == row.trial_id)
        .values(change_seq=seq, **values)
        .returning(*_T_.c)
    ).one()
    conn.info["hyperdial_new_row"] = new


def insert_trial(conn: sa.Connection, study: Any, row: dict[str, Any]) -> int:
    """Inserts a trial with the study's next number (the study row is locked); its id."""
    seq = int(study.change_seq) + 1
    number = int(study.next_number)
    conn.execute(
        sa.update(_S)
        .where(_S.c.study_id == study.study_id)
        .values(change_seq=seq, next_number=number + 1)
    )
    result = conn.execute(
        sa.insert(_T_).values(study_id=study.study_id, number=number, change_seq=seq, **row)
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def raise_if_finished(row: sa.Row[Any]) -> None:
    if TrialState(row.state).is_finished():
        raise UpdateFinishedTrialError(
            f"Trial {row.number} is already finished ({TrialState(row.state).name}) "
            "and cannot be changed."
        )


def param_keys(name: str) -> dict[str, str]:
    """The bound texts ``:first`` and ``:later`` of ``Statements.param``: the parameter's key as
    the first and as a later member of ``params_json``.

    ``params_json`` is written by ``dumps`` only: ``{"name": [value, "distribution"], ...}``
    with ``": "`` and ``", "`` separators, every string escaped (``ensure_ascii``), so its only
    unescaped quotes delimit strings. A match of ``, "name": `` therefore starts at an opening
    quote (a closing quote is followed by ``:``, ``]`` or ``,``, never by the name) and spans
    exactly the string ``"name"`` followed by ``": "``, which only a key is; likewise for
    ``{"name": `` at the start. A plain search for ``"name": `` would also match inside another
    key: ``"x\\"a": `` contains ``"a": ``.
    """
    key = dumps(name) + ": "
    return {"first": "{" + key, "later": ", " + key}


class Statements:
    """The SQL of the hot path, written once per storage for its dialect.

    A write to a trial must also bump its study's ``change_seq`` in the same transaction (the
    bump is what serialises writes to one study and numbers the change for incremental
    readers). On PostgreSQL both go in one statement, ``WITH s AS (UPDATE hd_studies …
    RETURNING …) UPDATE hd_trials …``, sent in autocommit: one round trip per write. SQLite has
    no data-modifying CTEs; there the bump and the write are two statements in one
    ``BEGIN IMMEDIATE`` transaction (in-process calls, so the round trips are cheap).

    ``{seq}`` and ``{number}`` in the trial statements stand for the bumped counter and the
    allocated trial number: a subquery of ``s`` on PostgreSQL, bound parameters on SQLite.
    """

    def __init__(self, dialect: str, now: str) -> None:
        self.pg = pg = dialect == "postgresql"
        self.now = now
        bump = "UPDATE hd_studies SET change_seq = change_seq + 1 WHERE study_id = :sid"
        bump_n = (
            "UPDATE hd_studies SET change_seq = change_seq + 1, next_number = next_number + 1 "
            "WHERE study_id = :sid"
        )
        returning = " RETURNING change_seq, next_number - 1 AS number"
        self.bump = sa.text(bump + returning)
        self.bump_number = sa.text(bump_n + returning)
        self._cte = f"WITH s AS ({bump}{returning}) "
        self._cte_n = f"WITH s AS ({bump_n}{returning}) "
        seq = "(SELECT change_seq FROM s)" if pg else ":seq"
        find = "strpos(params_json, {})" if pg else "instr(params_json, {})"
        absent = f"{find.format(':first')} = 0 AND {find.format(':later')} = 0"
        # Appends ``"name": [value, "distribution"]`` to the JSON object in one expression, so
        # a concurrent append to the same trial is never lost (the row is re-read under its
        # lock). A name the trial already has is refused by a search for the name as a key:
        # ``{"name": `` or ``, "name": `` (see ``param_keys``).
        self.param = self._trial(
            "UPDATE hd_trials SET params_json = CASE WHEN params_json = '{}' "
            "THEN '{' || :frag || '}' "
            "ELSE substr(params_json, 1, length(params_json) - 1) || ', ' || :frag || '}' END, "
            f"change_seq = {seq} "
            f"WHERE trial_id = :tid AND state IN ({_RUN}, {_WAIT}) AND {absent} "
            "RETURNING change_seq"
        )
        self.finish = self._trial(
            "UPDATE hd_trials SET state = :state, values_json = :values_json, "
            f"complete_us = {now}, start_us = COALESCE(start_us, {now}), change_seq = {seq} "
            f"WHERE trial_id = :tid AND state IN ({_RUN}, {_WAIT}) "
            "RETURNING change_seq, start_us, complete_us"
        )
        self.start = {
            beat: self._trial(
                f"UPDATE hd_trials SET state = {_RUN}, start_us = {now}, "
                f"heartbeat_us = {now if beat else 'heartbeat_us'}, change_seq = {seq} "
                f"WHERE trial_id = :tid AND state = {_WAIT} RETURNING {_TRIAL_COLS}"
            )
            for beat in (False, True)
        }
        src = (
            "s"
            if pg
            else "(SELECT CAST(:seq AS BIGINT) AS change_seq, "
            "CAST(:number AS BIGINT) AS number) AS s"
        )
        self._insert = (
            f"INSERT INTO hd_trials ({_TRIAL_COLS.replace('trial_id, ', '')}) "
            "SELECT CAST(:sid AS INTEGER), s.number, CAST(:state AS SMALLINT), "
            "CAST(:values_json AS TEXT), CAST(:params_json AS TEXT), CAST(:user_attrs AS TEXT), "
            "CAST(:system_attrs AS TEXT), CAST(:intermediate_json AS TEXT), "
            "{start}, {complete}, {beat}, s.change_seq "
            f"FROM {src} RETURNING trial_id, number, start_us, complete_us, change_seq"
        )
        self._inserts: dict[tuple[bool, bool, bool], sa.TextClause] = {}
        self.changes = sa.text(
            "SELECT s.change_seq AS study_seq, "
            + ", ".join(f"t.{c}" for c in _TRIAL_COLS.split(", "))
            + " FROM hd_studies s LEFT JOIN hd_trials t ON t.study_id = s.study_id "
            "AND t.change_seq > :mark AND t.change_seq <= s.change_seq "
            "WHERE s.study_id = :sid ORDER BY t.number"
        )
        self.first_waiting = sa.text(
            "SELECT s.study_id, t.trial_id FROM hd_studies s LEFT JOIN hd_trials t "
            f"ON t.study_id = s.study_id AND t.state = {_WAIT} "
            "WHERE s.study_id = :sid ORDER BY t.number LIMIT 1"
        )
        self.trial = sa.text(f"SELECT {_TRIAL_COLS} FROM hd_trials WHERE trial_id = :tid")

    def _trial(self, statement: str) -> sa.TextClause:
        return sa.text(self._cte + statement if self.pg else statement)

    def insert(self, start_now: bool, complete_now: bool, beat: bool) -> sa.TextClause:
        """The trial insert; ``*_now``: a NULL start / completion time means "now"."""
        key = (start_now, complete_now, beat)
        stmt = self._inserts.get(key)
        if stmt is None:

            def col(name: str, now: bool) -> str:
                bound = f"CAST(:{name} AS BIGINT)"
                return f"COALESCE({bound}, {self.now})" if now else bound

            text = self._insert.format(
                start=col("start_us", start_now),
                complete=col("complete_us", complete_now),
                beat=self.now if beat else "NULL",
            )
            stmt = self._inserts[key] = sa.text(self._cte_n + text if self.pg else text)
        return stmt
