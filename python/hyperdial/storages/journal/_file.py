"""A journal in one file, one JSON record per line, and the file locks that serialise writers.

Writing. An append happens inside the backend's lock: the file is opened with ``O_APPEND``,
the whole batch of lines is handed to the kernel with one ``os.write`` and the file is closed
before the lock is released. Closing flushes the data to the server on NFS (close-to-open
consistency), and a POSIX lock's release flushes it too, so the next holder of the lock reads
every record. If the file does not end with a newline (a writer was killed in the middle of
its write), the batch starts with one, so the torn fragment stays a line of its own, which
readers skip, and never merges with the record after it.

Reading. A reader keeps the byte offset it has read to and reads only the bytes after it; the
file is opened for each read, so an NFS client revalidates its cache. Only lines that end with a
newline are consumed: a final line without one is either being written right now or was torn
by a killed writer, and is read again next time (the next append terminates it). A complete
line that is not a JSON object is skipped with a warning.

Durability. By default a record is not fsynced: it survives the writer's crash (it is in the
kernel's page cache, or on the NFS server), but a power loss or kernel crash of the machine
that holds the file may lose the last records, as SQLite's ``synchronous=NORMAL`` may; the log
stays readable, since a torn tail is skipped. With ``fsync=True`` each append reaches stable
storage before the operation returns; the fsync is done just after the lock is released,
so that other writers need not wait for it.

Locks (see docs/design/journal_storage.md):

* :class:`JournalFilePosixLock` (the default): ``fcntl.lockf`` on ``<file>.lockf``. The kernel
  blocks a waiting process without polling and releases the lock when its holder dies, so a
  killed writer never leaves a stale lock. NFSv4 implements these locks in the protocol and
  NFSv3 through the lock manager (lockd/NLM); a file system mounted with ``nolock`` or one
  without POSIX locks needs one of the next two.
* :class:`JournalFileOpenLock`: creating ``<file>.lock`` with ``O_CREAT | O_EXCL`` (atomic on
  local file systems and on NFSv3 and later).
* :class:`JournalFileSymlinkLock`: creating ``<file>.lock`` as a symbolic link (atomic even on
  NFSv2).

The last two poll, and a lock file left by a writer that died is removed by the next writer:
at once when the owner ran on this host and its process is gone, otherwise once the same lock
file has been seen for ``grace_period`` seconds of the waiter's own clock (so clock skew between
machines does not matter). All processes writing one log must use the same kind of lock; the
journal's header records the kind and a writer with another kind is refused.
"""

from __future__ import annotations

import abc
import contextlib
import errno
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from hyperdial.exceptions import ReadOnlyStorageError, StorageInternalError
from hyperdial.storages.journal._backend import BaseJournalBackend

__all__ = [
    "BaseJournalFileLock",
    "JournalFileBackend",
    "JournalFileOpenLock",
    "JournalFilePosixLock",
    "JournalFileSymlinkLock",
]

_logger = logging.getLogger("hyperdial")

_READ_ONLY_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
_CHUNK = 1 << 20

# -- per-process state of the locks -----------------------------------------------------------
# POSIX locks belong to a process, not to a thread or a file descriptor: two threads both
# "get" the lock, and closing any descriptor of the lock file releases it. So each lock file
# has one thread lock and one descriptor per process, kept open for the life of the process.
_registry_lock = threading.Lock()
_thread_locks: dict[str, threading.Lock] = {}
_posix_fds: dict[str, int] = {}


def _reset_after_fork() -> None:
    # A forked child holds no POSIX lock, and a thread lock held by another thread of the
    # parent at the fork would never be released in the child.
    global _registry_lock
    _registry_lock = threading.Lock()
    _thread_locks.clear()
    _posix_fds.clear()  # the descriptors stay open (closing them is harmless but pointless)


os.register_at_fork(after_in_child=_reset_after_fork)


def _thread_lock(path: str) -> threading.Lock:
    with _registry_lock:
        lock = _thread_locks.get(path)
        if lock is None:
            lock = _thread_locks[path] = threading.Lock()
        return lock


def _read_only(path: str, e: OSError) -> ReadOnlyStorageError:
    return ReadOnlyStorageError(f"The journal file {path!r} cannot be written: {e}.")


class BaseJournalFileLock(abc.ABC):
    """A lock shared by every process that writes one journal file.

    ``kind`` names the lock in the journal's header (all writers of a file must agree).
    """

    kind: str = ""

    @abc.abstractmethod
    def acquire(self) -> bool:
        """Blocks until this process holds the lock; returns True."""

    @abc.abstractmethod
    def release(self) -> None:
        """Releases the lock this process holds."""


