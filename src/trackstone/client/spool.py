"""The logging spool: one append-only, CRC-framed file of records per (process, run).

File layout (all integers little-endian)::

    b"TSSPOOL\\0"                           magic, 8 bytes
    frame(SpoolHeader)                      format_version, tracking_uri, run_id, pid, created_ms
    frame([record, ...])                    one frame per logging call, one memory copy
    ...
    zero bytes                              the file is grown ahead of the frames; a zero
                                            length marks the end
    frame = u32 payload length | u32 CRC32(payload) | payload (msgpack)

A record is a msgpack array whose first element names its kind: metric (key, value, timestamp,
step), param (key, value), tag (key, value), delete_tag (key), end_run (status, end_time).

A frame whose length runs past the end of the file, or whose CRC does not match, is a torn write
(the process died inside the copy, or a reader raced an append): reading stops there. Nothing
after a torn frame was ever acknowledged to a caller, because one call is one frame.

Beside each spool, ``<name>.spool.ack`` holds the byte offset up to which records are stored in
the tracking store, replaced atomically (write a temporary file, then ``os.replace``) at most
every half second and on close; after a crash the records past it are sent again, which
stores nothing twice.

Handoff: the writer's own sender does not need to read back what the writer appended. A spool
created with ``handoff`` also keeps each appended frame's records in memory (a metric point
as a plain tuple) until ``take_handoff`` takes them: decoding the file costs several times
more per point than storing it. The file stays the record of truth: when the sender cannot
ship a handoff, or a million records wait, the handoff is dropped and the records are read
back from the file.

Durability: the writer maps the file into memory (``mmap``, shared) and appends a frame by
copying it into the mapping. The mapping *is* the kernel's page cache of the file, so once the
copy is done the record survives SIGKILL of the process — with no system call per record, so
the logging call never releases the GIL (a ``write`` would hand it to the sender thread). The
file is grown ahead in steps with ``posix_fallocate``, so a full disk is an ``OSError`` at that
point rather than a fault on a later copy; a clean close cuts the file back to its frames.
Without ``fsync=True`` (an ``msync`` per append) a machine crash or power loss can lose the
last few seconds.

Ownership is an exclusive ``flock`` on the spool file, held for as long as it is open::

                 create: write <name>.spool.tmp, flock, header, rename
    (absent) ──────────────────────────────────────────────────────► OWNED
                                                                       │ appends...
        writer retires it (end_run written, close, 64 MiB reached)     │
        ┌──────────────────────────────────────────────────────────────┘
        ▼                    fully acked
     RETIRED ───────────────────────────────────────────────────► (deleted with its .ack)
        │ process exits or is killed with records unacked                ▲
        ▼                                                                 │ fully shipped
     ORPHAN (nobody holds the flock) ── adopt: flock + same inode ──► ADOPTED
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import itertools
import logging
import mmap
import os
import re
import secrets
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import msgspec

from trackstone.store.base import MetricPoint

__all__ = [
    "ACK_SUFFIX",
    "FORMAT_VERSION",
    "SPOOL_SUFFIX",
    "DeleteTagRecord",
    "EndRunRecord",
    "Frame",
    "Handoff",
    "MetricRecord",
    "ParamRecord",
    "PointsRun",
    "Record",
    "SpoolFile",
    "SpoolFormatError",
    "SpoolHeader",
    "TagRecord",
    "decode_frames",
    "decode_points_run",
    "encode_frame",
    "ensure_spool_dir",
    "find_orphans",
]

logger = logging.getLogger(__name__)

MAGIC = b"TSSPOOL\0"
FORMAT_VERSION = 1
SPOOL_SUFFIX = ".spool"
ACK_SUFFIX = ".ack"
_TMP_SUFFIX = ".tmp"
_FRAME_HEAD = struct.Struct("<II")
_LENGTH = struct.Struct("<I")
# No honest frame comes near this; a bigger length field is garbage from a torn write.
_MAX_FRAME_BYTES = 256 * 1024 * 1024
_READ_CHUNK_BYTES = 1024 * 1024
# The file of a writer grows ahead of its frames: from this, doubling, by at most the last.
_FIRST_GROWTH_BYTES = 64 * 1024
_MAX_GROWTH_BYTES = 16 * 1024 * 1024
_HEADER_READ_BYTES = 64 * 1024
# Records handed over in memory, at most; past that (a store far behind) the reader reads them
# back from the file, which holds them all anyway.
_MAX_HANDOFF_ENTRIES = 1_000_000
# The ack sidecar is rewritten at most this often (and on close).
_ACK_PERSIST_INTERVAL_S = 0.5
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]")
# A half-made spool younger than this may still be on its way to being locked by its creator.
_STALE_TMP_S = 60.0


class SpoolFormatError(Exception):
    """A file in the spool folder is not a spool this version can read."""


class SpoolHeader(msgspec.Struct, frozen=True):
    """What a spool file belongs to (a map, so later versions may add fields)."""

    format_version: int
    tracking_uri: str
    run_id: str
    pid: int
    created_ms: int


class MetricRecord(msgspec.Struct, array_like=True, frozen=True, gc=False, tag=1):
    """One metric point."""

    key: str
    value: float
    timestamp: int
    step: int


class ParamRecord(msgspec.Struct, array_like=True, frozen=True, gc=False, tag=2):
    """One param."""

    key: str
    value: str


class TagRecord(msgspec.Struct, array_like=True, frozen=True, gc=False, tag=3):
    """One tag set (an upsert)."""

    key: str
    value: str


class DeleteTagRecord(msgspec.Struct, array_like=True, frozen=True, gc=False, tag=4):
    """Removal of a tag, ordered after the sets before it."""

    key: str


class EndRunRecord(msgspec.Struct, array_like=True, frozen=True, gc=False, tag=5):
    """The run's terminal status and end time."""

    status: str
    end_time: int


