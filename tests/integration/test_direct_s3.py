"""Clients writing straight to S3: a real server with ``--no-serve-artifacts`` and an ``s3://``
default artifact root, and real client processes that log, list and download through S3 with
their own credentials while the server's artifact proxy is off."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests

from support.s3 import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, S3Bucket
from support.server_process import ServerProcess, isolated_env, start_server

API = "/api/2.0/mlflow"
PREFIX = "team/artifacts"

# The client process: logs a file, a folder and a text, then prints the run's ids as JSON.
_WRITER = """
import json, pathlib, sys
import trackstone
from trackstone.errors import TrackstoneError

work = pathlib.Path(sys.argv[1])
(work / "tree" / "sub").mkdir(parents=True, exist_ok=True)
(work / "weights.bin").write_bytes(bytes(range(256)) * 4)
(work / "tree" / "MLmodel").write_text("flavors: {}\\n")
(work / "tree" / "sub" / "data.csv").write_text("a,b\\n1,2\\n")
trackstone.set_experiment("direct-s3")
try:
    with trackstone.start_run() as run:
        trackstone.log_artifact(str(work / "weights.bin"))
        trackstone.log_artifacts(str(work / "tree"), "model")
        trackstone.log_text("hello from the client", "notes/readme.txt")
except TrackstoneError as error:
    print(json.dumps({"error": type(error).__name__, "code": error.error_code,
                      "message": error.message}))
    sys.exit(3)
print(json.dumps({"run_id": run.info.run_id, "experiment_id": run.info.experiment_id,
                  "artifact_uri": run.info.artifact_uri}))
"""

# A second client process: lists and downloads a run's artifacts, prints what it saw as JSON.
_READER = """
import json, pathlib, sys
import trackstone

run_id, target = sys.argv[1], pathlib.Path(sys.argv[2])
client = trackstone.TrackstoneClient()
listed = {}
for folder in (None, "model"):
    infos = client.list_artifacts(run_id, folder)
    listed[str(folder)] = [[info.path, info.is_dir, info.file_size] for info in infos]
