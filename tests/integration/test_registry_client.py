"""The model registry through TrackstoneClient, the fluent API and models:/ URIs, on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import trackstone
from support.fluent_tracking import (
    fluent_server,  # noqa: F401  (fixture server)
    fluent_tracking,
)
from support.server_process import ServerProcess
from trackstone.artifacts import download_artifacts, list_artifacts, load_dict, load_text
from trackstone.artifacts.resolve import repository_for_uri
from trackstone.client.client import TrackstoneClient
from trackstone.client.fluent import get_client
from trackstone.entities.registry import ModelVersionStage
from trackstone.errors import AlreadyExists, InvalidParameter, NotFound
from trackstone.store.logged_models import logged_models_of

# What each trained "model" folder holds; the version number is written into weights.txt.
MODEL_FILES = ("MLmodel", "weights.txt", "data/config.json")


@pytest.fixture(params=["async", "sync"])
def client(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TrackstoneClient]:
    """The fluent API's client on a fresh data folder (both logging modes)."""
    data = tmp_path / "data"
    with fluent_tracking(data, tmp_path, monkeypatch, async_logging=request.param == "async"):
        yield get_client()


def _train(client: TrackstoneClient, label: str, experiment: str = "training") -> str:
    """Log a run with params, a metric and a model folder; return the run id."""
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else client.create_experiment(experiment)
    run_id = client.create_run(experiment_id, run_name=f"train-{label}").info.run_id
    client.log_param(run_id, "label", label)
    client.log_metric(run_id, "auc", 0.9, step=3)
    client.log_text(run_id, f"flavor: {label}\n", "model/MLmodel")
    client.log_text(run_id, label, "model/weights.txt")
    client.log_dict(run_id, {"label": label}, "model/data/config.json")
    client.set_terminated(run_id)
    return run_id


def _files(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): path.read_text()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# -- client methods ----------------------------------------------------------------------


def test_registered_model_lifecycle(client: TrackstoneClient) -> None:
    created = client.create_registered_model("churn", tags={"team": "growth", "n": 1})
    assert (created.name, dict(created.tags)) == ("churn", {"team": "growth", "n": "1"})
    with pytest.raises(AlreadyExists):
        client.create_registered_model("churn")

    client.update_registered_model("churn", description="predicts churn")
    unchanged = client.update_registered_model("churn")  # None leaves the description
    assert unchanged.description == "predicts churn"
    client.set_registered_model_tag("churn", "owner", "ana")
    client.delete_registered_model_tag("churn", "n")
    renamed = client.rename_registered_model("churn", "attrition")
    assert renamed.name == "attrition"
    model = client.get_registered_model("attrition")
    assert dict(model.tags) == {"team": "growth", "owner": "ana"}
    assert model.description == "predicts churn"
    with pytest.raises(NotFound):
        client.get_registered_model("churn")

    client.create_registered_model("other")
    names = [m.name for m in client.search_registered_models("name LIKE 'att%'")]
    assert names == ["attrition"]
    client.delete_registered_model("attrition")
    assert [m.name for m in client.search_registered_models()] == ["other"]


def test_versions_from_runs(client: TrackstoneClient) -> None:
    first, second = _train(client, "a"), _train(client, "b")
    client.create_registered_model("churn")
    v1 = client.create_model_version("churn", f"runs:/{first}/model", tags={"k": 1})
    v2 = client.create_model_version(
        "churn", f"RUNS:/{second}/model", description="second", await_creation_for=0
    )
    # The run id comes from the runs:/ source; tags are strings; numbers count from 1.
    assert (v1.version, v1.run_id, dict(v1.tags)) == ("1", first, {"k": "1"})
    assert (v2.version, v2.run_id, v2.description) == ("2", second, "second")
    assert client.get_model_version_download_uri("churn", 1).endswith(f"{first}/artifacts/model")
    # The store reads the scheme in any letter case.
    assert client.get_model_version_download_uri("churn", 2).endswith(f"{second}/artifacts/model")

    client.update_model_version("churn", "2", description="better")
    assert client.get_model_version("churn", 2).description == "better"
    client.set_model_version_tag("churn", "1", "checked", True)
    client.delete_model_version_tag("churn", 1, "k")
    assert dict(client.get_model_version("churn", 1).tags) == {"checked": "True"}
    found = client.search_model_versions(f"run_id = '{second}'")
    assert [(v.name, v.version) for v in found] == [("churn", "2")]

    client.delete_model_version("churn", "2")
    with pytest.raises(NotFound):
        client.get_model_version("churn", "2")
    assert client.create_model_version("churn", f"runs:/{second}/model").version == "3"


