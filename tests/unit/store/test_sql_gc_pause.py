"""paused_gc: the collector is off inside, restored by the last of overlapping pauses."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from trackstone.store.sql import gc_pause
from trackstone.store.sql.gc_pause import paused_gc


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generations of the collections that run while the test does."""
    seen: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(record)
    yield seen
    gc.callbacks.remove(record)


@pytest.mark.usefixtures("collector_enabled")
def test_the_collector_is_off_inside_and_back_on_after() -> None:
    with paused_gc():
        inside = gc.isenabled()

    assert (inside, gc.isenabled()) == (False, True)


@pytest.mark.usefixtures("collector_enabled")
def test_the_collector_comes_back_after_an_exception() -> None:
    with pytest.raises(KeyError), paused_gc():
        raise KeyError("boom")

    assert gc.isenabled()


@pytest.mark.usefixtures("collector_enabled")
def test_nested_pauses_restore_only_at_the_outermost_exit() -> None:
    with paused_gc():
        with paused_gc():
            pass
        between = gc.isenabled()

    assert (between, gc.isenabled()) == (False, True)


@pytest.mark.usefixtures("collector_enabled")
def test_overlapping_pauses_of_two_threads_restore_when_both_left() -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with paused_gc():
            first_in.set()
            second_in.wait()
        first_out.set()

    def second() -> None:
        first_in.wait()
        with paused_gc():
            second_in.set()
            first_out.wait()
            seen["after first left"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert seen == {"after first left": False}
    assert gc.isenabled()


def test_a_collector_disabled_by_the_application_stays_disabled() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


@pytest.mark.usefixtures("collector_enabled")
def test_a_pause_joining_one_older_than_the_limit_runs_a_full_collection(
    monkeypatch: pytest.MonkeyPatch, collections: list[int]
) -> None:
    monkeypatch.setattr(gc_pause, "MAX_PAUSE_S", -1.0)  # every shared pause is "too old"

    with paused_gc():
        before = list(collections)
        with paused_gc():
            pass

    assert before == []
    assert 2 in collections
