"""Object storage for photos and reports: a local directory by default, MinIO/S3 when configured."""

from __future__ import annotations

import io
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from config import Config

logger = logging.getLogger(__name__)

KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$")


class StorageError(RuntimeError):
    """An object could not be stored or read."""


def check_key(key: str) -> str:
    """Reject keys that could escape the storage root or are not plain relative paths."""
    if not KEY_RE.match(key) or ".." in key.split("/") or "//" in key:
        raise StorageError(f"invalid storage key {key!r}")
    return key


class Storage(Protocol):
    """What the app needs from object storage."""

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...
    def get(self, key: str) -> bytes: ...
    def open(self, key: str) -> Iterator[bytes]: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def ping(self) -> None: ...


class LocalStorage:
    """Files under one directory; writes are atomic (temp file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Store data under key, replacing what was there."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        """The bytes stored under key."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise StorageError(f"no object {key!r}") from None

    def open(self, key: str, chunk: int = 64 * 1024) -> Iterator[bytes]:
        """The object in chunks, for streaming responses."""
        try:
            f: BinaryIO = self._path(key).open("rb")
        except FileNotFoundError:
            raise StorageError(f"no object {key!r}") from None
        with f:
            while block := f.read(chunk):
                yield block

    def exists(self, key: str) -> bool:
        """True if an object is stored under key."""
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the object (no error if it is already gone)."""
        self._path(key).unlink(missing_ok=True)

    def ping(self) -> None:
        """Raise StorageError unless the directory is writable."""
        if not os.access(self.root, os.W_OK):
            raise StorageError(f"storage directory {self.root} is not writable")


class S3Storage:
    """A bucket on MinIO or any S3-compatible server, through the minio client."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, bucket: str, secure: bool, region: str):
        from minio import Minio

        self.bucket = bucket
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        self._bucket_ready = False

    def _ensure_bucket(self) -> None:
        if not self._bucket_ready:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
            self._bucket_ready = True

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Store data under key."""
        self._ensure_bucket()
        self.client.put_object(self.bucket, check_key(key), io.BytesIO(data), len(data), content_type=content_type)

    def get(self, key: str) -> bytes:
        """The bytes stored under key."""
        return b"".join(self.open(key))

    def open(self, key: str, chunk: int = 64 * 1024) -> Iterator[bytes]:
        """The object in chunks, for streaming responses."""
        from minio.error import S3Error

        try:
            resp = self.client.get_object(self.bucket, check_key(key))
        except S3Error as exc:
            raise StorageError(f"no object {key!r}: {exc.code}") from None
        try:
            yield from resp.stream(chunk)
        finally:
            resp.close()
            resp.release_conn()

    def exists(self, key: str) -> bool:
        """True if an object is stored under key."""
        from minio.error import S3Error

        try:
            self.client.stat_object(self.bucket, check_key(key))
            return True
        except S3Error:
            return False

    def delete(self, key: str) -> None:
        """Remove the object."""
        self.client.remove_object(self.bucket, check_key(key))

    def ping(self) -> None:
        """Raise StorageError unless the bucket can be reached."""
        try:
            self._ensure_bucket()
        except Exception as exc:  # network errors come in many types from urllib3
            raise StorageError(f"object storage unreachable: {exc}") from exc


def make_storage(cfg: Config) -> Storage:
    """The storage the configuration asks for."""
    if cfg.s3_endpoint:
        return S3Storage(cfg.s3_endpoint, cfg.s3_access_key, cfg.s3_secret_key, cfg.s3_bucket, cfg.s3_secure,
                         cfg.s3_region)
    return LocalStorage(cfg.storage_dir)


_storage: Storage | None = None


def get_storage() -> Storage:
    """The process-wide storage, built from the current configuration on first use."""
    global _storage
    if _storage is None:
        from config import get_config

        _storage = make_storage(get_config())
    return _storage


def reset_storage() -> None:
    """Forget the storage so the next get_storage() rebuilds it (after a config change)."""
    global _storage
    _storage = None
