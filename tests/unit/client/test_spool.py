"""The spool file: framing round trips, torn tails, acks, and orphan detection by flock."""

from __future__ import annotations

import math
import os
import signal
import stat
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackstone.client.spool import (
    DeleteTagRecord,
    EndRunRecord,
    Frame,
    MetricRecord,
    ParamRecord,
    Record,
    SpoolFile,
    TagRecord,
    decode_frames,
    decode_points_run,
    encode_frame,
    find_orphans,
)

URI = "sqlite:///somewhere/trackstone.db"


def _same(a: Record, b: Record) -> bool:
    if isinstance(a, MetricRecord) and isinstance(b, MetricRecord) and math.isnan(a.value):
        return math.isnan(b.value) and (a.key, a.timestamp, a.step) == (b.key, b.timestamp, b.step)
    return a == b


@pytest.mark.parametrize(
    "record",
    [
        MetricRecord("loss", 0.25, 1_700_000_000_000, 3),
        MetricRecord("loss", math.nan, 1, 0),
        MetricRecord("loss", math.inf, 1, -1),
        MetricRecord("loss", -math.inf, 1, 2**63 - 1),
        MetricRecord("loss", -0.0, -(2**63), 0),
        ParamRecord("lr", "0.001"),
        TagRecord("note", "héllo wörld ✓"),
        DeleteTagRecord("note"),
        EndRunRecord("FINISHED", 1_700_000_000_999),
    ],
)
def test_every_record_kind_round_trips(record: Record) -> None:
    frames, consumed = decode_frames(encode_frame([record]), 100)
    assert consumed == len(encode_frame([record]))
    assert len(frames) == 1
    assert frames[0].start == 100
    assert frames[0].end == 100 + consumed
    assert _same(frames[0].records[0], record)
    if isinstance(record, MetricRecord):
        got = frames[0].records[0]
        assert isinstance(got, MetricRecord)
        assert struct.pack("<d", got.value) == struct.pack("<d", record.value) or math.isnan(
            got.value
        )


@given(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**63), 2**63 - 1))
def test_any_metric_value_and_step_round_trip(value: float, step: int) -> None:
    record = MetricRecord("m", value, 5, step)
    (frame,), _ = decode_frames(encode_frame([record]), 0)
    got = frame.records[0]
    assert isinstance(got, MetricRecord)
    assert got.step == step
    assert math.isnan(got.value) if math.isnan(value) else got.value == value


def test_frames_keep_their_records_in_order() -> None:
    first = [MetricRecord("a", 1.0, 1, 0), TagRecord("t", "x")]
    second = [DeleteTagRecord("t")]
    data = encode_frame(first) + encode_frame(second)
    frames, consumed = decode_frames(data, 0)
    assert [list(frame.records) for frame in frames] == [first, second]
    assert consumed == len(data)
    assert frames[0].end == frames[1].start


@pytest.mark.parametrize("cut", [1, 4, 8, 9, -1])
def test_a_torn_tail_is_ignored(cut: int) -> None:
    whole = encode_frame([MetricRecord("a", 1.0, 1, 0)])
    torn = encode_frame([MetricRecord("b", 2.0, 2, 1)])
    frames, consumed = decode_frames(whole + torn[:cut], 0)
    assert [frame.records[0].key for frame in frames] == ["a"]  # type: ignore[union-attr]
    assert consumed == len(whole)


def test_a_frame_with_a_bad_crc_stops_reading() -> None:
    good = encode_frame([ParamRecord("p", "1")])
    bad = bytearray(encode_frame([ParamRecord("q", "2")]))
    bad[-1] ^= 0xFF
    after = encode_frame([ParamRecord("r", "3")])
    frames, consumed = decode_frames(good + bytes(bad) + after, 0)
    assert len(frames) == 1
    assert consumed == len(good)


