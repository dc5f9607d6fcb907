"""``sync_spools``: ships every orphan to the store of its own URI, leaves live spools alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.fake_sink import FakeSink
from trackstone.client.spool import MetricRecord, SpoolFile, encode_frame
from trackstone.client.sync import sync_spools
from trackstone.config import Settings
from trackstone.entities import Metric
from trackstone.errors import ServiceUnavailable

PG_A = "postgresql://a/db"
PG_B = "postgresql://b/db"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(tracking_uri=PG_A, spool_dir=tmp_path / "spool", flush_timeout_s=1.0)


def _orphan(settings: Settings, uri: str, run_id: str, steps: range) -> SpoolFile:
    spool = SpoolFile.create(settings.spool_dir, uri, run_id, created_ms=0)
    for step in steps:
        spool.append(encode_frame([MetricRecord("m", float(step), step, step)]))
    spool.close()
    return spool


def test_orphans_go_to_the_store_of_their_own_uri(settings: Settings) -> None:
    _orphan(settings, PG_A, "run-a", range(3))
    _orphan(settings, PG_B, "run-b", range(5))
    live = SpoolFile.create(settings.spool_dir, PG_A, "run-live", created_ms=0)
    sinks: dict[str, FakeSink] = {}
    progress: list[tuple[int, int]] = []

    def factory(s: Settings) -> FakeSink:
        return sinks.setdefault(s.tracking_uri, FakeSink())

    report = sync_spools(settings, factory, lambda done, total: progress.append((done, total)))
    assert sorted(report.tracking_uris) == [PG_A, PG_B]
    assert (report.spools_found, report.spools_live, report.spools_synced) == (3, 1, 2)
    assert (report.records_sent, report.spools_left, report.ok) == (8, 0, True)
    assert sinks[PG_A].metrics("run-a") == [Metric("m", float(i), i, i) for i in range(3)]
    assert sinks[PG_B].metrics("run-b") == [Metric("m", float(i), i, i) for i in range(5)]
    assert progress[-1][0] == progress[-1][1] > 0
    assert os.listdir(settings.spool_dir) == [live.path.name]
    live.close()


def test_a_store_that_stays_down_leaves_the_spool_for_next_time(settings: Settings) -> None:
    spool = _orphan(settings, PG_A, "run-a", range(3))
    sink = FakeSink(fail_next=[ServiceUnavailable("down")] * 1000)
    slept: list[float] = []
    report = sync_spools(settings, lambda s: sink, timeout_s=2.0, sleep=slept.append)
    assert (report.spools_synced, report.spools_left, report.ok) == (0, 1, False)
    assert report.errors == (f"{PG_A}: store unavailable; 1 spool(s) left",)
    assert 0 < sum(slept) <= 2.0
    assert spool.path.exists()
    # Next time the store is back: everything arrives.
    sink.fail_next.clear()
    report = sync_spools(settings, lambda s: sink, sleep=slept.append)
    assert (report.spools_synced, report.records_sent) == (1, 3)


def test_a_vanished_sqlite_file_is_not_recreated(settings: Settings, tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'gone' / 'trackstone.db'}"
    spool = _orphan(settings, uri, "run-a", range(1))
    built: list[str] = []
    report = sync_spools(settings, lambda s: built.append(s.tracking_uri) or FakeSink())
    assert built == []
    assert report.errors == (f"{uri}: database file not found",)
    assert report.spools_left == 1
    assert spool.path.exists()
    assert not (tmp_path / "gone").exists()


def test_a_store_that_cannot_open_is_reported(settings: Settings) -> None:
    spool = _orphan(settings, PG_A, "run-a", range(1))

    def broken(s: Settings) -> FakeSink:
        raise ServiceUnavailable("connection refused")

    report = sync_spools(settings, broken)
    assert report.errors == (f"{PG_A}: connection refused",)
    assert spool.path.exists()


def test_an_empty_or_missing_folder_has_nothing_to_do(settings: Settings) -> None:
    report = sync_spools(settings, lambda s: FakeSink())
    assert (report.spools_found, report.ok) == (0, True)