class JournalFilePosixLock(BaseJournalFileLock):
    """``fcntl.lockf`` on ``<filepath>.lockf`` (the default lock of :class:`JournalFileBackend`).

    Waiting is done by the kernel (no polling), and the lock is released when its holder dies,
    so there is nothing stale to clean up. Works on local file systems and on NFSv3 (lockd) and
    NFSv4; not on NFS mounted with ``nolock`` (use :class:`JournalFileOpenLock` there).

    Args:
        filepath: The journal file the lock protects.
    """

    kind = "posix"

    def __init__(self, filepath: str) -> None:
        self._log_path = os.fspath(filepath)
        self._path = os.path.abspath(self._log_path) + ".lockf"

    def _fd(self) -> int:
        with _registry_lock:
            fd = _posix_fds.get(self._path)
            if fd is None:
                try:
                    fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o666)
                except OSError as e:
                    if e.errno in _READ_ONLY_ERRNOS:
                        raise _read_only(self._log_path, e) from e
                    raise
                _posix_fds[self._path] = fd
            return fd

    def acquire(self) -> bool:
        import fcntl

        thread_lock = _thread_lock(self._path)
        thread_lock.acquire()
        try:
            fcntl.lockf(self._fd(), fcntl.LOCK_EX)
        except BaseException:
            thread_lock.release()
            raise
        return True

    def release(self) -> None:
        import fcntl

        try:
            fcntl.lockf(self._fd(), fcntl.LOCK_UN)
        finally:
            _thread_lock(self._path).release()

    def __getstate__(self) -> dict[str, Any]:
        return {"filepath": self._log_path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["filepath"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"JournalFilePosixLock({self._log_path!r})"


class _LockFileLock(BaseJournalFileLock):
    """A lock that is held while ``<filepath>.lock`` exists and names this holder.

    The owner is written as ``host:pid:token``; ``token`` is new for each acquisition, so a
    holder removes only its own lock file.
    """

    def __init__(self, filepath: str, grace_period: float | None = 30) -> None:
        if grace_period is not None and not grace_period > 0:
            raise ValueError(f"`grace_period` must be None or > 0 seconds, got {grace_period}.")
        self._log_path = os.fspath(filepath)
        self._path = os.path.abspath(self._log_path) + ".lock"
        self.grace_period = grace_period
        self._token = ""
        # The lock file last seen held by someone else, and when (this process's clock).
        self._seen: tuple[Any, float] | None = None

    @abc.abstractmethod
    def _create(self, owner: str) -> None:
        """Creates the lock file naming ``owner``; FileExistsError when it exists."""

    @abc.abstractmethod
    def _owner(self, path: str) -> str | None:
        """The owner named by a lock file (None if it names none yet); OSError if absent."""

    @abc.abstractmethod
    def _restore(self, moved: str, owner: str | None) -> None:
        """Puts a lock file moved aside by mistake back (FileExistsError if one exists)."""

    def acquire(self) -> bool:
        thread_lock = _thread_lock(self._path)
        thread_lock.acquire()
        try:
            self._acquire_file()
        except BaseException:
            thread_lock.release()
            raise
        return True

    def _acquire_file(self) -> None:
        token = os.urandom(8).hex()
        owner = f"{socket.gethostname()}:{os.getpid()}:{token}"
        pause = 0.0005
        while True:
            try:
                self._create(owner)
            except FileExistsError:
                pass
            except OSError as e:
                if e.errno in _READ_ONLY_ERRNOS:
                    raise _read_only(self._log_path, e) from e
                raise
            else:
                self._token = token
                self._seen = None
                return
            self._break_if_stale()
            time.sleep(pause * (0.5 + random.random()))
            pause = min(2 * pause, 0.02)

    def release(self) -> None:
        try:
            owner = self._owner(self._path)
            if owner is not None and owner.endswith(":" + self._token):
                os.unlink(self._path)
            else:
                _logger.warning(
                    f"{self!r}: the lock file was taken over by {owner!r} while this process "
                    "held it (it was judged stale); leaving it to its new owner."
                )
        except FileNotFoundError:
            pass
        finally:
            self._token = ""
            _thread_lock(self._path).release()

    def _identity(self) -> tuple[Any, str | None] | None:
        """What identifies the lock file now (inode, mtime and owner); None if absent."""
        try:
            st = os.lstat(self._path)
            return (st.st_ino, st.st_mtime_ns), self._owner(self._path)
        except FileNotFoundError:
            return None

    def _break_if_stale(self) -> None:
        ident = self._identity()
        if ident is None:
            self._seen = None
            return
        now = time.monotonic()
        if self._seen is None or self._seen[0] != ident:
            self._seen = (ident, now)
        owner = ident[1]
        dead = _owner_is_dead(owner)
        expired = self.grace_period is not None and now - self._seen[1] > self.grace_period
        if not (dead or expired):
            return
        moved = f"{self._path}.stale.{os.urandom(8).hex()}"
        try:
            os.rename(self._path, moved)
        except FileNotFoundError:
            return  # released, or broken by another waiter
        try:
            st = os.lstat(moved)
            if ((st.st_ino, st.st_mtime_ns), self._owner(moved)) != ident:
                # Another waiter broke the stale lock and took the lock in between: this
                # moved the new holder's file. Put it back if nobody has taken the lock since.
                with contextlib.suppress(FileExistsError):
                    self._restore(moved, self._owner(moved))
                return
            why = "its process is gone" if dead else f"held for over {self.grace_period} s"
            _logger.warning(f"{self!r}: removed a stale lock file of {owner!r} ({why}).")
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(moved)
            self._seen = None

    def __getstate__(self) -> dict[str, Any]:
        return {"filepath": self._log_path, "grace_period": self.grace_period}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["filepath"], state["grace_period"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._log_path!r}, grace_period={self.grace_period})"


def _owner_is_dead(owner: str | None) -> bool:
    """True when ``owner`` (``host:pid:token``) ran on this host and its process is gone."""
    if owner is None:
        return False
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname():
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    if pid == os.getpid():
        return False  # this process's own lock, from a thread of ours: alive by definition
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # exists, owned by another user
    return False


class JournalFileOpenLock(_LockFileLock):
    """Holds the lock while ``<filepath>.lock``, created with ``O_CREAT | O_EXCL``, exists.

    For file systems without POSIX locks; exclusive creation is atomic on local file systems
    and on NFSv3 and later. A lock file whose owner died is removed (see the module doc).

    Args:
        filepath: The journal file the lock protects.
        grace_period: Seconds a lock file may be seen held, when its owner's liveness cannot be
            checked (another host), before it is judged stale and removed. None: never.
    """

    kind = "open"

    def _create(self, owner: str) -> None:
        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, owner.encode())
        finally:
            os.close(fd)

    def _owner(self, path: str) -> str | None:
        with open(path, "rb") as f:
            text = f.read(512).decode(errors="replace")
        return text or None  # empty: created, owner not written yet

    def _restore(self, moved: str, owner: str | None) -> None:
        os.link(moved, self._path)


