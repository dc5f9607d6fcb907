"""The sender: batching limits, order, retries without loss or duplicates, skipping bad records."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pytest

from support.fake_sink import BulkFakeSink, FakeSink
from trackstone.client.sender import Backoff, Round, Sender
from trackstone.client.spool import (
    DeleteTagRecord,
    EndRunRecord,
    MetricRecord,
    ParamRecord,
    Record,
    SpoolFile,
    TagRecord,
    encode_frame,
    find_orphans,
)
from trackstone.entities import Metric, RunStatus
from trackstone.errors import (
    InvalidState,
    NotFound,
    ServiceUnavailable,
    Unauthenticated,
)

URI = "sqlite:///x/trackstone.db"
RUN = "run-1"


def _spool(tmp_path: Path, frames: Sequence[Sequence[Record]], run_id: str = RUN) -> SpoolFile:
    spool = SpoolFile.create(tmp_path, URI, run_id, created_ms=0)
    for records in frames:
        spool.append(encode_frame(records))
    return spool


def _metrics(count: int, key: str = "m") -> list[MetricRecord]:
    return [MetricRecord(key, float(i), 1_000 + i, i) for i in range(count)]


def _ship_until_idle(sender: Sender, max_rounds: int = 50) -> list[Round]:
    rounds = []
    for _ in range(max_rounds):
        rounds.append(sender.ship_once())
        if rounds[-1] is Round.IDLE:
            return rounds
    raise AssertionError(f"not idle after {max_rounds} rounds: {rounds[-5:]}")


def _points(records: Sequence[MetricRecord]) -> list[Metric]:
    return [Metric(r.key, r.value, r.timestamp, r.step) for r in records]


@pytest.mark.parametrize(
    ("metrics", "params", "tags", "expected_sizes"),
    [
        (1, 0, 0, [(1, 0, 0)]),
        (2500, 0, 0, [(1000, 0, 0), (1000, 0, 0), (500, 0, 0)]),
        (0, 250, 0, [(0, 100, 0), (0, 100, 0), (0, 50, 0)]),
        (0, 0, 101, [(0, 0, 100), (0, 0, 1)]),
        (1000, 100, 100, [(1000, 0, 0), (0, 100, 100)]),
        (900, 100, 100, [(900, 100, 0), (0, 0, 100)]),
        (1001, 1, 0, [(1000, 0, 0), (1, 1, 0)]),
    ],
)
def test_calls_respect_the_batch_limits(
    tmp_path: Path,
    metrics: int,
    params: int,
    tags: int,
    expected_sizes: list[tuple[int, int, int]],
) -> None:
    records: list[Record] = [*_metrics(metrics)]
    records += [ParamRecord(f"p{i}", "v") for i in range(params)]
    records += [TagRecord(f"t{i}", "v") for i in range(tags)]
    spool = _spool(tmp_path, [records])
    sink = FakeSink()
    sender = Sender(sink)
    sender.add(spool)
    assert sender.ship_once() is Round.IDLE
    sizes = [(len(c.metrics), len(c.params), len(c.tags)) for c in sink.calls]
    assert sizes == expected_sizes
    assert sink.metrics() == _points(_metrics(metrics))
    assert spool.drained


def test_many_small_frames_are_grouped_into_few_calls(tmp_path: Path) -> None:
    records = _metrics(2000)
    spool = _spool(tmp_path, [[record] for record in records])
    sink = FakeSink()
    sender = Sender(sink)
    sender.add(spool)
    sender.ship_once()
    assert [len(call.metrics) for call in sink.calls] == [1000, 1000]
    assert sink.metrics() == _points(records)


@pytest.mark.parametrize(
    ("records", "expected_batches"),
    [
        ([ParamRecord("p", "1"), ParamRecord("p", "1")], [["p"], ["p"]]),
        ([TagRecord("t", "1"), TagRecord("u", "1"), TagRecord("t", "2")], [["t", "u"], ["t"]]),
    ],
)
def test_a_repeated_key_starts_a_new_call(
    tmp_path: Path, records: list[Record], expected_batches: list[list[str]]
) -> None:
    sink = FakeSink()
    sender = Sender(sink)
    sender.add(_spool(tmp_path, [records]))
    sender.ship_once()
    assert [[item.key for item in (*c.params, *c.tags)] for c in sink.calls] == expected_batches


def test_delete_tag_is_shipped_after_the_set_before_it(tmp_path: Path) -> None:
    frames: list[list[Record]] = [
        [TagRecord("a", "1"), MetricRecord("m", 1.0, 1, 0)],
        [DeleteTagRecord("a")],
        [TagRecord("b", "2")],
        [EndRunRecord("FINISHED", 99)],
    ]
    sink = FakeSink()
    sender = Sender(sink)
    sender.add(_spool(tmp_path, frames))
    sender.ship_once()
    assert sink.methods() == ["log_batch", "delete_tag", "log_batch", "update_run_info"]
    assert sink.tags == {(RUN, "b"): "2"}
    assert (sink.calls[-1].status, sink.calls[-1].end_time) == (RunStatus.FINISHED, 99)


@pytest.mark.parametrize(
    "error",
    [
        ServiceUnavailable("database is locked"),
        ConnectionRefusedError("connection refused"),
        Unauthenticated("token expired"),
    ],
)
@pytest.mark.parametrize("failures", [1, 3])
def test_transient_failures_lose_nothing_and_duplicate_nothing(
    tmp_path: Path, error: Exception, failures: int
) -> None:
    records = _metrics(2500)
    frames = [records[i : i + 7] for i in range(0, len(records), 7)]
    spool = _spool(tmp_path, frames)
    sink = FakeSink()
    sender = Sender(sink)
    sender.add(spool)
    sink.fail_next = [error] * failures
    first = sender.ship_once()
    rounds = [first, *_ship_until_idle(sender)]
    assert rounds.count(Round.RETRY) == failures
    assert sink.metrics() == _points(records)
    assert spool.drained
    assert sender.stats.records_sent == len(records)


def test_failure_after_a_stored_call_resends_only_the_unacked_rest(tmp_path: Path) -> None:
    records = _metrics(1500)
    spool = _spool(tmp_path, [[r] for r in records])
    sink = FakeSink()
    sender = Sender(sink)
    sender.add(spool)

    original = sink.log_batch
    calls = 0

    def fail_second(*args: object, **kwargs: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ServiceUnavailable("down")
        original(*args, **kwargs)  # type: ignore[arg-type]

    sink.log_batch = fail_second  # type: ignore[method-assign]
    assert sender.ship_once() is Round.RETRY
    assert spool.acked > spool.data_start  # the first call's frames are acked
    assert sender.ship_once() is Round.IDLE
    assert sink.metrics() == _points(records)


def test_a_permanently_bad_record_is_skipped_and_the_rest_arrives(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    records: list[Record] = [*_metrics(40), ParamRecord("bad", "x"), *_metrics(40, key="n")]
    sink = FakeSink(reject=lambda item: "conflicts with 'y'" if item.key == "bad" else None)
    sender = Sender(sink)
    spool = _spool(tmp_path, [records])
    sender.add(spool)
    with caplog.at_level(logging.ERROR, logger="trackstone.client.sender"):
        assert sender.ship_once() is Round.IDLE
    assert sink.metrics() == _points([*_metrics(40), *_metrics(40, key="n")])
    assert [p for c in sink.calls for p in c.params] == []
    assert sender.stats.records_rejected == 1
    assert spool.drained
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "'bad'" in errors[0]
    assert "conflicts with 'y'" in errors[0]


@pytest.mark.parametrize("error", [NotFound("run x not found"), InvalidState("run is deleted")])
def test_a_run_the_store_refuses_is_skipped_in_one_step(
    tmp_path: Path, error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    sink = FakeSink(fail_next=[error])
    sender = Sender(sink)
    spool = _spool(tmp_path, [_metrics(500)])
    sender.add(spool)
    with caplog.at_level(logging.ERROR, logger="trackstone.client.sender"):
        assert sender.ship_once() is Round.IDLE
    assert sink.failed_calls == 1  # no bisection: the run itself is refused
    assert sender.stats.records_rejected == 500
    assert spool.drained
    assert [r.levelno for r in caplog.records] == [logging.ERROR]


def test_an_unexpected_error_is_retried_then_isolated(tmp_path: Path) -> None:
    sink = FakeSink(fail_next=[RuntimeError("bug")] * 2)
    sender = Sender(sink)
    sender.add(_spool(tmp_path, [_metrics(10)]))
    assert [sender.ship_once() for _ in range(3)] == [Round.RETRY, Round.RETRY, Round.IDLE]
    assert sink.metrics() == _points(_metrics(10))


def test_an_error_that_never_goes_away_is_bounded(tmp_path: Path) -> None:
    def explode(item: object) -> str | None:
        raise RuntimeError("always")

    sink = FakeSink()
    sink.reject = explode  # type: ignore[assignment]
    sender = Sender(sink, max_unexpected_attempts=3)
    spool = _spool(tmp_path, [_metrics(4)])
    sender.add(spool)
    rounds = _ship_until_idle(sender, max_rounds=10)
    assert rounds.count(Round.RETRY) == 2
    assert sender.stats.records_rejected == 4
    assert spool.drained


def test_delete_of_an_absent_tag_is_only_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sink = FakeSink()
    sender = Sender(sink)
    sender.add(_spool(tmp_path, [[DeleteTagRecord("never-set")], _metrics(1)]))
    with caplog.at_level(logging.WARNING, logger="trackstone.client.sender"):
        assert sender.ship_once() is Round.IDLE
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert sender.stats.records_rejected == 0
    assert sink.metrics() == _points(_metrics(1))


def test_a_retired_drained_spool_is_deleted_a_writable_one_kept(tmp_path: Path) -> None:
    kept = _spool(tmp_path, [_metrics(1)], run_id="open")
    done = _spool(tmp_path, [_metrics(1), [EndRunRecord("FINISHED", 5)]], run_id="ended")
    done.writable = False
    sender = Sender(FakeSink())
    sender.add(kept)
    sender.add(done)
    sender.ship_once()
    assert [spool.run_id for spool in sender.spools()] == ["open"]
    assert not done.path.exists()
    assert kept.path.exists()
    assert sender.is_drained()
    kept.close()


def test_an_adopted_orphan_resends_nothing_already_acked(tmp_path: Path) -> None:
    first, second = _metrics(3), _metrics(2, key="later")
    spool = _spool(tmp_path, [first])
    spool.ack(spool.size)
    spool.append(encode_frame(second))
    spool.append(encode_frame([MetricRecord("torn", 1.0, 1, 1)])[:-2])
    spool.close()
    (orphan,) = find_orphans(tmp_path)
    sink = FakeSink()
    sender = Sender(sink)
    sender.add(orphan)
    assert sender.ship_once() is Round.IDLE
    assert sink.metrics() == _points(second)
    assert sender.spools() == []
    assert list(tmp_path.iterdir()) == []


def test_wait_drained_times_out_while_the_store_is_down(tmp_path: Path) -> None:
    sink = FakeSink(fail_next=[ServiceUnavailable("down")])
    sender = Sender(sink)
    spool = _spool(tmp_path, [_metrics(1)])
    sender.add(spool)
    assert sender.ship_once() is Round.RETRY
    assert not sender.wait_drained(RUN, timeout_s=0.01)
    assert sender.wait_drained("another-run", timeout_s=0.01)
    sender.ship_once()
    assert sender.wait_drained(RUN, timeout_s=0.01)
    spool.close()


@pytest.mark.parametrize(
    ("jitter", "expected_s"),
    [
        (1.0, [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]),
        (0.0, [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.5, 2.5]),
    ],
)
def test_backoff_doubles_up_to_a_cap_and_resets(jitter: float, expected_s: list[float]) -> None:
    backoff = Backoff(initial_s=0.1, max_s=5.0, jitter=lambda: jitter)
    assert [backoff.next_delay_s() for _ in expected_s] == pytest.approx(expected_s)
    backoff.reset()
    assert backoff.next_delay_s() == pytest.approx(expected_s[0])


def test_a_failure_mid_frame_acks_only_up_to_the_frame_start(tmp_path: Path) -> None:
    records = _metrics(2500)
    spool = _spool(tmp_path, [records])
    sink = FakeSink()
    sender = Sender(sink)
    sender.add(spool)
    original = sink.log_batch
    calls = 0

    def fail_second(*args: object, **kwargs: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ServiceUnavailable("down")
        original(*args, **kwargs)  # type: ignore[arg-type]

    sink.log_batch = fail_second  # type: ignore[method-assign]
    assert sender.ship_once() is Round.RETRY
    assert spool.acked == spool.data_start  # a frame is acked whole or not at all
    assert sender.ship_once() is Round.IDLE
    # The first 1000 points are sent again: the store ignores identical points (idempotent).
    assert sink.metrics() == _points(records[:1000]) + _points(records)
    assert spool.drained


# -- stores with the bulk capability (log_metric_rows) -------------------------------------


@pytest.mark.parametrize(
    ("per_frame", "frames", "expected_calls", "expected_largest"),
    [
        (1, 2_000, 1, 2_000),
        # A call is cut at 50,000 points (and wherever a read of the spool ends).
        (1_000, 60, 3, 50_000),
    ],
)
def test_points_alone_go_in_big_bulk_calls(
    tmp_path: Path, per_frame: int, frames: int, expected_calls: int, expected_largest: int
) -> None:
    records = _metrics(per_frame * frames)
    spool = _spool(
        tmp_path, [records[i : i + per_frame] for i in range(0, len(records), per_frame)]
    )
    sink = BulkFakeSink()
    sender = Sender(sink)
    sender.add(spool)
    _ship_until_idle(sender)
    assert sink.methods() == ["log_metric_rows"] * expected_calls
    assert max(len(call.metrics) for call in sink.calls) == expected_largest
    assert sink.metrics() == _points(records)
    assert spool.drained
    assert sender.stats.records_sent == len(records)


def test_points_beside_params_go_through_log_batch_in_order(tmp_path: Path) -> None:
    frames: list[list[Record]] = [
        *[[record] for record in _metrics(1_500)],
        [ParamRecord("p", "1")],
        *[[record] for record in _metrics(20, key="n")],
    ]
    sink = BulkFakeSink()
    sender = Sender(sink)
    sender.add(_spool(tmp_path, frames))
    sender.ship_once()
    shape = [(c.method, len(c.metrics), len(c.params)) for c in sink.calls]
    assert shape == [("log_metric_rows", 1_500, 0), ("log_batch", 20, 1)]
    assert sink.metrics() == _points([*_metrics(1_500), *_metrics(20, key="n")])


def test_a_bad_point_in_a_bulk_call_is_isolated(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    records = [*_metrics(1_500), MetricRecord("bad", 1.0, 1, 1), *_metrics(10, key="n")]
    sink = BulkFakeSink(reject=lambda item: "refused" if item.key == "bad" else None)
    sender = Sender(sink)
    spool = _spool(tmp_path, [[record] for record in records])
    sender.add(spool)
    with caplog.at_level(logging.ERROR, logger="trackstone.client.sender"):
        assert sender.ship_once() is Round.IDLE
    assert sink.metrics() == _points([*_metrics(1_500), *_metrics(10, key="n")])
    assert {c.method for c in sink.calls} == {"log_batch"}  # the retry went batch by batch
    assert sender.stats.records_rejected == 1
    assert spool.drained


@pytest.mark.parametrize(
    ("error", "expected_round", "expected_rejected"),
    [
        (ServiceUnavailable("database is locked"), Round.RETRY, 0),
        (InvalidState("run is deleted"), Round.IDLE, 300),
    ],
)
def test_bulk_failures_follow_the_same_rules(
    tmp_path: Path, error: Exception, expected_round: Round, expected_rejected: int
) -> None:
    records = _metrics(300)
    sink = BulkFakeSink(fail_next=[error])
    sender = Sender(sink)
    spool = _spool(tmp_path, [[record] for record in records])
    sender.add(spool)
    assert sender.ship_once() is expected_round
    _ship_until_idle(sender)
    assert sender.stats.records_rejected == expected_rejected
    assert sink.metrics() == ([] if expected_rejected else _points(records))
    assert spool.drained


# -- records handed over in memory (spools created with handoff) -----------------------------


def _handoff_spool(tmp_path: Path, frames: Sequence[Sequence[Record]]) -> SpoolFile:
    """A writer's spool whose records are also handed over in memory, as DurableLogger does."""
    spool = SpoolFile.create(tmp_path, URI, RUN, created_ms=0, handoff=True)
    for records in frames:
        _append(spool, records)
    return spool


