"""The error codes the mlflow client sees for the main failure cases."""

from __future__ import annotations

import mlflow
from mlflow import MlflowClient
from outcome import emit, error_code_of

client = MlflowClient()
experiment_id = client.create_experiment("errors-script")
run_id = client.create_run(experiment_id).info.run_id
client.log_param(run_id, "lr", "0.1")
deleted_id = client.create_run(experiment_id).info.run_id
client.delete_run(deleted_id)
missing_run = "0" * 32


def _set_deleted_experiment() -> None:
    gone = client.create_experiment("errors-deleted")
    client.delete_experiment(gone)
    mlflow.set_experiment(experiment_id=gone)


results = {
    "get_run.missing": error_code_of(lambda: client.get_run(missing_run)),
    "log_metric.missing_run": error_code_of(lambda: client.log_metric(missing_run, "m", 1.0)),
    "log_param.changed_value": error_code_of(lambda: client.log_param(run_id, "lr", "0.2")),
    "log_param.same_value": error_code_of(lambda: client.log_param(run_id, "lr", "0.1")),
    "log_metric.deleted_run": error_code_of(lambda: client.log_metric(deleted_id, "m", 1.0)),
    "set_tag.bad_key": error_code_of(lambda: client.set_tag(run_id, "bad//key", "v")),
    "create_run.missing_experiment": error_code_of(lambda: client.create_run("987654")),
    "create_experiment.duplicate": error_code_of(lambda: client.create_experiment("errors-script")),
    "search_runs.bad_filter": error_code_of(
        lambda: client.search_runs([experiment_id], filter_string="metrics.loss >>> 1")
    ),
    "search_runs.bad_order_by": error_code_of(
        lambda: client.search_runs([experiment_id], order_by=["nonsense.key DESC"])
    ),
    "delete_tag.missing_tag": error_code_of(lambda: client.delete_tag(run_id, "no-such-tag")),
    "get_metric_history.missing_run": error_code_of(
        lambda: client.get_metric_history(missing_run, "loss")
    ),
}


results["set_experiment.deleted"] = error_code_of(_set_deleted_experiment)
emit(results)
