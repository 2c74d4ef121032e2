"""Where studies live: in this process's memory, in a SQL database or in a journal file.

``RDBStorage``, ``SchemaVersionError`` and ``upgrade`` import SQLAlchemy, so they are loaded on
first use (``import hyperdial`` does not import SQLAlchemy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hyperdial.storages._base import BaseStorage, StudyInfo
from hyperdial.storages._in_memory import InMemoryStorage

if TYPE_CHECKING:
    from hyperdial.storages._rdb import RDBStorage, upgrade
    from hyperdial.storages._rdb_schema import SchemaVersionError
    from hyperdial.storages.journal import JournalStorage

__all__ = [
    "BaseStorage",
    "InMemoryStorage",
    "JournalStorage",
    "RDBStorage",
    "SchemaVersionError",
    "StudyInfo",
    "get_storage",
    "upgrade",
]

_LAZY = {
    "RDBStorage": "hyperdial.storages._rdb",
    "upgrade": "hyperdial.storages._rdb",
    "SchemaVersionError": "hyperdial.storages._rdb_schema",
    "JournalStorage": "hyperdial.storages.journal",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        from hyperdial._not_offered import not_offered

        raise not_offered(__name__, name)
    import importlib

    try:
        value = getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as e:
        if e.name != "sqlalchemy":
            raise
        raise ImportError(
            f'hyperdial.storages.{name} needs SQLAlchemy 2: pip install "hyperdial[rdb]" '
            '(or "hyperdial[postgresql]" for PostgreSQL).'
        ) from e
    globals()[name] = value
    return value


def get_storage(storage: str | BaseStorage | None) -> BaseStorage:
    """Turns the ``storage=`` argument of ``create_study`` into a storage object.

    ``None`` gives a fresh :class:`InMemoryStorage`; a storage object is returned as it is; a
    database URL (``"sqlite:///study.db"``, ``"postgresql+psycopg://…"``) opens an
    :class:`RDBStorage`.

    Raises:
        TypeError: anything else.
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        from hyperdial.storages import RDBStorage

        return RDBStorage(storage)
    raise TypeError(
        f"`storage` must be None, a database URL or a BaseStorage, got {type(storage).__name__}."
    )
