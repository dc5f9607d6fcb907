"""Model registry and monitoring endpoints on the wire: methods, body/query forms, JSON, errors."""

from __future__ import annotations

from typing import Any

import pytest

from support.asgi_client import TestClient
from trackstone.store.registry import (
    PRODUCTION_METRICS_MAX_RESULTS_DEFAULT,
    PRODUCTION_METRICS_MAX_RESULTS_LIMIT,
    PRODUCTION_METRICS_PER_CALL,
)

MLFLOW = "/api/2.0/mlflow"
TRACKSTONE = "/api/2.0/trackstone/model-versions"
NOW_MS = 1_800_000_000_000


def call(
    client: TestClient,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    status: int = 200,
) -> dict[str, Any]:
    response = client.request(method, path, json=body, params=params)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def new_run(client: TestClient, metrics: dict[str, float] | None = None) -> str:
    run = call(client, "POST", f"{MLFLOW}/runs/create", {"experiment_id": "0"})["run"]
    run_id: str = run["info"]["run_id"]
    call(
        client,
        "POST",
        f"{MLFLOW}/runs/log-batch",
        {
            "run_id": run_id,
            "params": [{"key": "C", "value": "0.5"}],
            "metrics": [
                {"key": key, "value": value, "timestamp": 1, "step": 0}
                for key, value in (metrics or {}).items()
            ],
        },
    )
    return run_id


def registered(client: TestClient, name: str = "churn", versions: int = 1) -> str:
    """Create a model with ``versions`` versions from one run; return the run id."""
    run_id = new_run(client, {"accuracy": 0.9, "latency_ms": 20.0})
    call(client, "POST", f"{MLFLOW}/registered-models/create", {"name": name})
    for _ in range(versions):
        call(
            client,
            "POST",
            f"{MLFLOW}/model-versions/create",
            {"name": name, "source": f"runs:/{run_id}/model", "run_id": run_id},
        )
    return run_id


def test_create_and_get_answer_mlflow_shapes(client: TestClient) -> None:
    created = call(
        client,
        "POST",
        f"{MLFLOW}/registered-models/create",
        {"name": "churn", "tags": [{"key": "team", "value": "growth"}], "description": "d"},
    )["registered_model"]
    assert {key: created[key] for key in ("name", "tags", "description")} == {
        "name": "churn",
        "tags": [{"key": "team", "value": "growth"}],
        "description": "d",
    }
    assert isinstance(created["creation_timestamp"], int)
    run_id = new_run(client)
    version = call(
        client,
        "POST",
        f"{MLFLOW}/model-versions/create",
        {"name": "churn", "source": f"runs:/{run_id}/model", "run_id": run_id},
    )["model_version"]
    assert {key: version[key] for key in ("name", "version", "current_stage", "status")} == {
        "name": "churn",
        "version": "1",
        "current_stage": "None",
        "status": "READY",
    }
    model = call(client, "GET", f"{MLFLOW}/registered-models/get", params={"name": "churn"})
    assert [item["version"] for item in model["registered_model"]["latest_versions"]] == ["1"]


@pytest.mark.parametrize(
    ("method", "body", "params"),
    [
        ("GET", None, {"name": "churn", "version": "2"}),
        ("GET", None, {"name": "churn", "version": 2}),
    ],
)
def test_get_version_by_query_string(
    client: TestClient, method: str, body: Any, params: dict[str, Any]
) -> None:
    registered(client, versions=2)
    version = call(client, method, f"{MLFLOW}/model-versions/get", body, params)
    assert version["model_version"]["version"] == "2"


@pytest.mark.parametrize("version", ["2", 2])
def test_a_version_may_be_a_number_in_a_json_body(client: TestClient, version: object) -> None:
    registered(client, versions=2)
    call(
        client,
        "POST",
        f"{MLFLOW}/registered-models/alias",
        {"name": "churn", "alias": "champion", "version": version},
    )
    found = call(
        client,
        "GET",
        f"{MLFLOW}/registered-models/alias",
        params={"name": "churn", "alias": "champion"},
    )
    assert (found["model_version"]["version"], found["model_version"]["aliases"]) == (
        "2",
        ["champion"],
    )


