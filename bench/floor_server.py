"""The floor server: the least any HTTP server could do for the server benchmark's requests.

Usage: ``python bench/floor_server.py --port PORT --folder FOLDER``. The server benchmark times
it with the same clients as the real servers; what it reaches is the ceiling of this machine
for those requests, so a ratio that stays under its target can be told apart from a server that
is slow. It has no routing framework, checks nothing and keeps no database. For each request it
does only what the promise behind the request needs:

- ``PUT`` of an artifact (the ``mlflow-artifacts`` paths): the body is streamed into a temporary
  file, flushed to disk (``fdatasync``) and renamed into place before the answer. That is
  Trackstone's promise: an acknowledged file survives a crash. Large bodies start their disk
  write while they arrive (``sync_file_range``), as Trackstone's do.
- ``GET`` of an artifact: the file is sent with ``sendfile``, never copied through Python.
- ``GET runs/get``, ``POST runs/create`` and ``POST runs/log-batch`` of MLflow's REST API:
  canned answers, built once, as big as the benchmark's runs (10 params, 5 metrics, 3 tags).
  MLflow's client timed against these shows what the client itself costs per call.
- ``GET /health``: 200.

Anything else gets 404, and so does a path with a ``..`` part. One thread per connection; each
connection is kept alive. Standard library plus Trackstone's ``RangeWriteback`` (the same
early disk writes as the real server); Linux only (``sendfile``, ``fdatasync``).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socketserver
import sys
from pathlib import Path
from typing import BinaryIO

from workload import BASE_TIMESTAMP_MS, FLOOR_RUN_ID, search_population

from trackstone.artifacts.writeback import RangeWriteback

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts/"
BLOCK_BYTES = 1 << 20
_OK_EMPTY = b"{}"


def _canned_run() -> bytes:
    """Return a ``{"run": ...}`` answer shaped like the benchmark's population runs."""
    run = search_population(1)[0]
    answer = {
        "run": {
            "info": {
                "run_id": FLOOR_RUN_ID,
                "run_uuid": FLOOR_RUN_ID,
                "run_name": run.name,
                "experiment_id": "1",
                "user_id": "bench",
                "status": "RUNNING",
                "start_time": BASE_TIMESTAMP_MS,
                "artifact_uri": f"mlflow-artifacts:/1/{FLOOR_RUN_ID}/artifacts",
                "lifecycle_stage": "active",
            },
            "data": {
                "metrics": [
                    {"key": key, "value": value, "timestamp": BASE_TIMESTAMP_MS, "step": 0}
                    for key, value in run.metrics.items()
                ],
                "params": [{"key": key, "value": value} for key, value in run.params.items()],
                "tags": [
                    *({"key": key, "value": value} for key, value in run.tags.items()),
                    {"key": "mlflow.runName", "value": run.name},
                ],
            },
            "inputs": {},
        }
    }
    return json.dumps(answer).encode()


CANNED: dict[tuple[str, str], bytes] = {
    ("GET", "/health"): b"OK",
    ("GET", "/api/2.0/mlflow/runs/get"): _canned_run(),
    ("POST", "/api/2.0/mlflow/runs/create"): _canned_run(),
    ("POST", "/api/2.0/mlflow/runs/log-batch"): _OK_EMPTY,
}


def store_body(source: BinaryIO, length: int, target: Path) -> None:
    """Stream ``length`` bytes of ``source`` into ``target``: temporary file, flush, rename."""
    temporary = target.with_name(f".floor-{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        buffer = memoryview(bytearray(min(length, BLOCK_BYTES) or 1))
        writeback = RangeWriteback(fd)
        written = 0
        while written < length:
            count = source.readinto(buffer[: min(len(buffer), length - written)])
            if not count:
                raise ConnectionError("the body ended early")
            done = 0
            while done < count:
                done += os.write(fd, buffer[done:count])
            written += count
            writeback.written(count)
        os.fdatasync(fd)
    finally:
        os.close(fd)
    os.rename(temporary, target)


def _head(status: bytes, length: int, content_type: bytes) -> bytes:
    return b"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (
        status,
        content_type,
        length,
    )


class FloorHandler(socketserver.StreamRequestHandler):
    """Answer the requests of one kept-alive connection until the client closes it."""

    server: FloorServer
    disable_nagle_algorithm = True

    def handle(self) -> None:
        while self._one_request():
            pass

    def _one_request(self) -> bool:
        request_line = self.rfile.readline(65536)
        if not request_line:
            return False
        method, target, _ = request_line.decode("latin-1").split(" ", 2)
        length = 0
        while (line := self.rfile.readline(65536)) not in (b"\r\n", b"\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        path = target.partition("?")[0]
        relative = path[len(ARTIFACTS) :] if path.startswith(ARTIFACTS) else ""
        if relative and ".." not in relative.split("/"):
            self._artifact(method, self.server.folder / relative, length)
        else:
            self.rfile.read(length)
            canned = CANNED.get((method, path))
            if canned is None:
                self._answer(b"404 Not Found", b'{"error_code": "ENDPOINT_NOT_FOUND"}')
            else:
                self._answer(b"200 OK", canned)
        return True

    def _artifact(self, method: str, target: Path, length: int) -> None:
        if method == "PUT":
            target.parent.mkdir(parents=True, exist_ok=True)
            store_body(self.rfile, length, target)
            self._answer(b"200 OK", _OK_EMPTY)
            return
        with target.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            self.wfile.write(_head(b"200 OK", size, b"application/octet-stream"))
            sent = 0
            while sent < size:
                sent += os.sendfile(self.connection.fileno(), stream.fileno(), sent, size - sent)

    def _answer(self, status: bytes, body: bytes) -> None:
        self.wfile.write(_head(status, len(body), b"application/json") + body)


class FloorServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, folder: Path) -> None:
        self.folder = folder
        super().__init__(("127.0.0.1", port), FloorHandler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    with FloorServer(args.port, args.folder) as server:
        server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
