"""A readers-writer lock: many readers at once, or one writer (Courtois, Heymans and Parnas,
"Concurrent control with readers and writers", CACM 14(10), 1971; the writers-first variant).

A writer that is waiting keeps new readers out, so a steady stream of ``predict`` calls cannot
starve an ``append``. Not reentrant: a thread that holds the lock must not take it again (a
read inside a read would wait behind a waiting writer forever).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ReadWriteLock:
    """Shared (``read``) and exclusive (``write``) holds, as context managers."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        """Held beside other readers; waits while a writer holds or waits for the lock."""
        with self._cond:
            while self._writing or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        """Held alone: waits until no reader and no other writer holds the lock."""
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writing or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()
