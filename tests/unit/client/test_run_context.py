"""The active-run stack: nesting, per-thread stacks with a shared fallback, exit statuses."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from trackstone.client.context import ActiveRun, RunStack, status_for_exception
from trackstone.entities import Run, RunInfo, RunStatus

Ended = list[tuple[str, RunStatus]]


def _active(run_id: str, ended: Ended | None = None) -> ActiveRun:
    info = RunInfo(
        run_id=run_id,
        experiment_id="0",
        run_name=run_id,
        user_id="tester",
        status=RunStatus.RUNNING,
        start_time=1,
        end_time=None,
        artifact_uri=f"/artifacts/{run_id}",
    )
    log = ended if ended is not None else []
    return ActiveRun(Run(info), lambda run, status: log.append((run.info.run_id, status)))


def _in_thread(action: Callable[[], object]) -> object:
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(action()))
    thread.start()
    thread.join()
    return result[0]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (None, RunStatus.FINISHED),
        (ValueError("bad"), RunStatus.FAILED),
        (KeyboardInterrupt(), RunStatus.KILLED),
        (SystemExit(1), RunStatus.FAILED),
    ],
)
def test_status_for_exception(error: BaseException | None, status: RunStatus) -> None:
    assert status_for_exception(error) is status


def _exit_block(active: ActiveRun, error: BaseException | None) -> BaseException | None:
    """Run a ``with`` block that raises ``error`` (if any); return what escaped it."""
    try:
        with active:
            if error is not None:
                raise error
    except BaseException as escaped:
        return escaped
    return None


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (None, RunStatus.FINISHED),
        (RuntimeError("boom"), RunStatus.FAILED),
        (KeyboardInterrupt(), RunStatus.KILLED),
    ],
)
def test_with_block_ends_the_run_with_the_status_of_its_exit(
    error: BaseException | None, status: RunStatus
) -> None:
    ended: Ended = []
    escaped = _exit_block(_active("r1", ended), error)
    assert escaped is error  # never swallowed
    assert ended == [("r1", status)]


def test_active_run_is_a_run_snapshot() -> None:
    active = _active("r1")
    assert isinstance(active, Run)
    assert active.info.run_id == "r1"


def test_nested_runs_stack_and_unwind() -> None:
    stack = RunStack()
    stack.push(_active("outer"))
    stack.push(_active("inner"))
    assert stack.active() is not None and stack.active().info.run_id == "inner"  # type: ignore[union-attr]
    assert [r.info.run_id for r in stack.remove("inner")] == ["inner"]
    assert stack.active().info.run_id == "outer"  # type: ignore[union-attr]
    stack.remove("outer")
    assert stack.active() is None


def test_removing_a_parent_takes_its_children_innermost_first() -> None:
    stack = RunStack()
    for run_id in ("a", "b", "c"):
        stack.push(_active(run_id))
    assert [r.info.run_id for r in stack.remove("a")] == ["c", "b", "a"]
    assert stack.active() is None


def test_removing_an_unknown_run_changes_nothing() -> None:
    stack = RunStack()
    stack.push(_active("a"))
    assert stack.remove("zzz") == []
    assert stack.active().info.run_id == "a"  # type: ignore[union-attr]


def test_a_worker_thread_sees_the_run_its_parent_started() -> None:
    stack = RunStack()
    stack.push(_active("main"))
    seen = _in_thread(lambda: stack.active())
    assert isinstance(seen, ActiveRun) and seen.info.run_id == "main"
    assert _in_thread(stack.own_active) is None


def test_a_worker_run_is_its_own_and_does_not_replace_the_shared_one() -> None:
    stack = RunStack()
    stack.push(_active("main"))

    def work() -> tuple[str, str]:
        stack.push(_active("worker"))
        inside = stack.active()
        stack.remove("worker")
        after = stack.active()
        assert inside is not None and after is not None
        return inside.info.run_id, after.info.run_id

    assert _in_thread(work) == ("worker", "main")
    assert stack.active().info.run_id == "main"  # type: ignore[union-attr]


def test_runs_of_other_threads_are_invisible_when_the_main_thread_has_none() -> None:
    stack = RunStack()
    started = threading.Event()
    finish = threading.Event()

    def work() -> None:
        stack.push(_active("first"))
        started.set()
        finish.wait(5)

    thread = threading.Thread(target=work)
    thread.start()
    started.wait(5)
    try:
        # The worker started the first top-level run, so its stack is the shared one.
        assert stack.active().info.run_id == "first"  # type: ignore[union-attr]
        assert stack.own_active() is None
    finally:
        finish.set()
        thread.join()


def test_drain_returns_every_threads_runs_innermost_first() -> None:
    stack = RunStack()
    stack.push(_active("outer"))
    stack.push(_active("inner"))
    _in_thread(lambda: stack.push(_active("worker")))
    drained = [r.info.run_id for r in stack.drain()]
    assert sorted(drained) == ["inner", "outer", "worker"]
    assert drained.index("inner") < drained.index("outer")
    assert stack.active() is None
    assert _in_thread(stack.active) is None
