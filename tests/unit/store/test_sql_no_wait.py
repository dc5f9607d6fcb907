"""``Database.no_wait``: a connection with no busy timeout, for callers that must not block."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from trackstone.errors import ServiceUnavailable
from trackstone.store.sql.engine import SQLITE_BUSY_TIMEOUT_MS, Database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'no-wait.db'}")
    with database.write() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    yield database
    database.dispose()


@pytest.fixture
def lock_holder(tmp_path: Path, db: Database) -> Iterator[sqlite3.Connection]:
    """Hold the database's write lock from another connection for the whole test."""
    holder = sqlite3.connect(tmp_path / "no-wait.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    yield holder
    holder.rollback()
    holder.close()


@pytest.mark.parametrize(("no_wait", "expected_ms"), [(True, 0), (False, SQLITE_BUSY_TIMEOUT_MS)])
def test_busy_timeout_of_each_mode(db: Database, no_wait: bool, expected_ms: int) -> None:
    if no_wait:
        with db.no_wait(), db.read() as connection:
            timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    else:
        with db.read() as connection:
            timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    assert timeout == expected_ms


def test_no_wait_write_under_a_held_lock_fails_and_changes_nothing(
    db: Database, lock_holder: sqlite3.Connection
) -> None:
    with pytest.raises(ServiceUnavailable, match="locked"), db.no_wait(), db.write() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (2)")
    lock_holder.rollback()
    with db.read() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0


def test_no_wait_read_under_a_held_write_lock_sees_the_last_commit(
    db: Database, lock_holder: sqlite3.Connection
) -> None:
    with db.no_wait(), db.read() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0


@pytest.mark.parametrize(
    ("uri", "expected"),
    [("sqlite:///{tmp}/file.db", True), ("sqlite:///:memory:", False)],
)
def test_which_databases_can_skip_waits(tmp_path: Path, uri: str, expected: bool) -> None:
    database = Database(uri.format(tmp=tmp_path))
    try:
        assert database.can_skip_waits is expected
    finally:
        database.dispose()


@pytest.mark.parametrize(("no_wait", "expected_ms"), [(True, 0), (False, SQLITE_BUSY_TIMEOUT_MS)])
def test_read_cursor_uses_the_connection_of_each_mode(
    db: Database, no_wait: bool, expected_ms: int
) -> None:
    if no_wait:
        with db.no_wait(), db.read_cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout")
            timeout = cursor.fetchone()[0]
    else:
        with db.read_cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout")
            timeout = cursor.fetchone()[0]
    assert timeout == expected_ms


def test_read_cursor_under_a_held_write_lock_sees_the_last_commit(
    db: Database, lock_holder: sqlite3.Connection
) -> None:
    with db.no_wait(), db.read_cursor() as cursor:
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone() == (0,)


def test_read_cursor_reads_one_snapshot(db: Database, tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / "no-wait.db", isolation_level=None)
    try:
        with db.no_wait(), db.read_cursor() as cursor:
            cursor.execute("SELECT count(*) FROM t")
            before = cursor.fetchone()
            other.execute("INSERT INTO t VALUES (1)")  # committed by another connection
            cursor.execute("SELECT count(*) FROM t")
            assert cursor.fetchone() == before == (0,)
    finally:
        other.close()
    with db.read_cursor() as cursor:
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone() == (1,)


@pytest.mark.parametrize("inner", ["read", "write", "read_cursor"])
def test_a_second_no_wait_user_fails_at_once(db: Database, inner: str) -> None:
    with (
        db.no_wait(),
        db.read_cursor(),
        pytest.raises(ServiceUnavailable, match="in use"),
        getattr(db, inner)(),
    ):
        pass
    with db.no_wait(), db.write() as connection:  # free again afterwards
        connection.exec_driver_sql("INSERT INTO t VALUES (3)")


def test_no_wait_calls_after_a_failed_one_start_clean(
    db: Database, lock_holder: sqlite3.Connection
) -> None:
    with pytest.raises(ServiceUnavailable), db.no_wait(), db.write():
        pass
    with pytest.raises(Exception, match="no such table"), db.no_wait(), db.read_cursor() as cur:
        cur.execute("SELECT * FROM missing")
    lock_holder.rollback()
    with db.no_wait(), db.write() as connection:
        connection.exec_driver_sql("INSERT INTO t VALUES (4)")
    with db.no_wait(), db.read_cursor() as cursor:
        cursor.execute("SELECT x FROM t")
        assert cursor.fetchall() == [(4,)]
