"""The artifact proxy's byte streams: request bodies into a repository, files out as answers."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from starlette.requests import ClientDisconnect
from starlette.types import Message

from support.event_loop import run_coroutine
from trackstone.artifacts.local import LocalArtifactRepository
from trackstone.errors import InvalidParameter
from trackstone.server.artifact_streams import (
    DOWNLOAD_BLOCK_BYTES,
    SMALL_BODY_BYTES,
    BodyPipe,
    FileResponse,
    write_body,
)

MiB = 1024 * 1024


class Body:
    """An ASGI ``receive`` handing out a request body in the given pieces.

    After ``disconnect_after`` pieces (if given) it reports a disconnect instead; after the
    last piece it waits until ``hang_up`` is set, then reports a disconnect.
    """

    def __init__(self, pieces: list[bytes], disconnect_after: int | None = None) -> None:
        self.pieces = pieces
        self.disconnect_after = disconnect_after
        self.calls = 0
        self.hang_up = asyncio.Event()

    async def __call__(self) -> Message:
        index = self.calls
        self.calls += 1
        if self.disconnect_after is not None and index >= self.disconnect_after:
            return {"type": "http.disconnect"}
        if index < len(self.pieces):
            more = index < len(self.pieces) - 1
            return {"type": "http.request", "body": self.pieces[index], "more_body": more}
        await self.hang_up.wait()
        return {"type": "http.disconnect"}


class Sent:
    """An ASGI ``send`` keeping the messages; it can ``hang_up`` the body after a message."""

    def __init__(self, body: Body | None = None, hang_up_after: int | None = None) -> None:
        self.messages: list[Message] = []
        self.body = body
        self.hang_up_after = hang_up_after

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)
        if self.body is not None and len(self.messages) == self.hang_up_after:
            self.body.hang_up.set()
            await asyncio.sleep(0.05)  # the disconnect is seen before the next block

    @property
    def body_bytes(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.messages[0]["headers"])


def _pieces(total: int, size: int) -> list[bytes]:
    data = bytes(range(256)) * (total // 256 + 1)
    return [data[start : min(start + size, total)] for start in range(0, total, size)]


# -- BodyPipe --------------------------------------------------------------------------------


def test_the_pipe_hands_over_pieces_in_order_without_copying_them() -> None:
    pieces = [b"a" * 10, b"b" * 20, b"c" * 5]

    async def scenario() -> list[bytes]:
        pipe = BodyPipe(asyncio.get_running_loop(), queued_blocks=1)
        reads: list[bytes] = []

        def reader() -> None:
            while data := pipe.read(15):
                reads.append(data)

        thread = threading.Thread(target=reader)
        thread.start()
        assert await pipe.put(pieces[:2])
        assert await pipe.put(pieces[2:])
        pipe.end()
        await asyncio.get_running_loop().run_in_executor(None, thread.join)
        return reads

    reads = run_coroutine(scenario())
    assert reads == [b"a" * 10, b"b" * 15, b"b" * 5, b"c" * 5]
    assert reads[0] is pieces[0]  # a piece that fits goes out as it came


def test_put_waits_while_the_queue_is_full() -> None:
    async def scenario() -> list[str]:
        pipe = BodyPipe(asyncio.get_running_loop(), queued_blocks=2)
        events: list[str] = []
        for name in ("one", "two"):
            assert await pipe.put([name.encode()])
            events.append(f"queued {name}")
        third = asyncio.ensure_future(pipe.put([b"three"]))
        await asyncio.sleep(0.05)
        events.append(f"third queued early: {third.done()}")
        await asyncio.get_running_loop().run_in_executor(None, pipe.read, 100)
        await asyncio.wait_for(third, timeout=5)
        events.append("third queued after a read")
        return events

    assert run_coroutine(scenario()) == [
        "queued one",
        "queued two",
        "third queued early: False",
        "third queued after a read",
    ]


def test_an_aborted_body_raises_in_the_reader_and_a_stopped_reader_frees_put() -> None:
    async def scenario() -> tuple[bool, bool]:
        pipe = BodyPipe(asyncio.get_running_loop(), queued_blocks=1)
        assert await pipe.put([b"x"])
        waiting = asyncio.ensure_future(pipe.put([b"y"]))
        await asyncio.sleep(0.01)
        pipe.reader_stopped()
        accepted = await asyncio.wait_for(waiting, timeout=5)
        pipe.abort()
        first = pipe.read(10) == b"x"
        return accepted, first

    accepted, first = run_coroutine(scenario())
    assert (accepted, first) == (False, True)


def test_reading_past_an_abort_raises() -> None:
    async def scenario() -> None:
        pipe = BodyPipe(asyncio.get_running_loop())
        pipe.abort()
        pipe.read(10)

    with pytest.raises(Exception, match="ended early"):
        run_coroutine(scenario())


# -- write_body ------------------------------------------------------------------------------


class Recorder:
    """A repository (through the ``ArtifactRepository`` seam) keeping what it was sent.

    ``refuse`` makes ``write_artifact`` fail before reading anything.
    """

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.written: dict[str, bytes] = {}
        self.failures: list[BaseException] = []
        self.threads: set[str] = set()

    def write_artifact(self, artifact_path: str, stream: BinaryIO) -> None:
        self.threads.add(threading.current_thread().name)
        if self.refuse:
            raise InvalidParameter(f"artifact path {artifact_path!r}: is a folder, not a file")
        parts = []
        try:
            while part := stream.read(MiB):
                parts.append(part)
        except BaseException as error:
            self.failures.append(error)
            raise
        self.written[artifact_path] = b"".join(parts)


def _write(repo: Any, body: Body, declared: int | None) -> str:
    """Write ``body`` through ``write_body``; return the name of the event loop's thread."""

    async def scenario() -> str:
        await write_body(repo, "dir/file.bin", body, declared)
        return threading.current_thread().name

    return run_coroutine(scenario())