root = pathlib.Path(client.download_artifacts(run_id, "", str(target)))
files = {
    path.relative_to(root).as_posix(): path.read_bytes().hex()
    for path in sorted(root.rglob("*")) if path.is_file()
}
print(json.dumps({"listed": listed, "files": files}))
"""

_WEIGHTS = bytes(range(256)) * 4
_EXPECTED_OBJECTS = {
    "weights.bin": _WEIGHTS,
    "model/MLmodel": b"flavors: {}\n",
    "model/sub/data.csv": b"a,b\n1,2\n",
    "notes/readme.txt": b"hello from the client",
}


def _aws_env(tmp_path: Path, *, credentials: bool) -> dict[str, str]:
    """AWS settings of a process: region, and the dummy credentials only when asked; never the
    host's own profiles or instance metadata."""
    env = {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if credentials:
        env.update({"AWS_ACCESS_KEY_ID": ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY})
    return env


def _process_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without Trackstone, MLflow or AWS settings, plus ``extra``."""
    base = {k: v for k, v in isolated_env().items() if not k.startswith("AWS_")}
    return {**base, **extra}


@pytest.fixture
def server(tmp_path: Path, s3_bucket: S3Bucket) -> Iterator[ServerProcess]:
    """A server whose runs get ``s3://`` artifact URIs, with its artifact proxy off."""
    env = {
        **_aws_env(tmp_path / "server-aws", credentials=True),
        "TRACKSTONE_S3_ENDPOINT_URL": s3_bucket.server.endpoint_url,
    }
    started = start_server(
        tmp_path / "server",
        "--default-artifact-root",
        s3_bucket.uri(PREFIX),
        "--no-serve-artifacts",
        env=_process_env(env),
    )
    try:
        yield started
    finally:
        started.stop()


def _run_client(
    tmp_path: Path,
    server: ServerProcess,
    bucket: S3Bucket,
    script: str,
    *args: str,
    credentials: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh Python process pointed at ``server`` and at the S3 endpoint."""
    env = {
        **_aws_env(tmp_path / "client-aws", credentials=credentials),
        "MLFLOW_S3_ENDPOINT_URL": bucket.server.endpoint_url,
        "TRACKSTONE_TRACKING_URI": server.url,
        "TRACKSTONE_SPOOL_DIR": str(tmp_path / "spool"),
    }
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        env=_process_env(env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _last_json(result: subprocess.CompletedProcess[str]) -> Any:
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no JSON from the client (exit {result.returncode}):\n{result.stderr}"
    return json.loads(lines[-1])


def test_client_writes_lists_and_downloads_straight_through_s3(
    server: ServerProcess, s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    written = _run_client(tmp_path, server, s3_bucket, _WRITER, str(tmp_path / "work"))
    assert written.returncode == 0, written.stderr
    run = _last_json(written)
    root = f"{PREFIX}/{run['experiment_id']}/{run['run_id']}/artifacts"
    assert run["artifact_uri"] == s3_bucket.uri(root)
    assert s3_bucket.keys() == sorted(f"{root}/{path}" for path in _EXPECTED_OBJECTS)
    for path, content in _EXPECTED_OBJECTS.items():
        stored = s3_bucket.client.get_object(Bucket=s3_bucket.name, Key=f"{root}/{path}")
        assert stored["Body"].read() == content

    read = _run_client(
        tmp_path, server, s3_bucket, _READER, run["run_id"], str(tmp_path / "download")
    )
    assert read.returncode == 0, read.stderr
    seen = _last_json(read)
    assert seen["listed"] == {
        "None": [
            ["model", True, None],
            ["notes", True, None],
            ["weights.bin", False, len(_WEIGHTS)],
        ],
        "model": [["model/MLmodel", False, 12], ["model/sub", True, None]],
    }
    assert seen["files"] == {path: content.hex() for path, content in _EXPECTED_OBJECTS.items()}

    # The proxy is off, so no artifact byte can have gone through the server.
    proxy = f"{server.url}/api/2.0/mlflow-artifacts/artifacts/{run['experiment_id']}"
    refused_put = requests.put(f"{proxy}/probe.txt", data=b"x", timeout=30)
    refused_get = requests.get(f"{proxy}/{run['run_id']}/artifacts/weights.bin", timeout=30)
    assert (refused_put.status_code, refused_get.status_code) == (503, 503)
    assert refused_put.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert s3_bucket.keys() == sorted(f"{root}/{path}" for path in _EXPECTED_OBJECTS)
    # The server still reads the bucket to list a run's artifacts over the REST API.
    listed = requests.get(
        f"{server.url}{API}/artifacts/list", params={"run_id": run["run_id"]}, timeout=30
    )
    assert listed.status_code == 200, listed.text
    assert [entry["path"] for entry in listed.json()["files"]] == [
        "model",
        "notes",
        "weights.bin",
    ]


def test_client_without_s3_credentials_gets_a_clear_error(
    server: ServerProcess, s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    result = _run_client(
        tmp_path, server, s3_bucket, _WRITER, str(tmp_path / "work"), credentials=False
    )
    assert result.returncode == 3, result.stderr
    error = _last_json(result)
    assert (error["error"], error["code"]) == ("PermissionDenied", "PERMISSION_DENIED")
    assert "S3 credentials" in error["message"]
    assert "AWS_ACCESS_KEY_ID" in error["message"]
    assert "Traceback" not in result.stderr
    assert s3_bucket.keys() == []
    # The run itself reached the server (and ended as failed, by the exception).
    experiment = requests.get(
        f"{server.url}{API}/experiments/get-by-name",
        params={"experiment_name": "direct-s3"},
        timeout=30,
    )
    assert experiment.status_code == 200, experiment.text
    runs = requests.post(
        f"{server.url}{API}/runs/search",
        json={"experiment_ids": [experiment.json()["experiment"]["experiment_id"]]},
        timeout=30,
    )
    assert [run["info"]["status"] for run in runs.json()["runs"]] == ["FAILED"]
