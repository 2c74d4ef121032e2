"""Files attached to trials and studies: models, plots, logs (Optuna's ``optuna.artifacts``).

:func:`upload_artifact` puts a file into an *artifact store* and records its
:class:`ArtifactMeta` on the trial or study (a system attribute, where Optuna keeps it);
:func:`get_all_artifact_meta` lists them and :func:`download_artifact` fetches one back. Stores:
:class:`FileSystemArtifactStore` (a directory, local or shared) and :class:`Boto3ArtifactStore`
(an S3 bucket; ``pip install 'hyperdial[s3]'``). Any object with the methods of
``hyperdial.artifacts._protocol.ArtifactStore`` works as a store.

Example:
    >>> import pathlib, tempfile
    >>> import hyperdial
    >>> from hyperdial.artifacts import (
    ...     FileSystemArtifactStore, download_artifact, get_all_artifact_meta, upload_artifact)
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> store = FileSystemArtifactStore(tmp / "artifacts")
    >>> study = hyperdial.create_study()
    >>> _ = (tmp / "notes.txt").write_text("hello")
    >>> artifact_id = upload_artifact(study_or_trial=study, file_path=tmp / "notes.txt",
    ...                               artifact_store=store)
    >>> [meta] = get_all_artifact_meta(study)
    >>> meta.filename, meta.mimetype
    ('notes.txt', 'text/plain')
    >>> download_artifact(artifact_store=store, artifact_id=meta.artifact_id,
    ...                   file_path=tmp / "copy.txt")
    >>> (tmp / "copy.txt").read_text()
    'hello'
"""

from __future__ import annotations

from typing import Any

from hyperdial.artifacts._boto3 import Boto3ArtifactStore
from hyperdial.artifacts._filesystem import FileSystemArtifactStore
from hyperdial.artifacts._upload import (
    ArtifactMeta,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)
from hyperdial.artifacts.exceptions import ArtifactNotFound

__all__ = [
    "ArtifactMeta",
    "ArtifactNotFound",
    "Boto3ArtifactStore",
    "FileSystemArtifactStore",
    "download_artifact",
    "get_all_artifact_meta",
    "upload_artifact",
]


def __getattr__(name: str) -> Any:
    from hyperdial._not_offered import not_offered

    raise not_offered(__name__, name)