def test_stages_and_aliases(client: TrackstoneClient) -> None:
    run_id = _train(client, "a")
    client.create_registered_model("churn")
    for _ in range(3):
        client.create_model_version("churn", f"runs:/{run_id}/model")
    client.transition_model_version_stage("churn", "1", "production")
    moved = client.transition_model_version_stage(
        "churn", 2, "Production", archive_existing_versions=True
    )
    assert moved.current_stage is ModelVersionStage.PRODUCTION
    assert client.get_model_version("churn", 1).current_stage is ModelVersionStage.ARCHIVED
    latest = {v.current_stage.value: v.version for v in client.get_latest_versions("churn")}
    assert latest == {"Production": "2", "Archived": "1", "None": "3"}
    assert [v.version for v in client.get_latest_versions("churn", ["production"])] == ["2"]

    # A tag can name its version by stage (the newest in it).
    client.set_model_version_tag("churn", key="deployed", value="yes", stage="Production")
    assert client.get_model_version("churn", 2).tags["deployed"] == "yes"
    with pytest.raises(InvalidParameter, match="exactly one of version and stage"):
        client.set_model_version_tag("churn", "1", "k", "v", stage="Production")
    with pytest.raises(NotFound, match="no version in stage Staging"):
        client.delete_model_version_tag("churn", key="deployed", stage="staging")

    client.set_registered_model_alias("churn", "champion", "3")
    client.set_registered_model_alias("churn", "champion", 1)  # moves
    assert client.get_model_version_by_alias("churn", "champion").version == "1"
    client.delete_registered_model_alias("churn", "champion")
    with pytest.raises(InvalidParameter):  # MLflow's code for an unknown alias
        client.get_model_version_by_alias("churn", "champion")


def test_lineage_names_the_run_and_experiment(client: TrackstoneClient) -> None:
    run_id = _train(client, "a", experiment="lineage")
    client.create_registered_model("churn")
    client.create_model_version("churn", f"runs:/{run_id}/model")
    lineage = client.get_model_version_lineage("churn", "1")
    assert lineage.run is not None and lineage.experiment is not None
    assert lineage.run.info.run_id == run_id
    assert lineage.run.data.params == {"label": "a"}
    assert lineage.run.data.metrics == {"auc": 0.9}
    assert lineage.experiment.name == "lineage"


# -- models:/ URIs -----------------------------------------------------------------------


@pytest.fixture
def registry_of_three(client: TrackstoneClient) -> dict[str, str]:
    """Model churn with v1 (Archived), v2 (Production, @champion), v3 (Staging); run ids."""
    runs = {str(n): _train(client, f"v{n}") for n in (1, 2, 3)}
    client.create_registered_model("churn")
    for number in ("1", "2", "3"):
        client.create_model_version("churn", f"runs:/{runs[number]}/model")
    client.transition_model_version_stage("churn", "1", "Archived")
    client.transition_model_version_stage("churn", "2", "Production")
    client.transition_model_version_stage("churn", "3", "Staging")
    client.set_registered_model_alias("churn", "champion", "2")
    return runs


