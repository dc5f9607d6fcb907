"""Bulk metric ingestion in a helper process, so that the training loop keeps the GIL.

The background sender (``trackstone.client.sender``) stores big runs of metric points with
``log_metric_rows``. On SQLite that work is fast (about a microsecond a point) but it has to
take the GIL back after every statement: while a training loop runs Python on the main thread,
each of those hand-offs waits up to the interpreter's switch interval (5 ms). Measured on 2
cores, points were stored at 125-165k/s while a loop logged them, 550-690k/s once it stopped;
the loop itself ran about a third slower with the sender in the same process.

``IngestProcess`` moves those calls into a helper process with its own ``SqlStore`` (and its
own GIL) on the same database: the sender encodes a call's points once, writes them to a pipe
and waits for the answer, which costs it a few GIL hand-offs per call instead of dozens.

    log_metric_rows(points)                      helper process (python -m ...ingest_process)
      │ fewer than MIN_POINTS, or no helper yet,    ┌──────────────────────────────────────┐
      │ or the helper broke  ──► this store         │ SqlStore(uri, upgrade=False)         │
      │ else: request ─────────────────────────────►│ log_metric_rows(run_id, points)      │
      │ ◄─────────────────────────────── reply      │ reply [] or [error class, message]   │
                                                    └──────────────────────────────────────┘

The helper is started the first time a call is big enough (a sign of a fast-logging loop);
that call and those made while it starts are stored in this process. Every message is a 4-byte
big-endian length and a msgpack body: requests ``[run_id, [[key, value, timestamp, step],
...]]``; replies ``[]`` (stored), ``[error class, message]``, and first of all ``["ready"]``.
A store error in the helper is raised here as the same ``TrackstoneError`` class (``OSError``
as ``OSError``), so the sender retries, bisects or skips as it would in-process.

If the helper cannot start, dies, or stops answering, it is abandoned for the life of this
object (with one warning) and the call is made in this process: re-sending points the helper
may already have stored is harmless, as ``log_metric_rows`` skips points it holds.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import struct
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

import trackstone
from trackstone import errors
from trackstone.store.base import MetricPoint

if TYPE_CHECKING:
    from trackstone.store.sql.store import SqlStore

__all__ = ["MIN_POINTS", "IngestProcess", "ingest_process_for"]

logger = logging.getLogger(__name__)

# Calls with fewer points stay in this process: they are rare (a slow loop, the end of a run)
# and cost little; bigger ones come from loops that log fast, which the hand-offs slow down.
MIN_POINTS = 1_000
# How long to wait for the helper's answer to one call (of up to 50,000 points) before
# giving up on it; a healthy helper answers in well under a second.
_REPLY_TIMEOUT_S = 120.0
# How long the helper may take to start and say it is ready before it is given up.
_START_TIMEOUT_S = 30.0
_LENGTH = struct.Struct(">I")
_READY = ["ready"]
_ERROR_CLASSES: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (
        errors.InvalidParameter,
        errors.Unauthenticated,
        errors.PermissionDenied,
        errors.NotFound,
        errors.AlreadyExists,
        errors.InvalidState,
        errors.ServiceUnavailable,
        errors.InternalError,
        OSError,
    )
}
_encoder = msgspec.msgpack.Encoder()
_request_decoder = msgspec.msgpack.Decoder(tuple[str, list[tuple[str, float, int, int]]])
_reply_decoder = msgspec.msgpack.Decoder(list[str])


class _HelperBroken(Exception):
    """The helper process is gone or misbehaves; it is not used again."""


def ingest_process_for(store: object, enabled: bool) -> IngestProcess | None:
    """Return an ``IngestProcess`` for ``store`` if it is a ``SqlStore`` on a SQLite file.

    None when ``enabled`` is False, for other stores (PostgreSQL's bulk path is one statement
    a call, a remote store has none), and for in-memory databases, which another process
    cannot open.
    """
    uri = getattr(store, "uri", None)
    if not enabled or not isinstance(uri, str) or not uri.startswith("sqlite:///"):
        return None
    if ":memory:" in uri or "mode=memory" in uri:
        return None
    from trackstone.store.sql.store import SqlStore  # loaded already: the store is one

    return IngestProcess(store) if isinstance(store, SqlStore) else None


def write_message(fd: int, body: object) -> None:
    """Write one length-prefixed msgpack message to ``fd`` (a blocking pipe)."""
    payload = _encoder.encode(body)
    data = memoryview(_LENGTH.pack(len(payload)) + payload)
    while data:
        data = data[os.write(fd, data) :]


def read_exactly(fd: int, count: int) -> bytes | None:
    """Read ``count`` bytes from ``fd``; None if it ends first."""
    chunks = []
    while count:
        chunk = os.read(fd, min(count, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int) -> bytes | None:
    """Read one length-prefixed message body from ``fd``; None at the end of the stream.

    The first read takes up to 64 KiB, so a short message (every reply) costs one system
    call, one GIL hand-off: nothing ever follows a message before it is answered.
    """
    data = os.read(fd, 64 * 1024)
    while 0 < len(data) < _LENGTH.size:
        more = os.read(fd, _LENGTH.size - len(data))
        if not more:
            return None
        data += more
    if not data:
        return None
    length = _LENGTH.unpack_from(data)[0]
    body = data[_LENGTH.size :]
    if len(body) >= length:
        return body[:length]
    rest = read_exactly(fd, length - len(body))
    return None if rest is None else body + rest


class IngestProcess:
    """``log_metric_rows`` of ``store``, made by a helper process when calls are big.

    Thread-safe; calls are made one at a time. ``close`` stops the helper.
    """

    def __init__(self, store: SqlStore, min_points: int = MIN_POINTS) -> None:
        self._store = store
        self._min_points = min_points
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._broken = False
        self._started_at = 0.0
        self._owner_pid = os.getpid()
        # The helper resolves relative database and artifact paths as the store did.
        self._cwd = os.getcwd()
        _live.add(self)

    @property
    def active(self) -> bool:
        """Whether the helper process is up and taking calls."""
        return self._ready and not self._broken

    def log_metric_rows(self, run_id: str, points: Sequence[MetricPoint]) -> None:
        """Store ``points`` as ``SqlStore.log_metric_rows`` does, in the helper when it can."""
        if len(points) >= self._min_points and not self._broken:
            with self._lock:
                if self._ready_locked(0.0):
                    try:
                        self._call(run_id, points)
                        return
                    except _HelperBroken as error:
                        self._abandon(str(error))
        self._store.log_metric_rows(run_id, points)

    def ready(self, timeout_s: float = 0.0) -> bool:
        """Start the helper if it is not, and tell whether it takes calls (waiting up to
        ``timeout_s`` for it to start)."""
        with self._lock:
            return self._ready_locked(timeout_s)

    def close(self) -> None:
        """Stop the helper: it exits when its input ends; killed if it does not, soon."""
        with self._lock:
            process, self._process = self._process, None
            self._broken = True
        if process is None or os.getpid() != self._owner_pid:
            return
        _stop(process)

    def _let_go_after_fork(self) -> None:
        """In a forked child: close this copy of the pipes and never use the helper."""
        process, self._process = self._process, None
        self._broken = True
        self._lock = threading.Lock()  # the parent's may have been held at the fork
        if process is not None:
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()

    def _ready_locked(self, timeout_s: float) -> bool:
        if self._broken:
            return False
        if os.getpid() != self._owner_pid:  # a forked child: the pipes are the parent's
            self._broken = True
            return False
        if self._process is None:
            self._start()
        if not self._ready and self._process is not None:
            self._ready = self._check_ready(timeout_s)
        return self._ready

    def _start(self) -> None:
        executable = sys.executable
        if not executable:
            self._abandon("no Python executable to run it with")
            return
        command = [executable, "-m", __name__, self._store.uri, self._store.artifact_root]
        # The helper imports the same trackstone, wherever this one came from.
        package_parent = str(Path(trackstone.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                bufsize=0,
                cwd=self._cwd,
                env=env,
                # Its own session: a Ctrl-C in the terminal is the training script's to handle;
                # the helper ends when its input does.
                start_new_session=True,
            )
        except OSError as error:
            self._abandon(f"cannot start it: {error}")
            return
        self._started_at = time.monotonic()

    def _check_ready(self, timeout_s: float) -> bool:
        """Read the helper's "ready" if it comes within ``timeout_s``."""
        process = self._process
        assert process is not None and process.stdout is not None
        if not _readable(process.stdout.fileno(), timeout_s):
            if process.poll() is not None:
                self._abandon(f"it exited with status {process.returncode} while starting")
            elif time.monotonic() - self._started_at > _START_TIMEOUT_S:
                self._abandon(f"it did not start within {_START_TIMEOUT_S:.0f} s")
            return False
        body = read_message(process.stdout.fileno())
        try:
            started = body is not None and _reply_decoder.decode(body) == _READY
        except msgspec.DecodeError:
            started = False
        if not started:
            self._abandon("it did not say it was ready")
        return started

    def _call(self, run_id: str, points: Sequence[MetricPoint]) -> None:
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        try:
            write_message(process.stdin.fileno(), (run_id, points))
            replies = process.stdout.fileno()
            body = read_message(replies) if _readable(replies, _REPLY_TIMEOUT_S) else None
        except OSError as error:  # BrokenPipeError: the helper is gone
            raise _HelperBroken(f"the pipe to it failed: {error}") from error
        if body is None:
            raise _HelperBroken("it stopped answering" if process.poll() is None else "it exited")
        try:
            reply = _reply_decoder.decode(body)
        except msgspec.DecodeError as error:
            raise _HelperBroken(f"it answered garbage: {error}") from error
        if reply:
            name, message = [*reply, ""][:2]
            raise _ERROR_CLASSES.get(name, errors.InternalError)(message)

    def _abandon(self, reason: str) -> None:
        """Stop using the helper for good (the caller holds the lock)."""
        if not self._broken:
            logger.warning("metric ingestion stays in this process: the helper failed (%s)", reason)
        self._broken = True
        process, self._process = self._process, None
        if process is not None:
            _stop(process)


