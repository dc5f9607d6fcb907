"""The fluent API against a real ``trackstone server`` process, as a remote training script."""

from __future__ import annotations

from pathlib import Path

import trackstone
from support.fluent_tracking import fluent_server  # noqa: F401  (fixture server)
from support.server_process import ServerProcess
from trackstone.client.fluent import get_client
from trackstone.entities import RunStatus


def test_a_training_script_against_a_server(server: ServerProcess, tmp_path: Path) -> None:
    trackstone.set_experiment("remote")
    with trackstone.start_run(run_name="remote-run") as run:
        trackstone.log_params({"lr": 0.1})
        for step in range(300):
            trackstone.log_metric("loss", 1.0 / (step + 1), step=step)
        trackstone.log_text("hello", "notes/readme.txt")
        trackstone.log_dict({"a": 1}, "config.json")
        with trackstone.start_run(nested=True) as child:
            trackstone.log_metric("inner", 1.0)
    stored = trackstone.get_run(run.info.run_id)
    assert stored.info.status is RunStatus.FINISHED
    assert (stored.info.run_name, stored.data.params) == ("remote-run", {"lr": "0.1"})
    assert stored.data.metrics == {"loss": 1.0 / 300}
    assert len(trackstone.get_metric_history(run.info.run_id, "loss")) == 300
    child_tags = trackstone.get_run(child.info.run_id).data.tags
    assert child_tags["mlflow.parentRunId"] == run.info.run_id
    client = get_client()
    assert [f.path for f in client.list_artifacts(run.info.run_id)] == ["config.json", "notes"]
    local = client.download_artifacts(run.info.run_id, "notes/readme.txt", tmp_path / "down")
    assert Path(local).read_text() == "hello"
    frame = trackstone.search_runs(filter_string="params.lr = '0.1'")
    assert frame["run_id"].tolist() == [run.info.run_id]
