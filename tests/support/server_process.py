"""Run a real ``trackstone server`` subprocess on 127.0.0.1 and a free port, for end-to-end tests.

Example:
    with running_server(tmp_path) as server:
        ...  # talk to server.url
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CONSOLE_SCRIPT",
    "ServerProcess",
    "free_port",
    "isolated_env",
    "running_server",
    "start_server",
]

CONSOLE_SCRIPT = Path(sys.executable).parent / "trackstone"
HOST = "127.0.0.1"
_POLL_INTERVAL_S = 0.02


def free_port() -> int:
    """Return a TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def isolated_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return this process's environment without TRACKSTONE_*/MLFLOW_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKSTONE_", "MLFLOW_"))}
    env.update(extra or {})
    return env


@dataclass
class ServerProcess:
    """A running server: its address, process and log file."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:5123``."""
        return f"http://{HOST}:{self.port}"

    @property
    def host_header(self) -> str:
        """The ``Host`` header a client of ``url`` sends."""
        return f"{HOST}:{self.port}"

    def connection(self, timeout_s: float = 30.0) -> http.client.HTTPConnection:
        """Return a new HTTP connection to the server."""
        return http.client.HTTPConnection(HOST, self.port, timeout=timeout_s)

    def log(self) -> str:
        """Return what the server printed so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop the server gracefully (SIGTERM), killing it if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=1.0)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def start_server(
    data_dir: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 30.0,
    port: int | None = None,
) -> ServerProcess:
    """Start ``trackstone server`` with a SQLite store in ``data_dir``; return once healthy.

    ``args`` are extra command-line flags; ``port`` defaults to a free one (pass a stopped
    server's port to restart it at the same address). Raises RuntimeError (with the server's
    output) if the process exits or is not healthy within ``timeout_s``.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port() if port is None else port
    log_path = data_dir / f"server-{port}.log"
    command = [
        str(CONSOLE_SCRIPT),
        "server",
        "--host",
        HOST,
        "--port",
        str(port),
        "--backend-store-uri",
        f"sqlite:///{data_dir / 'trackstone.db'}",
        "--artifacts-destination",
        str(data_dir / "artifacts"),
        *args,
    ]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=isolated_env(env), cwd=data_dir
        )
    server = ServerProcess(process, port, log_path)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
        if _healthy(port):
            return server
        time.sleep(_POLL_INTERVAL_S)  # a subprocess's readiness cannot come from our clock
    server.stop()
    raise RuntimeError(f"server not healthy after {timeout_s} s:\n{server.log()}")


@contextmanager
def running_server(data_dir: Path, *args: str) -> Iterator[ServerProcess]:
    """``start_server(data_dir, *args)`` for the ``with`` block; stopped however it ends."""
    server = start_server(data_dir, *args)
    try:
        yield server
    finally:
        server.stop()