@pytest.mark.parametrize("form", ["json", "query"])
def test_deletes_take_a_json_body_or_a_query_string(client: TestClient, form: str) -> None:
    registered(client)
    call(
        client,
        "POST",
        f"{MLFLOW}/registered-models/set-tag",
        {"name": "churn", "key": "k", "value": "v"},
    )
    fields = {"name": "churn", "key": "k"}
    body, params = (fields, None) if form == "json" else (None, fields)
    call(client, "DELETE", f"{MLFLOW}/registered-models/delete-tag", body, params)
    model = call(client, "GET", f"{MLFLOW}/registered-models/get", params={"name": "churn"})
    assert "tags" not in model["registered_model"]


def test_patch_updates_take_a_json_body(client: TestClient) -> None:
    registered(client)
    updated = call(
        client,
        "PATCH",
        f"{MLFLOW}/model-versions/update",
        {"name": "churn", "version": "1", "description": "tuned"},
    )
    assert updated["model_version"]["description"] == "tuned"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_get_latest_versions_answers_both_methods(client: TestClient, method: str) -> None:
    registered(client, versions=2)
    call(
        client,
        "POST",
        f"{MLFLOW}/model-versions/transition-stage",
        {"name": "churn", "version": "1", "stage": "production"},
    )
    fields = {"name": "churn", "stages": ["Production"]}
    body, params = (None, fields) if method == "GET" else (fields, None)
    latest = call(client, method, f"{MLFLOW}/registered-models/get-latest-versions", body, params)
    assert [(v["version"], v["current_stage"]) for v in latest["model_versions"]] == [
        ("1", "Production")
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [({"max_results": 0}, []), ({"max_results": -5}, []), ({}, ["churn"])],
)
def test_an_empty_model_page_is_answered_not_refused(
    client: TestClient, params: dict[str, Any], expected: list[str]
) -> None:
    # MLflow's server answers max_results=0 (or less) on this search with an empty list.
    registered(client)
    page = call(client, "GET", f"{MLFLOW}/registered-models/search", params=params)
    assert [model["name"] for model in page.get("registered_models", [])] == expected


@pytest.mark.parametrize(
    ("path", "params", "status", "code", "message"),
    [
        ("/registered-models/search", {"max_results": 1001}, 400, "INVALID_PARAMETER_VALUE",
         "max_results"),
        ("/model-versions/search", {"max_results": 200_001}, 400, "INVALID_PARAMETER_VALUE",
         "max_results"),
        ("/registered-models/get", {}, 400, "INVALID_PARAMETER_VALUE", "name"),
        ("/registered-models/get", {"name": "nope"}, 404, "RESOURCE_DOES_NOT_EXIST", "nope"),
        ("/model-versions/get", {"name": "churn", "version": "9"}, 404,
         "RESOURCE_DOES_NOT_EXIST", "9"),
        ("/model-versions/get", {"name": "churn", "version": "x"}, 400,
         "INVALID_PARAMETER_VALUE", "version"),
        ("/registered-models/alias", {"name": "churn", "alias": "nobody"}, 400,
         "INVALID_PARAMETER_VALUE", "nobody"),
        ("/registered-models/alias", {"name": "nope", "alias": "nobody"}, 404,
         "RESOURCE_DOES_NOT_EXIST", "nope"),
    ],
)  # fmt: skip
def test_bad_reads_answer_the_mlflow_error(
    client: TestClient,
    path: str,
    params: dict[str, Any],
    status: int,
    code: str,
    message: str,
) -> None:
    registered(client)
    error = call(client, "GET", MLFLOW + path, params=params, status=status)
    assert error["error_code"] == code
    assert message in error["message"]


def test_creating_a_taken_name_answers_already_exists(client: TestClient) -> None:
    registered(client)
    response = client.post(f"{MLFLOW}/registered-models/create", json={"name": "churn"})
    assert response.status_code in (400, 409)
    assert response.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"


def test_download_uri_points_under_the_run(client: TestClient) -> None:
    run_id = registered(client)
    uri = call(
        client,
        "GET",
        f"{MLFLOW}/model-versions/get-download-uri",
        params={"name": "churn", "version": "1"},
    )["artifact_uri"]
    assert uri.endswith(f"/{run_id}/artifacts/model")


# -- Trackstone-only ---------------------------------------------------------------------


