"""Artifacts as files in one directory of a local or network file system."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import BinaryIO

from hyperdial.artifacts.exceptions import ArtifactNotFound

__all__ = ["FileSystemArtifactStore", "check_artifact_id"]


def check_artifact_id(artifact_id: object) -> str:
    """``artifact_id`` if it is a non-empty string without NUL characters."""
    if not isinstance(artifact_id, str) or not artifact_id or "\0" in artifact_id:
        raise ValueError(
            f"`artifact_id` must be a non-empty string without NUL characters, got "
            f"{artifact_id!r}."
        )
    return artifact_id


class FileSystemArtifactStore:
    """Keeps each artifact as the file ``base_path/<artifact id>``.

    * **Safe paths**: an artifact id must be one file name (no ``/`` or ``\\``, not ``.`` or
      ``..``, not starting with ``.``, not absolute), so no id reaches outside ``base_path``;
      anything else is a :class:`ValueError` naming the id. (Ids made by
      :func:`~hyperdial.artifacts.upload_artifact` are UUIDs.)
    * **Atomic writes**: :meth:`write` copies into a hidden temporary file in ``base_path`` and
      renames it over the artifact's name, so a reader (another process, another machine on a
      network file system that renames atomically, as NFS does) sees the previous content or
      the new, and a failed or interrupted write leaves no partial artifact.
    * ``base_path`` is created on the first write when it does not exist.

    Args:
        base_path: The directory of the artifacts.

    Example:
        >>> import io, tempfile
        >>> from hyperdial.artifacts import FileSystemArtifactStore
        >>> store = FileSystemArtifactStore(tempfile.mkdtemp())
        >>> store.write("model-1", io.BytesIO(b"weights"))
        >>> with store.open_reader("model-1") as f:
        ...     f.read()
        b'weights'
    """

    def __init__(self, base_path: str | os.PathLike[str]) -> None:
        if not isinstance(base_path, (str, os.PathLike)) or not os.fspath(base_path):
            raise ValueError(f"`base_path` must be a directory path, got {base_path!r}.")
        self._base_path = Path(base_path)

    @property
    def base_path(self) -> Path:
        """The directory of the artifacts."""
        return self._base_path

    def _path(self, artifact_id: str) -> Path:
        name = check_artifact_id(artifact_id)
        seps = {"/", "\\", os.sep} | ({os.altsep} if os.altsep else set())
        if any(s in name for s in seps) or name.startswith(".") or os.path.isabs(name):
            raise ValueError(
                f"`artifact_id` must be one file name (no path separators, not starting with "
                f"'.') so that it stays inside {str(self._base_path)!r}; got {artifact_id!r}."
            )
        return self._base_path / name

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """The artifact's file, opened for reading in binary mode.

        Raises:
            ArtifactNotFound: no artifact has this id.
            ValueError: the id is not a safe file name.
        """
        path = self._path(artifact_id)
        try:
            return open(path, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as e:
            raise ArtifactNotFound(
                f"No artifact {artifact_id!r} in {str(self._base_path)!r}."
            ) from e

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Stores the rest of ``content_body`` as the artifact, atomically (see the class)."""
        path = self._path(artifact_id)
        self._base_path.mkdir(parents=True, exist_ok=True)
        tmp = self._base_path / f".{artifact_id}.{uuid.uuid4().hex}.tmp"
        # O_EXCL: never another writer's temporary file; mode 0o666 less the umask, like open().
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as f:
                shutil.copyfileobj(content_body, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def remove(self, artifact_id: str) -> None:
        """Deletes the artifact.

        Raises:
            ArtifactNotFound: no artifact has this id.
        """
        path = self._path(artifact_id)
        try:
            path.unlink()
        except FileNotFoundError as e:
            raise ArtifactNotFound(
                f"No artifact {artifact_id!r} in {str(self._base_path)!r}."
            ) from e
