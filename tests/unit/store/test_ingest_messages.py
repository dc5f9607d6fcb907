"""The helper process's pipe messages: length-prefixed msgpack, read whole or not at all."""

from __future__ import annotations

import os
import threading

import msgspec

from trackstone.store.sql.ingest_process import read_message, write_message


def _pipe_with(body: object) -> int:
    """Return the read end of a pipe that ``body`` is written to (by a thread: it may be big)."""
    read_end, write_end = os.pipe()

    def write() -> None:
        write_message(write_end, body)
        os.close(write_end)

    threading.Thread(target=write).start()
    return read_end


def test_a_short_message_round_trips() -> None:
    fd = _pipe_with([])
    assert msgspec.msgpack.decode(read_message(fd) or b"") == []
    assert read_message(fd) is None  # the end of the stream
    os.close(fd)


def test_a_message_bigger_than_the_pipe_round_trips() -> None:
    points = [["loss", step / 3, 1_700_000_000_000 + step, step] for step in range(100_000)]
    fd = _pipe_with(["run", points])
    body = read_message(fd)
    os.close(fd)
    assert msgspec.msgpack.decode(body or b"") == ["run", points]


def test_a_message_cut_short_reads_as_the_end() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, (1000).to_bytes(4, "big") + b"x" * 10)
    os.close(write_end)
    assert read_message(read_end) is None
    os.close(read_end)


def test_a_head_cut_short_reads_as_the_end() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"\x00\x00")
    os.close(write_end)
    assert read_message(read_end) is None
    os.close(read_end)
