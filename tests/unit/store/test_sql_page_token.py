"""Page tokens: round trips, and every kind of tampering or misuse is refused."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from trackstone.clock import ManualClock
from trackstone.entities import Metric
from trackstone.errors import InvalidParameter
from trackstone.store.sql.page_token import PageToken, decode_token, encode_token, fingerprint
from trackstone.store.sql.store import SqlStore


def _body(token: str) -> dict[str, object]:
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))  # type: ignore[no-any-return]


def _pack(body: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


QUERY = fingerprint("runs", [1], "metrics.m > 0", 1, [])
TOKEN = encode_token(PageToken(fingerprint=QUERY, offset=100, bound=42))


@pytest.mark.parametrize(
    "token",
    [
        PageToken(fingerprint=QUERY, offset=100, bound=42),
        PageToken(fingerprint=QUERY, offset=0),
        PageToken(fingerprint=QUERY, position=(3, 17, float("inf"), False)),
    ],
)
def test_round_trip(token: PageToken) -> None:
    assert decode_token(encode_token(token), QUERY) == token


def test_fingerprint_depends_on_every_part() -> None:
    assert fingerprint("runs", [1], "a", 1, []) != fingerprint("runs", [1], "a", 2, [])
    assert fingerprint("runs", [1], "a", 1, []) == fingerprint("runs", [1], "a", 1, [])


def _with(**changes: object) -> str:
    body = _body(TOKEN)
    body.update(changes)
    return _pack(body)


@pytest.mark.parametrize(
    "tampered",
    [
        _with(o=0),  # offset changed, checksum kept
        _with(b=10**9),  # bound changed
        _with(f="0" * 16),  # another query's fingerprint
        _with(c="0" * 12),  # checksum forged
        _with(v=99),  # unknown version
        _pack({"v": 1, "f": QUERY, "o": -5}),  # no checksum
        "not a token",
        "",
        "%%%%",
        base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),
        TOKEN[:-3],
    ],
)
def test_tampered_tokens_are_refused(tampered: str) -> None:
    with pytest.raises(InvalidParameter, match="page_token"):
        decode_token(tampered, QUERY)


def test_token_of_another_query_is_refused() -> None:
    other = fingerprint("runs", [1], "metrics.m > 1", 1, [])

    with pytest.raises(InvalidParameter, match="page_token"):
        decode_token(TOKEN, other)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = SqlStore(
        f"sqlite:///{tmp_path / 't.db'}", str(tmp_path / "artifacts"), clock=ManualClock()
    )
    yield opened
    opened.close()


def test_search_refuses_a_token_from_another_filter(store: SqlStore) -> None:
    for _ in range(3):
        store.create_run("0")
    page = store.search_runs(["0"], max_results=2)
    assert page.token is not None

    with pytest.raises(InvalidParameter, match="page_token"):
        store.search_runs(["0"], "attributes.status = 'RUNNING'", page_token=page.token)


def test_history_refuses_a_token_from_another_metric(store: SqlStore) -> None:
    run_id = store.create_run("0").info.run_id
    store.log_batch(run_id, metrics=[Metric("a", 1.0, 1, step) for step in range(3)])
    page = store.get_metric_history(run_id, "a", max_results=2)
    assert page.token is not None

    with pytest.raises(InvalidParameter, match="page_token"):
        store.get_metric_history(run_id, "b", max_results=2, page_token=page.token)


def test_pages_ignore_runs_created_after_the_first_page(store: SqlStore) -> None:
    before = {store.create_run("0").info.run_id for _ in range(5)}
    seen: list[str] = []
    page = store.search_runs(["0"], max_results=2)
    while True:
        seen.extend(run.info.run_id for run in page)
        store.create_run("0")  # new runs keep arriving while we page
        if page.token is None:
            break
        page = store.search_runs(["0"], max_results=2, page_token=page.token)

    assert sorted(seen) == sorted(before)