# Records hold only scalars, so they are never part of a reference cycle: gc=False spares the
# garbage collector the tens of thousands of them that one read of a spool decodes.
Record = MetricRecord | ParamRecord | TagRecord | DeleteTagRecord | EndRunRecord

_encoder = msgspec.msgpack.Encoder()
_records_decoder = msgspec.msgpack.Decoder(list[Record])
_points_decoder = msgspec.msgpack.Decoder(list[list[MetricRecord]])
_ARRAY32_HEAD = struct.Struct(">BI")  # msgpack array32: 0xdd, then the element count
_header_decoder = msgspec.msgpack.Decoder(SpoolHeader)


class Frame(NamedTuple):
    """The records of one logging call and the byte range ``[start, end)`` they occupy.

    ``records`` is empty and ``error`` set when the CRC matched but the payload did not decode.
    """

    start: int
    end: int
    records: Sequence[Record]
    error: str | None = None


class Handoff(NamedTuple):
    """What the writer appended to ``[start, end)``, as in-memory records.

    Each entry is a point (a ``MetricPoint`` tuple) or the ``Frame`` of any other frame;
    ``frames`` counts the latter, so a run of points alone is found without a scan.
    """

    start: int
    end: int
    entries: list[MetricPoint | Frame]
    frames: int


class PointsRun(NamedTuple):
    """The metric points of consecutive frames holding nothing else, read in one go.

    ``[start, end)`` spans whole frames, so ``end`` is a valid ack once all points are stored.
    """

    start: int
    end: int
    points: Sequence[MetricRecord]


def encode_frame(records: Sequence[Record]) -> bytes:
    """Return the bytes of one frame holding ``records``."""
    payload = _encoder.encode(records)
    return _FRAME_HEAD.pack(len(payload), zlib.crc32(payload)) + payload


