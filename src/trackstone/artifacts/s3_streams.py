"""Adapters between file objects and S3 transfers: full-size reads, response bodies, sizes."""

from __future__ import annotations

import io
from typing import Any, BinaryIO

from s3transfer.subscribers import BaseSubscriber  # type: ignore[import-untyped]

from trackstone.artifacts.s3_errors import translated

__all__ = ["FullReads", "KnownObject", "ObjectBody"]

_CHUNK_BYTES = 1024 * 1024


class FullReads(io.RawIOBase):
    """A read-only view of a stream whose ``read(n)`` returns ``n`` bytes until the end.

    s3transfer takes a short read as the end of a part (or of a small object, which it then
    reads whole), so socket-like sources that return little at a time are filled up here.
    """

    def __init__(self, source: BinaryIO) -> None:
        super().__init__()
        self._source = source

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        pieces = []
        left = size
        while left > 0:
            piece = self._source.read(left)
            if not piece:
                break
            pieces.append(piece)
            left -= len(piece)
        return b"".join(pieces)

    def readall(self) -> bytes:
        pieces = []
        while piece := self._source.read(_CHUNK_BYTES):
            pieces.append(piece)
        return b"".join(pieces)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


class ObjectBody(io.RawIOBase):
    """Raw reads from a botocore ``StreamingBody``, with network errors translated."""

    def __init__(self, body: Any, subject: str) -> None:
        super().__init__()
        self._body = body
        self._subject = subject

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        with translated(self._subject):
            data: bytes = self._body.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class KnownObject(BaseSubscriber):  # type: ignore[misc]
    """Tell s3transfer an object's size and ETag (known from a listing) so it skips a HEAD.

    The ETag also pins the ranged GETs of a large download to one version of the object.
    """

    def __init__(self, size_bytes: int, etag: str | None) -> None:
        self._size_bytes = size_bytes
        self._etag = etag

    def on_queued(self, future: Any, **kwargs: Any) -> None:
        future.meta.provide_transfer_size(self._size_bytes)
        if self._etag:
            future.meta.provide_object_etag(self._etag)
