"""Experiments through MlflowClient: create, read, search, rename, tags, delete, restore, errors."""

from __future__ import annotations

from mlflow import MlflowClient
from mlflow.entities import ViewType
from outcome import emit, error_code_of

client = MlflowClient()
first = client.create_experiment("exp-alpha", tags={"team": "vision"})
second = client.create_experiment("exp-beta")
client.create_experiment("other-gamma")

results: dict[str, object] = {}
experiment = client.get_experiment(first)
results["get.name"] = experiment.name
results["get.tags"] = experiment.tags
results["get.lifecycle_stage"] = experiment.lifecycle_stage
results["get_by_name.id_matches"] = (
    client.get_experiment_by_name("exp-alpha").experiment_id == first
)
results["get_by_name.missing"] = client.get_experiment_by_name("no-such-experiment")

found = client.search_experiments(filter_string="name LIKE 'exp-%'", order_by=["name DESC"])
results["search.like_names"] = [e.name for e in found]
page = client.search_experiments(max_results=2, order_by=["name ASC"])
rest = client.search_experiments(max_results=2, order_by=["name ASC"], page_token=page.token)
results["search.pages"] = [[e.name for e in page], [e.name for e in rest]]
results["search.tag_filter"] = [
    e.name for e in client.search_experiments(filter_string="tags.team = 'vision'")
]

client.rename_experiment(second, "exp-beta-renamed")
results["rename.name"] = client.get_experiment(second).name
client.set_experiment_tag(second, "stage", "dev")
client.set_experiment_tag(second, "stage", "prod")
results["set_tag.overwritten"] = client.get_experiment(second).tags.get("stage")
client.delete_experiment_tag(second, "stage")
results["delete_tag.gone"] = "stage" not in client.get_experiment(second).tags

client.delete_experiment(second)
results["delete.lifecycle_stage"] = client.get_experiment(second).lifecycle_stage
results["delete.hidden_from_active"] = second not in [
    e.experiment_id for e in client.search_experiments(view_type=ViewType.ACTIVE_ONLY)
]
results["delete.listed_as_deleted"] = [
    e.name for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)
]
client.restore_experiment(second)
results["restore.lifecycle_stage"] = client.get_experiment(second).lifecycle_stage

results["error.get_missing"] = error_code_of(lambda: client.get_experiment("987654"))
results["error.duplicate_name"] = error_code_of(lambda: client.create_experiment("exp-alpha"))
results["error.rename_to_taken"] = error_code_of(
    lambda: client.rename_experiment(second, "exp-alpha")
)
results["error.bad_filter"] = error_code_of(
    lambda: client.search_experiments(filter_string="name === 'x'")
)
results["error.delete_missing"] = error_code_of(lambda: client.delete_experiment("987654"))
emit(results)