_METRIC_TAG = MetricRecord.__struct_config__.tag
# A one-point frame's payload is the msgpack of [[tag, key, value, timestamp, step]]: a prefix
# that depends on the key alone (cached with its CRC), then this fixed tail: float64, int64,
# int64 (msgpack is big-endian; a decoder takes any int width).
_POINT_TAIL = struct.Struct(">BdBqBq")
_POINT_TAIL_SIZE = _POINT_TAIL.size
_FLOAT64, _INT64 = 0xCB, 0xD3
_MAX_CACHED_KEYS = 10_000
# Per key: its payload prefix, the prefix's CRC32, the payload length, and the struct that
# writes a whole frame (head, prefix, tail) in place.
_point_prefixes: dict[str, tuple[bytes, int, int, struct.Struct]] = {}


def _point_prefix(key: str) -> tuple[bytes, int, int, struct.Struct]:
    """Return the payload prefix of a point of ``key``, its CRC32, the payload length and
    the struct of a whole point frame of ``key``."""
    prefix = b"\x91\x95" + _encoder.encode(_METRIC_TAG) + _encoder.encode(key)
    frame = struct.Struct(f"{_FRAME_HEAD.format}{len(prefix)}s{_POINT_TAIL_SIZE}s")
    entry = (prefix, zlib.crc32(prefix), len(prefix) + _POINT_TAIL_SIZE, frame)
    if len(_point_prefixes) < _MAX_CACHED_KEYS:
        _point_prefixes[key] = entry
    return entry


def _intact_payloads(data: bytes) -> tuple[list[int], list[memoryview], int]:
    """Return the start offsets and payloads of the intact frames at the start of ``data``.

    Also returns the number of bytes they span; stops at the first torn, incomplete or
    corrupt frame, or at the zeros past the last frame.
    """
    starts: list[int] = []
    payloads: list[memoryview] = []
    view = memoryview(data)
    unpack, crc32, head, size = _FRAME_HEAD.unpack_from, zlib.crc32, _FRAME_HEAD.size, len(data)
    pos = 0
    while pos + head <= size:
        length, crc = unpack(data, pos)
        end = pos + head + length
        if not length or length > _MAX_FRAME_BYTES or end > size:
            break
        payload = view[pos + head : end]
        if crc32(payload) != crc:
            break
        starts.append(pos)
        payloads.append(payload)
        pos = end
    return starts, payloads, pos


def decode_frames(data: bytes, base_offset: int) -> tuple[list[Frame], int]:
    """Decode the complete, intact frames at the start of ``data``.

    Returns the frames and the number of bytes they span; decoding stops at the first torn,
    incomplete or corrupt frame.
    """
    starts, payloads, consumed = _intact_payloads(data)
    frames: list[Frame] = []
    decode = _records_decoder.decode
    for index, payload in enumerate(payloads):
        start = base_offset + starts[index]
        end = start + _FRAME_HEAD.size + len(payload)
        try:
            frames.append(Frame(start, end, decode(payload)))
        except msgspec.DecodeError as error:
            frames.append(Frame(start, end, (), f"undecodable frame: {error}"))
    return frames, consumed


def decode_points_run(data: bytes, base_offset: int) -> PointsRun | None:
    """Decode the intact frames at the start of ``data`` at once, if they hold only points.

    None when there is no intact frame, or one holds another kind of record (or does not
    decode): ``decode_frames`` then says what is there. Several times cheaper per point.
    """
    _, payloads, consumed = _intact_payloads(data)
    if not payloads:
        return None
    # Each payload is one msgpack array: glued behind one array header, they decode in one
    # call, which also checks that every record is a metric point.
    glued = _ARRAY32_HEAD.pack(0xDD, len(payloads)) + b"".join(payloads)
    try:
        frames = _points_decoder.decode(glued)
    except msgspec.DecodeError:
        return None
    points = list(itertools.chain.from_iterable(frames))
    return PointsRun(base_offset, base_offset + consumed, points)


def _frame_length_at(data: bytes) -> int | None:
    """Return the total length of the frame starting ``data`` (None if even its head is short)."""
    if len(data) < _FRAME_HEAD.size:
        return None
    length, _ = _FRAME_HEAD.unpack(data[: _FRAME_HEAD.size])
    return int(_FRAME_HEAD.size + length) if length <= _MAX_FRAME_BYTES else None


