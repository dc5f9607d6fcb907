"""Open SQLAlchemy engines for SQLite and PostgreSQL and hand out read and write transactions.

SQLite runs in WAL mode with a busy timeout, foreign keys on and ``synchronous=NORMAL``. Every
write transaction starts with ``BEGIN IMMEDIATE`` so that concurrent writers queue on the lock
instead of failing half-way; reads start a deferred transaction and see one snapshot.

A file database also has a "no-wait" connection (``Database.no_wait``) for callers that must
never block, such as a server's event loop: its busy timeout is 0, so a lock held elsewhere
raises ``ServiceUnavailable`` at once, and the caller retries where waiting is fine. It is one
connection kept open and lent to one caller at a time (a second one fails at once, too):
checking a connection out of the pool and back cost more than a small call's SQL.

``read_cursor`` is the cheapest read: a driver cursor in a transaction begun on the driver
connection itself, for small reads on hot paths (one run, one experiment).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import StaticPool

from trackstone.errors import InvalidParameter, ServiceUnavailable
from trackstone.store.sql.checkpoint import FALLBACK_AUTOCHECKPOINT_PAGES, WalCheckpointer
from trackstone.store.sql.errors import translate_errors

__all__ = ["SQLITE_BUSY_TIMEOUT_MS", "SQLITE_POOL", "Database", "PoolOptions", "sqlalchemy_url"]

SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE_OPTION = "trackstone_write"
# Set inside ``Database.no_wait`` blocks (per thread and task, so never seen by others).
_NO_WAIT: ContextVar[bool] = ContextVar("trackstone_sql_no_wait", default=False)


def sqlalchemy_url(uri: str) -> str:
    """Return the SQLAlchemy URL for a tracking URI (PostgreSQL goes through psycopg 3)."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri[len(prefix) :]
    if uri.startswith("sqlite:///"):
        return uri
    raise InvalidParameter(
        f"tracking URI: expected sqlite:///<path> or postgresql://..., got {uri!r}"
    )


def _sqlite_connect_hook(
    busy_timeout_ms: int, autocheckpoint_pages: int | None
) -> Callable[[sqlite3.Connection, object], None]:
    """Return the hook that sets up each new SQLite connection of an engine."""

    def configure(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy's "begin" hook below decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            if autocheckpoint_pages is not None:
                cursor.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint_pages)}")
        finally:
            cursor.close()

    return configure


