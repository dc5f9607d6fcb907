"""The helper process's socket messages: length-prefixed msgpack, received whole or not at all."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import msgspec
import pytest

from trackstone.store.sql.ingest_process import receive_message, send_message


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


def _send_later(sock: socket.socket, body: object) -> threading.Thread:
    """Send ``body`` from a thread (a big one does not fit the socket's buffer), then end."""

    def send() -> None:
        send_message(sock, body)
        sock.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=send)
    thread.start()
    return thread


def test_a_short_message_round_trips(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    _send_later(theirs, []).join()
    assert msgspec.msgpack.decode(receive_message(ours) or b"") == []
    assert receive_message(ours) is None  # the end of the stream


def test_a_message_bigger_than_the_buffer_round_trips(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    points = [["loss", step / 3, 1_700_000_000_000 + step, step] for step in range(100_000)]
    sender = _send_later(theirs, ["run", points])
    body = receive_message(ours)
    sender.join()
    assert msgspec.msgpack.decode(body or b"") == ["run", points]


def test_a_message_cut_short_reads_as_the_end(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    theirs.sendall((1000).to_bytes(4, "big") + b"x" * 10)
    theirs.shutdown(socket.SHUT_WR)
    assert receive_message(ours) is None


def test_a_head_cut_short_reads_as_the_end(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    theirs.sendall(b"\x00\x00")
    theirs.shutdown(socket.SHUT_WR)
    assert receive_message(ours) is None


def test_sending_to_a_closed_peer_is_an_error_not_a_signal(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    theirs.close()
    with pytest.raises(BrokenPipeError):
        send_message(ours, ["run", []])
