"""IngestProcess: big runs of metric points stored by a real helper process on SQLite."""

from __future__ import annotations

import logging
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from trackstone.client.client import TrackstoneClient
from trackstone.config import Settings
from trackstone.errors import InvalidState, NotFound
from trackstone.store.base import MetricPoint
from trackstone.store.sql import ingest_process
from trackstone.store.sql.ingest_process import IngestProcess, ingest_process_for
from trackstone.store.sql.store import SqlStore

BIG = 1_000  # MIN_POINTS: calls this big go to the helper


class _CountingStore(SqlStore):
    """A SqlStore that counts the bulk calls made in this process."""

    calls = 0

    def log_metric_rows(self, run_id: str, points: object) -> None:  # type: ignore[override]
        type(self).calls += 1
        super().log_metric_rows(run_id, points)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[_CountingStore]:
    _CountingStore.calls = 0
    sql_store = _CountingStore(f"sqlite:///{tmp_path / 't.db'}", str(tmp_path / "artifacts"))
    yield sql_store
    sql_store.close()


@pytest.fixture
def ingest(store: SqlStore) -> Iterator[IngestProcess]:
    helper = IngestProcess(store)
    yield helper
    helper.close()


def _points(count: int, key: str = "loss") -> list[MetricPoint]:
    return [(key, 0.5 + step / 7, 1_700_000_000_000 + step, step) for step in range(count)]


def _stored(store: SqlStore, run_id: str, key: str) -> list[tuple[float, int, int]]:
    history = store.get_metric_history(run_id, key, max_results=1_000_000)
    return sorted((p.value, p.timestamp, p.step) for p in history)


def _new_run(store: SqlStore) -> str:
    return store.create_run(store.create_experiment("e")).info.run_id


def test_big_calls_are_stored_by_the_helper(store: _CountingStore, ingest: IngestProcess) -> None:
    run_id = _new_run(store)
    assert ingest.ready(timeout_s=60)
    points = _points(5_000)
    ingest.log_metric_rows(run_id, points)
    assert ingest.active
    assert store.calls == 0  # not made in this process
    assert _stored(store, run_id, "loss") == sorted((v, t, s) for _, v, t, s in points)


def test_values_survive_the_pipe_bit_for_bit(store: SqlStore, ingest: IngestProcess) -> None:
    run_id = _new_run(store)
    assert ingest.ready(timeout_s=60)
    special = [5e-324, -0.0, 0.0, math.inf, -math.inf, math.nan, 1 / 3, -1.7976931348623157e308]
    points = [
        ("v", value, -(2**63) + index, 2**63 - 1 - index) for index, value in enumerate(special)
    ]
    ingest.log_metric_rows(run_id, points + _points(BIG, "filler"))
    stored = {p.step: p for p in store.get_metric_history(run_id, "v", max_results=100)}
    for _, value, timestamp, step in points:
        got = stored[step]
        assert got.timestamp == timestamp
        assert math.copysign(1.0, got.value) == math.copysign(1.0, value)
        assert got.value == value or (math.isnan(got.value) and math.isnan(value))


def test_small_calls_stay_in_this_process_and_start_nothing(
    store: _CountingStore, ingest: IngestProcess
) -> None:
    run_id = _new_run(store)
    ingest.log_metric_rows(run_id, _points(BIG - 1))
    assert store.calls == 1
    assert not ingest.active
    assert ingest._process is None


def test_store_errors_come_back_as_the_same_class(store: SqlStore, ingest: IngestProcess) -> None:
    assert ingest.ready(timeout_s=60)
    with pytest.raises(NotFound, match="0123"):
        ingest.log_metric_rows("0123" * 8, _points(BIG))
    run_id = _new_run(store)
    store.delete_run(run_id)
    with pytest.raises(InvalidState):
        ingest.log_metric_rows(run_id, _points(BIG))
    assert ingest.active  # an error of the store, not of the helper