def _sqlite_on_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get(_WRITE_OPTION, False)
    # Straight to the driver: SQLAlchemy's statement execution costs more than BEGIN itself.
    # A failure (a lock held elsewhere) is raised as the driver's error, translated by
    # ``Database.read``/``write``.
    driver: Any = connection.connection.driver_connection
    driver.execute("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def _sqlite_read(driver: Any) -> Iterator[sqlite3.Cursor]:
    """Yield a cursor of ``driver`` (in autocommit mode) inside ``BEGIN`` ... ``COMMIT``."""
    driver.execute("BEGIN")
    try:
        cursor = driver.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
    except BaseException:
        if driver.in_transaction:
            driver.execute("ROLLBACK")
        raise
    driver.execute("COMMIT")


@contextmanager
def _driver_read(pooled: Any) -> Iterator[Any]:
    """Yield a cursor of a pooled DB-API connection and commit after (after a failure, the
    pool rolls back as the connection goes back)."""
    cursor = pooled.cursor()
    try:
        yield cursor
    finally:
        cursor.close()
    pooled.commit()


def _driver_busy(connection: Connection) -> bool:
    """Tell whether a SQLite connection's driver is still inside a transaction."""
    driver: Any = connection.connection.driver_connection
    return bool(driver.in_transaction)


@dataclass(frozen=True)
class PoolOptions:
    """The connection pool of one process: ``size`` kept open, up to ``max_overflow`` more
    under load, ``timeout_s`` to wait for a free one (then 503), ``recycle_s`` max age."""

    size: int = 5
    max_overflow: int = 10
    timeout_s: float = 30.0
    recycle_s: int = 1800

    def __post_init__(self) -> None:
        for name, value, low in (
            ("size", self.size, 1),
            ("max_overflow", self.max_overflow, 0),
            ("timeout_s", self.timeout_s, 0),
            ("recycle_s", self.recycle_s, 1),
        ):
            if not value >= low:
                raise InvalidParameter(f"database pool {name}: must be >= {low}, got {value!r}")


SQLITE_POOL = PoolOptions(size=8, max_overflow=16)
# One connection, never waited for: a second concurrent user fails at once (and retries).
_NO_WAIT_POOL = PoolOptions(size=1, max_overflow=0, timeout_s=0)


def _sqlite_file_path(url: str) -> str | None:
    """Return the file of a SQLite URL, or None (in-memory SQLite, or another database)."""
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///") :]
    return None if path in ("", ":memory:") else path


def _create_sqlite_engine(
    url: str,
    pool: PoolOptions,
    *,
    no_wait: bool = False,
    autocheckpoint_pages: int | None = None,
) -> Engine:
    path = _sqlite_file_path(url)
    timeout_s = 0 if no_wait else SQLITE_BUSY_TIMEOUT_MS / 1000
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": timeout_s}}
    if path is None:
        kwargs["poolclass"] = StaticPool
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["pool_size"] = pool.size
        kwargs["max_overflow"] = pool.max_overflow
        kwargs["pool_timeout"] = pool.timeout_s
    engine = create_engine(url, **kwargs)
    busy_timeout_ms = 0 if no_wait else SQLITE_BUSY_TIMEOUT_MS
    event.listen(engine, "connect", _sqlite_connect_hook(busy_timeout_ms, autocheckpoint_pages))
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _create_postgres_engine(url: str, pool: PoolOptions) -> Engine:
    return create_engine(
        url,
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_pre_ping=True,
        pool_recycle=pool.recycle_s,
        pool_timeout=pool.timeout_s,
    )


class Database:
    """One engine plus the transaction helpers the store uses.

    Example:
        >>> db = Database("sqlite:///tmp/t.db")
        >>> with db.write() as conn: ...
    """

    def __init__(
        self,
        uri: str,
        pool: PoolOptions | None = None,
        *,
        checkpoint_interval_s: float | None = None,
    ) -> None:
        url = sqlalchemy_url(uri)
        file_path = _sqlite_file_path(url)
        # A file SQLite database may have its WAL checkpointed from a thread of its own.
        self._checkpointer: WalCheckpointer | None = None
        pages = None
        if checkpoint_interval_s is not None and file_path is not None:
            self._checkpointer = WalCheckpointer(file_path, checkpoint_interval_s)
            pages = FALLBACK_AUTOCHECKPOINT_PAGES
        with translate_errors():
            if url.startswith("sqlite"):
                self.engine = _create_sqlite_engine(
                    url, pool or SQLITE_POOL, autocheckpoint_pages=pages
                )
            else:
                self.engine = _create_postgres_engine(url, pool or PoolOptions())
        self.dialect: str = self.engine.dialect.name
        self._writer = self.engine.execution_options(**{_WRITE_OPTION: True})
        self._no_wait_engine: Engine | None = None
        # The no-wait engine's one connection, opened on first use and then kept.
        self._no_wait_connection: Connection | None = None
        self._no_wait_lock = threading.Lock()
        if file_path is not None:
            with translate_errors():
                self._no_wait_engine = _create_sqlite_engine(
                    url, _NO_WAIT_POOL, no_wait=True, autocheckpoint_pages=pages
                )
        if self._checkpointer is not None:
            self._checkpointer.start()

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def placeholder(self) -> str:
        """Return the driver's positional parameter marker (``?`` or ``%s``)."""
        return "?" if self.is_sqlite else "%s"

    @staticmethod
    def cursor(connection: Connection) -> Any:
        """Return a driver cursor inside ``connection``'s transaction, for the hot paths.

        Skipping SQLAlchemy's per-row parameter and result processing makes bulk inserts and
        long reads several times faster; errors are still translated by ``read``/``write``.
        """
        return connection.connection.cursor()

    @property
    def can_skip_waits(self) -> bool:
        """Whether ``no_wait`` blocks are available (a SQLite file; not PostgreSQL: its every
        statement is a network round trip)."""
        return self._no_wait_engine is not None

    @contextmanager
    def no_wait(self) -> Iterator[None]:
        """Run this block's transactions on the no-wait connection (when ``can_skip_waits``).

        A lock held by another connection or process, or the connection being in use, raises
        ``ServiceUnavailable`` at once instead of waiting; the transaction rolls back, so the
        caller may retry the whole call elsewhere.
        """
        token = _NO_WAIT.set(True)
        try:
            yield
        finally:
            _NO_WAIT.reset(token)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """Yield a connection in a read transaction (one consistent snapshot)."""
        if self._no_wait_engine is not None and _NO_WAIT.get():
            with self._no_wait_transaction(write=False) as connection:
                yield connection
            return
        with translate_errors(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """Yield a connection in a write transaction, committed on success, else rolled back."""
        if self._no_wait_engine is not None and _NO_WAIT.get():
            with self._no_wait_transaction(write=True) as connection:
                yield connection
            return
        with translate_errors(), self._writer.begin() as connection:
            yield connection

    @contextmanager
    def read_cursor(self) -> Iterator[Any]:
        """Yield a driver cursor in a read transaction, with no SQLAlchemy ``Connection``.

        For small reads on hot paths: the statements use the driver's parameter marker
        (``placeholder``) and its rows come back as plain tuples. Errors are translated.
        """
        if self._no_wait_engine is not None and _NO_WAIT.get():
            connection = self._borrow_no_wait()
            try:
                with translate_errors():
                    driver = connection.connection.driver_connection
                    with _sqlite_read(driver) as cursor:
                        yield cursor
            finally:
                self._give_back(connection)
            return
        with translate_errors():
            pooled = self.engine.raw_connection()
            try:
                if self.is_sqlite:
                    with _sqlite_read(pooled.driver_connection) as cursor:
                        yield cursor
                else:
                    with _driver_read(pooled) as cursor:
                        yield cursor
            finally:
                pooled.close()

    @contextmanager
    def _no_wait_transaction(self, *, write: bool) -> Iterator[Connection]:
        """Yield the no-wait connection in a transaction (``BEGIN IMMEDIATE`` to write)."""
        connection = self._borrow_no_wait()
        try:
            with translate_errors():
                if connection.get_execution_options().get(_WRITE_OPTION, False) != write:
                    connection.execution_options(**{_WRITE_OPTION: write})
                with connection.begin():
                    yield connection
        finally:
            self._give_back(connection)

    def _borrow_no_wait(self) -> Connection:
        """Take the no-wait connection (opening it if needed); ServiceUnavailable if taken."""
        if not self._no_wait_lock.acquire(blocking=False):
            raise ServiceUnavailable(
                "database temporarily unavailable: the no-wait connection is in use"
            )
        try:
            connection = self._no_wait_connection
            if connection is None:
                assert self._no_wait_engine is not None
                with translate_errors():
                    connection = self._no_wait_engine.connect()
                self._no_wait_connection = connection
            return connection
        except BaseException:
            self._no_wait_lock.release()
            raise

    def _give_back(self, connection: Connection) -> None:
        """Return the no-wait connection; one left in an unknown state is closed, not kept."""
        try:
            if connection.invalidated or connection.in_transaction() or _driver_busy(connection):
                self._no_wait_connection = None
                with translate_errors():
                    connection.close()
        finally:
            self._no_wait_lock.release()

    def dispose(self) -> None:
        """Stop the checkpoint thread (if any) and close every pooled connection."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
        with translate_errors():
            with self._no_wait_lock:
                if self._no_wait_connection is not None:
                    self._no_wait_connection.close()
                    self._no_wait_connection = None
            self.engine.dispose()
            if self._no_wait_engine is not None:
                self._no_wait_engine.dispose()
