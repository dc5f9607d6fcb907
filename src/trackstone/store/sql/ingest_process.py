"""Bulk metric ingestion in a helper process, so that the training loop keeps the GIL.

The background sender (``trackstone.client.sender``) stores big runs of metric points with
``log_metric_rows``. On SQLite that work is fast (about a microsecond a point) but it has to
take the GIL back after every statement: while a training loop runs Python on the main thread,
each of those hand-offs waits up to the interpreter's switch interval (5 ms). Measured on 2
cores, points were stored at 125-165k/s while a loop logged them, 550-690k/s once it stopped;
the loop itself ran about a third slower with the sender in the same process.

``IngestProcess`` moves those calls into a helper process with its own ``SqlStore`` (and its
own GIL) on the same database: the sender encodes a call's points once, sends them over a Unix
socket pair and waits for the answer, which costs it a few GIL hand-offs per call instead of
dozens.

    log_metric_rows(points)                      helper process (python -m ...ingest_process)
      │ fewer than MIN_POINTS, or no helper yet,    ┌──────────────────────────────────────┐
      │ or the helper broke  ──► this store         │ SqlStore(uri, upgrade=False)         │
      │ else: request ─────────────────────────────►│ log_metric_rows(run_id, points)      │
      │ ◄─────────────────────────────── reply      │ reply [] or [error class, message]   │
                                                    └──────────────────────────────────────┘

The helper is started the first time a call is big enough (a sign of a fast-logging loop);
that call and those made while it starts are stored in this process. The socket is the
helper's stdin; it exits when the socket ends. Every message is a 4-byte big-endian length and
a msgpack body: requests ``[run_id, [[key, value, timestamp, step], ...]]``; replies ``[]``
(stored), ``[error class, message]``, and first of all ``["ready"]``. Sends use
``MSG_NOSIGNAL``: a dead helper is an error here, never a SIGPIPE that would end the program.
A store error in the helper is raised here as the same ``TrackstoneError`` class (``OSError``
as ``OSError``), so the sender retries, bisects or skips as it would in-process.

If the helper cannot start, dies, or does not finish a call within ``CALL_TIMEOUT_S`` (a
watchdog thread kills it, which ends any send or receive in progress), it is abandoned for the
life of this object (with one warning) and the call is made in this process: re-sending points
the helper may already have stored is harmless, as ``log_metric_rows`` skips points it holds.
``close`` gives a call in progress a few seconds, then kills the helper: it never hangs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
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

__all__ = [
    "CALL_TIMEOUT_S",
    "MIN_POINTS",
    "IngestProcess",
    "ingest_process_for",
    "receive_message",
    "send_message",
]

logger = logging.getLogger(__name__)

# Calls with fewer points stay in this process: they are rare (a slow loop, the end of a run)
# and cost little; bigger ones come from loops that log fast, which the hand-offs slow down.
MIN_POINTS = 1_000
# How long one call (of up to 50,000 points) may take before the helper is killed and given
# up; a healthy helper answers in well under a second.
CALL_TIMEOUT_S = 120.0
# How long the helper may take to start and say it is ready before it is given up.
_START_TIMEOUT_S = 30.0
# How long ``close`` lets a call in progress finish before it kills the helper.
_CLOSE_GRACE_S = 5.0
# How often the watchdog looks at the call in progress.
_WATCH_INTERVAL_S = 1.0
_LENGTH = struct.Struct(">I")
_FIRST_READ_BYTES = 64 * 1024
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
# Run in the helper: the working folder (first on ``sys.path`` with ``-c``) must not shadow
# modules, and this trackstone must be found even when it is not installed (a checkout).
_BOOTSTRAP = (
    "import sys; del sys.path[0]; sys.path.append(sys.argv[1]); "
    "from trackstone.store.sql.ingest_process import main; sys.exit(main(sys.argv[2:]))"
)


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


def send_message(sock: socket.socket, body: object) -> None:
    """Send one length-prefixed msgpack message (one system call on a blocking socket)."""
    payload = _encoder.encode(body)
    sock.sendall(_LENGTH.pack(len(payload)) + payload, socket.MSG_NOSIGNAL)


def receive_message(sock: socket.socket) -> bytes | None:
    """Receive one message body; None if the stream ends first.

    The first read takes up to 64 KiB, so a short message (every reply) costs one system
    call, one GIL hand-off: nothing ever follows a message before it is answered.
    """
    data = sock.recv(_FIRST_READ_BYTES)
    while 0 < len(data) < _LENGTH.size:
        more = sock.recv(_LENGTH.size - len(data))
        if not more:
            return None
        data += more
    if not data:
        return None
    length = _LENGTH.unpack_from(data)[0]
    received = bytearray(data[_LENGTH.size :])
    while len(received) < length:
        more = sock.recv(min(length - len(received), 1 << 20))
        if not more:
            return None
        received += more
    return bytes(received[:length])


class IngestProcess:
    """``log_metric_rows`` of ``store``, made by a helper process when calls are big.

    Thread-safe; calls are made one at a time. ``close`` stops the helper (killing it if a
    call in progress does not end within a few seconds).
    """

    def __init__(self, store: SqlStore, min_points: int = MIN_POINTS) -> None:
        self._store = store
        self._min_points = min_points
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._ready = False
        self._broken = False
        self._started_at = 0.0
        self._deadline: float | None = None  # of the call in progress, for the watchdog
        self._timed_out = False
        self._watchdog_stop = threading.Event()
        self._owner_pid = os.getpid()
        # The helper resolves relative database and artifact paths as the store did (None:
        # this process's working folder is gone; the helper then gets this process's, or none).
        try:
            self._cwd: str | None = os.getcwd()
        except OSError:
            self._cwd = None
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
        """Stop the helper: it exits when its socket ends. A call in progress gets
        ``_CLOSE_GRACE_S`` to finish; then the helper is killed, which ends the call."""
        self._broken = True  # no new calls
        if os.getpid() != self._owner_pid:
            return
        if not self._lock.acquire(timeout=_CLOSE_GRACE_S):
            process = self._process
            if process is not None:
                process.kill()
            self._lock.acquire()
        try:
            self._shut_down()
        finally:
            self._lock.release()

    def _let_go_after_fork(self) -> None:
        """In a forked child: close this copy of the socket and never use the helper."""
        sock, self._sock = self._sock, None
        self._process = None
        self._broken = True
        self._lock = threading.Lock()  # the parent's may have been held at the fork
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def _ready_locked(self, timeout_s: float) -> bool:
        if self._broken:
            return False
        if os.getpid() != self._owner_pid:  # a forked child: the socket is the parent's
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
        package_parent = str(Path(trackstone.__file__).resolve().parent.parent)
        command = [executable, "-c", _BOOTSTRAP, package_parent]
        command += [self._store.uri, self._store.artifact_root]
        ours, theirs = socket.socketpair()
        try:
            self._process = subprocess.Popen(
                command,
                stdin=theirs.fileno(),
                stdout=subprocess.DEVNULL,
                cwd=self._cwd,
                # Its own session: a Ctrl-C in the terminal is the training script's to handle;
                # the helper ends when its socket does.
                start_new_session=True,
            )
        except OSError as error:
            ours.close()
            self._abandon(f"cannot start it: {error}")
            return
        finally:
            theirs.close()
        self._sock = ours
        self._started_at = time.monotonic()
        watchdog = threading.Thread(
            target=self._watch, name="trackstone-ingest-watchdog", daemon=True
        )
        watchdog.start()

    def _check_ready(self, timeout_s: float) -> bool:
        """Read the helper's "ready" if it comes within ``timeout_s``."""
        process, sock = self._process, self._sock
        assert process is not None and sock is not None
        if not _readable(sock.fileno(), timeout_s):
            if process.poll() is not None:
                self._abandon(f"it exited with status {process.returncode} while starting")
            elif time.monotonic() - self._started_at > _START_TIMEOUT_S:
                self._abandon(f"it did not start within {_START_TIMEOUT_S:.0f} s")
            return False
        try:
            body = receive_message(sock)
            started = body is not None and _reply_decoder.decode(body) == _READY
        except (OSError, msgspec.DecodeError):
            started = False
        if not started:
            self._abandon("it did not say it was ready")
        return started

    def _call(self, run_id: str, points: Sequence[MetricPoint]) -> None:
        process, sock = self._process, self._sock
        assert process is not None and sock is not None
        self._deadline = time.monotonic() + CALL_TIMEOUT_S
        try:
            send_message(sock, (run_id, points))
            body = receive_message(sock)
        except OSError as error:  # BrokenPipeError, ConnectionResetError: the helper is gone
            raise _HelperBroken(self._why_gone(process, str(error))) from error
        finally:
            self._deadline = None
        if body is None:
            raise _HelperBroken(self._why_gone(process, "it stopped answering"))
        try:
            reply = _reply_decoder.decode(body)
        except msgspec.DecodeError as error:
            raise _HelperBroken(f"it answered garbage: {error}") from error
        if reply:
            name, message = [*reply, ""][:2]
            raise _ERROR_CLASSES.get(name, errors.InternalError)(message)

    def _why_gone(self, process: subprocess.Popen[bytes], default: str) -> str:
        if self._timed_out:
            return f"a call took more than {CALL_TIMEOUT_S:.0f} s"
        if process.poll() is not None:
            return f"it exited with status {process.returncode}"
        return default

    def _watch(self) -> None:
        """Kill the helper when a call runs past its deadline (its send or receive then ends),
        and reap it if it died between calls (the next call then finds it gone)."""
        while not self._watchdog_stop.wait(_WATCH_INTERVAL_S):
            deadline, process = self._deadline, self._process
            if process is None:
                continue
            if deadline is not None and time.monotonic() > deadline:
                self._timed_out = True
                process.kill()
            process.poll()

    def _abandon(self, reason: str) -> None:
        """Stop using the helper for good (the caller holds the lock)."""
        if not self._broken:
            logger.warning("metric ingestion stays in this process: the helper failed (%s)", reason)
        self._broken = True
        self._shut_down()

    def _shut_down(self) -> None:
        """Close the socket and reap the helper (the caller holds the lock); idempotent."""
        self._watchdog_stop.set()
        sock, self._sock = self._sock, None
        process, self._process = self._process, None
        if sock is not None:
            sock.close()  # the helper sees its input end
        if process is not None:
            try:
                process.wait(timeout=_CLOSE_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# The helpers of this process, for ``_after_fork_in_child``.
_live: weakref.WeakSet[IngestProcess] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A forked child (a DataLoader worker...) closes its copies of the helpers' sockets: a
    helper must see its input end when the process that started it closes it or dies."""
    for ingest in list(_live):
        ingest._let_go_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _readable(fd: int, timeout_s: float) -> bool:
    """Whether ``fd`` has data (or its end) within ``timeout_s``; poll has no fd limit."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(timeout_s * 1000))


def serve(store: SqlStore, sock: socket.socket) -> None:
    """Answer requests on ``sock`` until it ends (the helper's loop)."""
    send_message(sock, _READY)
    while True:
        body = receive_message(sock)
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
        send_message(sock, reply)


def main(argv: Sequence[str]) -> int:
    """The helper process; its stdin is the socket to the process it stores for."""
    uri, artifact_root = argv
    logging.basicConfig(level=logging.WARNING, format="trackstone ingest helper: %(message)s")
    sock = socket.socket(fileno=0)
    from trackstone.store.sql.store import SqlStore

    try:
        store = SqlStore(uri, artifact_root, upgrade=False)
    except Exception as error:  # one line, no traceback: the parent then warns it gave up
        logger.warning("cannot open the store: %s", error)
        return 1
    try:
        serve(store, sock)
    except OSError:
        pass  # the process it stores for is gone
    finally:
        store.close()
    return 0