def _append(spool: SpoolFile, records: Sequence[Record]) -> None:
    with spool.lock:
        if len(records) == 1 and isinstance(records[0], MetricRecord):
            fields = (records[0].key, records[0].value, records[0].timestamp, records[0].step)
            spool.append_point(*fields)
        else:
            spool.append(encode_frame(records), list(records))


def test_handed_over_points_and_frames_arrive_in_spool_order(tmp_path: Path) -> None:
    frames: list[list[Record]] = [
        *[[record] for record in _metrics(30)],
        [ParamRecord("p", "1"), TagRecord("t", "x")],
        *[[record] for record in _metrics(5, key="n")],
        [EndRunRecord("FINISHED", 99)],
    ]
    sink = BulkFakeSink()
    sender = Sender(sink)
    spool = _handoff_spool(tmp_path, frames)
    # The file says the same as what was handed over: make reading it fail to prove it is unused.
    spool.read_frames = spool.read_points_run = None  # type: ignore[assignment,method-assign]
    sender.add(spool)
    assert sender.ship_once() is Round.IDLE
    shape = [(c.method, len(c.metrics), len(c.params), len(c.tags)) for c in sink.calls]
    assert shape == [
        ("log_metric_rows", 30, 0, 0),
        ("log_batch", 0, 1, 1),
        ("log_metric_rows", 5, 0, 0),
        ("update_run_info", 0, 0, 0),
    ]
    assert sink.metrics() == _points([*_metrics(30), *_metrics(5, key="n")])
    assert spool.drained


