"""Nothing logged is lost: a SIGKILLed logging process, and a store that goes away mid-run.

Both use the real ``SqlStore`` on a SQLite file and check every point arrives exactly once.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.tracking import all_history
from trackstone.client.durable import DurableLogger
from trackstone.client.sync import sync_spools
from trackstone.config import Settings
from trackstone.entities import Metric, Param, RunStatus, RunTag
from trackstone.errors import ServiceUnavailable
from trackstone.store.base import TrackingStore

KEY = "loss"
T0 = 1_700_000_000_000

# The child logs one point per call and prints how many calls have returned, after each one.
CHILD = """
import sys
from pathlib import Path
from trackstone.client.durable import DurableLogger
from trackstone.config import Settings
from trackstone.entities import Metric
from trackstone.store.sql.store import SqlStore

uri, spool_dir, run_id, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
settings = Settings(tracking_uri=uri, spool_dir=Path(spool_dir), flush_interval_s=2.0)
store = SqlStore(uri, settings.artifact_root)
logger = DurableLogger(store, settings)
for i in range(count):
    logger.log_batch(run_id, metrics=[Metric("loss", i * 0.5, {t0} + i, i)])
    print(i + 1, flush=True)
input()  # wait to be killed
""".replace("{t0}", str(T0))


def _point(step: int) -> Metric:
    return Metric(KEY, step * 0.5, T0 + step, step)


@dataclass
class Env:
    settings: Settings
    store: TrackingStore
    run_id: str
    db_path: Path


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    from trackstone.store.sql.store import SqlStore

    db_path = tmp_path / "data" / "trackstone.db"
    settings = Settings(
        tracking_uri=f"sqlite:///{db_path}",
        spool_dir=tmp_path / "spool",
        flush_interval_s=0.05,
        flush_timeout_s=60.0,
    )
    store = SqlStore(settings.tracking_uri, settings.artifact_root)
    run = store.create_run(store.create_experiment("durability"))
    yield Env(settings, store, run.info.run_id, db_path)
    store.close()


def _steps(store: TrackingStore, run_id: str) -> list[int]:
    return [point.step for point in all_history(store, run_id, KEY)]


def _run_child_and_kill(env: Env, count: int, kill_after: int) -> int:
    """Start the logging child, SIGKILL it mid-run; return how many calls it reported done."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            env.settings.tracking_uri,
            str(env.settings.spool_dir),
            env.run_id,
            str(count),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    reported = 0
    for line in child.stdout:
        reported = int(line)
        if reported >= kill_after:
            break
    child.send_signal(signal.SIGKILL)
    rest, errors = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, errors
    for line in rest.split():
        reported = max(reported, int(line))
    assert reported >= kill_after, errors
    return reported


def _recover_with_sync(env: Env) -> None:
    report = sync_spools(env.settings)  # stores come from store_for_settings
    assert report.errors == ()
    assert (report.spools_synced, report.spools_left, report.spools_live) == (1, 0, 0)
    assert report.records_rejected == 0


def _recover_with_next_start(env: Env) -> None:
    logger = DurableLogger(env.store, env.settings)
    assert logger.flush(timeout_s=60.0)
    logger.close()


@pytest.mark.parametrize(
    "recover", [_recover_with_sync, _recover_with_next_start], ids=["sync", "next-start"]
)
def test_every_point_a_killed_process_reported_logged_arrives_once(env: Env, recover) -> None:  # type: ignore[no-untyped-def]
    reported = _run_child_and_kill(env, count=200_000, kill_after=3_000)
    stored_before = _steps(env.store, env.run_id)
    assert [p.name for p in env.settings.spool_dir.glob("*.spool")] != []

    recover(env)

    steps = _steps(env.store, env.run_id)
    # Every reported point is there; a point whose call returned just before the kill but
    # was not printed yet may be there too. Nothing twice, nothing out of thin air.
    assert steps == list(range(len(steps)))
    assert len(steps) >= reported
    assert len(stored_before) < len(steps)  # the recovery did ship something
    assert all_history(env.store, env.run_id, KEY)[:reported] == [
        _point(i) for i in range(reported)
    ]
    assert list(env.settings.spool_dir.iterdir()) == []


class _Switchable:
    """Forwards to a store, or raises ServiceUnavailable while ``down`` is set (a server outage)."""

    def __init__(self, store: TrackingStore) -> None:
        self._store = store
        self.down = threading.Event()
        self.refused = 0

    def _check(self) -> None:
        if self.down.is_set():
            self.refused += 1
            raise ServiceUnavailable("server restarting")

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        self._check()
        self._store.log_batch(run_id, metrics, params, tags)

    def delete_tag(self, run_id: str, key: str) -> None:
        self._check()
        self._store.delete_tag(run_id, key)

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> object:
        self._check()
        return self._store.update_run_info(run_id, status, end_time, run_name)


def _log(logger: DurableLogger, run_id: str, steps: range) -> None:
    for step in steps:
        logger.log_batch(run_id, metrics=[_point(step)])


def test_a_locked_database_delays_shipping_but_loses_and_duplicates_nothing(env: Env) -> None:
    logger = DurableLogger(env.store, env.settings)
    _log(logger, env.run_id, range(0, 500))
    assert logger.flush(env.run_id)
    locker = sqlite3.connect(env.db_path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        # This thread holds the write lock: had logging touched the database, it would hang.
        _log(logger, env.run_id, range(500, 3_000))
        logger.log_batch(env.run_id, params=[Param("lr", "0.1")], tags=[RunTag("phase", "a")])
        assert not logger.flush(env.run_id, timeout_s=0.3)
        assert _steps(env.store, env.run_id) == list(range(500))
    finally:
        locker.execute("COMMIT")
        locker.close()
    logger.end_run(env.run_id, RunStatus.FINISHED, end_time=T0 + 10_000)
    logger.close()
    assert _steps(env.store, env.run_id) == list(range(3_000))
    run = env.store.get_run(env.run_id)
    assert (run.info.status, run.info.end_time) == (RunStatus.FINISHED, T0 + 10_000)
    assert (run.data.params, run.data.tags.get("phase")) == ({"lr": "0.1"}, "a")
    assert list(env.settings.spool_dir.iterdir()) == []


def test_a_server_outage_delays_shipping_but_loses_and_duplicates_nothing(env: Env) -> None:
    switchable = _Switchable(env.store)
    logger = DurableLogger(switchable, env.settings)
    _log(logger, env.run_id, range(0, 1_000))
    switchable.down.set()
    _log(logger, env.run_id, range(1_000, 4_000))
    logger.delete_tag(env.run_id, "never-set")
    assert not logger.flush(env.run_id, timeout_s=0.3)
    assert switchable.refused > 0
    switchable.down.clear()
    _log(logger, env.run_id, range(4_000, 5_000))
    assert logger.flush(env.run_id)
    logger.close()
    assert _steps(env.store, env.run_id) == list(range(5_000))
