"""Measure the artifact proxy: a large file up and down through a real ``trackstone server``.

Usage: ``.venv/bin/python bench/artifact_proxy.py [--size-mib 2048] [--keep]`` (``make
bench-proxy``)

Starts a server (SQLite, local artifacts destination) in a temporary folder, uploads one file
through ``ProxiedArtifactRepository`` twice (a file body with Content-Length, then a chunked
stream), downloads it, checks the digest, and prints throughput and the server's memory: its
resident set after start-up and its peak (``VmHWM`` in ``/proc/<pid>/status``), so the peak
minus the baseline is what the transfers cost the server. Linux only (reads ``/proc``).
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from artifact_files import file_digest, write_large_file

from trackstone.artifacts.proxied import ProxiedArtifactRepository

HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _memory_kib(pid: int) -> dict[str, int]:
    """Return ``VmRSS`` and ``VmHWM`` (peak) of a process, in KiB."""
    figures = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                figures[name] = int(value.split()[0])
    return figures


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=1.0)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _start_server(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    command = [
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
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKSTONE_", "MLFLOW_"))}
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited: see {folder / 'server.log'}")
        if _healthy(port):
            return process, port
        time.sleep(0.05)
    process.kill()
    raise SystemExit("server not healthy after 30 s")


def _timed(label: str, size_mib: int, pid: int, action: Callable[[], object]) -> None:
    started = time.perf_counter()
    action()
    elapsed_s = time.perf_counter() - started
    memory = _memory_kib(pid)
    print(
        f"{label:<28} {elapsed_s:7.2f} s  {size_mib / elapsed_s:8.1f} MiB/s   "
        f"server RSS {memory['VmRSS'] / 1024:7.1f} MiB  peak {memory['VmHWM'] / 1024:7.1f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=2048, help="file size (default 2048)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    arguments = parser.parse_args()
    size_mib: int = arguments.size_mib
    folder = Path(tempfile.mkdtemp(prefix="trackstone-proxy-bench-"))
    try:
        source = folder / "payload.bin"
        expected = write_large_file(source, size_mib)
        process, port = _start_server(folder)
        try:
            baseline = _memory_kib(process.pid)
            print(f"file: {size_mib} MiB; server pid {process.pid}")
            print(
                f"{'server after start-up':<28} {'':>24}   server RSS "
                f"{baseline['VmRSS'] / 1024:7.1f} MiB  peak {baseline['VmHWM'] / 1024:7.1f} MiB"
            )
            repo = ProxiedArtifactRepository(f"http://{HOST}:{port}", "bench/run/artifacts")
            _timed("upload (file body)", size_mib, process.pid, lambda: repo.log_artifact(source))

            def upload_stream() -> None:
                with source.open("rb") as stream:
                    repo.write_artifact("streamed.bin", stream)

            _timed("upload (chunked stream)", size_mib, process.pid, upload_stream)
            target = folder / "download"
            _timed(
                "download",
                size_mib,
                process.pid,
                lambda: repo.download_artifacts("payload.bin", target),
            )
            intact = file_digest(target / "payload.bin") == expected
            peak = _memory_kib(process.pid)["VmHWM"]
            print(f"download intact: {intact}")
            print(
                f"server peak RSS {peak / 1024:.1f} MiB; above start-up "
                f"{(peak - baseline['VmHWM']) / 1024:.1f} MiB for a {size_mib} MiB file"
            )
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)
    finally:
        if arguments.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