def test_a_failed_handoff_is_read_back_from_the_file_without_loss_or_duplicates(
    tmp_path: Path,
) -> None:
    first, second = _metrics(40), _metrics(7, key="late")
    sink = BulkFakeSink(fail_next=[ServiceUnavailable("database is locked")])
    sender = Sender(sink)
    spool = _handoff_spool(tmp_path, [[record] for record in first])
    sender.add(spool)
    assert sender.ship_once() is Round.RETRY
    for record in second:  # appended while the handoff is off: only the file has them
        _append(spool, [record])
    assert sender.ship_once() is Round.IDLE
    assert sink.metrics() == _points([*first, *second])
    assert spool.drained
    # The handoff is back: what comes next is shipped without reading the file.
    third = _metrics(3, key="again")
    for record in third:
        _append(spool, [record])
    spool.read_frames = spool.read_points_run = None  # type: ignore[assignment,method-assign]
    assert sender.ship_once() is Round.IDLE
    assert sink.metrics() == _points([*first, *second, *third])
    assert spool.drained


def test_a_backlog_bigger_than_a_round_is_read_back_before_the_handoff(tmp_path: Path) -> None:
    records = _metrics(240_000)  # 9.6 MB of frames: more than a round reads
    sink = BulkFakeSink()
    sender = Sender(sink)
    spool = _handoff_spool(tmp_path, [])
    spool.drop_handoff()  # as if it had overflowed: only the file has the records
    for record in records:
        _append(spool, [record])
    sender.add(spool)
    assert sender.ship_once() is Round.MORE
    _ship_until_idle(sender)
    assert sink.metrics() == _points(records)
    assert spool.drained