@pytest.mark.parametrize(
    ("uri", "label"),
    [
        ("models:/churn/1", "v1"),
        ("models:/churn/2", "v2"),
        ("models:/churn@champion", "v2"),
        ("models:/churn/Production", "v2"),
        ("models:/churn/production", "v2"),
        ("models:/churn/STAGING", "v3"),
        ("models:/churn/archived", "v1"),
        ("models:/churn/latest", "v3"),
    ],
)
def test_model_uris_download_the_version_they_name(
    registry_of_three: dict[str, str], tmp_path: Path, uri: str, label: str
) -> None:
    local = Path(download_artifacts(artifact_uri=uri, dst_path=str(tmp_path / "out")))
    assert local == tmp_path / "out"
    files = _files(local)
    assert sorted(files) == sorted(MODEL_FILES)
    assert files["weights.txt"] == label


@pytest.mark.parametrize(
    ("uri", "local_name", "content"),
    [
        ("models:/churn/2/weights.txt", "weights.txt", "v2"),
        ("models:/churn@champion/data/config.json", "data/config.json", None),
        ("models:/churn/latest/MLmodel", "MLmodel", "flavor: v3\n"),
    ],
)
def test_a_path_inside_a_model_uri(
    registry_of_three: dict[str, str],
    tmp_path: Path,
    uri: str,
    local_name: str,
    content: str | None,
) -> None:
    local = Path(download_artifacts(artifact_uri=uri, dst_path=str(tmp_path)))
    assert local == tmp_path / local_name
    if content is not None:
        assert local.read_text() == content


def test_list_and_load_read_model_uris(registry_of_three: dict[str, str]) -> None:
    listed = [(f.path, f.is_dir) for f in list_artifacts(artifact_uri="models:/churn@champion")]
    assert listed == [("MLmodel", False), ("data", True), ("weights.txt", False)]
    assert load_text("models:/churn/Production/weights.txt") == "v2"
    assert load_dict("models:/churn/1/data/config.json") == {"label": "v1"}


@pytest.mark.parametrize(
    ("uri", "error", "message"),
    [
        ("models:/nobody/1", NotFound, "nobody"),
        ("models:/churn/9", NotFound, "9"),
        ("models:/churn@nobody", InvalidParameter, "nobody"),
        ("models:/churn/None", NotFound, "has no version in stage None"),
        ("models:/churn/1/missing.txt", NotFound, "missing.txt"),
        ("models:/m-0123456789abcdef0123456789abcdef", NotFound, "m-0123456789abcdef"),
        ("models:/churn", InvalidParameter, "'models:/churn': names no version"),
        ("models:/churn/prod", InvalidParameter, "'models:/churn/prod'"),
        ("models://host/churn/1", InvalidParameter, "no host part"),
    ],
)
def test_bad_model_uris(
    registry_of_three: dict[str, str],
    tmp_path: Path,
    uri: str,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        download_artifacts(artifact_uri=uri, dst_path=str(tmp_path))


def test_a_version_still_reads_after_its_run_is_deleted(
    client: TrackstoneClient, registry_of_three: dict[str, str], tmp_path: Path
) -> None:
    client.delete_run(registry_of_three["2"])
    assert load_text("models:/churn@champion/weights.txt") == "v2"


def test_a_logged_model_uri(client: TrackstoneClient, tmp_path: Path) -> None:
    run_id = _train(client, "a")
    experiment_id = client.get_run(run_id).info.experiment_id
    model = logged_models_of(client.store).create_logged_model(
        experiment_id, name="net", source_run_id=run_id
    )
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "MLmodel").write_text("logged")
    repository_for_uri(model.artifact_location).log_artifact(scratch / "MLmodel")

    local = Path(download_artifacts(f"models:/{model.model_id}", dst_path=str(tmp_path / "out")))
    assert _files(local) == {"MLmodel": "logged"}

    version = trackstone.register_model(f"models:/{model.model_id}", "net")
    assert (version.model_id, version.run_id) == (model.model_id, run_id)
    assert load_text("models:/net/1/MLmodel") == "logged"


