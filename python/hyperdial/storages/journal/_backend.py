"""The interface between :class:`~hyperdial.storages.JournalStorage` and where its log lives."""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Iterable
from typing import Any

__all__ = ["BaseJournalBackend"]


class BaseJournalBackend(abc.ABC):
    """An append-only log of JSON-compatible records shared by processes.

    The first two methods are Optuna's journal-backend interface; :meth:`lock` is hyperdial's
    addition. A :class:`~hyperdial.storages.JournalStorage` decides every operation that must be
    atomic across processes (the next trial number, which worker starts a WAITING trial, the
    first state a trial finishes in, the holder of a claim) inside :meth:`lock`: it reads the
    log to its end, decides, and appends the decision before the lock is released. So the
    decision was made on the whole log, and every process replaying the log reaches the same
    state.
    """

    @abc.abstractmethod
    def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
        """The records numbered ``log_number_from`` onwards (the first record is number 0),
        as far as the log is complete now.

        A record that cannot be read back (torn by a writer that was killed) is skipped and
        does not get a number; every reader skips the same records.
        """

    @abc.abstractmethod
    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        """Appends records, in order, after every record already in the log.

        Called inside :meth:`lock`. After it returns, every process reading the log sees the
        records.
        """

    @abc.abstractmethod
    def lock(self) -> contextlib.AbstractContextManager[None]:
        """An exclusive section: no other process or thread appends while it is held."""