@pytest.mark.parametrize(
    ("total", "piece", "declared"),
    [
        (0, 1, 0),
        (1000, 300, 1000),
        (SMALL_BODY_BYTES, 64 * 1024, SMALL_BODY_BYTES),
        (3 * MiB + 17, 256 * 1024, 3 * MiB + 17),
        (3 * MiB + 17, 100_000, None),
        (5 * MiB, 5 * MiB, 5 * MiB),
    ],
)
def test_a_body_reaches_the_repository_whole(total: int, piece: int, declared: int | None) -> None:
    pieces = _pieces(total, piece) or [b""]
    repo = Recorder()
    loop_thread = _write(repo, Body(pieces), declared)
    assert repo.written == {"dir/file.bin": b"".join(pieces)}
    assert len(repo.threads) == 1
    assert loop_thread not in repo.threads  # the disk is never touched on the event loop


@pytest.mark.parametrize("declared", [1000, None])
def test_a_client_leaving_mid_body_raises_and_the_writer_sees_an_incomplete_body(
    declared: int | None,
) -> None:
    repo = Recorder()
    body = Body(_pieces(4 * MiB, 256 * 1024), disconnect_after=9)
    with pytest.raises(ClientDisconnect):
        _write(repo, body, declared)
    assert repo.written == {}
    assert len(repo.failures) == (0 if declared else 1)


def test_a_writer_refusing_at_once_stops_the_reading_of_a_large_body() -> None:
    repo = Recorder(refuse=True)
    body = Body(_pieces(64 * MiB, 256 * 1024))
    with pytest.raises(InvalidParameter, match="is a folder"):
        _write(repo, body, None)
    assert body.calls < len(body.pieces) // 4  # not the whole body: at most a few blocks


def test_a_large_body_lands_in_a_local_repository(tmp_path: Path) -> None:
    repo = LocalArtifactRepository(tmp_path / "artifacts")
    pieces = _pieces(20 * MiB + 3, 300_000)
    run_coroutine(write_body(repo, "a/big.bin", Body(pieces), None))
    assert (tmp_path / "artifacts" / "a" / "big.bin").read_bytes() == b"".join(pieces)
    assert [p.name for p in (tmp_path / "artifacts" / "a").iterdir()] == ["big.bin"]


# -- FileResponse ----------------------------------------------------------------------------


class Tracked(io.BytesIO):
    """A file-like body that records whether it was closed and how far it was read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.was_closed = False
        self.reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().read(size)

    def close(self) -> None:
        self.was_closed = True
        super().close()


def _respond(
    data: bytes, size: int | None, method: str = "GET", hang_up_after: int | None = None
) -> tuple[Sent, Tracked]:
    stream = Tracked(data)
    response = FileResponse(stream, size, "application/octet-stream", {"X-Test": "1"})
    body = Body([b""])
    sent = Sent(body, hang_up_after)
    run_coroutine(response({"type": "http", "method": method}, body, sent))
    return sent, stream


@pytest.fixture
def data() -> Iterator[bytes]:
    yield bytes(range(256)) * (40 * 1024 + 7)  # 2.5 download blocks and a bit


def test_a_file_streams_out_in_blocks_with_its_length(data: bytes) -> None:
    sent, stream = _respond(data, len(data))
    assert sent.messages[0]["status"] == 200
    assert sent.headers[b"content-length"] == str(len(data)).encode()
    assert sent.headers[b"x-test"] == b"1"
    assert sent.body_bytes == data
    blocks = [len(m["body"]) for m in sent.messages[1:-1]]
    assert blocks == [
        DOWNLOAD_BLOCK_BYTES,
        DOWNLOAD_BLOCK_BYTES,
        len(data) - 2 * DOWNLOAD_BLOCK_BYTES,
    ]
    assert sent.messages[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    assert stream.was_closed


def test_an_unknown_length_is_not_announced(data: bytes) -> None:
    sent, _ = _respond(data, None)
    assert b"content-length" not in sent.headers
    assert sent.body_bytes == data


def test_head_sends_the_headers_only(data: bytes) -> None:
    sent, stream = _respond(data, len(data), method="HEAD")
    assert sent.headers[b"content-length"] == str(len(data)).encode()
    assert sent.body_bytes == b""
    assert (stream.reads, stream.was_closed) == (0, True)


def test_a_download_stops_when_the_client_leaves(data: bytes) -> None:
    sent, stream = _respond(data * 2, len(data) * 2, hang_up_after=2)
    assert len(sent.body_bytes) < len(data) * 2
    assert stream.reads <= 3
    assert stream.was_closed