def test_a_dead_helper_is_replaced_by_this_process(
    store: _CountingStore, ingest: IngestProcess, caplog: pytest.LogCaptureFixture
) -> None:
    run_id = _new_run(store)
    assert ingest.ready(timeout_s=60)
    assert ingest._process is not None
    os.kill(ingest._process.pid, signal.SIGKILL)
    ingest._process.wait()
    with caplog.at_level(logging.WARNING):
        ingest.log_metric_rows(run_id, _points(BIG))
        ingest.log_metric_rows(run_id, _points(2 * BIG))  # idempotent: the first half again
    assert not ingest.active
    assert store.calls == 2
    assert len(_stored(store, run_id, "loss")) == 2 * BIG
    warnings = [r for r in caplog.records if "helper failed" in r.getMessage()]
    assert len(warnings) == 1


def test_a_frozen_helper_is_killed_after_the_call_timeout(
    store: _CountingStore,
    ingest: IngestProcess,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(ingest_process, "CALL_TIMEOUT_S", 1.0)
    monkeypatch.setattr(ingest_process, "_WATCH_INTERVAL_S", 0.1)
    run_id = _new_run(store)
    assert ingest.ready(timeout_s=60)
    assert ingest._process is not None
    os.kill(ingest._process.pid, signal.SIGSTOP)  # it reads nothing and answers nothing
    with caplog.at_level(logging.WARNING):
        ingest.log_metric_rows(run_id, _points(50_000))  # bigger than the socket's buffer
    assert not ingest.active
    assert store.calls == 1
    assert len(_stored(store, run_id, "loss")) == 50_000
    assert any("took more than" in r.getMessage() for r in caplog.records)


def test_close_does_not_wait_for_a_frozen_helper(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_process, "_CLOSE_GRACE_S", 0.5)
    helper = IngestProcess(store)
    run_id = _new_run(store)
    assert helper.ready(timeout_s=60)
    process = helper._process
    assert process is not None
    os.kill(process.pid, signal.SIGSTOP)
    call = threading.Thread(target=helper.log_metric_rows, args=(run_id, _points(50_000)))
    call.start()
    time.sleep(0.3)  # the call is stuck sending
    started = time.monotonic()
    helper.close()
    call.join(timeout=30)
    assert not call.is_alive()
    assert time.monotonic() - started < 10
    assert process.returncode == -signal.SIGKILL
    assert len(_stored(store, run_id, "loss")) == 50_000  # made in this process instead


def test_a_dead_helper_never_ends_the_program_with_sigpipe(tmp_path: Path) -> None:
    script = f"""
import os, signal
signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # as command-line tools often do
from trackstone.store.sql.ingest_process import IngestProcess
from trackstone.store.sql.store import SqlStore
store = SqlStore("sqlite:///{tmp_path / "pipe.db"}", "{tmp_path / "artifacts"}")
run_id = store.create_run(store.create_experiment("e")).info.run_id
helper = IngestProcess(store)
assert helper.ready(timeout_s=60)
os.kill(helper._process.pid, signal.SIGKILL)
helper._process.wait()
helper.log_metric_rows(run_id, [("m", 0.5, 1, step) for step in range(1000)])
print("survived", len(store.get_metric_history(run_id, "m", max_results=5000)))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["survived", "1000"]


def test_a_working_folder_that_is_gone_is_no_error(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'cwd.db'}", str(tmp_path / "artifacts"))
    gone = tmp_path / "gone"
    gone.mkdir()
    before = os.getcwd()
    os.chdir(gone)
    try:
        gone.rmdir()
        helper = IngestProcess(store)
        run_id = _new_run(store)
        helper.log_metric_rows(run_id, _points(BIG))  # starts the helper, stored here
        assert helper.ready(timeout_s=60)
        helper.log_metric_rows(run_id, _points(2 * BIG))
        assert helper.active
        helper.close()
    finally:
        os.chdir(before)
        store.close()


def test_a_helper_that_dies_between_calls_is_reaped(
    ingest: IngestProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_process, "_WATCH_INTERVAL_S", 0.05)
    assert ingest.ready(timeout_s=60)
    process = ingest._process
    assert process is not None
    os.kill(process.pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while process.returncode is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.returncode == -signal.SIGKILL  # reaped: no zombie left behind


def test_close_stops_the_helper(store: _CountingStore, ingest: IngestProcess) -> None:
    assert ingest.ready(timeout_s=60)
    process = ingest._process
    assert process is not None
    ingest.close()
    assert process.poll() is not None
    run_id = _new_run(store)
    ingest.log_metric_rows(run_id, _points(BIG))
    assert store.calls == 1


def test_a_forked_child_lets_go_of_the_pipes(store: SqlStore, ingest: IngestProcess) -> None:
    assert ingest.ready(timeout_s=60)
    process = ingest._process
    assert process is not None
    child = os.fork()
    if child == 0:  # a long-lived forked worker: it must not keep the helper's input open
        ok = ingest._process is None and not ingest.active
        time.sleep(30)
        os._exit(0 if ok else 1)
    try:
        ingest.close()  # without the fork hook the helper would not see its input end: killed
        assert process.returncode == 0
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


def test_a_helper_that_cannot_start_leaves_calls_here(
    store: _CountingStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("sys.executable", "/nonexistent/python")
    helper = IngestProcess(store)
    run_id = _new_run(store)
    with caplog.at_level(logging.WARNING):
        helper.log_metric_rows(run_id, _points(BIG))
    assert not helper.ready(timeout_s=1)
    assert store.calls == 1
    assert any("cannot start" in r.getMessage() for r in caplog.records)


def test_a_helper_that_exits_at_once_is_given_up(
    store: _CountingStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("sys.executable", "/bin/false")
    helper = IngestProcess(store)
    with caplog.at_level(logging.WARNING):
        assert not helper.ready(timeout_s=30)
    run_id = _new_run(store)
    helper.log_metric_rows(run_id, _points(BIG))
    assert store.calls == 1
    assert len(_stored(store, run_id, "loss")) == BIG
    assert any("ready" in r.getMessage() for r in caplog.records)


def test_only_sqlite_files_get_a_helper(tmp_path: Path) -> None:
    file_store = SqlStore(f"sqlite:///{tmp_path / 'a.db'}", str(tmp_path / "artifacts"))
    memory_store = SqlStore("sqlite:///:memory:", str(tmp_path / "artifacts"))
    try:
        helper = ingest_process_for(file_store, enabled=True)
        assert isinstance(helper, IngestProcess)
        helper.close()
        assert ingest_process_for(file_store, enabled=False) is None
        assert ingest_process_for(memory_store, enabled=True) is None
        assert ingest_process_for(object(), enabled=True) is None
    finally:
        file_store.close()
        memory_store.close()


def test_settings_turn_it_off() -> None:
    assert Settings.from_env({}).ingest_process
    assert not Settings.from_env({"TRACKSTONE_INGEST_PROCESS": "0"}).ingest_process


def test_a_fast_training_loop_is_stored_whole(tmp_path: Path) -> None:
    settings = Settings(
        tracking_uri=f"sqlite:///{tmp_path / 'loop.db'}",
        spool_dir=tmp_path / "spool",
        flush_interval_s=0.05,
    )
    client = TrackstoneClient(settings=settings)
    try:
        run_id = client.create_run(client.create_experiment("loop")).info.run_id
        client.log_metric(run_id, "warm-up", 0.5, step=0)
        durable = client._durable
        assert durable is not None and durable._ingest is not None
        assert durable._ingest.ready(timeout_s=60)
        for step in range(60_000):
            client.log_metric(run_id, "loss", step / 3, step=step)
        client.set_terminated(run_id)
        assert durable._ingest.active
        stored = client.get_metric_history(run_id, "loss")
        assert sorted(p.step for p in stored) == list(range(60_000))
        assert client.get_run(run_id).data.metrics["loss"] == 59_999 / 3
    finally:
        client.close()
