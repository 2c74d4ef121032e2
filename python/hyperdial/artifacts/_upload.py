"""Uploading a file as an artifact of a trial or study, listing and downloading artifacts.

An artifact's content lives in an artifact store; its metadata (:class:`ArtifactMeta`) lives in
the study's storage, as the system attribute ``"artifacts:<artifact id>"`` of the trial or
study it belongs to, holding the metadata as a JSON string: Optuna's key and format, so that
tools reading Optuna studies (optuna-dashboard) find the artifacts of hyperdial studies.
"""

from __future__ import annotations

import json
import mimetypes
import os
import shutil
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperdial.exceptions import UpdateFinishedTrialError
from hyperdial.trial._system_attrs import ARTIFACTS_PREFIX

if TYPE_CHECKING:
    from hyperdial.artifacts._protocol import ArtifactStore
    from hyperdial.storages._base import BaseStorage
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial
    from hyperdial.trial._trial import Trial

__all__ = ["ArtifactMeta", "download_artifact", "get_all_artifact_meta", "upload_artifact"]

DEFAULT_MIMETYPE = "application/octet-stream"


@dataclass
class ArtifactMeta:
    """What is known of an uploaded artifact.

    Attributes:
        artifact_id: Its id in the artifact store.
        filename: The name of the uploaded file (without its directory).
        mimetype: Its MIME type, given or guessed from the file name.
        encoding: Its content encoding (e.g. ``"gzip"``), given or guessed; None if none.
    """

    artifact_id: str
    filename: str
    mimetype: str
    encoding: str | None


def _owner(
    study_or_trial: Trial | FrozenTrial | Study, storage: BaseStorage | None
) -> tuple[BaseStorage, int | None, int | None]:
    """``(storage, trial_id, study_id)`` of a trial (study_id None) or a study (trial_id None)."""
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial
    from hyperdial.trial._trial import Trial

    if isinstance(study_or_trial, Study):
        return storage or study_or_trial._storage, None, study_or_trial._study_id
    if isinstance(study_or_trial, Trial):
        return storage or study_or_trial.study._storage, study_or_trial._trial_id, None
    if isinstance(study_or_trial, FrozenTrial):
        if storage is None:
            raise ValueError(
                "`storage` is needed with a FrozenTrial (a record does not know its storage): "
                "pass the study's storage, e.g. `storage=study._storage`, or pass the Trial."
            )
        if study_or_trial._trial_id < 0:
            raise ValueError(
                "This FrozenTrial is not in a storage (made by create_trial and not added to a "
                "study); artifacts attach to trials of a study."
            )
        return storage, study_or_trial._trial_id, None
    raise TypeError(
        "`study_or_trial` must be a Trial, a FrozenTrial or a Study, got "
        f"{type(study_or_trial).__name__}."
    )


def upload_artifact(
    *,
    study_or_trial: Trial | FrozenTrial | Study,
    file_path: str | os.PathLike[str],
    artifact_store: ArtifactStore,
    storage: BaseStorage | None = None,
    mimetype: str | None = None,
    encoding: str | None = None,
) -> str:
    """Uploads a file to ``artifact_store`` as an artifact of a trial or a study.

    The content is written first, then the metadata, so a failed upload leaves no metadata
    pointing at a missing artifact.

    Args:
        study_or_trial: A running :class:`~hyperdial.Trial`, a :class:`~hyperdial.FrozenTrial`
            of a running trial (with ``storage``), or a :class:`~hyperdial.Study`.
        file_path: The file to upload.
        artifact_store: Where the content goes (e.g. :class:`FileSystemArtifactStore`).
        storage: The study's storage; needed only with a FrozenTrial.
        mimetype: Default: guessed from the file name, else ``application/octet-stream``.
        encoding: Default: guessed from the file name (e.g. ``gzip`` for ``.gz``), else None.

    Returns:
        The new artifact's id (a UUID).

    Raises:
        FileNotFoundError: ``file_path`` does not exist.
        IsADirectoryError: ``file_path`` is a directory.
        ValueError: a FrozenTrial without ``storage``, or one not in a storage.
        hyperdial.exceptions.UpdateFinishedTrialError: the trial has finished (its attributes
            are frozen); attach the artifact to the study instead.

    Example:
        >>> import pathlib, tempfile
        >>> import hyperdial
        >>> from hyperdial.artifacts import FileSystemArtifactStore, upload_artifact
        >>> tmp = pathlib.Path(tempfile.mkdtemp())
        >>> store = FileSystemArtifactStore(tmp / "artifacts")
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -1, 1)
        ...     (tmp / "model.txt").write_text(f"x = {x}")
        ...     upload_artifact(study_or_trial=trial, file_path=tmp / "model.txt",
        ...                     artifact_store=store)
        ...     return x**2
        >>> study = hyperdial.create_study()
        >>> study.optimize(objective, n_trials=2)
        >>> [m.filename for m in hyperdial.artifacts.get_all_artifact_meta(study.trials[0],
        ...                                                               storage=study._storage)]
        ['model.txt']
    """
    storage, trial_id, study_id = _owner(study_or_trial, storage)
    path = Path(file_path)
    if not path.exists():
        raise FileNotFoundError(f"`file_path` {str(path)!r} does not exist.")
    if path.is_dir():
        raise IsADirectoryError(f"`file_path` {str(path)!r} is a directory, not a file.")
    if trial_id is not None:
        state = storage.get_trial(trial_id).state
        if state.is_finished():
            raise UpdateFinishedTrialError(
                f"Trial {storage.get_trial(trial_id).number} has finished ({state.name}), so "
                "an artifact can no longer be attached to it; upload it from the objective "
                "while the trial runs, or attach it to the study."
            )
    guessed_type, guessed_encoding = mimetypes.guess_type(path.name)
    meta = ArtifactMeta(
        artifact_id=str(uuid.uuid4()),
        filename=path.name,
        mimetype=mimetype or guessed_type or DEFAULT_MIMETYPE,
        encoding=encoding or guessed_encoding,
    )
    with open(path, "rb") as f:
        artifact_store.write(meta.artifact_id, f)
    key, value = ARTIFACTS_PREFIX + meta.artifact_id, json.dumps(asdict(meta))
    if trial_id is not None:
        storage.set_trial_system_attr(trial_id, key, value)
    else:
        assert study_id is not None
        storage.set_study_system_attr(study_id, key, value)
    return meta.artifact_id


