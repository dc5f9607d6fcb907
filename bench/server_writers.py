"""One concurrent writer of the server benchmark: a process that logs batches to one run.

``server_workload.measure_writers`` starts several at once, each with its own run:
``python server_writers.py BASE_URL RUN_ID BATCHES GATE_FD``. A writer encodes its batches,
prints ``ready``, then blocks reading the gate, a pipe shared by every writer: the benchmark
closes its write end once all are ready, and that one close releases them together. The writer
then sends its log-batch requests one after the other (going on past a failed one) and prints
one JSON line: when it started and finished on ``time.monotonic_ns`` (one clock for every
process of the machine), each request's latency in ns, and the failed requests.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from server_workload import READY, Client, RequestFailed, encode_points, log_batch_body
from workload import BATCH_SIZE, metric_points

_ERRORS_KEPT = 3


def write(base_url: str, run_id: str, batches: int, gate_fd: int) -> dict[str, Any]:
    """Log ``batches`` batches of BATCH_SIZE points to ``run_id`` once the gate opens."""
    points = metric_points(batches * BATCH_SIZE)
    bodies = [
        log_batch_body(run_id, encode_points("loss", points[start : start + BATCH_SIZE]))
        for start in range(0, len(points), BATCH_SIZE)
    ]
    client = Client(base_url)
    durations_ns: list[int] = []
    errors: list[str] = []
    try:
        sys.stdout.buffer.write(READY)
        sys.stdout.buffer.flush()
        os.read(gate_fd, 1)  # b"" once the benchmark has closed the gate's write end
        start_ns = time.monotonic_ns()
        for body in bodies:
            try:
                durations_ns.append(client.timed("POST", "/runs/log-batch", body))
            except RequestFailed as error:
                errors.append(str(error)[:200])
        finish_ns = time.monotonic_ns()
    finally:
        client.close()
    return {
        "start_ns": start_ns,
        "finish_ns": finish_ns,
        "durations_ns": durations_ns,
        "errors": len(errors),
        "first_errors": errors[:_ERRORS_KEPT],
    }


def main(argv: list[str]) -> int:
    base_url, run_id, batches, gate_fd = argv
    report = write(base_url, run_id, int(batches), int(gate_fd))
    sys.stdout.buffer.write(json.dumps(report).encode() + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
