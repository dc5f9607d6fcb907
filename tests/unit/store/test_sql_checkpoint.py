"""Background WAL checkpoints: the store's commits leave them to a thread of the server."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from trackstone.entities import Metric
from trackstone.store.sql.checkpoint import FALLBACK_AUTOCHECKPOINT_PAGES, WalCheckpointer
from trackstone.store.sql.store import SqlStore


def _log_points(store: SqlStore, count: int) -> None:
    run_id = store.create_run(store.create_experiment("wal")).info.run_id
    for first in range(0, count, 1000):
        store.log_batch(run_id, [Metric("m", 0.5, 1, step) for step in range(first, first + 1000)])


def _autocheckpoint_of(store: SqlStore) -> int:
    with store._db.read() as connection:
        return int(connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


@pytest.mark.parametrize(
    ("interval_s", "expected_pages"), [(None, 1000), (60.0, FALLBACK_AUTOCHECKPOINT_PAGES)]
)
def test_commits_checkpoint_later_only_when_a_thread_does_it(
    tmp_path: Path, interval_s: float | None, expected_pages: int
) -> None:
    store = SqlStore(
        f"sqlite:///{tmp_path / 't.db'}", str(tmp_path / "a"), checkpoint_interval_s=interval_s
    )
    try:
        assert _autocheckpoint_of(store) == expected_pages
    finally:
        store.close()


def test_a_checkpoint_copies_the_whole_log_back(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    # An interval this long: only the explicit calls below checkpoint.
    store = SqlStore(f"sqlite:///{path}", str(tmp_path / "a"), checkpoint_interval_s=3600.0)
    checkpointer = WalCheckpointer(str(path), interval_s=3600.0)
    try:
        _log_points(store, 20_000)
        log_frames, checkpointed = checkpointer.checkpoint()
        assert log_frames > 0
        assert checkpointed == log_frames
        # The data is in the database file itself now: a reader that ignores the log sees it.
        copy = tmp_path / "copy.db"
        copy.write_bytes(path.read_bytes())
        with sqlite3.connect(copy) as connection:
            (count,) = connection.execute("SELECT count(*) FROM metrics").fetchone()
        assert count == 20_000
    finally:
        checkpointer.stop()
        store.close()


def test_the_thread_starts_and_stops(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    sqlite3.connect(path).execute("PRAGMA journal_mode = WAL").fetchone()
    checkpointer = WalCheckpointer(str(path), interval_s=0.01)
    checkpointer.start()
    checkpointer.stop()
    checkpointer.stop()  # twice is fine
    names = [thread.name for thread in threading.enumerate()]
    assert "trackstone-wal-checkpoint" not in names