def _meta(value: Any) -> ArtifactMeta | None:
    try:
        d = json.loads(value) if isinstance(value, str) else value
        return ArtifactMeta(
            artifact_id=str(d["artifact_id"]),
            filename=str(d["filename"]),
            mimetype=str(d["mimetype"]),
            encoding=None if d.get("encoding") is None else str(d["encoding"]),
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None  # not an artifact record: someone else's attribute with this prefix


def get_all_artifact_meta(
    study_or_trial: Trial | FrozenTrial | Study, *, storage: BaseStorage | None = None
) -> list[ArtifactMeta]:
    """The metadata of the artifacts uploaded to a trial, or to a study (not its trials'), in
    upload order.

    Args:
        study_or_trial: A Trial, a FrozenTrial (with ``storage``) or a Study.
        storage: The study's storage; needed only with a FrozenTrial.

    Raises:
        ValueError: a FrozenTrial without ``storage``.
    """
    storage, trial_id, study_id = _owner(study_or_trial, storage)
    if trial_id is not None:
        attrs = storage.get_trial(trial_id).system_attrs
    else:
        assert study_id is not None
        attrs = storage.get_study_system_attrs(study_id)
    metas = (_meta(v) for k, v in attrs.items() if k.startswith(ARTIFACTS_PREFIX))
    return [m for m in metas if m is not None]


def download_artifact(
    *, artifact_store: ArtifactStore, artifact_id: str, file_path: str | os.PathLike[str]
) -> None:
    """Writes the artifact's content to a new file ``file_path``.

    The content goes to a temporary file beside ``file_path`` first, which then takes the
    name only if no file has it, so ``file_path`` is either absent or complete, and an existing
    file is never overwritten.

    Args:
        artifact_store: The store the artifact was uploaded to.
        artifact_id: The artifact's id (:attr:`ArtifactMeta.artifact_id`).
        file_path: Where to write it; must not exist, its directory must.

    Raises:
        FileExistsError: ``file_path`` exists.
        hyperdial.artifacts.ArtifactNotFound: the store has no such artifact.
    """
    target = Path(file_path)
    if target.exists():
        raise FileExistsError(f"`file_path` {str(target)!r} exists; artifacts never overwrite.")
    reader = artifact_store.open_reader(artifact_id)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        try:
            with open(tmp, "xb") as f:
                shutil.copyfileobj(reader, f)
        finally:
            reader.close()
        try:
            os.link(tmp, target)  # fails if the name was taken meanwhile: no overwrite
        except FileExistsError:
            raise FileExistsError(
                f"`file_path` {str(target)!r} exists; artifacts never overwrite."
            ) from None
        except OSError:  # a file system without hard links
            if target.exists():
                raise FileExistsError(
                    f"`file_path` {str(target)!r} exists; artifacts never overwrite."
                ) from None
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
