"""A throwaway PostgreSQL cluster: initdb in a temp dir, start on a free port, stop and delete.

initdb refuses to run as root, and CI runs as root: then the cluster directory is owned by the
``postgres`` OS user and every server binary runs as that user through ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "PostgresCluster",
    "PostgresUnavailable",
    "find_bin_dir",
    "reap_orphans",
    "start_cluster",
]

_BIN_GLOB = "/usr/lib/postgresql/*/bin"
_OS_USER = "postgres"
_START_ATTEMPTS = 3
_START_TIMEOUT_S = 60
_DIR_PREFIX = "trackstone-pg-"
_OWNER_FILE = "owner.pid"  # pid of the test process that started the cluster


class PostgresUnavailable(Exception):
    """The machine cannot run a throwaway cluster (no binaries, no ``postgres`` user...)."""


def find_bin_dir() -> Path | None:
    """Return the newest ``/usr/lib/postgresql/<version>/bin`` holding initdb, or None."""
    candidates = [Path(d) for d in glob.glob(_BIN_GLOB) if (Path(d) / "initdb").is_file()]
    if not candidates:
        return None

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))

    return max(candidates, key=version)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PostgresCluster:
    """A running cluster; ``create_database`` hands out a fresh database per test."""

    bin_dir: Path
    base_dir: Path
    run_as: str | None
    port: int = 0
    _stopped: bool = field(default=False, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    def uri(self, database: str) -> str:
        """Return the URI of ``database`` on this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """Create an empty database (from template0) with a unique name and return its name."""
        name = f"ts_{uuid.uuid4().hex[:20]}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database made by ``create_database``, closing any connection left to it."""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server (immediate mode) and delete its directory; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run(["pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate", "-w"])
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.uri("postgres"), autocommit=True, connect_timeout=10) as conn:
            conn.execute(statement.encode())

    def _run(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / argv[0]), *argv[1:]]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        result = subprocess.run(
            command,
            cwd=self.base_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=_START_TIMEOUT_S + 30,
            check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}\n{self._log_tail()}"
            )
        return result

    def _log_tail(self) -> str:
        try:
            return "server log:\n" + "\n".join(self.log_file.read_text().splitlines()[-20:])
        except OSError:
            return ""

    def _initdb(self) -> None:
        self._run(
            [
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--auth=trust",
                "--no-sync",
            ]
        )

    def _start(self) -> None:
        last_error: RuntimeError | None = None
        for _ in range(_START_ATTEMPTS):
            self.port = _free_port()
            # Durability is pointless for a cluster deleted at the end of the session.
            options = (
                f"-p {self.port} -k {self.base_dir} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200"
            )
            command = ["pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_file)]
            command += ["-w", "-t", str(_START_TIMEOUT_S), "-o", options]
            try:
                self._run(command)
            except RuntimeError as error:  # most likely another process took the port
                last_error = error
                continue
            self._run(["pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-t", "30"])
            return
        assert last_error is not None
        raise last_error


def _os_user() -> str | None:
    """Return the OS user the server must run as: ``postgres`` when we are root, else None."""
    if os.geteuid() != 0:
        return None
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root but `runuser` is not installed")
    try:
        import pwd

        pwd.getpwnam(_OS_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root but there is no {_OS_USER!r} OS user to run initdb as"
        ) from None
    return _OS_USER


def start_cluster(label: str = "main") -> PostgresCluster:
    """Initialise and start a cluster in a new temp dir; the caller must ``stop()`` it."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable(f"no PostgreSQL binaries found in {_BIN_GLOB}")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise PostgresUnavailable("psycopg (PostgreSQL driver) is not installed") from None
    run_as = _os_user()
    reap_orphans(bin_dir, run_as)
    # Not under pytest's basetemp: that one is private to the current user (mode 0700).
    base_dir = Path(tempfile.mkdtemp(prefix=f"{_DIR_PREFIX}{label}-"))
    (base_dir / _OWNER_FILE).write_text(str(os.getpid()))
    if run_as is not None:
        shutil.chown(base_dir, user=run_as)
    cluster = PostgresCluster(bin_dir=bin_dir, base_dir=base_dir, run_as=run_as)
    try:
        cluster._initdb()
        cluster._start()
    except BaseException:
        with contextlib.suppress(Exception):
            cluster.stop()
        raise
    return cluster


def reap_orphans(bin_dir: Path, run_as: str | None) -> None:
    """Stop and delete clusters whose test process died without cleaning up (killed, timed out).

    Clusters of live processes (other sessions running in parallel) are left alone.
    """
    for base_dir in Path(tempfile.gettempdir()).glob(f"{_DIR_PREFIX}*"):
        try:
            owner = int((base_dir / _OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # being created right now, or not ours
        if _process_alive(owner):
            continue
        orphan = PostgresCluster(bin_dir=bin_dir, base_dir=base_dir, run_as=run_as)
        with contextlib.suppress(Exception):
            orphan.stop()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True
