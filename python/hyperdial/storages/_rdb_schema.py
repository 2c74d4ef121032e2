"""The SQL schema of :class:`~hyperdial.storages.RDBStorage`, its version and its migrations.

Tables (all prefixed ``hd_`` so they can share a database with other applications):

* ``hd_schema_version``: one row, the schema version the database was written with;
* ``hd_studies``: one row per study, with ``next_number`` (the next trial number) and
  ``change_seq`` (a per-study counter bumped by every write to one of its trials);
* ``hd_trials``: one row per trial, ``UNIQUE (study_id, number)``; parameters, attributes and
  intermediate values are JSON text (floats written with ``repr``, so they round-trip exactly);
  ``change_seq`` is the study counter's value at the trial's last change;
* ``hd_study_params``: the first distribution of each parameter name in a study (to reject an
  incompatible one);
* ``hd_claims``: insert-if-absent keys, ``PRIMARY KEY (study_id, key)``.

Times are integers: microseconds since the Unix epoch, UTC. "Now" is the database server's
clock (see ``now_us``), so workers with skewed clocks agree on start times and on staleness.

Importing this module imports SQLAlchemy; only the ``hyperdial.storages._rdb*`` modules do.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from hyperdial.exceptions import HyperdialError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SchemaVersionError", "metadata", "now_us"]

#: The schema version this code reads and writes. Bump it with every schema change and add the
#: step from the previous version to ``MIGRATIONS``.
#:
#: * 1: the first schema.
#: * 2: index ``hd_trials_state_heartbeat`` for the heartbeat reaper, which looks for stale
#:   RUNNING trials of every study twice per heartbeat interval in every worker (version 1
#:   scanned the whole trials table for it).
SCHEMA_VERSION = 2


class SchemaVersionError(HyperdialError, RuntimeError):
    """The database was written by an older or newer hyperdial schema than this code's."""


metadata = sa.MetaData()

schema_version = sa.Table(
    "hd_schema_version",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.Integer, nullable=False),
)

studies = sa.Table(
    "hd_studies",
    metadata,
    sa.Column("study_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("study_name", sa.String(512), nullable=False, unique=True),  # MAX_STUDY_NAME
    sa.Column("directions", sa.Text, nullable=False),  # JSON list of StudyDirection ints
    sa.Column("user_attrs", sa.Text, nullable=False),  # JSON object
    sa.Column("system_attrs", sa.Text, nullable=False),  # JSON object
    sa.Column("next_number", sa.BigInteger, nullable=False),
    sa.Column("change_seq", sa.BigInteger, nullable=False),
    # Never reuse the id of a deleted study (a reader's cache is keyed by it).
    sqlite_autoincrement=True,
)

trials = sa.Table(
    "hd_trials",
    metadata,
    sa.Column("trial_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "study_id",
        sa.Integer,
        sa.ForeignKey("hd_studies.study_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("number", sa.BigInteger, nullable=False),
    sa.Column("state", sa.SmallInteger, nullable=False),
    sa.Column("values_json", sa.Text, nullable=True),  # JSON list of floats, or NULL
    sa.Column("params_json", sa.Text, nullable=False),  # {name: [internal, distribution]}
    sa.Column("user_attrs", sa.Text, nullable=False),
    sa.Column("system_attrs", sa.Text, nullable=False),
    sa.Column("intermediate_json", sa.Text, nullable=False),  # {step: value}
    sa.Column("start_us", sa.BigInteger, nullable=True),
    sa.Column("complete_us", sa.BigInteger, nullable=True),
    sa.Column("heartbeat_us", sa.BigInteger, nullable=True),  # database clock
    sa.Column("change_seq", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("study_id", "number", name="hd_trials_study_number"),
    sa.Index("hd_trials_study_change", "study_id", "change_seq"),
    sa.Index("hd_trials_study_state", "study_id", "state", "number"),
    sa.Index("hd_trials_state_heartbeat", "state", "heartbeat_us"),
    sqlite_autoincrement=True,
)

study_params = sa.Table(
    "hd_study_params",
    metadata,
    sa.Column(
        "study_id",
        sa.Integer,
        sa.ForeignKey("hd_studies.study_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("distribution", sa.Text, nullable=False),
)

claims = sa.Table(
    "hd_claims",
    metadata,
    sa.Column(
        "study_id",
        sa.Integer,
        sa.ForeignKey("hd_studies.study_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


def _v1_to_v2(conn: sa.Connection) -> None:
    # The table's own Index object: making a new one on these columns would attach a second
    # index of that name to ``trials`` (and break every later ``create_all``).
    (index,) = [i for i in trials.indexes if i.name == "hd_trials_state_heartbeat"]
    index.create(conn)


#: ``MIGRATIONS[v]`` upgrades a database at version ``v`` to ``v + 1`` inside one transaction.
MIGRATIONS: dict[int, Callable[[sa.Connection], None]] = {1: _v1_to_v2}


def now_us(dialect_name: str) -> sa.ColumnElement[int]:
    """The database server's clock as integer microseconds since the Unix epoch (UTC)."""
    if dialect_name == "sqlite":
        # julianday('now') is UTC with millisecond resolution; 2440587.5 is the Unix epoch.
        return sa.literal_column(
            "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER) * 1000",
            sa.BigInteger,
        )
    if dialect_name == "postgresql":
        return sa.literal_column(
            "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)", sa.BigInteger
        )
    raise ValueError(f"RDBStorage supports sqlite and postgresql databases, not {dialect_name!r}.")
