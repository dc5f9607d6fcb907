"""Keep ``bench/server.py`` from rotting: a quick run without MLflow must work end to end.

It starts ``trackstone server`` and the floor server (``bench/floor_server.py``), drives both,
and writes its results; this checks the results are whole and consistent, never how fast
anything was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support.bench_runs import BENCH_DIR, run_quick_bench
from support.mlflow_env import MlflowEnv, mlflow_env  # noqa: F401  (fixture)


def test_quick_server_bench_without_mlflow(tmp_path: Path) -> None:
    stdout, document = run_quick_bench("server.py", "server", tmp_path)
    assert "warning:" not in stdout
    assert "the floor: the least a server could do here" in stdout

    assert set(document["results"]) == {"trackstone", "floor"}
    client = document["results"]["trackstone"]["workloads"]["client"]
    assert client["problems"] == []
    assert client["ingest"]["stored"] == client["ingest"]["points"]
    plain_rows = [row for row in document["floor"] if row["client"] == "plain HTTP"]
    assert len(plain_rows) == 4
    for row in plain_rows:
        assert row["trackstone"] > 0 and row["floor"] > 0 and row["share_of_floor"] > 0
        assert row["mlflow"] is None and row["most_times_possible"] is None
    mlflow_rows = [row for row in document["floor"] if row["client"] == "mlflow"]
    assert all(row["floor"] is None for row in mlflow_rows)


FLOOR_CLIENT_PROBE = """
import json, sys
from pathlib import Path
from server_processes import floor_command, free_port, run_driver_script, start

folder, mlflow_python = Path(sys.argv[1]), Path(sys.argv[2])
server = start("floor", floor_command(folder, free_port()), folder, {})
try:
    options = json.dumps({"runs": 3, "get_runs": 4})
    figures = run_driver_script(
        mlflow_python, "floor_client_driver.py", [options], server.url, folder / "c", {}
    )
finally:
    server.stop()
print(json.dumps(figures))
"""


def test_mlflow_client_against_the_floor_server(
    mlflow_env: MlflowEnv,  # noqa: F811
    tmp_path: Path,
) -> None:
    """MLflow's client takes the floor server's canned answers, as the benchmark needs."""
    done = subprocess.run(
        [sys.executable, "-c", FLOOR_CLIENT_PROBE, str(tmp_path), str(mlflow_env.python)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(BENCH_DIR)},
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["create_run"]["calls"] == 3
    assert figures["log_batch_small"]["calls"] == 3
    assert figures["get_run"]["calls"] == 4
    assert all(figures[call]["p50_ms"] > 0 for call in figures)
