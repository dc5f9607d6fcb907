"""Scripts written for MLflow that use its modules beside the fluent functions.

``mlflow.artifacts``, ``mlflow.entities``, ``mlflow.exceptions`` and ``MLFLOW_RUN_ID`` work
with ``import trackstone as mlflow`` (imports ``from mlflow.x`` become ``from trackstone.x``).
Each script runs in its own interpreter on an embedded SQLite store under tmp_path; the
artifact functions also run against a real server (its ``mlflow-artifacts`` proxy).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import trackstone
from support.fluent_tracking import fluent_server  # noqa: F401  (fixture server)
from support.server_process import ServerProcess
from trackstone.artifacts import download_artifacts, list_artifacts, load_dict, load_text
from trackstone.client.client import TrackstoneClient
from trackstone.config import Settings
from trackstone.entities import RunStatus

ARTIFACTS_SCRIPT = """
import json
import os

import trackstone as mlflow
from trackstone.entities import Metric, RunStatus, ViewType
from trackstone.exceptions import MlflowException
from trackstone.tracking import MlflowClient

mlflow.set_experiment("names")
with mlflow.start_run() as run:
    mlflow.log_param("lr", 0.1)
    mlflow.log_text("hello", "dir/notes.txt")
    mlflow.log_dict({"a": 1, "b": [1, 2]}, "dir/config.json")
    mlflow.log_dict({"depth": 4}, "model.yaml")
run_id = run.info.run_id

local = mlflow.artifacts.download_artifacts(f"runs:/{run_id}/dir")
into = mlflow.artifacts.download_artifacts(
    run_id=run_id, artifact_path="dir/notes.txt", dst_path="downloads"
)
client = MlflowClient()
client.log_batch(run_id, metrics=[Metric("extra", 2.0, 1_700_000_000_000, 3)])
found = client.search_runs([run.info.experiment_id], run_view_type=ViewType.ACTIVE_ONLY)
try:
    client.get_run("0" * 32)
    code = None
except MlflowException as error:
    code = error.error_code
try:
    mlflow.artifacts.load_text(f"runs:/{run_id}/dir/missing.txt")
    missing = None
except mlflow.exceptions.MlflowException as error:
    missing = error.error_code

print(json.dumps({
    "downloaded": sorted(os.listdir(local)),
    "downloaded_name": os.path.basename(local),
    "into": os.path.relpath(into),
    "into_text": open(into).read(),
    "text": mlflow.artifacts.load_text(f"runs:/{run_id}/dir/notes.txt"),
    "dict": mlflow.artifacts.load_dict(f"runs:/{run_id}/dir/config.json"),
    "yaml": mlflow.artifacts.load_dict(f"runs:/{run_id}/model.yaml"),
    "listed": [
        [f.path, f.is_dir] for f in mlflow.artifacts.list_artifacts(f"runs:/{run_id}")
    ],
    "found": [r.info.run_id == run_id for r in found],
    "finished": client.get_run(run_id).info.status == RunStatus.to_string(RunStatus.FINISHED),
    "terminated": RunStatus.is_terminated(client.get_run(run_id).info.status),
    "extra": client.get_run(run_id).data.metrics["extra"],
    "not_found_code": code,
    "missing_code": missing,
}))
"""

RESUME_SCRIPT = """
import json

import trackstone as mlflow

with mlflow.start_run() as first:
    mlflow.log_metric("resumed", 1.0)
with mlflow.start_run() as second:
    mlflow.log_metric("fresh", 2.0)
print(json.dumps({"first": first.info.run_id, "second": second.info.run_id}))
"""


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TRACKSTONE_", "MLFLOW_"))
    }
    env["TRACKSTONE_DATA_DIR"] = str(tmp_path / "data")
    env["TRACKSTONE_SPOOL_DIR"] = str(tmp_path / "spool")
    env.update(extra)
    return env


def _run_script(tmp_path: Path, source: str, env: dict[str, str]) -> dict[str, Any]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def artifacts_result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What ARTIFACTS_SCRIPT printed, run once for the table below."""
    tmp_path = tmp_path_factory.mktemp("mlflow-names")
    return _run_script(tmp_path, ARTIFACTS_SCRIPT, _environment(tmp_path))


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("downloaded", ["config.json", "notes.txt"]),
        ("downloaded_name", "dir"),
        ("into", os.path.join("downloads", "dir", "notes.txt")),
        ("into_text", "hello"),
        ("text", "hello"),
        ("dict", {"a": 1, "b": [1, 2]}),
        ("yaml", {"depth": 4}),
        ("listed", [["dir", True], ["model.yaml", False]]),
        ("found", [True]),
        ("finished", True),
        ("terminated", True),
        ("extra", 2.0),
        ("not_found_code", "RESOURCE_DOES_NOT_EXIST"),
        ("missing_code", "RESOURCE_DOES_NOT_EXIST"),
    ],
)
def test_an_mlflow_script_using_artifacts_entities_and_exceptions(
    artifacts_result: dict[str, Any], key: str, expected: Any
) -> None:
    assert artifacts_result[key] == expected


def _client(tmp_path: Path) -> TrackstoneClient:
    settings = Settings(data_dir=tmp_path / "data", spool_dir=tmp_path / "spool")
    return TrackstoneClient(settings=settings)


@pytest.mark.parametrize("variable", ["MLFLOW_RUN_ID", "TRACKSTONE_RUN_ID"])
def test_the_first_start_run_resumes_the_run_of_the_environment(
    tmp_path: Path, variable: str
) -> None:
    client = _client(tmp_path)
    try:
        launched = client.create_run("0", run_name="launched")
        run_id = launched.info.run_id
        client.set_terminated(run_id, RunStatus.FAILED)
        result = _run_script(tmp_path, RESUME_SCRIPT, _environment(tmp_path, **{variable: run_id}))
        assert result["first"] == run_id
        assert result["second"] != run_id
        resumed = client.get_run(run_id)
        assert resumed.info.status is RunStatus.FINISHED
        assert resumed.info.run_name == "launched"
        assert resumed.data.metrics == {"resumed": 1.0}
        assert client.get_run(result["second"]).data.metrics == {"fresh": 2.0}
    finally:
        client.close()


def test_artifact_functions_through_a_server(server: ServerProcess, tmp_path: Path) -> None:
    with trackstone.start_run() as run:
        trackstone.log_text("hello", "dir/notes.txt")
        trackstone.log_dict({"a": 1}, "dir/config.json")
    run_id = run.info.run_id
    artifact_uri = run.info.artifact_uri
    assert artifact_uri.startswith("mlflow-artifacts:/")  # served by the server's proxy
    local = download_artifacts(f"runs:/{run_id}/dir", dst_path=str(tmp_path / "one"))
    assert sorted(os.listdir(local)) == ["config.json", "notes.txt"]
    direct = download_artifacts(f"{artifact_uri}/dir", dst_path=str(tmp_path / "two"))
    assert Path(direct) == tmp_path / "two" / "dir"
    assert (Path(direct) / "notes.txt").read_text() == "hello"
    listed = [info.path for info in list_artifacts(f"{artifact_uri}/dir")]
    assert listed == ["dir/config.json", "dir/notes.txt"]
    assert load_text(f"runs:/{run_id}/dir/notes.txt") == "hello"
    assert load_dict(f"{artifact_uri}/dir/config.json") == {"a": 1}