def ensure_spool_dir(spool_dir: Path) -> None:
    """Create the spool folder, readable by its owner only (records may hold private values)."""
    if spool_dir.is_dir():
        return
    spool_dir.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        spool_dir.mkdir(mode=0o700)
        os.chmod(spool_dir, 0o700)  # mkdir's mode is filtered by the umask


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _read_header(fd: int) -> tuple[SpoolHeader, int]:
    """Return the header of an open spool and the offset of its first record frame."""
    data = os.pread(fd, _HEADER_READ_BYTES, 0)
    if not data.startswith(MAGIC):
        raise SpoolFormatError("not a spool file (bad magic)")
    body = data[len(MAGIC) :]
    length = _frame_length_at(body)
    if length is None or length > len(body):
        raise SpoolFormatError("spool header is incomplete")
    length, crc = _FRAME_HEAD.unpack_from(body, 0)
    payload = body[_FRAME_HEAD.size : _FRAME_HEAD.size + length]
    if zlib.crc32(payload) != crc:
        raise SpoolFormatError("spool header is corrupt")
    try:
        header = _header_decoder.decode(payload)
    except msgspec.DecodeError as error:
        raise SpoolFormatError(f"spool header is unreadable: {error}") from None
    if header.format_version != FORMAT_VERSION:
        raise SpoolFormatError(f"spool format version {header.format_version} is not supported")
    return header, len(MAGIC) + _FRAME_HEAD.size + length


def _ack_path(path: Path) -> Path:
    return path.with_name(path.name + ACK_SUFFIX)


def _read_ack(path: Path) -> int:
    try:
        return int(_ack_path(path).read_text().strip() or 0)
    except (OSError, ValueError):
        return 0  # a missing or damaged ack only means records are re-sent (idempotently)


def _file_stem(run_id: str) -> str:
    safe = _UNSAFE_NAME_CHARS.sub("_", run_id)[:64]
    return f"{safe}.{os.getpid()}.{secrets.token_hex(6)}"