class JournalFileSymlinkLock(_LockFileLock):
    """Holds the lock while the symbolic link ``<filepath>.lock`` exists.

    Creating a symbolic link is atomic even on NFSv2, and the link's target names its owner,
    written in the same step. A lock whose owner died is removed (see the module doc).

    Args:
        filepath: The journal file the lock protects.
        grace_period: Seconds a lock file may be seen held, when its owner's liveness cannot be
            checked (another host), before it is judged stale and removed. None: never.
    """

    kind = "symlink"

    def _create(self, owner: str) -> None:
        os.symlink(owner, self._path)

    def _owner(self, path: str) -> str | None:
        return os.readlink(path)

    def _restore(self, moved: str, owner: str | None) -> None:
        os.symlink(owner or "", self._path)


class JournalFileBackend(BaseJournalBackend):
    """A journal in one file on a local or network file system (no server).

    Args:
        file_path: The journal file; created if missing. Its directory must exist.
        lock_obj: The lock that serialises writers: :class:`JournalFilePosixLock` (the
            default), :class:`JournalFileOpenLock` or :class:`JournalFileSymlinkLock` for file
            systems without POSIX locks. Every process writing the file must use the same kind.
        fsync: fsync each append before returning (durable against power loss; slower). See
            the module doc for what is durable without it.

    Raises:
        FileNotFoundError: the directory of ``file_path`` does not exist.
        IsADirectoryError: ``file_path`` is a directory.

    Example:
        >>> import os, tempfile, hyperdial
        >>> from hyperdial.storages import JournalStorage
        >>> from hyperdial.storages.journal import JournalFileBackend
        >>> path = os.path.join(tempfile.mkdtemp(), "study.log")
        >>> storage = JournalStorage(JournalFileBackend(path))
        >>> study = hyperdial.create_study(storage=storage, study_name="demo")
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> len(hyperdial.load_study(study_name="demo", storage=storage).trials)
        3
    """

    def __init__(
        self,
        file_path: str,
        lock_obj: BaseJournalFileLock | None = None,
        *,
        fsync: bool = False,
    ) -> None:
        if not isinstance(file_path, (str, os.PathLike)):
            raise TypeError(f"`file_path` must be a path, got {file_path!r}.")
        path = os.fspath(file_path)
        if not isinstance(path, str):
            raise TypeError(f"`file_path` must be a str path, got {file_path!r}.")
        if lock_obj is not None and not isinstance(lock_obj, BaseJournalFileLock):
            raise TypeError(f"`lock_obj` must be a BaseJournalFileLock or None, got {lock_obj!r}.")
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise FileNotFoundError(
                errno.ENOENT,
                f"JournalFileBackend: the directory of file_path {path!r} does not exist",
                directory,
            )
        if os.path.isdir(path):
            raise IsADirectoryError(
                errno.EISDIR, f"JournalFileBackend: file_path {path!r} is a directory", path
            )
        self.file_path = path
        self.fsync = bool(fsync)
        self._lock_obj = JournalFilePosixLock(path) if lock_obj is None else lock_obj
        self._read_lock = threading.Lock()
        self._synced = threading.local()  # .pending: this thread appended inside the lock
        # Where reading stopped: (records read, byte offset); earlier positions are re-found
        # by reading from the start.
        self._n_read = 0
        self._offset = 0
        if not os.path.exists(path):
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666))
            except OSError as e:
                if e.errno in _READ_ONLY_ERRNOS:
                    raise PermissionError(
                        e.errno,
                        f"JournalFileBackend: cannot create file_path {path!r} ({e.strerror})",
                        path,
                    ) from e
                raise

    @property
    def lock_kind(self) -> str:
        """The kind of lock (``"posix"``, ``"open"``, ``"symlink"``): the journal's header
        records it, and writers with another kind are refused."""
        return self._lock_obj.kind or type(self._lock_obj).__name__

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        self._lock_obj.acquire()
        self._synced.pending = False
        try:
            yield
        finally:
            self._lock_obj.release()
            if self._synced.pending:
                self._synced.pending = False
                self._fsync()

    def _fsync(self) -> None:
        """Makes this thread's appends durable. Done after the lock is released (the data was
        handed to the kernel, and to the NFS server by ``close``, inside it), so that other
        writers append while this one waits for the disk and one flush can cover several
        writers' records."""
        try:
            fd = os.open(self.file_path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise StorageInternalError(
                f"Cannot fsync the journal file {self.file_path!r}: {e}."
            ) from e

    # -- reading --------------------------------------------------------------------------------
    def _read_from(self, offset: int) -> bytes:
        try:
            fd = os.open(self.file_path, os.O_RDONLY)
        except FileNotFoundError:
            raise FileNotFoundError(
                errno.ENOENT,
                f"JournalFileBackend: the journal file {self.file_path!r} was removed",
                self.file_path,
            ) from None
        try:
            parts = []
            while True:
                chunk = os.pread(fd, _CHUNK, offset)
                if not chunk:
                    break
                parts.append(chunk)
                offset += len(chunk)
            return b"".join(parts)
        finally:
            os.close(fd)

    def read_logs(self, log_number_from: int) -> list[dict[str, Any]]:
        import json

        with self._read_lock:
            if log_number_from < self._n_read:
                self._n_read, self._offset = 0, 0
            data = self._read_from(self._offset)
            end = data.rfind(b"\n") + 1  # only lines that end with a newline are complete
            out: list[dict[str, Any]] = []
            start = 0
            while start < end:
                stop = data.index(b"\n", start)
                line = data[start:stop]
                at = self._offset + start
                start = stop + 1
                if not line:
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    record = None
                if not isinstance(record, dict):
                    _logger.warning(
                        f"Skipped a damaged record ({len(line)} bytes at byte {at}) of the "
                        f"journal {self.file_path!r}: a writer was probably killed while "
                        "writing it."
                    )
                    continue
                if self._n_read >= log_number_from:
                    out.append(record)
                self._n_read += 1
            self._offset += end
            return out

    # -- writing --------------------------------------------------------------------------------
    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        import json

        data = b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in logs)
        self._append_bytes(data)

    def _append_bytes(self, data: bytes) -> None:
        """Appends whole lines (called inside :meth:`lock`)."""
        path = self.file_path
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND)
        except OSError as e:
            if e.errno in _READ_ONLY_ERRNOS:
                raise _read_only(path, e) from e
            raise StorageInternalError(f"Cannot open the journal file {path!r}: {e}.") from e
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data  # terminate a torn last record (see the module doc)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if self.fsync:
                self._synced.pending = True  # fsynced when the lock is released
        except OSError as e:
            if e.errno in _READ_ONLY_ERRNOS:
                raise _read_only(path, e) from e
            raise StorageInternalError(f"Cannot append to the journal file {path!r}: {e}.") from e
        finally:
            os.close(fd)

    def __getstate__(self) -> dict[str, Any]:
        return {"file_path": self.file_path, "lock_obj": self._lock_obj, "fsync": self.fsync}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["file_path"], state["lock_obj"], fsync=state["fsync"]
        )

    def __repr__(self) -> str:
        return f"JournalFileBackend({self.file_path!r})"
