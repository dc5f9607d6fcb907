"""Runs through the fluent API and MlflowClient: logging, search, history, lifecycle, nesting."""

from __future__ import annotations

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType
from outcome import emit

client = MlflowClient()
experiment_id = mlflow.set_experiment("runs-script").experiment_id
results: dict[str, object] = {}

with mlflow.start_run(run_name="parent") as parent:
    mlflow.log_param("lr", 0.1)
    mlflow.log_params({"layers": 3, "optimizer": "adam"})
    for step in range(5):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    mlflow.log_metrics({"acc": 0.9, "f1": 0.8})
    mlflow.set_tag("owner", "alice")
    mlflow.set_tags({"phase": "train", "temp": "x"})
    mlflow.delete_tag("temp")
    with mlflow.start_run(run_name="child-a", nested=True) as child_a:
        mlflow.log_metric("acc", 0.5)
    with mlflow.start_run(run_name="child-b", nested=True) as child_b:
        mlflow.log_metric("acc", 0.7)
parent_id = parent.info.run_id

run = client.get_run(parent_id)
results["parent.params"] = run.data.params
results["parent.metrics"] = run.data.metrics
results["parent.tags.owner"] = run.data.tags.get("owner")
results["parent.tags.deleted_absent"] = "temp" not in run.data.tags
results["parent.status"] = run.info.status
results["parent.run_name"] = run.info.run_name
results["parent.has_end_time"] = run.info.end_time is not None
child = client.get_run(child_a.info.run_id)
results["child.parent_tag_matches"] = child.data.tags.get("mlflow.parentRunId") == parent_id
results["children.by_parent_filter"] = sorted(
    r.info.run_name
    for r in client.search_runs(
        [experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent_id}'"
    )
)

history = client.get_metric_history(parent_id, "loss")
results["history.steps"] = [m.step for m in history]
results["history.values"] = [m.value for m in history]

batch_run = client.create_run(experiment_id, run_name="batched", tags={"kind": "batch"})
batch_id = batch_run.info.run_id
client.log_batch(
    batch_id,
    metrics=[Metric("m", float(i), 1_700_000_000_000 + i, i) for i in range(250)],
    params=[Param(f"p{i}", str(i)) for i in range(20)],
    tags=[RunTag("source", "log_batch")],
)
batched = client.get_run(batch_id)
results["batch.param_count"] = len(batched.data.params)
results["batch.latest_m"] = batched.data.metrics["m"]
results["batch.history_len"] = len(client.get_metric_history(batch_id, "m"))
results["batch.tags"] = {k: v for k, v in batched.data.tags.items() if not k.startswith("mlflow.")}
client.set_terminated(batch_id, status="FAILED")
terminated = client.get_run(batch_id)
results["set_terminated.status"] = terminated.info.status
results["set_terminated.has_end_time"] = terminated.info.end_time is not None

for index, score in enumerate([0.3, 0.9, 0.6, 0.1]):
    with mlflow.start_run(run_name=f"sweep-{index}"):
        mlflow.log_metric("score", score)
        mlflow.log_param("index", index)
        mlflow.set_tag("group", "sweep")

sweep = client.search_runs(
    [experiment_id], filter_string="tags.group = 'sweep'", order_by=["metrics.score DESC"]
)
results["search.order_by_metric_desc"] = [r.data.metrics["score"] for r in sweep]
good = client.search_runs(
    [experiment_id], filter_string="metrics.score > 0.5 and params.index != '2'"
)
results["search.metric_and_param_filter"] = sorted(r.info.run_name for r in good)
results["search.attribute_filter"] = [
    r.info.run_name
    for r in client.search_runs([experiment_id], filter_string="attributes.run_name = 'batched'")
]
results["search.status_filter"] = [
    r.info.run_name for r in client.search_runs([experiment_id], filter_string="status = 'FAILED'")
]
seen: list[str] = []
token = None
pages = 0
while True:
    page = client.search_runs(
        [experiment_id], order_by=["attributes.run_name ASC"], max_results=3, page_token=token
    )
    pages += 1
    seen.extend(r.info.run_name for r in page)
    token = page.token
    if not token:
        break
results["search.paged_names"] = seen
results["search.page_count"] = pages
frame = mlflow.search_runs([experiment_id], filter_string="tags.group = 'sweep'")
results["fluent.search_runs_rows"] = len(frame)
results["fluent.search_runs_has_metric_column"] = "metrics.score" in frame.columns

client.delete_run(batch_id)
results["delete.lifecycle_stage"] = client.get_run(batch_id).info.lifecycle_stage
results["delete.hidden"] = batch_id not in [
    r.info.run_id for r in client.search_runs([experiment_id])
]
results["delete.deleted_only"] = [
    r.info.run_name
    for r in client.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)
]
client.restore_run(batch_id)
results["restore.lifecycle_stage"] = client.get_run(batch_id).info.lifecycle_stage
client.update_run(batch_id, name="renamed")
results["update_run.name"] = client.get_run(batch_id).info.run_name

# Values over the limits are cut to them, not refused (MLflow's default).
with mlflow.start_run(run_name="long-values") as long_run:
    mlflow.log_param("long", "p" * 6005)
    mlflow.set_tag("long", "t" * 8005)
long_data = client.get_run(long_run.info.run_id).data
results["long.param_length"] = len(long_data.params["long"])
results["long.tag_length"] = len(long_data.tags["long"])
emit(results)
