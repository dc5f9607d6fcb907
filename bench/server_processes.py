"""Start, time, measure and stop the servers under test (Trackstone and MLflow) on loopback.

Each server runs in its own session (process group) with a scrubbed environment, in a fresh
folder; stopping it signals that group only. Memory is that of the whole process tree
(``mlflow server`` runs uvicorn, a job runner and task consumers as children), read from
``/proc``: Linux only.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
HEALTH_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 20.0
_POLL_INTERVAL_S = 0.01


class ServerFailed(Exception):
    """A server exited early or did not become healthy in time."""


def free_port() -> int:
    """Return a loopback TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _clean_env(extra: dict[str, str]) -> dict[str, str]:
    prefixes = ("TRACKSTONE_", "MLFLOW_", "PYTHON", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(extra)
    return env


def trackstone_command(folder: Path, port: int, workers: int) -> list[str]:
    """Return the command line of ``trackstone server`` on a SQLite file in ``folder``."""
    return [
        str(Path(sys.executable).parent / "trackstone"),
        "server",
        "--host",
        HOST,
        "--port",
        str(port),
        "--backend-store-uri",
        f"sqlite:///{folder / 'trackstone.db'}",
        "--artifacts-destination",
        str(folder / "artifacts"),
        "--workers",
        str(workers),
    ]


def floor_command(folder: Path, port: int) -> list[str]:
    """Return the command line of the floor server (``floor_server.py``) on ``folder``."""
    script = Path(__file__).resolve().with_name("floor_server.py")
    return [sys.executable, str(script), "--port", str(port), "--folder", str(folder / "files")]


def mlflow_command(python: Path, folder: Path, port: int, workers: int) -> list[str]:
    """Return the command line of ``mlflow server`` (from its venv) on a SQLite file."""
    return [
        str(python.parent / "mlflow"),
        "server",
        "--host",
        HOST,
        "--port",
        str(port),
        "--backend-store-uri",
        f"sqlite:///{folder / 'mlflow.db'}",
        "--artifacts-destination",
        str(folder / "artifacts"),
        "--workers",
        str(workers),
    ]


@dataclass
class RunningServer:
    """A started server: its name, address, process (a session leader) and log."""

    name: str
    command: list[str]
    folder: Path
    port: int
    process: subprocess.Popen[bytes]
    seconds_to_healthy: float = 0.0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        text = (self.folder / "server.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def memory_kib(self) -> dict[str, int]:
        """Return the memory of the server's process tree (the process and its descendants).

        ``tree_pss_kib`` sums each process's proportional set size (shared pages split between
        the processes sharing them, so forked workers are not counted twice);
        ``tree_rss_kib`` sums resident sets; ``largest_rss_kib`` is the biggest single process.
        """
        pids = _descendants(self.process.pid)
        rss = [_field_kib(f"/proc/{pid}/status", "VmRSS") for pid in pids]
        return {
            "processes": len(pids),
            "tree_pss_kib": sum(_field_kib(f"/proc/{pid}/smaps_rollup", "Pss") for pid in pids),
            "tree_rss_kib": sum(rss),
            "largest_rss_kib": max(rss),
        }

    def stop(self) -> None:
        """SIGTERM the server's process group; SIGKILL it if it has not exited in time."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # Children (uvicorn workers, job runners) that outlive their parent share its group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=2.0)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def start(name: str, command: list[str], folder: Path, env: dict[str, str]) -> RunningServer:
    """Start ``command`` in ``folder`` and return once ``/health`` answers 200, timing it.

    The port is the one after ``--port`` in ``command``. Raises ServerFailed (with the log).
    """
    folder.mkdir(parents=True, exist_ok=True)
    port = int(command[command.index("--port") + 1])
    with (folder / "server.log").open("ab") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=folder,
            env=_clean_env(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = RunningServer(name, command, folder, port, process)
    deadline = started + HEALTH_TIMEOUT_S
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise ServerFailed(f"{name} exited with {process.returncode}:\n{server.log_tail()}")
        if _healthy(port):
            server.seconds_to_healthy = time.perf_counter() - started
            return server
        time.sleep(_POLL_INTERVAL_S)
    server.stop()
    raise ServerFailed(f"{name} not healthy after {HEALTH_TIMEOUT_S} s:\n{server.log_tail()}")


def run_client_driver(
    python: Path,
    module: str,
    url: str,
    folder: Path,
    env: dict[str, str],
    options: dict[str, Any],
) -> dict[str, Any]:
    """Run ``server_client_driver.py`` with ``module``'s client against ``url``; parse its JSON."""
    arguments = [module, json.dumps(options)]
    return run_driver_script(python, "server_client_driver.py", arguments, url, folder, env)


def run_driver_script(
    python: Path,
    script: str,
    arguments: list[str],
    url: str,
    folder: Path,
    env: dict[str, str],
) -> dict[str, Any]:
    """Run the bench script ``script`` against the server at ``url``; parse its JSON line.

    The script runs in ``python`` (the venv holding its client library) with ``bench/`` on its
    path, the tracking URI of both spellings set, in ``folder`` (which also holds Trackstone's
    spool), with ``arguments``; its last line of output is its figures, as JSON. Raises
    ServerFailed if it fails.
    """
    bench = Path(__file__).resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    extra = {
        **env,
        "PYTHONPATH": str(bench),
        "TRACKSTONE_TRACKING_URI": url,
        "MLFLOW_TRACKING_URI": url,
        "TRACKSTONE_SPOOL_DIR": str(folder / "spool"),
    }
    done = subprocess.run(
        [str(python), str(bench / script), *arguments],
        cwd=folder,
        env=_clean_env(extra),
        capture_output=True,
        text=True,
        timeout=HEALTH_TIMEOUT_S * 20,
        check=False,
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.splitlines()[-20:])
        raise ServerFailed(f"{script} {arguments[:1]} exited with {done.returncode}:\n{tail}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def restart(server: RunningServer, env: dict[str, str]) -> RunningServer:
    """Stop ``server`` and start it again on the same folder and port (a warm database)."""
    server.stop()
    return start(server.name, server.command, server.folder, env)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _descendants(pid: int) -> list[int]:
    pending, seen = [pid], []
    while pending:
        current = pending.pop()
        seen.append(current)
        pending += _children(current)
    return seen


def _field_kib(path: str, field: str) -> int:
    """Return a ``Name:  123 kB`` figure of a ``/proc`` file (0 if the process is gone)."""
    try:
        with open(path, encoding="ascii") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name == field:
                    return int(value.split()[0])
    except OSError:
        pass  # the process ended while we looked
    return 0
