"""The study-level transactions of :class:`~hyperdial.storages.RDBStorage`: studies, their
attributes, claims and registered parameter distributions.

:class:`Studies` reads and writes ``hd_studies``, ``hd_claims`` and ``hd_study_params``; the
storage forwards the study half of the storage contract to it and calls
:meth:`Studies.register_dists` before it writes a trial's parameters. Every write locks the
study's row first, like the storage's trial writes (see ``_rdb``). Importing this module
imports SQLAlchemy.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from hyperdial._direction import StudyDirection
from hyperdial.distributions import (
    BaseDistribution,
    check_distribution_compatibility,
    distribution_to_json,
)
from hyperdial.exceptions import DuplicatedStudyError
from hyperdial.storages import _rdb_schema as schema
from hyperdial.storages._base import StudyInfo, check_study_name
from hyperdial.storages._rdb_cache import TrialCache
from hyperdial.storages._rdb_engine import Database
from hyperdial.storages._rdb_sql import Codec, dumps, lock_study, require_study

__all__ = ["Studies"]

_S, _T_, _P, _C = schema.studies, schema.trials, schema.study_params, schema.claims


class Studies:
    """The studies of one storage's database (the methods are the ``BaseStorage`` ones)."""

    def __init__(self, db: Database, codec: Codec, cache: TrialCache) -> None:
        self._db = db
        self._codec = codec
        self._cache = cache

    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        study_name = check_study_name(study_name)
        directions = [StudyDirection(d) for d in directions]
        if not directions or any(d == StudyDirection.NOT_SET for d in directions):
            raise ValueError(f"`directions` must be MINIMIZE or MAXIMIZE, got {directions}.")
        if study_name is None:
            study_name = f"no-name-{os.urandom(16).hex()}"
        name = study_name

        def tx(conn: sa.Connection) -> int:
            result = conn.execute(
                sa.insert(_S).values(
                    study_name=name,
                    directions=dumps([int(d) for d in directions]),
                    user_attrs="{}",
                    system_attrs="{}",
                    next_number=0,
                    change_seq=0,
                )
            )
            pk = result.inserted_primary_key
            assert pk is not None
            return int(pk[0])

        try:
            return self._db.tx(tx, write=True)
        except exc.IntegrityError:
            raise DuplicatedStudyError(f"A study named {name!r} already exists.") from None

    def delete_study(self, study_id: int) -> None:
        def tx(conn: sa.Connection) -> None:
            lock_study(conn, study_id)
            for table in (_C, _P, _T_):
                conn.execute(sa.delete(table).where(table.c.study_id == study_id))
            conn.execute(sa.delete(_S).where(_S.c.study_id == study_id))

        self._db.tx(tx, write=True)
        self._cache.forget_study(study_id)

    def _study_column(self, study_id: int, column: sa.Column[Any]) -> Any:
        def tx(conn: sa.Connection) -> Any:
            row = conn.execute(sa.select(column).where(_S.c.study_id == study_id)).one_or_none()
            if row is None:
                raise KeyError(f"No study with id {study_id}.")
            return row[0]

        return self._db.tx(tx, write=False)

    def get_study_id_from_name(self, study_name: str) -> int:
        try:
            check_study_name(study_name)
        except (TypeError, ValueError):  # no study can have this name
            raise KeyError(f"No study named {study_name!r}.") from None

        def tx(conn: sa.Connection) -> int | None:
            return conn.execute(
                sa.select(_S.c.study_id).where(_S.c.study_name == study_name)
            ).scalar()

        sid = self._db.tx(tx, write=False)
        if sid is None:
            raise KeyError(f"No study named {study_name!r}.")
        return int(sid)

    def get_study_name_from_id(self, study_id: int) -> str:
        return str(self._study_column(study_id, _S.c.study_name))

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return [
            StudyDirection(d) for d in json.loads(self._study_column(study_id, _S.c.directions))
        ]

    def get_all_studies(self) -> list[StudyInfo]:
        def tx(conn: sa.Connection) -> list[StudyInfo]:
            rows = conn.execute(
                sa.select(_S.c.study_id, _S.c.study_name, _S.c.directions).order_by(_S.c.study_id)
            )
            return [
                StudyInfo(
                    r.study_id,
                    r.study_name,
                    tuple(StudyDirection(d) for d in json.loads(r.directions)),
                )
                for r in rows
            ]

        return self._db.tx(tx, write=False)

    def _set_study_attr(self, study_id: int, column: str, key: str, value: Any) -> None:
        text = dumps(value)  # a non-JSON value raises TypeError here, before any write

        def tx(conn: sa.Connection) -> None:
            study = lock_study(conn, study_id)
            attrs = json.loads(getattr(study, column))
            attrs[key] = json.loads(text)
            conn.execute(
                sa.update(_S).where(_S.c.study_id == study_id).values({column: dumps(attrs)})
            )

        self._db.tx(tx, write=True)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(study_id, "user_attrs", key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(study_id, "system_attrs", key, value)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return dict(json.loads(self._study_column(study_id, _S.c.user_attrs)))

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return dict(json.loads(self._study_column(study_id, _S.c.system_attrs)))

    def claim(self, study_id: int, key: str, value: str) -> str:
        def tx(conn: sa.Connection) -> str:
            lock_study(conn, study_id)
            held = conn.execute(
                sa.select(_C.c.value).where(_C.c.study_id == study_id, _C.c.key == key)
            ).scalar()
            if held is not None:
                return str(held)
            conn.execute(sa.insert(_C).values(study_id=study_id, key=key, value=value))
            return value

        return self._db.tx(tx, write=True)

    def get_claims(self, study_id: int, prefix: str = "") -> dict[str, str]:
        def tx(conn: sa.Connection) -> dict[str, str]:
            require_study(conn, study_id)
            query = sa.select(_C.c.key, _C.c.value).where(_C.c.study_id == study_id)
            if prefix:  # a literal prefix: no LIKE, so "%" and "_" match only themselves
                query = query.where(sa.func.substr(_C.c.key, 1, len(prefix)) == prefix)
            return {k: v for k, v in conn.execute(query) if k.startswith(prefix)}

        return self._db.tx(tx, write=False)

    def _insert_dists(
        self, conn: sa.Connection, study_id: int, dists: dict[str, BaseDistribution]
    ) -> dict[str, BaseDistribution]:
        """Registers the names of ``dists`` the study does not know yet; returns the study's
        (first) distribution of each name."""
        if not dists:
            return {}
        known = {
            r.name: self._codec.dist(r.distribution)
            for r in conn.execute(
                sa.select(_P.c.name, _P.c.distribution).where(
                    _P.c.study_id == study_id, _P.c.name.in_(list(dists))
                )
            )
        }
        new = [
            {"study_id": study_id, "name": n, "distribution": distribution_to_json(d)}
            for n, d in dists.items()
            if n not in known
        ]
        if new:
            conn.execute(sa.insert(_P), new)
        return {n: known.get(n, d) for n, d in dists.items()}

    def register_dists(self, study_id: int, dists: dict[str, BaseDistribution]) -> None:
        """Checks ``dists`` against the study's first distribution of each name (registering
        the new names); raises ``ValueError`` for an incompatible one."""
        known = self._cache.known_dists(study_id)
        new = {n: d for n, d in dists.items() if n not in known}
        if new:

            def tx(conn: sa.Connection) -> dict[str, BaseDistribution]:
                require_study(conn, study_id)
                return self._insert_dists(conn, study_id, new)

            try:
                got = self._db.tx(tx, write=True)
            except exc.IntegrityError:  # another process registered one of them first
                got = self._db.tx(tx, write=True)
            self._cache.add_dists(study_id, got)
            known.update(got)
        for name, dist in dists.items():
            check_distribution_compatibility(known[name], dist, name=name)