def test_a_frame_with_a_good_crc_but_bad_payload_is_reported_not_fatal() -> None:
    import zlib

    payload = b"\xc1"  # a byte msgpack never uses
    weird = struct.pack("<II", len(payload), zlib.crc32(payload)) + payload
    after = encode_frame([ParamRecord("r", "3")])
    frames, _ = decode_frames(weird + after, 0)
    assert list(frames[0].records) == []
    assert frames[0].error is not None
    assert list(frames[1].records) == [ParamRecord("r", "3")]


def test_created_spool_is_private_and_readable_back(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    spool = SpoolFile.create(spool_dir, URI, "run-1", created_ms=42)
    spool.append(encode_frame([MetricRecord("a", 1.0, 1, 0)]))
    spool.close()
    assert stat.S_IMODE(spool_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(spool.path.stat().st_mode) == 0o600
    (adopted,) = find_orphans(spool_dir)
    assert (adopted.run_id, adopted.header.tracking_uri, adopted.header.created_ms) == (
        "run-1",
        URI,
        42,
    )
    assert adopted.acked == adopted.data_start
    assert [list(f.records) for f in adopted.read_frames(adopted.acked)] == [
        [MetricRecord("a", 1.0, 1, 0)]
    ]
    adopted.close()


def test_reading_a_live_spool_skips_a_half_written_frame(tmp_path: Path) -> None:
    spool = SpoolFile.create(tmp_path, URI, "run-1", created_ms=0)
    spool.append(encode_frame([ParamRecord("p", "1")]))
    partial = encode_frame([ParamRecord("q", "2")])
    os.pwrite(spool.fd, partial[:5], spool.size)  # what a writer killed mid-copy leaves
    frames = spool.read_frames(spool.data_start)
    assert [list(frame.records) for frame in frames] == [[ParamRecord("p", "1")]]
    spool.close()


def test_ack_advances_persists_and_never_goes_back(tmp_path: Path) -> None:
    spool = SpoolFile.create(tmp_path, URI, "run-1", created_ms=0)
    first = encode_frame([ParamRecord("p", "1")])
    spool.append(first)
    spool.append(encode_frame([ParamRecord("q", "2")]))
    assert not spool.drained
    spool.ack(spool.data_start + len(first))
    spool.ack(spool.data_start)  # going back is ignored
    assert spool.acked == spool.data_start + len(first)
    spool.close()
    (adopted,) = find_orphans(tmp_path)
    assert adopted.acked == spool.data_start + len(first)
    assert [list(f.records) for f in adopted.read_frames(adopted.acked)] == [
        [ParamRecord("q", "2")]
    ]
    adopted.ack(adopted.size)
    assert adopted.drained
    adopted.delete()
    assert os.listdir(tmp_path) == []


def test_a_spool_held_by_a_live_writer_is_not_an_orphan(tmp_path: Path) -> None:
    live = SpoolFile.create(tmp_path, URI, "run-live", created_ms=0)
    dead = SpoolFile.create(tmp_path, URI, "run-dead", created_ms=0)
    dead.close()  # releasing the flock is what a dying process does
    orphans = find_orphans(tmp_path)
    assert [orphan.run_id for orphan in orphans] == ["run-dead"]
    # While adopted, it is not an orphan for anyone else either.
    assert find_orphans(tmp_path) == []
    for spool in (*orphans, live):
        spool.close()


def test_orphans_can_be_filtered_by_tracking_uri_and_come_oldest_first(tmp_path: Path) -> None:
    for run_id, uri, created_ms in [
        ("late", URI, 20),
        ("other", "postgresql://db/x", 5),
        ("early", URI, 10),
    ]:
        SpoolFile.create(tmp_path, uri, run_id, created_ms=created_ms).close()
    mine = find_orphans(tmp_path, URI)
    assert [orphan.run_id for orphan in mine] == ["early", "late"]
    for orphan in mine:
        orphan.close()
    everything = find_orphans(tmp_path)
    assert [orphan.run_id for orphan in everything] == ["other", "early", "late"]
    for orphan in everything:
        orphan.close()


def test_leftovers_are_cleaned_but_foreign_files_are_left(tmp_path: Path) -> None:
    stale_tmp = tmp_path / "x.1.ab.spool.tmp"
    stale_tmp.write_bytes(b"half")
    os.utime(stale_tmp, (0, 0))
    fresh_tmp = tmp_path / "y.1.ab.spool.tmp"
    fresh_tmp.write_bytes(b"being made")
    stray_ack = tmp_path / "gone.1.ab.spool.ack"
    stray_ack.write_text("10")
    junk = tmp_path / "junk.spool"
    junk.write_bytes(b"not a spool at all")
    assert find_orphans(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == ["junk.spool", "y.1.ab.spool.tmp"]


def test_missing_spool_folder_has_no_orphans(tmp_path: Path) -> None:
    assert find_orphans(tmp_path / "never-made") == []


def test_a_frame_bigger_than_the_read_chunk_is_still_read(tmp_path: Path) -> None:
    spool = SpoolFile.create(tmp_path, URI, "run-1", created_ms=0)
    big = [MetricRecord("m", float(i), i, i) for i in range(50)]
    spool.append(encode_frame(big))
    spool.append(encode_frame(big[:1]))
    frames = spool.read_frames(spool.data_start, max_bytes=16)
    assert [len(frame.records) for frame in frames] == [50]
    frames = spool.read_frames(frames[0].end, max_bytes=16)
    assert [len(frame.records) for frame in frames] == [1]
    spool.close()


# -- the memory-mapped writer ---------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        ("loss", 0.25, 1_700_000_000_000, 3),
        ("k", math.nan, -5, -(2**63)),
        ("x", -0.0, 2**63 - 1, 0),
        ("a/b c:d", math.inf, 0, 2**31),
    ],
)
def test_a_point_frame_decodes_to_the_generic_encoding_of_its_record(
    tmp_path: Path, fields: tuple[str, float, int, int]
) -> None:
    spool = SpoolFile.create(tmp_path, URI, "run-1", created_ms=0)
    start = spool.size
    with spool.lock:
        spool.append_point(*fields)
        spool.append_point(*fields)
    data = os.pread(spool.fd, spool.size - start + 8, start)
    frames, consumed = decode_frames(data, start)
    assert consumed == spool.size - start
    assert [frame.end for frame in frames] == [start + consumed // 2, spool.size]
    # Re-encoded generically, so that a NaN compares equal and -0.0 keeps its sign.
    for frame in frames:
        assert encode_frame(frame.records) == encode_frame([MetricRecord(*fields)])
    run = decode_points_run(data, start)
    assert run is not None
    assert (run.start, run.end, len(run.points)) == (start, spool.size, 2)
    spool.close()


def test_zeros_past_the_frames_end_the_reading() -> None:
    good = encode_frame([ParamRecord("p", "1")])
    frames, consumed = decode_frames(good + bytes(64), 0)
    assert [list(frame.records) for frame in frames] == [[ParamRecord("p", "1")]]
    assert consumed == len(good)


def test_a_spool_grows_as_it_fills_and_is_cut_back_when_closed(tmp_path: Path) -> None:
    spool = SpoolFile.create(tmp_path, URI, "run-1", created_ms=0)
    records = [MetricRecord("m", float(i), i, i) for i in range(20_000)]  # several growths
    for record in records:
        spool.append(encode_frame([record]))
    assert os.fstat(spool.fd).st_size > spool.size  # room made ahead of the frames
    size = spool.size
    spool.close()
    assert spool.path.stat().st_size == size
    (adopted,) = find_orphans(tmp_path)
    read: list[Record] = []
    offset = adopted.acked
    while frames := adopted.read_frames(offset):
        read += [record for frame in frames for record in frame.records]
        offset = frames[-1].end
    assert read == records
    adopted.close()


def test_a_killed_writer_leaves_every_appended_frame_readable(tmp_path: Path) -> None:
    records = [MetricRecord("m", i + 0.5, i, i) for i in range(3_000)]
    child = os.fork()
    if child == 0:  # pragma: no cover - the child dies by SIGKILL, mid-file and unclosed
        spool = SpoolFile.create(tmp_path, URI, "run-1", created_ms=0)
        for record in records:
            spool.append(encode_frame([record]))
        os.kill(os.getpid(), signal.SIGKILL)
    _, status = os.waitpid(child, 0)
    assert os.WIFSIGNALED(status)
    (orphan,) = find_orphans(tmp_path)
    assert orphan.path.stat().st_size > orphan.size  # the zeros it had grown the file by
    run = orphan.read_points_run(orphan.acked, max_bytes=orphan.size)
    assert run is not None
    assert list(run.points) == records
    assert run.end == orphan.size
    orphan.ack(run.end)
    assert orphan.drained
    assert orphan.trailing_bytes() == 0  # the zeros are not a torn write
    orphan.delete()


@pytest.mark.parametrize(
    ("frames", "expected_points"),
    [
        ([[MetricRecord("m", 1.0, 1, 1)], [MetricRecord("m", 2.0, 2, 2)]], 2),
        ([[MetricRecord("m", 1.0, 1, 1), MetricRecord("n", 2.0, 2, 2)]], 2),
        ([[MetricRecord("m", 1.0, 1, 1)], [ParamRecord("p", "1")]], None),
        ([[TagRecord("t", "1")]], None),
        ([], None),
    ],
)
def test_a_points_run_holds_only_points(
    frames: list[list[Record]], expected_points: int | None
) -> None:
    data = b"".join(encode_frame(records) for records in frames)
    torn = encode_frame([MetricRecord("torn", 1.0, 1, 1)])[:-3]
    run = decode_points_run(data + torn, 100)
    if expected_points is None:
        assert run is None
    else:
        assert run is not None
        assert len(run.points) == expected_points
        assert (run.start, run.end) == (100, 100 + len(data))


# -- records handed over in memory ---------------------------------------------------------


def test_a_handoff_holds_what_was_appended_since_the_last_take(tmp_path: Path) -> None:
    spool = SpoolFile.create(tmp_path, URI, "run-1", created_ms=0, handoff=True)
    start = spool.size
    params = [ParamRecord("p", "1")]
    with spool.lock:
        spool.append_point("loss", 0.5, 10, 1)
        point_end = spool.size
        spool.append(encode_frame(params), params)
    handoff = spool.take_handoff()
    assert handoff is not None
    assert (handoff.start, handoff.end, handoff.frames) == (start, spool.size, 1)
    point, frame = handoff.entries
    assert point == ("loss", 0.5, 10, 1)
    assert isinstance(frame, Frame)
    assert (frame.start, frame.end, list(frame.records)) == (
        point_end,
        spool.size,
        params,
    )
    empty = spool.take_handoff()
    assert empty is not None
    assert (empty.start, empty.end, empty.entries) == (spool.size, spool.size, [])
    spool.close()


def test_a_dropped_handoff_resumes_empty_from_the_end_of_the_file(tmp_path: Path) -> None:
    spool = SpoolFile.create(tmp_path, URI, "run-1", created_ms=0, handoff=True)
    with spool.lock:
        spool.append_point("m", 1.0, 1, 1)
    spool.drop_handoff()
    resumed = spool.take_handoff()
    assert resumed is not None
    # Nothing in memory: the reader reads the file from its ack up to where this starts.
    assert (resumed.start, resumed.end, resumed.entries) == (spool.size, spool.size, [])
    assert spool.acked < resumed.start
    with spool.lock:
        spool.append_point("m", 2.0, 2, 2)
    handoff = spool.take_handoff()
    assert handoff is not None
    assert handoff.entries == [("m", 2.0, 2, 2)]
    assert handoff.start == resumed.start
    spool.close()


def test_spools_without_handoff_never_hand_over(tmp_path: Path) -> None:
    spool = SpoolFile.create(tmp_path, URI, "run-1", created_ms=0)
    with spool.lock:
        spool.append_point("m", 1.0, 1, 1)
    assert spool.take_handoff() is None
    spool.close()
    (orphan,) = find_orphans(tmp_path)
    assert orphan.take_handoff() is None
    orphan.delete()
