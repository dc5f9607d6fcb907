"""``call_store``: small store calls on the event loop when they cannot wait, else a thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from support.event_loop import run_coroutine
from trackstone.entities import Run
from trackstone.server.store_calls import call_store
from trackstone.store.sql.store import SqlStore


def _recording(store: SqlStore, threads: list[int]) -> Callable[[str], Run]:
    def create_run(experiment_id: str) -> Run:
        threads.append(threading.get_ident())
        return store.create_run(experiment_id)

    return create_run


def test_a_free_database_is_written_on_the_loop(store: SqlStore) -> None:
    threads: list[int] = []

    async def scenario() -> tuple[Run, int]:
        run = await call_store(store, _recording(store, threads), "0")
        return run, threading.get_ident()

    run, loop_thread = run_coroutine(scenario())
    assert threads == [loop_thread]
    assert store.get_run(run.info.run_id).info.experiment_id == "0"


def test_a_locked_database_is_written_from_a_thread_once_free(
    store: SqlStore, tmp_path: Path
) -> None:
    threads: list[int] = []
    holder = sqlite3.connect(
        tmp_path / "trackstone.db", isolation_level=None, check_same_thread=False
    )
    holder.execute("BEGIN IMMEDIATE")

    async def scenario() -> tuple[Run, int]:
        task = asyncio.create_task(call_store(store, _recording(store, threads), "0"))
        await asyncio.sleep(0)  # the loop attempt fails at once; the thread one waits
        holder.rollback()
        return await task, threading.get_ident()

    try:
        run, loop_thread = run_coroutine(scenario())
    finally:
        holder.close()
    assert threads[0] == loop_thread
    assert len(threads) == 2 and threads[1] != loop_thread
    assert [r.info.run_id for r in store.search_runs(["0"])] == [run.info.run_id]


class _NoWaitLess:
    """A store that cannot promise not to wait (as RestStore or PostgreSQL)."""

    def no_wait(self) -> None:
        return None


@pytest.mark.parametrize("other", [_NoWaitLess(), object()], ids=["none", "absent"])
def test_other_stores_always_go_to_a_thread(other: object) -> None:
    threads: list[int] = []

    async def scenario() -> int:
        await call_store(other, lambda: threads.append(threading.get_ident()))
        return threading.get_ident()

    loop_thread = run_coroutine(scenario())
    assert len(threads) == 1 and threads[0] != loop_thread
