"""A storage in an append-only log on a plain or network file system: no database server.

:class:`JournalStorage` keeps every write as a record of a log that each process replays;
:class:`JournalFileBackend` keeps the log in one file, with a choice of locks
(:class:`JournalFilePosixLock`, the default; :class:`JournalFileOpenLock` and
:class:`JournalFileSymlinkLock` for file systems without POSIX locks). Names and arguments are
Optuna's (``optuna.storages.journal``); the files are not interchangeable with Optuna's. The
design is in docs/design/journal_storage.md.
"""

from __future__ import annotations

from typing import Any

from hyperdial.storages.journal._backend import BaseJournalBackend
from hyperdial.storages.journal._file import (
    BaseJournalFileLock,
    JournalFileBackend,
    JournalFileOpenLock,
    JournalFilePosixLock,
    JournalFileSymlinkLock,
)
from hyperdial.storages.journal._storage import JournalStorage

__all__ = [
    "BaseJournalBackend",
    "BaseJournalFileLock",
    "JournalFileBackend",
    "JournalFileOpenLock",
    "JournalFilePosixLock",
    "JournalFileSymlinkLock",
    "JournalStorage",
]


def __getattr__(name: str) -> Any:
    from hyperdial._not_offered import not_offered

    raise not_offered(__name__, name)
