"""Where studies live. ``InMemoryStorage`` today; SQL storages plug into the same interface."""

from __future__ import annotations

from hyperdial.storages._base import BaseStorage, StudyInfo
from hyperdial.storages._in_memory import InMemoryStorage

__all__ = ["BaseStorage", "InMemoryStorage", "StudyInfo", "get_storage"]


def get_storage(storage: None | str | BaseStorage) -> BaseStorage:
    """Turns the ``storage=`` argument of ``create_study`` into a storage object.

    ``None`` gives a fresh :class:`InMemoryStorage`; a storage object is returned as it is.

    Raises:
        ValueError: a database URL was given, which this version cannot open yet.
        TypeError: anything else.
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        raise ValueError(
            f"storage={storage!r}: database URLs are not supported by this version of "
            "hyperdial; pass storage=None (in memory) or a BaseStorage instance."
        )
    raise TypeError(
        f"`storage` must be None, a database URL or a BaseStorage, got {type(storage).__name__}."
    )