class SpoolFile:
    """One spool file held open, and exclusively flock-ed, by this process.

    ``size`` counts the bytes known to be complete; ``acked`` is the offset up to which records
    are stored; ``writable`` is False once the writer retired it (or for an adopted orphan).
    """

    def __init__(
        self, path: Path, fd: int, header: SpoolHeader, data_start: int, size: int, writable: bool
    ) -> None:
        self.path = path
        self.fd = fd
        self.header = header
        self.data_start = data_start
        self.size = size
        self.acked = max(data_start, min(_read_ack(path), size)) if not writable else data_start
        self._ack_persisted = self.acked
        self._ack_persisted_at = -_ACK_PERSIST_INTERVAL_S  # the first ack is written at once
        self.writable = writable
        self.fsync = False
        self._map: mmap.mmap | None = None  # the writer's mapping of the whole file
        # What the writer appended since the reader last took it (see ``take_handoff``); None
        # while the reader must read the file instead. The writer holds ``lock`` to append.
        self.lock = threading.Lock()
        self._handoff_enabled = False
        self._handoff: list[MetricPoint | Frame] | None = None
        self._handoff_start = size
        self._handoff_frames = 0

    @property
    def run_id(self) -> str:
        return self.header.run_id

    @classmethod
    def create(
        cls,
        spool_dir: Path,
        tracking_uri: str,
        run_id: str,
        created_ms: int,
        *,
        fsync: bool = False,
        handoff: bool = False,
        lock: threading.Lock | None = None,
    ) -> SpoolFile:
        """Create, lock and publish a new spool for ``run_id``; the caller becomes its writer.

        With ``handoff``, what is appended is also kept in memory for ``take_handoff``.
        ``lock`` (one the writer holds anyway) replaces the spool's own lock.
        """
        ensure_spool_dir(spool_dir)
        path = spool_dir / (_file_stem(run_id) + SPOOL_SUFFIX)
        tmp = path.with_name(path.name + _TMP_SUFFIX)
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        try:
            _try_lock(fd)  # a brand-new file: nobody else can hold it
            header = SpoolHeader(FORMAT_VERSION, tracking_uri, run_id, os.getpid(), created_ms)
            payload = _encoder.encode(header)
            head = MAGIC + _FRAME_HEAD.pack(len(payload), zlib.crc32(payload)) + payload
            _write_all(fd, head)
            if fsync:
                os.fsync(fd)
            # Published under its final name only once complete and locked: a scanner never
            # mistakes a half-made spool for an orphan.
            os.rename(tmp, path)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        spool = cls(path, fd, header, len(head), len(head), writable=True)
        spool.fsync = fsync
        if lock is not None:
            spool.lock = lock
        if handoff:
            spool._handoff_enabled = True
            spool._handoff = []
        return spool

    @classmethod
    def adopt(cls, path: Path) -> SpoolFile | None:
        """Lock an orphaned spool for shipping; None if a live process holds it or it is gone.

        Raises:
            SpoolFormatError: the file is not a spool this version reads (it stays locked by
                nobody and untouched).
        """
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND)
        except FileNotFoundError:
            return None
        try:
            if not _try_lock(fd):
                os.close(fd)
                return None
            # The owner may have deleted it between our open and our lock.
            if os.fstat(fd).st_ino != os.stat(path).st_ino:
                os.close(fd)
                return None
            header, data_start = _read_header(fd)
            size = _frames_end(fd, max(data_start, _read_ack(path)), os.fstat(fd).st_size)
        except FileNotFoundError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd, header, data_start, size, writable=False)

    def append(self, frame: bytes, records: Sequence[Record] = ()) -> None:
        """Append one encoded frame with one memory copy; after it returns the frame survives us.

        ``records`` are what the frame holds: they are handed over in memory when the spool
        was created with ``handoff``. The caller holds ``self.lock``.

        Raises:
            OSError: the file cannot grow (disk full...), or the ``fsync`` failed; nothing of
                this frame counts as written.
        """
        size = self.size
        end = size + len(frame)
        mapping = self._map
        if mapping is None or end > len(mapping):
            mapping = self._grow(end)
        mapping[size:end] = frame
        if self.fsync:
            mapping.flush()
        self.size = end
        entries = self._handoff
        if entries is not None:
            if len(entries) >= _MAX_HANDOFF_ENTRIES:
                self._handoff = None
            else:
                entries.append(Frame(size, end, records))
                self._handoff_frames += 1

    def append_point(
        self,
        key: str,
        value: float,
        timestamp: int,
        step: int,
        # Bound once: this runs for every point a training loop logs.
        _prefixes: dict[str, tuple[bytes, int, int, struct.Struct]] = _point_prefixes,
        _tail: Callable[..., bytes] = _POINT_TAIL.pack,
        _crc32: Callable[[bytes, int], int] = zlib.crc32,
    ) -> None:
        """Append the frame of one valid metric point, as ``append`` does.

        The frame decodes to ``encode_frame([MetricRecord(key, value, timestamp, step)])``'s
        record, but is built from a cached per-key prefix and a fixed tail (ints always 8 bytes
        wide) and packed straight into the mapping; the point itself is what is handed over in
        memory. The caller holds ``self.lock``.

        Raises:
            OSError: as ``append``.
        """
        prefix, prefix_crc, length, frame = _prefixes.get(key) or _point_prefix(key)
        tail = _tail(_FLOAT64, value, _INT64, timestamp, _INT64, step)
        size = self.size
        end = size + frame.size
        mapping = self._map
        if mapping is None or end > len(mapping):
            mapping = self._grow(end)
        frame.pack_into(mapping, size, length, _crc32(tail, prefix_crc), prefix, tail)
        if self.fsync:
            mapping.flush()
        self.size = end
        entries = self._handoff
        if entries is not None:
            if len(entries) >= _MAX_HANDOFF_ENTRIES:
                self._handoff = None
            else:
                entries.append((key, value, timestamp, step))

    def take_handoff(self) -> Handoff | None:
        """Return the records appended since the last take, and forget them.

        None when the reader must read the file from the acked offset instead: the spool
        was adopted, retired, or opened without handoff. After the handoff was dropped (by
        the reader, or because records overflowed the memory bound), it resumes here with
        nothing in it: the reader reads the file from the acked offset up to its ``start``.
        """
        with self.lock:
            entries = self._handoff
            if entries is None:
                if not (self._handoff_enabled and self.writable):
                    return None
                entries = []
                self._handoff_start = self.size
                self._handoff_frames = 0
            taken = Handoff(self._handoff_start, self.size, entries, self._handoff_frames)
            self._handoff = []
            self._handoff_start = self.size
            self._handoff_frames = 0
        return taken

    def retire(self, keep_handoff: bool = True) -> None:
        """Stop writing to this spool (the run's later records go to a fresh one; this one is
        deleted once shipped) and release the writer's mapping. The caller holds ``self.lock``.

        Without ``keep_handoff`` the records held in memory are dropped too and the reader
        reads them back from the file: a spool retired because it is full may wait long (the
        store down, or the run's earlier spools first) and must not hold memory meanwhile.
        """
        self.writable = False
        if not keep_handoff:
            self._handoff = None
        self._unmap()

    def drop_handoff(self) -> None:
        """Forget the records held in memory: the reader reads them from the file instead."""
        with self.lock:
            self._handoff = None

    def _grow(self, needed: int) -> mmap.mmap:
        """Extend the file (blocks reserved) to hold ``needed`` bytes, and map all of it."""
        old = self._map
        current = os.fstat(self.fd).st_size if old is None else len(old)
        step = min(_MAX_GROWTH_BYTES, max(_FIRST_GROWTH_BYTES, current))
        length = max(needed, current + step)
        _reserve(self.fd, current, length - current)
        if old is not None:
            old.close()
            self._map = None
        self._map = mmap.mmap(self.fd, length)
        return self._map

    def _unmap(self) -> None:
        """Drop the writer's mapping and cut the file back to its frames."""
        if self._map is not None:
            self._map.close()
            self._map = None
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, self.size)

    def read_frames(self, start: int, max_bytes: int = _READ_CHUNK_BYTES) -> list[Frame]:
        """Return the intact frames from offset ``start``: about ``max_bytes``, at least one."""
        data = os.pread(self.fd, max_bytes, start)
        frames, _ = decode_frames(data, start)
        if not frames:
            length = _frame_length_at(data)
            if length is not None and length > len(data) and len(data) == max_bytes:
                frames, _ = decode_frames(os.pread(self.fd, length, start), start)
        return frames

    def read_points_run(self, start: int, max_bytes: int = _READ_CHUNK_BYTES) -> PointsRun | None:
        """Return the frames from ``start`` (about ``max_bytes``) as one run if all are points."""
        return decode_points_run(os.pread(self.fd, max_bytes, start), start)

    def trailing_bytes(self) -> int:
        """Return how many bytes of frames lie past the acked offset (a torn tail, once drained)."""
        return max(0, self.size - self.acked)

    def ack(self, offset: int) -> None:
        """Record that everything before ``offset`` is stored.

        The sidecar is rewritten (atomically) at most every ``_ACK_PERSIST_INTERVAL_S``, and
        on close: after a crash at most that much is sent again, which stores nothing twice.
        Each rewrite costs four system calls, each a chance for the training thread to keep
        the GIL for a whole switch interval.

        Raises:
            OSError: the sidecar cannot be written (the offset is not acked then).
        """
        if offset <= self.acked:
            return
        now = time.monotonic()
        if now - self._ack_persisted_at >= _ACK_PERSIST_INTERVAL_S:
            self._persist_ack(offset)
            self._ack_persisted_at = now
        self.acked = offset

    def _persist_ack(self, offset: int) -> None:
        ack = _ack_path(self.path)
        tmp = ack.with_name(ack.name + _TMP_SUFFIX)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            _write_all(fd, str(offset).encode())
        finally:
            os.close(fd)
        os.replace(tmp, ack)
        self._ack_persisted = offset

    @property
    def drained(self) -> bool:
        """Whether every byte written so far is acked."""
        return self.acked >= self.size

    def delete(self) -> None:
        """Remove the spool and its ack sidecar, then release the lock."""
        if self._map is not None:
            self._map.close()
            self._map = None
        for path in (self.path, _ack_path(self.path)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        self._ack_persisted = self.acked  # nothing left to remember
        self.close()

    def close(self) -> None:
        """Close the file, releasing the lock (left unacked, it becomes an orphan)."""
        if self.fd >= 0 and self.acked > self._ack_persisted:
            try:
                self._persist_ack(self.acked)
            except OSError as error:  # only means records are sent again, idempotently
                logger.warning("cannot write the ack of %s: %s", self.path, error)
        self._unmap()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _reserve(fd: int, offset: int, length: int) -> None:
    """Grow the file by ``length`` bytes of zeros at ``offset``, reserving disk blocks if we can."""
    allocate = getattr(os, "posix_fallocate", None)
    if allocate is not None:
        try:
            allocate(fd, offset, length)
            return
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise
    os.ftruncate(fd, offset + length)  # sparse: a full disk shows up later, as a fault


def _frames_end(fd: int, start: int, file_size: int) -> int:
    """Return the offset past the last frame from ``start`` on (torn or not) of a spool on disk.

    Zeros past the frames (the room a killed writer had grown the file by) do not count.
    """
    pos = start
    while pos < file_size:
        data = os.pread(fd, _READ_CHUNK_BYTES, pos)
        offset = 0
        while offset + _FRAME_HEAD.size <= len(data):
            (length,) = _LENGTH.unpack_from(data, offset)
            if not length or length > _MAX_FRAME_BYTES:
                return pos + offset
            offset += _FRAME_HEAD.size + length
        if offset == 0 or pos + offset >= file_size:
            return min(file_size, pos + max(offset, len(data)))
        pos += offset
    return min(pos, file_size)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _spool_paths(spool_dir: Path) -> Iterator[Path]:
    try:
        names = sorted(os.listdir(spool_dir))
    except FileNotFoundError:
        return
    for name in names:
        if name.endswith(SPOOL_SUFFIX):
            yield spool_dir / name


def _remove_leftovers(spool_dir: Path) -> None:
    """Delete half-made spools of dead processes and ack sidecars whose spool is gone."""
    try:
        names = set(os.listdir(spool_dir))
    except FileNotFoundError:
        return
    for name in names:
        path = spool_dir / name
        if name.endswith(SPOOL_SUFFIX + _TMP_SUFFIX):
            with contextlib.suppress(OSError):
                if time.time() - path.stat().st_mtime < _STALE_TMP_S:
                    continue
                fd = os.open(path, os.O_RDONLY)
                try:
                    if _try_lock(fd):
                        path.unlink()
                finally:
                    os.close(fd)
        elif name.endswith(SPOOL_SUFFIX + ACK_SUFFIX) and name[: -len(ACK_SUFFIX)] not in names:
            with contextlib.suppress(OSError):
                path.unlink()


def find_orphans(spool_dir: Path, tracking_uri: str | None = None) -> list[SpoolFile]:
    """Adopt every orphaned spool (of ``tracking_uri`` only, when given), oldest first.

    Spools locked by a live process are left alone; unreadable files are logged and skipped.
    """
    _remove_leftovers(spool_dir)
    orphans: list[SpoolFile] = []
    for path in _spool_paths(spool_dir):
        try:
            spool = SpoolFile.adopt(path)
        except SpoolFormatError as error:
            logger.warning("skipping %s: %s", path, error)
            continue
        except OSError as error:
            logger.warning("cannot open spool %s: %s", path, error)
            continue
        if spool is None:
            continue
        if tracking_uri is not None and spool.header.tracking_uri != tracking_uri:
            spool.close()
            continue
        orphans.append(spool)
    orphans.sort(key=lambda spool: (spool.header.created_ms, spool.path.name))
    return orphans
