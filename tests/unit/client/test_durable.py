"""The DurableLogger façade: returns at once, flushes, keeps order, outlasts a store outage."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.fake_sink import BulkFakeSink, FakeSink
from trackstone.client import durable as durable_module
from trackstone.client.durable import DurableLogger
from trackstone.client.spool import MetricRecord, SpoolFile, encode_frame
from trackstone.clock import ManualClock
from trackstone.config import Settings
from trackstone.entities import Metric, Param, RunStatus, RunTag
from trackstone.errors import InvalidState, ServiceUnavailable

RUN = "run-1"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        tracking_uri=f"sqlite:///{tmp_path}/db/trackstone.db",
        spool_dir=tmp_path / "spool",
        flush_interval_s=0.01,
        flush_timeout_s=5.0,
    )


@pytest.fixture
def quick(settings: Settings) -> Settings:
    """The same folders, and a flush that gives up at once (for a store that is down)."""
    return Settings(
        tracking_uri=settings.tracking_uri,
        spool_dir=settings.spool_dir,
        flush_interval_s=0.01,
        flush_timeout_s=0.05,
    )


@pytest.fixture
def sink() -> FakeSink:
    return FakeSink()


@pytest.fixture
def durable(sink: FakeSink, settings: Settings) -> Iterator[DurableLogger]:
    logger = DurableLogger(sink, settings, ManualClock())
    yield logger
    logger.close()


def _points(count: int, key: str = "m") -> list[Metric]:
    return [Metric(key, float(i), 1_000 + i, i) for i in range(count)]


def test_logged_records_arrive_in_order_after_flush(durable: DurableLogger, sink: FakeSink) -> None:
    points = _points(2500)
    for point in points[:100]:
        durable.log_batch(RUN, metrics=[point])
    durable.log_batch(RUN, metrics=points[100:], params=[Param("lr", "0.1")])
    assert durable.flush(RUN, timeout_s=5.0)
    assert sink.metrics(RUN) == points
    assert [p for call in sink.calls for p in call.params] == [Param("lr", "0.1")]


def test_a_long_run_moves_to_fresh_spools_and_the_shipped_ones_go(
    sink: FakeSink, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(durable_module, "ROTATE_SPOOL_BYTES", 8 * 1024)
    logger = DurableLogger(sink, settings, ManualClock())
    try:
        log_point = logger.point_logger(RUN, lambda: 5)
        points = _points(20_000)
        most_spools = 0
        for index, point in enumerate(points):
            assert log_point(point.key, point.value, point.timestamp, point.step)
            if index % 1000 == 999:
                assert logger.flush(RUN, timeout_s=5.0)
                most_spools = max(most_spools, len(list(settings.spool_dir.glob("*.spool"))))
        assert logger.flush(RUN, timeout_s=5.0)
        assert sink.metrics(RUN) == points  # in order, none twice, across the spools
        assert logger._sender.stats.spools_finished >= 10
        assert most_spools <= 2  # the current one, and one retired but not deleted yet
    finally:
        logger.close()


def test_full_spools_waiting_for_a_store_that_is_down_hold_no_memory(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(durable_module, "ROTATE_SPOOL_BYTES", 64 * 1024)
    sink = BulkFakeSink(fail_next=[ServiceUnavailable("down")] * 1_000_000)
    logger = DurableLogger(sink, settings, ManualClock())  # a bulk store: records handed over
    try:
        log_point = logger.point_logger(RUN, lambda: 5)
        points = _points(60_000, key="a-fairly-long-metric-key-name")
        for point in points:
            assert log_point(point.key, point.value, point.timestamp, point.step)
        retired = [spool for spool in logger._sender.spools() if not spool.writable]
        assert len(retired) >= 2  # rotation is looked at every 20,000 points (a bulk store)
        assert all(spool._handoff is None and spool._map is None for spool in retired)
        sink.fail_next.clear()  # the store is back
        assert logger.flush(RUN, timeout_s=20.0)
        assert sink.metrics(RUN) == points
    finally:
        logger.close()


def test_rotated_spools_left_behind_are_shipped_in_their_order(
    sink: FakeSink, settings: Settings, quick: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(durable_module, "ROTATE_SPOOL_BYTES", 8 * 1024)
    down = FakeSink(fail_next=[ServiceUnavailable("down")] * 1_000_000)
    first = DurableLogger(down, quick, ManualClock())  # a clock that never moves
    points = _points(6_000)
    for index, point in enumerate(points):
        first.log_batch(RUN, metrics=[point], tags=[RunTag("last", str(index))])
    first.close()
    assert len(list(settings.spool_dir.glob("*.spool"))) >= 5

    second = DurableLogger(sink, settings, ManualClock())
    assert second.flush(timeout_s=10.0)
    second.close()
    assert sink.metrics(RUN) == points
    assert sink.tags[(RUN, "last")] == "5999"


def test_delete_tag_reaches_the_store_after_the_earlier_set(
    durable: DurableLogger, sink: FakeSink
) -> None:
    durable.log_batch(RUN, tags=[RunTag("stage", "warmup")])
    durable.delete_tag(RUN, "stage")
    durable.log_batch(RUN, tags=[RunTag("stage2", "train")])
    assert durable.flush(RUN)
    assert sink.methods() == ["log_batch", "delete_tag", "log_batch"]
    assert sink.tags == {(RUN, "stage2"): "train"}


def test_end_run_ships_the_status_last_and_later_logging_still_works(
    durable: DurableLogger, sink: FakeSink, settings: Settings
) -> None:
    durable.log_batch(RUN, metrics=_points(3))
    durable.end_run(RUN, RunStatus.FAILED, end_time=77)
    assert sink.calls[-1].method == "update_run_info"
    assert (sink.calls[-1].status, sink.calls[-1].end_time) == (RunStatus.FAILED, 77)
    durable.log_batch(RUN, metrics=_points(1, key="late"))
    assert durable.flush(RUN)
    assert sink.metrics(RUN)[-1].key == "late"
    durable.close()
    assert os.listdir(settings.spool_dir) == []


def test_logging_from_several_threads_loses_and_duplicates_nothing(
    durable: DurableLogger, sink: FakeSink
) -> None:
    def work(thread: int) -> None:
        for point in _points(1500, key=f"t{thread}"):
            durable.log_batch(RUN, metrics=[point])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert durable.flush()
    got = sink.metrics(RUN)
    assert len(got) == 4 * 1500
    for n in range(4):
        assert [m for m in got if m.key == f"t{n}"] == _points(1500, key=f"t{n}")


def test_an_unavailable_store_delays_but_never_loses(
    durable: DurableLogger, sink: FakeSink
) -> None:
    sink.fail_next = [ServiceUnavailable("database is locked")] * 1_000_000
    points = _points(300)
    for point in points:
        durable.log_batch(RUN, metrics=[point])
    # A loaded machine may not have tried within a short flush: wait for the first failure.
    assert sink.failed.wait(timeout=10.0)
    assert not durable.flush(RUN, timeout_s=0.05)
    with sink.lock:
        sink.fail_next.clear()
    assert durable.flush(RUN, timeout_s=5.0)
    assert sink.metrics(RUN) == points


def test_close_leaves_unstored_records_for_the_next_logger(
    sink: FakeSink, settings: Settings, quick: Settings, tmp_path: Path
) -> None:
    down = FakeSink(fail_next=[ServiceUnavailable("down")] * 1_000_000)
    first = DurableLogger(down, quick, ManualClock())
    first.log_batch(RUN, metrics=_points(10), params=[Param("p", "1")])
    first.close()
    assert not first.flush(RUN)
    with pytest.raises(InvalidState):
        first.log_batch(RUN, metrics=_points(1))
    # A spool of another tracking URI in the same folder is not this logger's business.
    SpoolFile.create(settings.spool_dir, "postgresql://elsewhere/db", "other", 0).close()

    second = DurableLogger(sink, settings, ManualClock())
    assert second.flush(timeout_s=5.0)
    second.close()
    assert sink.metrics(RUN) == _points(10)
    assert {call.run_id for call in sink.calls} == {RUN}
    leftovers = [name for name in os.listdir(settings.spool_dir) if name.endswith(".spool")]
    assert [name.split(".")[0] for name in leftovers] == ["other"]


def test_records_written_by_a_dead_process_are_adopted_at_start(
    sink: FakeSink, settings: Settings
) -> None:
    dead = SpoolFile.create(settings.spool_dir, settings.tracking_uri, "crashed", 0)
    dead.append(encode_frame([]))  # an empty frame is harmless
    dead.append(encode_frame([MetricRecord("m", 1.5, 10, 1)]))
    dead.close()
    logger = DurableLogger(sink, settings, ManualClock())
    assert logger.flush("crashed", timeout_s=5.0)
    logger.close()
    assert sink.metrics("crashed") == [Metric("m", 1.5, 10, 1)]
    assert os.listdir(settings.spool_dir) == []