# The helpers of this process, for ``_after_fork_in_child``.
_live: weakref.WeakSet[IngestProcess] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A forked child (a DataLoader worker...) closes its copies of the helpers' pipes: a
    helper must see its input end when the process that started it closes it or dies."""
    for ingest in list(_live):
        ingest._let_go_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _readable(fd: int, timeout_s: float) -> bool:
    """Whether ``fd`` has data (or its end) within ``timeout_s``; poll has no fd limit."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(timeout_s * 1000))


def _stop(process: subprocess.Popen[bytes]) -> None:
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
    try:
        process.wait(timeout=5.0)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def serve(store: SqlStore, requests: int, replies: int) -> None:
    """Answer requests from ``requests`` on ``replies`` until the input ends (the helper's loop)."""
    write_message(replies, _READY)
    while True:
        body = read_message(requests)
        if body is None:
            return
        reply: list[str] = []
        try:
            run_id, points = _request_decoder.decode(body)
            store.log_metric_rows(run_id, points)
        except errors.TrackstoneError as error:
            reply = [type(error).__name__, str(error)]
        except OSError as error:
            reply = ["OSError", str(error)]
        except Exception as error:  # a bug: say so, keep serving
            logger.exception("the metric ingestion helper failed on a call")
            reply = ["InternalError", f"{type(error).__name__}: {error}"]
        write_message(replies, reply)


def main(argv: Sequence[str]) -> int:
    """The helper process: ``python -m trackstone.store.sql.ingest_process URI ARTIFACT_ROOT``."""
    uri, artifact_root = argv
    # Messages go to the original stdout only; anything else printed goes to stderr.
    replies = os.dup(1)
    os.dup2(2, 1)
    logging.basicConfig(level=logging.WARNING, format="trackstone ingest helper: %(message)s")
    from trackstone.store.sql.store import SqlStore

    try:
        store = SqlStore(uri, artifact_root, upgrade=False)
    except Exception as error:  # one line, no traceback: the parent then warns it gave up
        logger.warning("cannot open the store: %s", error)
        return 1
    try:
        serve(store, 0, replies)
    except BrokenPipeError:
        pass  # the parent is gone
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
