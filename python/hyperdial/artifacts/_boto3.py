"""Artifacts as objects in an S3 bucket (or an S3-compatible service) through boto3.

boto3 is an optional dependency (``pip install 'hyperdial[s3]'``), imported only when a store
is made without a client.
"""

from __future__ import annotations

import io
import shutil
from typing import Any, BinaryIO

from hyperdial.artifacts._filesystem import check_artifact_id
from hyperdial.artifacts.exceptions import ArtifactNotFound

__all__ = ["Boto3ArtifactStore"]

_NOT_FOUND_CODES = ("NoSuchKey", "NotFound", "404")


def _is_not_found(error: Exception) -> bool:
    """Whether a botocore ``ClientError`` says the object does not exist (read from its
    ``response``, so that botocore need not be imported). ``NoSuchKey`` comes with a body
    (GET); a HEAD has none, so the code is the status. A missing bucket (``NoSuchBucket``, also
    a 404 on GET) is not a missing artifact and propagates."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    return str(response.get("Error", {}).get("Code", "")) in _NOT_FOUND_CODES


class Boto3ArtifactStore:
    """Keeps each artifact as the object ``<artifact id>`` of an S3 bucket.

    An S3 ``PUT`` replaces an object atomically, so readers see the old content or the new.
    Works with any S3-compatible service through the client's ``endpoint_url``.

    Args:
        bucket_name: The bucket (it must exist).
        client: A boto3 S3 client (``boto3.client("s3", ...)``); None makes one with boto3's
            default configuration.
        avoid_buf_copy: Upload straight from the stream given to :meth:`write` instead of
            copying it into memory first. boto3's ``upload_fileobj`` may close the stream it is
            given, so the copy (the default) keeps the caller's file usable.

    Raises:
        ImportError: boto3 is not installed and no ``client`` is given.

    Example:
        >>> from hyperdial.artifacts import Boto3ArtifactStore
        >>> store = Boto3ArtifactStore("my-bucket")  # doctest: +SKIP
    """

    def __init__(
        self, bucket_name: str, client: Any | None = None, *, avoid_buf_copy: bool = False
    ) -> None:
        if not isinstance(bucket_name, str) or not bucket_name:
            raise ValueError(f"`bucket_name` must be a non-empty string, got {bucket_name!r}.")
        if client is None:
            try:
                import boto3  # type: ignore[import-not-found,import-untyped,unused-ignore]
            except ImportError as e:
                raise ImportError(
                    "Boto3ArtifactStore needs boto3, which is not installed: "
                    "pip install 'hyperdial[s3]' (or boto3), or pass `client`."
                ) from e
            client = boto3.client("s3")
        self.bucket = bucket_name
        self.client = client
        self._avoid_buf_copy = bool(avoid_buf_copy)

    def _not_found(self, artifact_id: str) -> ArtifactNotFound:
        return ArtifactNotFound(f"No artifact {artifact_id!r} in S3 bucket {self.bucket!r}.")

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """The object's body, a binary stream (the caller closes it).

        Raises:
            ArtifactNotFound: the bucket has no object with this key.
        """
        key = check_artifact_id(artifact_id)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except Exception as e:
            if _is_not_found(e):
                raise self._not_found(artifact_id) from e
            raise
        body: BinaryIO = response["Body"]
        return body

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Uploads the rest of ``content_body`` as the object ``artifact_id``."""
        key = check_artifact_id(artifact_id)
        source = content_body
        if not self._avoid_buf_copy:
            buffer = io.BytesIO()
            shutil.copyfileobj(content_body, buffer)
            buffer.seek(0)
            source = buffer
        self.client.upload_fileobj(source, self.bucket, key)

    def remove(self, artifact_id: str) -> None:
        """Deletes the object.

        Raises:
            ArtifactNotFound: the bucket has no object with this key (S3 itself deletes
                missing keys silently; the store asks first, as the file-system store fails).
        """
        key = check_artifact_id(artifact_id)
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as e:
            if _is_not_found(e):
                raise self._not_found(artifact_id) from e
            raise
        self.client.delete_object(Bucket=self.bucket, Key=key)
