"""The exception the artifact stores raise for an artifact id they do not hold."""

from __future__ import annotations

from hyperdial.exceptions import HyperdialError

__all__ = ["ArtifactNotFound"]


class ArtifactNotFound(HyperdialError):
    """The artifact store holds no artifact with this id.

    Raised by an artifact store's ``open_reader`` and ``remove`` (and so by
    :func:`hyperdial.artifacts.download_artifact`).
    """