def test_lineage_answers_the_version_its_run_and_experiment(client: TestClient) -> None:
    run_id = registered(client)
    lineage = call(client, "GET", f"{TRACKSTONE}/lineage", params={"name": "churn", "version": 1})
    assert lineage["model_version"]["version"] == "1"
    assert lineage["run"]["info"]["run_id"] == run_id
    assert lineage["run"]["data"]["params"] == [{"key": "C", "value": "0.5"}]
    assert lineage["experiment"]["experiment_id"] == "0"


def test_production_metrics_round_trip_with_a_time_range(client: TestClient) -> None:
    registered(client)
    points = [
        {"key": "accuracy", "value": 0.8, "timestamp": 10},
        {"key": "accuracy", "value": "NaN", "timestamp": 20},
        {"key": "latency_ms", "value": 21.0, "timestamp": 30},
    ]
    call(
        client,
        "POST",
        f"{TRACKSTONE}/production-metrics/log",
        {"name": "churn", "version": "1", "metrics": points},
    )
    found = call(
        client,
        "GET",
        f"{TRACKSTONE}/production-metrics/get",
        params={"name": "churn", "version": "1", "key": "accuracy", "start_timestamp": 15},
    )
    assert found == {"metrics": [{"key": "accuracy", "value": "NaN", "timestamp": 20}]}


def test_baseline_comes_from_the_run_until_set_explicitly(client: TestClient) -> None:
    registered(client)
    where = {"name": "churn", "version": "1"}
    from_run = call(client, "GET", f"{TRACKSTONE}/baseline/get", params=where)
    assert from_run["origin"] == "source_run"
    assert {item["key"]: item["value"] for item in from_run["metrics"]} == {
        "accuracy": 0.9,
        "latency_ms": 20.0,
    }
    call(
        client,
        "POST",
        f"{TRACKSTONE}/baseline/set",
        {**where, "metrics": [{"key": "accuracy", "value": 0.95}]},
    )
    explicit = call(client, "GET", f"{TRACKSTONE}/baseline/get", params=where)
    assert explicit == {"metrics": [{"key": "accuracy", "value": 0.95}], "origin": "explicit"}


def test_baseline_refuses_a_repeated_key(client: TestClient) -> None:
    registered(client)
    error = call(
        client,
        "POST",
        f"{TRACKSTONE}/baseline/set",
        {
            "name": "churn",
            "version": "1",
            "metrics": [{"key": "a", "value": 1}, {"key": "a", "value": 2}],
        },
        status=400,
    )
    assert "metrics[1].key" in error["message"]


@pytest.mark.parametrize(
    ("observed", "expected_passed", "expected_checks"),
    [
        ([0.89, 0.91], True, [True, True]),
        ([0.70, 0.72], False, [False, True]),
    ],
)
def test_check_judges_production_values_against_the_baseline(
    client: TestClient,
    observed: list[float],
    expected_passed: bool,
    expected_checks: list[bool],
) -> None:
    registered(client)
    points = [{"key": "accuracy", "value": value, "timestamp": NOW_MS - 1000} for value in observed]
    points.append({"key": "latency_ms", "value": 20.5, "timestamp": NOW_MS - 1000})
    call(
        client,
        "POST",
        f"{TRACKSTONE}/production-metrics/log",
        {"name": "churn", "version": 1, "metrics": points},
    )
    report = call(
        client,
        "POST",
        f"{TRACKSTONE}/check",
        {
            "name": "churn",
            "version": 1,
            "now_ms": NOW_MS,
            "rules": [
                "accuracy>=-2%@1h",
                {"metric": "latency_ms", "operator": "<=", "threshold": 5},
            ],
        },
    )["report"]
    assert (report["name"], report["version"], report["baseline_origin"]) == (
        "churn",
        "1",
        "source_run",
    )
    assert report["checked_at"] == NOW_MS
    assert report["passed"] is expected_passed
    assert [check["passed"] for check in report["checks"]] == expected_checks
    assert report["checks"][0]["observations"] == len(observed)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"name": "churn", "version": 1, "rules": ["accuracy=>1"]}, 400, "rules[0]"),
        ({"name": "churn", "version": 1, "rules": []}, 400, "rules"),
        ({"name": "churn", "version": 1, "rules": [{"metric": "a"}]}, 400, "rules[0]"),
        ({"name": "churn", "version": 7, "rules": ["a>=0"]}, 404, "7"),
        ({"name": "nope", "version": 1, "rules": ["a>=0"]}, 404, "nope"),
    ],
)
def test_check_refuses_bad_rules_and_unknown_versions(
    client: TestClient, body: dict[str, Any], status: int, message: str
) -> None:
    registered(client)
    error = call(client, "POST", f"{TRACKSTONE}/check", body, status=status)
    assert message in error["message"]


