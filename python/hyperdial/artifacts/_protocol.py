"""What an artifact store is: three calls on an id and a binary stream."""

from __future__ import annotations

from typing import BinaryIO, Protocol

__all__ = ["ArtifactStore"]


class ArtifactStore(Protocol):
    """A place that keeps artifacts (files) by id, as Optuna's artifact stores do.

    Library code calls these; users pass a store to :func:`~hyperdial.artifacts.upload_artifact`
    and :func:`~hyperdial.artifacts.download_artifact`.
    """

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """A binary stream of the artifact's content (the caller closes it).

        Raises :class:`~hyperdial.artifacts.ArtifactNotFound` when there is no such artifact.
        """
        ...

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Stores the rest of ``content_body`` as the artifact ``artifact_id``, replacing one
        with that id; a reader sees the old content or the new, never a part."""
        ...

    def remove(self, artifact_id: str) -> None:
        """Deletes the artifact; :class:`~hyperdial.artifacts.ArtifactNotFound` when absent."""
        ...
