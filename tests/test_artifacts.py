"""hyperdial.artifacts: round trips, metadata, path safety, atomic writes, the S3 store on moto.

The S3 store runs against moto's in-memory S3 (``moto[s3]``, a test dependency), with a real
boto3 client.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hyperdial
from hyperdial.artifacts import (
    ArtifactMeta,
    ArtifactNotFound,
    Boto3ArtifactStore,
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)
from hyperdial.exceptions import HyperdialError, UpdateFinishedTrialError
from hyperdial.trial import TrialState


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    level = hyperdial.logging.get_verbosity()
    hyperdial.logging.set_verbosity(30)
    yield
    hyperdial.logging.set_verbosity(level)


@pytest.fixture
def store(tmp_path: Path) -> FileSystemArtifactStore:
    return FileSystemArtifactStore(tmp_path / "artifacts")


def _file(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


# -- the file-system store ------------------------------------------------------------------------
def test_file_system_store_round_trip(store: FileSystemArtifactStore) -> None:
    store.write("a", io.BytesIO(b"first"))
    store.write("a", io.BytesIO(b"second"))  # replaces
    store.write("b", io.BytesIO(bytes(range(256)) * 1000))
    with store.open_reader("a") as f:
        assert f.read() == b"second"
    with store.open_reader("b") as f:
        assert f.read() == bytes(range(256)) * 1000
    store.remove("a")
    assert _listing(store.base_path) == ["b"]
    with pytest.raises(ArtifactNotFound, match="'a'"):
        store.open_reader("a")
    with pytest.raises(ArtifactNotFound, match="'a'"):
        store.remove("a")
    assert issubclass(ArtifactNotFound, HyperdialError)


@pytest.mark.parametrize(
    "artifact_id",
    ["../escape", "a/b", "/etc/passwd", "..", ".", ".hidden", "..\\escape", "", "a\0b", 7, None],
)
def test_file_system_store_refuses_ids_that_are_not_one_file_name(
    tmp_path: Path, store: FileSystemArtifactStore, artifact_id: Any
) -> None:
    before = _listing(tmp_path)
    for call in (
        lambda: store.write(artifact_id, io.BytesIO(b"x")),
        lambda: store.open_reader(artifact_id),
        lambda: store.remove(artifact_id),
    ):
        with pytest.raises(ValueError, match="artifact_id"):
            call()
    assert _listing(tmp_path) == before
    assert not (tmp_path / "escape").exists()


class _Broken(io.RawIOBase):
    """A stream that fails after its first chunk."""

    def __init__(self) -> None:
        self.calls = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        self.calls += 1
        if self.calls > 1:
            raise OSError("connection lost")
        b[:4] = b"part"
        return 4


def test_a_failed_write_leaves_the_previous_content_and_no_temporary_file(
    store: FileSystemArtifactStore,
) -> None:
    store.write("a", io.BytesIO(b"complete"))
    with pytest.raises(OSError, match="connection lost"):
        store.write("a", _Broken())  # type: ignore[arg-type]
    with pytest.raises(OSError, match="connection lost"):
        store.write("new", _Broken())  # type: ignore[arg-type]
    assert _listing(store.base_path) == ["a"]
    with store.open_reader("a") as f:
        assert f.read() == b"complete"


def test_file_system_store_creates_its_directory_on_first_write(tmp_path: Path) -> None:
    store = FileSystemArtifactStore(str(tmp_path / "x" / "y"))
    with pytest.raises(ArtifactNotFound):
        store.open_reader("missing")
    store.write("a", io.BytesIO(b"1"))
    assert (tmp_path / "x" / "y" / "a").read_bytes() == b"1"
    with pytest.raises(ValueError, match="base_path"):
        FileSystemArtifactStore("")


# -- upload, metadata, download -------------------------------------------------------------------
def test_upload_from_the_objective_and_download(
    tmp_path: Path, store: FileSystemArtifactStore
) -> None:
    def objective(trial: hyperdial.Trial) -> float:
        x = trial.suggest_float("x", -1, 1)
        path = _file(tmp_path, f"model-{trial.number}.bin", f"x={x}".encode())
        upload_artifact(study_or_trial=trial, file_path=path, artifact_store=store)
        return x**2

    study = hyperdial.create_study()
    study.optimize(objective, n_trials=3)
    for t in study.trials:
        [meta] = get_all_artifact_meta(t, storage=study._storage)
        assert meta.filename == f"model-{t.number}.bin"
        assert meta.mimetype == "application/octet-stream" and meta.encoding is None
        out = tmp_path / f"out-{t.number}"
        download_artifact(artifact_store=store, artifact_id=meta.artifact_id, file_path=out)
        assert out.read_bytes() == f"x={t.params['x']}".encode()
    assert get_all_artifact_meta(study) == []  # the study's own artifacts, not its trials'
    assert _listing(tmp_path).count("out-0") == 1
    assert not [p for p in _listing(tmp_path) if p.endswith(".tmp")]


def test_metadata_is_stored_as_optuna_stores_it(
    tmp_path: Path, store: FileSystemArtifactStore
) -> None:
    study = hyperdial.create_study()
    png = _file(tmp_path, "plot.png", b"\x89PNG")
    gz = _file(tmp_path, "log.txt.gz", b"\x1f\x8b")
    a = upload_artifact(study_or_trial=study, file_path=png, artifact_store=store)
    b = upload_artifact(study_or_trial=study, file_path=str(gz), artifact_store=store)
    c = upload_artifact(
        study_or_trial=study, file_path=png, artifact_store=store, mimetype="x/y", encoding="br"
    )
    assert get_all_artifact_meta(study) == [
        ArtifactMeta(a, "plot.png", "image/png", None),
        ArtifactMeta(b, "log.txt.gz", "text/plain", "gzip"),
        ArtifactMeta(c, "plot.png", "x/y", "br"),
    ]
    attrs = study._storage.get_study_system_attrs(study._study_id)
    assert json.loads(attrs[f"artifacts:{a}"]) == {
        "artifact_id": a, "filename": "plot.png", "mimetype": "image/png", "encoding": None,
    }  # fmt: skip
    study.set_system_attr("artifacts:unrelated", 3)  # not a record: skipped
    assert len(get_all_artifact_meta(study)) == 3


def test_upload_to_a_running_frozen_trial_needs_the_storage(
    tmp_path: Path, store: FileSystemArtifactStore
) -> None:
    study = hyperdial.create_study()
    trial = study.ask()
    frozen = study._storage.get_trial(trial._trial_id)
    path = _file(tmp_path, "f.txt", b"1")
    with pytest.raises(ValueError, match="`storage` is needed with a FrozenTrial"):
        upload_artifact(study_or_trial=frozen, file_path=path, artifact_store=store)
    with pytest.raises(ValueError, match="`storage` is needed with a FrozenTrial"):
        get_all_artifact_meta(frozen)
    artifact_id = upload_artifact(
        study_or_trial=frozen, file_path=path, artifact_store=store, storage=study._storage
    )
    assert [m.artifact_id for m in get_all_artifact_meta(trial)] == [artifact_id]


def test_upload_refuses_before_writing_anything(
    tmp_path: Path, store: FileSystemArtifactStore
) -> None:
    study = hyperdial.create_study()
    study.optimize(lambda t: 1.0, n_trials=1)
    path = _file(tmp_path, "f.txt", b"1")
    finished = study.trials[0]
    with pytest.raises(UpdateFinishedTrialError, match="attach it to the study"):
        upload_artifact(
            study_or_trial=finished, file_path=path, artifact_store=store, storage=study._storage
        )
    with pytest.raises(FileNotFoundError, match=r"missing\.txt"):
        upload_artifact(study_or_trial=study, file_path=tmp_path / "missing.txt",
                        artifact_store=store)  # fmt: skip
    with pytest.raises(IsADirectoryError):
        upload_artifact(study_or_trial=study, file_path=tmp_path, artifact_store=store)
    with pytest.raises(ValueError, match="not in a storage"):
        upload_artifact(
            study_or_trial=hyperdial.create_trial(value=1.0), file_path=path,
            artifact_store=store, storage=study._storage,
        )  # fmt: skip
    with pytest.raises(TypeError, match="study_or_trial"):
        upload_artifact(study_or_trial="study", file_path=path, artifact_store=store)  # type: ignore[arg-type]
    assert _listing(store.base_path) == []
    assert get_all_artifact_meta(study) == []


def test_download_never_overwrites_and_leaves_nothing_on_a_missing_id(
    tmp_path: Path, store: FileSystemArtifactStore
) -> None:
    study = hyperdial.create_study()
    artifact_id = upload_artifact(
        study_or_trial=study, file_path=_file(tmp_path, "f.txt", b"new"), artifact_store=store
    )
    existing = _file(tmp_path, "existing.txt", b"keep")
    with pytest.raises(FileExistsError, match=r"existing\.txt"):
        download_artifact(artifact_store=store, artifact_id=artifact_id, file_path=existing)
    assert existing.read_bytes() == b"keep"
    before = _listing(tmp_path)
    with pytest.raises(ArtifactNotFound, match="no-such-id"):
        download_artifact(artifact_store=store, artifact_id="no-such-id",
                          file_path=tmp_path / "out")  # fmt: skip
    assert _listing(tmp_path) == before


def test_artifacts_of_an_rdb_study(tmp_path: Path, store: FileSystemArtifactStore) -> None:
    pytest.importorskip("sqlalchemy")
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = hyperdial.create_study(storage=url, study_name="s")
    trial = study.ask()
    artifact_id = upload_artifact(
        study_or_trial=trial, file_path=_file(tmp_path, "f.csv", b"a,b"), artifact_store=store
    )
    study.tell(trial, 1.0)
    loaded = hyperdial.load_study(study_name="s", storage=url)
    [meta] = get_all_artifact_meta(loaded.trials[0], storage=loaded._storage)
    assert meta == ArtifactMeta(artifact_id, "f.csv", "text/csv", None)
    assert loaded.trials[0].state == TrialState.COMPLETE


# -- the S3 store, on moto ------------------------------------------------------------------------
@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    pytest.importorskip("moto", reason="the S3 store is tested on moto: pip install 'moto[s3]'")
    boto3 = pytest.importorskip("boto3")
    from moto import mock_aws

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="bucket")
        yield client


@pytest.mark.parametrize("avoid_buf_copy", [False, True])
def test_s3_store_round_trip(s3: Any, avoid_buf_copy: bool) -> None:
    store = Boto3ArtifactStore("bucket", s3, avoid_buf_copy=avoid_buf_copy)
    store.write("a", io.BytesIO(b"content"))
    body = store.open_reader("a")
    assert body.read() == b"content"
    body.close()
    assert s3.get_object(Bucket="bucket", Key="a")["Body"].read() == b"content"
    store.remove("a")
    with pytest.raises(ArtifactNotFound, match="'a' in S3 bucket 'bucket'"):
        store.open_reader("a")
    with pytest.raises(ArtifactNotFound, match="'a'"):
        store.remove("a")


def test_s3_store_with_upload_and_download(s3: Any, tmp_path: Path) -> None:
    store = Boto3ArtifactStore("bucket")  # its own client, from the (mocked) environment
    study = hyperdial.create_study()
    source = _file(tmp_path, "weights.bin", bytes(range(256)) * 64)
    artifact_id = upload_artifact(study_or_trial=study, file_path=source, artifact_store=store)
    [meta] = get_all_artifact_meta(study)
    assert meta.artifact_id == artifact_id
    download_artifact(artifact_store=store, artifact_id=artifact_id, file_path=tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == source.read_bytes()
    with pytest.raises(ArtifactNotFound):
        download_artifact(artifact_store=store, artifact_id="nope", file_path=tmp_path / "n")
    assert not (tmp_path / "n").exists()


def test_s3_errors_other_than_not_found_propagate(s3: Any) -> None:
    from botocore.exceptions import ClientError

    store = Boto3ArtifactStore("no-such-bucket", s3)
    with pytest.raises(ClientError, match="NoSuchBucket"):
        store.open_reader("a")
    with pytest.raises(ValueError, match="bucket_name"):
        Boto3ArtifactStore("", s3)


def test_s3_store_without_boto3_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(ImportError, match=r"hyperdial\[s3\]"):
        Boto3ArtifactStore("bucket")


def test_importing_artifacts_does_not_import_boto3() -> None:
    code = "import sys, hyperdial.artifacts; print('boto3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