# -- fluent ------------------------------------------------------------------------------


def test_fluent_register_model(client: TrackstoneClient, tmp_path: Path) -> None:
    first, second = _train(client, "a"), _train(client, "b")
    v1 = trackstone.register_model(f"runs:/{first}/model", "churn", tags={"k": "v"})
    v2 = trackstone.register_model(f"runs:/{second}/model", "churn")
    assert (v1.name, v1.version, v1.run_id, dict(v1.tags)) == ("churn", "1", first, {"k": "v"})
    assert (v2.version, v2.run_id) == ("2", second)
    client.set_registered_model_alias("churn", "champion", "1")

    # Registering a version by alias pins the number it means now.
    copied = trackstone.register_model("models:/churn@champion", "churn-copy")
    assert (copied.source, copied.run_id) == ("models:/churn/1", first)
    client.set_registered_model_alias("churn", "champion", "2")
    assert load_text("models:/churn-copy/1/weights.txt") == "a"

    with pytest.raises(InvalidParameter, match="'models:/churn'"):
        trackstone.register_model("models:/churn", "x")
    with pytest.raises(NotFound):
        trackstone.register_model("runs:/0123456789abcdef0123456789abcdef/model", "x")


@pytest.mark.parametrize("scheme", ["RUNS", "Runs"])
def test_fluent_register_model_takes_the_scheme_in_any_case(
    client: TrackstoneClient, scheme: str
) -> None:
    run_id = _train(client, "a")

    version = trackstone.register_model(f"{scheme}:/{run_id}/model", "churn")

    assert (version.source, version.run_id) == (f"{scheme}:/{run_id}/model", run_id)
    assert load_text(f"models:/churn/{version.version}/weights.txt") == "a"


def test_fluent_searches_page_through_everything(client: TrackstoneClient) -> None:
    run_id = _train(client, "a")
    for name in ("a", "b", "c"):
        trackstone.register_model(f"runs:/{run_id}/model", name)
    trackstone.register_model(f"runs:/{run_id}/model", "b")
    assert [m.name for m in trackstone.search_registered_models()] == ["a", "b", "c"]
    assert [m.name for m in trackstone.search_registered_models(max_results=2)] == ["a", "b"]
    found = trackstone.search_registered_models(filter_string="name != 'b'", order_by=["name DESC"])
    assert [m.name for m in found] == ["c", "a"]
    versions = trackstone.search_model_versions(filter_string="name = 'b'")
    assert [v.version for v in versions] == ["2", "1"]
    assert len(trackstone.search_model_versions()) == 4
    assert len(trackstone.search_model_versions(max_results=3)) == 3


# -- against a server --------------------------------------------------------------------


def test_the_registry_through_a_server(server: ServerProcess, tmp_path: Path) -> None:
    client = get_client()
    run_id = _train(client, "remote")
    version = trackstone.register_model(f"runs:/{run_id}/model", "churn", tags={"k": "v"})
    client.set_registered_model_alias("churn", "champion", version.version)
    client.transition_model_version_stage("churn", version.version, "staging")

    local = download_artifacts("models:/churn@champion", dst_path=str(tmp_path / "out"))
    assert _files(Path(local))["weights.txt"] == "remote"
    assert load_text("models:/churn/Staging/weights.txt") == "remote"
    lineage = client.get_model_version_lineage("churn", "1")
    assert lineage.run is not None and lineage.run.data.params == {"label": "remote"}
    found = trackstone.search_model_versions(filter_string="name = 'churn'")
    assert [(v.version, v.run_id, dict(v.tags)) for v in found] == [("1", run_id, {"k": "v"})]
    with pytest.raises(InvalidParameter):
        download_artifacts("models:/churn@nobody", dst_path=str(tmp_path / "none"))
