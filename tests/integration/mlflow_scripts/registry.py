"""``MlflowClient``'s model registry calls: models, versions, tags, aliases, stages, search."""

from __future__ import annotations

import mlflow
from mlflow import MlflowClient
from outcome import emit, error_code_of

client = MlflowClient()
results: dict[str, object] = {}

mlflow.set_experiment("registry-script")
with mlflow.start_run() as run:
    mlflow.log_text("weights", "model/weights.txt")
run_id = run.info.run_id

# -- registered models -------------------------------------------------------------------
created = client.create_registered_model("churn", tags={"team": "growth"}, description="first")
results["create.name"] = created.name
results["create.tags"] = created.tags
results["create.description"] = created.description
results["create.has_timestamps"] = created.creation_timestamp > 0 and (
    created.last_updated_timestamp >= created.creation_timestamp
)
results["error.create_duplicate"] = error_code_of(lambda: client.create_registered_model("churn"))
results["error.get_missing"] = error_code_of(lambda: client.get_registered_model("nope"))

updated = client.update_registered_model("churn", description="second")
results["update.description"] = updated.description
results["update.get_description"] = client.get_registered_model("churn").description

client.set_registered_model_tag("churn", "owner", "alice")
client.set_registered_model_tag("churn", "team", "retention")
client.delete_registered_model_tag("churn", "owner")
results["tags.after_set_and_delete"] = client.get_registered_model("churn").tags
# Deleting a tag the model lacks succeeds (MLflow); the model itself has to exist.
results["tags.delete_missing"] = error_code_of(
    lambda: client.delete_registered_model_tag("churn", "owner")
)
results["tags.delete_on_missing_model"] = error_code_of(
    lambda: client.delete_registered_model_tag("nope", "owner")
)

client.create_registered_model("scratch")
client.rename_registered_model("scratch", "scratch-renamed")
results["rename.name"] = client.get_registered_model("scratch-renamed").name
results["rename.old_missing"] = error_code_of(lambda: client.get_registered_model("scratch"))
results["error.rename_to_taken"] = error_code_of(
    lambda: client.rename_registered_model("scratch-renamed", "churn")
)
client.delete_registered_model("scratch-renamed")
results["delete.missing_after"] = error_code_of(
    lambda: client.get_registered_model("scratch-renamed")
)
results["error.delete_missing"] = error_code_of(lambda: client.delete_registered_model("nope"))

# -- versions ----------------------------------------------------------------------------
source = f"runs:/{run_id}/model"
first = client.create_model_version("churn", source, run_id=run_id, tags={"kind": "baseline"})
second = client.create_model_version("churn", source, run_id=run_id, description="v2")
third = client.create_model_version("churn", source, run_id=run_id)
results["versions.numbers"] = [first.version, second.version, third.version]
results["versions.status"] = str(first.status)
results["versions.run_id_matches"] = first.run_id == run_id
results["versions.source"] = first.source == source
results["versions.tags"] = first.tags
results["versions.stage"] = first.current_stage
results["error.version_of_missing_model"] = error_code_of(
    lambda: client.create_model_version("nope", source, run_id=run_id)
)
results["error.get_missing_version"] = error_code_of(lambda: client.get_model_version("churn", 9))

results["update_version.description"] = client.update_model_version(
    "churn", "2", description="v2 tuned"
).description
client.set_model_version_tag("churn", "2", "validated", "yes")
client.set_model_version_tag("churn", "2", "scratch", "x")
client.delete_model_version_tag("churn", "2", "scratch")
results["version_tags.delete_missing"] = error_code_of(
    lambda: client.delete_model_version_tag("churn", "2", "scratch")
)
results["version_tags.delete_on_missing_version"] = error_code_of(
    lambda: client.delete_model_version_tag("churn", "9", "scratch")
)
results["version_tags.after"] = client.get_model_version("churn", "2").tags

download_uri = client.get_model_version_download_uri("churn", "1")
results["download_uri.under_run"] = download_uri.endswith(f"{run_id}/artifacts/model")

