"""Nothing logged is lost over HTTP: a server killed mid-run and restarted, every point once.

A child process logs through the fluent API to a real ``trackstone server`` process. The server
is SIGKILLed while the background sender is shipping (batches may be committed without their
answer arriving, and are re-sent), stays down while the child keeps logging, and comes back on
the same port. The child's run must end with every point it logged stored exactly once.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.server_process import ServerProcess, isolated_env, start_server
from support.tracking import all_history
from trackstone.client.rest_store import RestStore
from trackstone.entities import Metric, RunStatus

KEY = "loss"
T0 = 1_700_000_000_000
# Points logged per phase: while the server is up, while it is down, after it is back.
PHASES = (30_000, 5_000, 5_000)
OUTAGE_S = 1.0
CHILD_TIMEOUT_S = 60.0

# The child resumes the run, logs each phase's points, prints the phase number and waits for
# the parent's go-ahead; leaving the ``with`` block ends the run, which drains the spool.
CHILD = """
import sys
import trackstone

run_id, phases = sys.argv[1], [int(n) for n in sys.argv[2:]]
step = 0
with trackstone.start_run(run_id=run_id):
    for phase, count in enumerate(phases, start=1):
        for _ in range(count):
            trackstone.log_metric("loss", step * 0.5, step=step, timestamp={t0} + step)
            step += 1
        print(phase, step, flush=True)
        if phase < len(phases):
            sys.stdin.readline()
print("done", flush=True)
""".replace("{t0}", str(T0))


def _point(step: int) -> Metric:
    return Metric(KEY, step * 0.5, T0 + step, step)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    started = start_server(tmp_path / "server")
    yield started
    started.stop()


class _Child:
    """The logging child process, read line by line with a bounded wait."""

    def __init__(self, server: ServerProcess, spool_dir: Path, run_id: str) -> None:
        env = isolated_env(
            {
                "TRACKSTONE_TRACKING_URI": server.url,
                "TRACKSTONE_SPOOL_DIR": str(spool_dir),
                "TRACKSTONE_FLUSH_INTERVAL_S": "0.05",
                "TRACKSTONE_FLUSH_TIMEOUT_S": str(CHILD_TIMEOUT_S),
            }
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, run_id, *map(str, PHASES)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self._lines: list[str] = []
        self._arrived = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._arrived:
                self._lines.append(line.strip())
                self._arrived.notify_all()
        with self._arrived:
            self._lines.append("<eof>")
            self._arrived.notify_all()

    def expect(self, prefix: str) -> str:
        """Wait (bounded) for the next line, which must start with ``prefix``; return it."""
        with self._arrived:
            self._arrived.wait_for(lambda: bool(self._lines), timeout=CHILD_TIMEOUT_S)
            line = self._lines.pop(0) if self._lines else "<timeout>"
        if not line.startswith(prefix):
            self.process.kill()
            _, errors = self.process.communicate(timeout=10)
            raise AssertionError(f"child said {line!r}, expected {prefix!r}:\n{errors}")
        return line

    def go_on(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()


def test_a_killed_and_restarted_server_loses_and_duplicates_nothing(
    server: ServerProcess, tmp_path: Path
) -> None:
    store = RestStore(server.url)
    run_id = store.create_run(store.create_experiment("durability")).info.run_id
    spool_dir = tmp_path / "spool"
    child = _Child(server, spool_dir, run_id)
    try:
        child.expect("1 ")
        # The sender is shipping the first phase's batches right now: kill mid-flight.
        server.process.kill()
        server.process.wait(timeout=10)
        child.go_on()
        child.expect("2 ")
        stopped = threading.Event()
        stopped.wait(OUTAGE_S)  # the outage itself: a server process has no injectable clock
        restarted = start_server(tmp_path / "server", port=server.port)
        server.process = restarted.process  # the fixture stops whichever is running
        child.go_on()
        child.expect("3 ")
        child.expect("done")
        assert child.process.wait(timeout=CHILD_TIMEOUT_S) == 0
    finally:
        if child.process.poll() is None:
            child.process.kill()
        child.process.communicate(timeout=10)

    total = sum(PHASES)
    history = all_history(store, run_id, KEY)
    assert [point.step for point in history] == list(range(total))
    assert history == [_point(step) for step in range(total)]
    run = store.get_run(run_id)
    assert run.info.status is RunStatus.FINISHED
    assert run.data.metrics == {KEY: (total - 1) * 0.5}
    assert [path.name for path in spool_dir.rglob("*.spool")] == []
    assert "Traceback" not in restarted.log()
    store.close()
