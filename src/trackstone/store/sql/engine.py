"""Open SQLAlchemy engines for SQLite and PostgreSQL and hand out read and write transactions.

SQLite runs in WAL mode with a busy timeout, foreign keys on and ``synchronous=NORMAL``. Every
write transaction starts with ``BEGIN IMMEDIATE`` so that concurrent writers queue on the lock
instead of failing half-way; reads start a deferred transaction and see one snapshot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import StaticPool

from trackstone.errors import InvalidParameter
from trackstone.store.sql.errors import translate_errors

__all__ = ["SQLITE_BUSY_TIMEOUT_MS", "SQLITE_POOL", "Database", "PoolOptions", "sqlalchemy_url"]

SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE_OPTION = "trackstone_write"


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


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # Let SQLAlchemy's "begin" hook below decide how each transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


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


def _create_sqlite_engine(url: str, pool: PoolOptions) -> Engine:
    path = url[len("sqlite:///") :]
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    }
    if path in ("", ":memory:"):
        kwargs["poolclass"] = StaticPool
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["pool_size"] = pool.size
        kwargs["max_overflow"] = pool.max_overflow
        kwargs["pool_timeout"] = pool.timeout_s
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
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

    def __init__(self, uri: str, pool: PoolOptions | None = None) -> None:
        url = sqlalchemy_url(uri)
        with translate_errors():
            if url.startswith("sqlite"):
                self.engine = _create_sqlite_engine(url, pool or SQLITE_POOL)
            else:
                self.engine = _create_postgres_engine(url, pool or PoolOptions())
        self.dialect: str = self.engine.dialect.name
        self._writer = self.engine.execution_options(**{_WRITE_OPTION: True})

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

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """Yield a connection in a read transaction (one consistent snapshot)."""
        with translate_errors(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """Yield a connection in a write transaction, committed on success, else rolled back."""
        with translate_errors(), self._writer.begin() as connection:
            yield connection

    def dispose(self) -> None:
        """Close every pooled connection."""
        with translate_errors():
            self.engine.dispose()