def test_run_ids_in_use_names_only_the_runs_versions_need(client: TestClient) -> None:
    used_run = registered(client)
    unused_run = new_run(client)
    answer = call(
        client,
        "POST",
        f"{TRACKSTONE}/run-ids-in-use",
        {"run_ids": [used_run, unused_run, "f" * 32]},
    )
    assert answer == {"run_ids": [used_run]}


def test_user_id_is_kept_when_a_client_sends_it(client: TestClient) -> None:
    created = call(
        client, "POST", f"{MLFLOW}/registered-models/create", {"name": "m", "user_id": "ana"}
    )
    assert created["registered_model"]["user_id"] == "ana"


@pytest.mark.parametrize(
    ("count", "status"),
    [(PRODUCTION_METRICS_PER_CALL, 200), (PRODUCTION_METRICS_PER_CALL + 1, 400)],
)
def test_the_wire_takes_the_stores_batch_limit(client: TestClient, count: int, status: int) -> None:
    registered(client)
    points = [{"key": "accuracy", "value": 0.5, "timestamp": t} for t in range(count)]
    response = client.post(
        f"{TRACKSTONE}/production-metrics/log",
        json={"name": "churn", "version": "1", "metrics": points},
    )
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    ("params", "expected_sizes"),
    [
        ({}, [PRODUCTION_METRICS_MAX_RESULTS_DEFAULT, 5]),
        ({"max_results": 4000}, [4000, 4000, 2005]),
        ({"max_results": "10005"}, [10005]),
    ],
)
def test_production_metrics_pages_on_the_wire(
    client: TestClient, params: dict[str, Any], expected_sizes: list[int]
) -> None:
    registered(client)
    total = PRODUCTION_METRICS_MAX_RESULTS_DEFAULT + 5
    for first in (0, PRODUCTION_METRICS_PER_CALL):
        points = [
            {"key": "accuracy", "value": 0.5, "timestamp": t}
            for t in range(first, min(total, first + PRODUCTION_METRICS_PER_CALL))
        ]
        call(
            client,
            "POST",
            f"{TRACKSTONE}/production-metrics/log",
            {"name": "churn", "version": "1", "metrics": points},
        )
    sizes, timestamps, token = [], [], None
    while True:
        query = {"name": "churn", "version": "1", **params}
        if token:
            query["page_token"] = token
        page = call(client, "GET", f"{TRACKSTONE}/production-metrics/get", params=query)
        sizes.append(len(page["metrics"]))
        timestamps += [point["timestamp"] for point in page["metrics"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert sizes == expected_sizes
    assert timestamps == list(range(total))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"max_results": 0}, "max_results"),
        ({"max_results": PRODUCTION_METRICS_MAX_RESULTS_LIMIT + 1}, "max_results"),
        ({"page_token": "garbage"}, "page_token"),
    ],
)
def test_production_metrics_paging_refuses_bad_values(
    client: TestClient, params: dict[str, Any], message: str
) -> None:
    registered(client)
    error = call(
        client,
        "GET",
        f"{TRACKSTONE}/production-metrics/get",
        params={"name": "churn", "version": "1", **params},
        status=400,
    )
    assert message in error["message"]


@pytest.mark.parametrize(
    ("rule", "rule_text"),
    [
        ("accuracy>=-2%@1h", "accuracy>=-0.02rel@1h"),
        ({"metric": "latency_ms", "operator": "<=", "threshold": 5}, "latency_ms<=5abs"),
        ("`odd key`~=0.1rel", "`odd key`~=0.1rel"),
    ],
)
def test_a_checks_report_gives_each_rule_as_text(
    client: TestClient, rule: str | dict[str, Any], rule_text: str
) -> None:
    registered(client)
    report = call(
        client,
        "POST",
        f"{TRACKSTONE}/check",
        {"name": "churn", "version": 1, "now_ms": NOW_MS, "rules": [rule]},
    )["report"]
    assert [check["rule_text"] for check in report["checks"]] == [rule_text]
