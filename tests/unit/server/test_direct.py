"""Direct calls: query strings and bodies read exactly as Starlette's Request reads them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import QueryParams
from starlette.types import Message

from support.event_loop import run_coroutine
from trackstone.server.direct import query_values, read_body

# Characters that matter to query parsing, plus ordinary and non-ASCII ones.
QUERY_TEXT = st.text(alphabet="ab=&%+;2F0 é\x7f", max_size=30)


@given(QUERY_TEXT)
def test_query_values_match_starlettes_query_params(text: str) -> None:
    query_string = text.encode("latin-1", errors="replace")
    expected: dict[str, list[str]] = {}
    for key, value in QueryParams(query_string).multi_items():
        expected.setdefault(key, []).append(value)
    assert query_values(query_string) == expected


def _read(messages: list[Message]) -> bytes | None:
    queue = list(messages)

    async def receive() -> Message:
        return queue.pop(0)

    return run_coroutine(read_body(receive))


def test_a_body_in_pieces_is_joined() -> None:
    pieces: list[Message] = [
        {"type": "http.request", "body": b'{"a"', "more_body": True},
        {"type": "http.request", "body": b"", "more_body": True},
        {"type": "http.request", "body": b": 1}"},
    ]
    assert _read(pieces) == b'{"a": 1}'


def test_a_message_without_a_body_is_an_empty_body() -> None:
    assert _read([{"type": "http.request"}]) == b""


def test_a_disconnect_before_the_end_gives_none() -> None:
    pieces: list[Message] = [
        {"type": "http.request", "body": b"{", "more_body": True},
        {"type": "http.disconnect"},
    ]
    assert _read(pieces) is None
    assert _read([{"type": "http.disconnect"}]) is None