# -- aliases -----------------------------------------------------------------------------
client.set_registered_model_alias("churn", "champion", "1")
client.set_registered_model_alias("churn", "champion", "2")
client.set_registered_model_alias("churn", "challenger", "3")
by_alias = client.get_model_version_by_alias("churn", "champion")
results["alias.moves_to"] = by_alias.version
results["alias.on_version"] = list(by_alias.aliases)
results["alias.on_model"] = client.get_registered_model("churn").aliases
client.delete_registered_model_alias("churn", "challenger")
results["alias.deleted"] = error_code_of(
    lambda: client.get_model_version_by_alias("churn", "challenger")
)
results["alias.delete_missing"] = error_code_of(
    lambda: client.delete_registered_model_alias("churn", "challenger")
)
results["alias.delete_on_missing_model"] = error_code_of(
    lambda: client.delete_registered_model_alias("nope", "challenger")
)
results["alias.latest"] = client.get_model_version_by_alias("churn", "latest").version

# -- stages ------------------------------------------------------------------------------
client.transition_model_version_stage("churn", "1", "Production")
client.transition_model_version_stage("churn", "2", "Staging")
moved = client.transition_model_version_stage(
    "churn", "3", "Production", archive_existing_versions=True
)
results["stage.moved"] = moved.current_stage
results["stage.all"] = [
    client.get_model_version("churn", number).current_stage for number in ("1", "2", "3")
]
results["latest.production"] = [
    v.version for v in client.get_latest_versions("churn", stages=["Production"])
]
results["latest.all"] = sorted(
    (v.current_stage, v.version) for v in client.get_latest_versions("churn")
)
results["latest.on_model"] = sorted(
    (v.current_stage, v.version) for v in client.get_registered_model("churn").latest_versions
)
results["error.bad_stage"] = error_code_of(
    lambda: client.transition_model_version_stage("churn", "1", "Shipped")
)

# -- search ------------------------------------------------------------------------------
for name in ("fraud-a", "fraud-b", "fraud-c"):
    client.create_registered_model(name, tags={"domain": "fraud"})
results["search_models.like"] = [
    m.name for m in client.search_registered_models(filter_string="name LIKE 'fraud-%'")
]
results["search_models.tag"] = sorted(
    m.name for m in client.search_registered_models(filter_string="tags.domain = 'fraud'")
)
pages: list[list[str]] = []
token = None
while True:
    page = client.search_registered_models(max_results=2, order_by=["name DESC"], page_token=token)
    pages.append([m.name for m in page])
    token = page.token
    if not token:
        break
results["search_models.pages"] = pages
results["search_models.max_results_0"] = list(client.search_registered_models(max_results=0))
results["error.versions_max_results_0"] = error_code_of(
    lambda: client.search_model_versions(max_results=0)
)
results["search_versions.by_name"] = [
    v.version
    for v in client.search_model_versions("name = 'churn'", order_by=["version_number DESC"])
]
# The default order is MLflow's: last updated first. Version 1 is described again until the
# server's clock has moved past version 3's creation, so the expected order holds on any clock.
client.create_registered_model("ordering")
ordering = [client.create_model_version("ordering", "s3://bucket/ordering") for _ in range(3)]
for _ in range(10_000):
    touched = client.update_model_version("ordering", "1", description="touched")
    if touched.last_updated_timestamp > ordering[2].last_updated_timestamp:
        break
results["search_versions.default_order"] = [
    v.version for v in client.search_model_versions("name = 'ordering'")
]
default_pages = []
token = None
while True:
    page = client.search_model_versions("name = 'ordering'", max_results=1, page_token=token)
    default_pages += [v.version for v in page]
    token = page.token
    if not token:
        break
results["search_versions.default_order_pages"] = default_pages
results["search_versions.by_run"] = len(client.search_model_versions(f"run_id = '{run_id}'"))
results["search_versions.by_tag"] = [
    v.version for v in client.search_model_versions("name = 'churn' AND tags.validated = 'yes'")
]
version_pages = []
token = None
while True:
    page = client.search_model_versions(
        "name = 'churn'", max_results=2, order_by=["version_number ASC"], page_token=token
    )
    version_pages.append([v.version for v in page])
    token = page.token
    if not token:
        break
results["search_versions.pages"] = version_pages
results["error.bad_filter"] = error_code_of(
    lambda: client.search_registered_models(filter_string="name ~ 'x'")
)
results["error.max_results_too_big"] = error_code_of(
    lambda: client.search_registered_models(max_results=5000)
)

# -- deletes -----------------------------------------------------------------------------
client.delete_model_version("churn", "1")
results["delete_version.missing_after"] = error_code_of(
    lambda: client.get_model_version("churn", "1")
)
results["delete_version.next_number"] = client.create_model_version(
    "churn", source, run_id=run_id
).version
client.delete_registered_model("churn")
results["delete_model.versions_gone"] = len(client.search_model_versions("name = 'churn'"))

emit(results)
