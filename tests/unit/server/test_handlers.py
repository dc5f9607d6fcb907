"""REST handlers over a real SQLite store: MLflow paths, JSON shapes and error codes."""

from __future__ import annotations

from typing import Any

import pytest

import trackstone
from support.asgi_client import TestClient

API = "/api/2.0/mlflow"


def post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(API + path, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def get(client: TestClient, path: str, params: dict[str, Any]) -> dict[str, Any]:
    response = client.get(API + path, params=params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def new_run(client: TestClient, name: str = "exp") -> tuple[str, str]:
    experiment_id = post(client, "/experiments/create", {"name": name})["experiment_id"]
    run = post(client, "/runs/create", {"experiment_id": experiment_id, "run_name": "r1"})["run"]
    return experiment_id, str(run["info"]["run_id"])


def test_experiment_lifecycle(client: TestClient) -> None:
    created = post(
        client, "/experiments/create", {"name": "exp", "tags": [{"key": "team", "value": "a"}]}
    )
    experiment_id = created["experiment_id"]
    experiment = get(client, "/experiments/get", {"experiment_id": experiment_id})["experiment"]
    assert (experiment["name"], experiment["lifecycle_stage"]) == ("exp", "active")
    assert experiment["tags"] == [{"key": "team", "value": "a"}]
    post(client, "/experiments/update", {"experiment_id": experiment_id, "new_name": "exp2"})
    by_name = get(client, "/experiments/get-by-name", {"experiment_name": "exp2"})
    assert by_name["experiment"]["experiment_id"] == experiment_id
    post(
        client,
        "/experiments/set-experiment-tag",
        {"experiment_id": experiment_id, "key": "k", "value": "v"},
    )
    post(
        client,
        "/experiments/delete-experiment-tag",
        {"experiment_id": experiment_id, "key": "team"},
    )
    tags = get(client, "/experiments/get", {"experiment_id": experiment_id})["experiment"]["tags"]
    assert tags == [{"key": "k", "value": "v"}]
    post(client, "/experiments/delete", {"experiment_id": experiment_id})
    deleted = get(client, "/experiments/get", {"experiment_id": experiment_id})["experiment"]
    assert deleted["lifecycle_stage"] == "deleted"
    post(client, "/experiments/restore", {"experiment_id": experiment_id})
    restored = get(client, "/experiments/get", {"experiment_id": experiment_id})["experiment"]
    assert restored["lifecycle_stage"] == "active"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_search_experiments_pages(client: TestClient, method: str) -> None:
    for index in range(3):
        post(client, "/experiments/create", {"name": f"e{index}"})
    query = {"max_results": 2, "filter": "name LIKE 'e%'", "order_by": ["name ASC"]}
    names: list[str] = []
    token = None
    for _ in range(3):
        body = {**query, **({"page_token": token} if token else {})}
        if method == "GET":
            page = get(client, "/experiments/search", body)
        else:
            page = post(client, "/experiments/search", body)
        names += [experiment["name"] for experiment in page.get("experiments", [])]
        token = page.get("next_page_token")
        if token is None:
            break
    assert names == ["e0", "e1", "e2"]


def test_run_lifecycle_and_logging(client: TestClient) -> None:
    experiment_id, run_id = new_run(client)
    post(
        client,
        "/runs/log-batch",
        {
            "run_id": run_id,
            "metrics": [
                {"key": "loss", "value": 0.5, "timestamp": "1700000000000", "step": 1},
                {"key": "loss", "value": "NaN", "timestamp": 1700000000001, "step": 2},
            ],
            "params": [{"key": "lr", "value": "0.1"}],
            "tags": [{"key": "t", "value": "x"}],
        },
    )
    post(client, "/runs/log-metric", {"run_id": run_id, "key": "acc", "value": 1, "timestamp": 5})
    post(client, "/runs/log-parameter", {"run_uuid": run_id, "key": "depth", "value": "3"})
    post(client, "/runs/set-tag", {"run_id": run_id, "key": "t2", "value": "y"})
    post(client, "/runs/delete-tag", {"run_id": run_id, "key": "t"})
    info = post(client, "/runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": 9})
    assert (info["run_info"]["status"], info["run_info"]["end_time"]) == ("FINISHED", 9)
    run = get(client, "/runs/get", {"run_id": run_id})["run"]
    data = run["data"]
    assert {p["key"]: p["value"] for p in data["params"]} == {"lr": "0.1", "depth": "3"}
    tags = {t["key"]: t["value"] for t in data["tags"]}
    assert tags["t2"] == "y" and "t" not in tags and tags["mlflow.runName"] == "r1"
    latest = {m["key"]: m["value"] for m in data["metrics"]}
    assert latest == {"loss": "NaN", "acc": 1.0}
    history = get(client, "/metrics/get-history", {"run_id": run_id, "metric_key": "loss"})
    assert [(m["step"], m["value"]) for m in history["metrics"]] == [(1, 0.5), (2, "NaN")]
    found = post(
        client,
        "/runs/search",
        {"experiment_ids": [experiment_id], "filter": "params.lr = '0.1'"},
    )
    assert [r["info"]["run_id"] for r in found["runs"]] == [run_id]
    post(client, "/runs/delete", {"run_id": run_id})
    assert post(client, "/runs/search", {"experiment_ids": [experiment_id]}) == {}
    post(client, "/runs/restore", {"run_id": run_id})
    assert len(post(client, "/runs/search", {"experiment_ids": [experiment_id]})["runs"]) == 1


def test_long_param_and_tag_values_are_cut_to_mlflows_limits(client: TestClient) -> None:
    _, run_id = new_run(client)
    post(client, "/runs/log-parameter", {"run_id": run_id, "key": "p", "value": "a" * 6001})
    post(client, "/runs/set-tag", {"run_id": run_id, "key": "t", "value": "b" * 8001})
    post(
        client,
        "/runs/log-batch",
        {"run_id": run_id, "params": [{"key": "q", "value": "c" * 7000}]},
    )
    data = get(client, "/runs/get", {"run_id": run_id})["run"]["data"]
    params = {p["key"]: p["value"] for p in data["params"]}
    assert params == {"p": "a" * 6000, "q": "c" * 6000}
    assert {t["key"]: t["value"] for t in data["tags"]}["t"] == "b" * 8000


def test_metric_history_pages(client: TestClient) -> None:
    _, run_id = new_run(client)
    points = [{"key": "m", "value": step, "timestamp": 1, "step": step} for step in range(5)]
    post(client, "/runs/log-batch", {"run_id": run_id, "metrics": points})
    steps: list[int] = []
    params: dict[str, Any] = {"run_id": run_id, "metric_key": "m", "max_results": 2}
    while True:
        page = get(client, "/metrics/get-history", params)
        steps += [m["step"] for m in page["metrics"]]
        if "next_page_token" not in page:
            break
        params["page_token"] = page["next_page_token"]
    assert steps == [0, 1, 2, 3, 4]


def test_bulk_interval_history(client: TestClient) -> None:
    _, run_a = new_run(client, "a")
    _, run_b = new_run(client, "b")
    for run_id, offset in ((run_a, 0.0), (run_b, 100.0)):
        points = [{"key": "m", "value": offset + s, "timestamp": 1, "step": s} for s in range(3)]
        post(client, "/runs/log-batch", {"run_id": run_id, "metrics": points})
    result = get(
        client,
        "/metrics/get-history-bulk-interval",
        {"run_ids": [run_a, run_b], "metric_key": "m", "max_results": 10},
    )
    assert [(m["run_id"], m["step"], m["value"]) for m in result["metrics"]] == [
        (run_a, 0, 0.0),
        (run_a, 1, 1.0),
        (run_a, 2, 2.0),
        (run_b, 0, 100.0),
        (run_b, 1, 101.0),
        (run_b, 2, 102.0),
    ]


def test_log_inputs_records_a_dataset(client: TestClient) -> None:
    _, run_id = new_run(client)
    dataset = {"name": "d", "digest": "abc", "source_type": "local", "source": "{}"}
    context = [{"key": "mlflow.data.context", "value": "train"}]
    post(
        client,
        "/runs/log-inputs",
        {"run_id": run_id, "datasets": [{"dataset": dataset, "tags": context}]},
    )
    inputs = get(client, "/runs/get", {"run_id": run_id})["run"]["inputs"]
    assert inputs["dataset_inputs"][0]["dataset"]["digest"] == "abc"


def test_ajax_alias_serves_the_same_endpoint(client: TestClient) -> None:
    response = client.post("/ajax-api/2.0/mlflow/experiments/create", json={"name": "via-ajax"})
    assert response.status_code == 200
    assert get(client, "/experiments/get-by-name", {"experiment_name": "via-ajax"})


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "message_part"),
    [
        ("GET", "/experiments/get", {"experiment_id": "999"}, 404, "RESOURCE_DOES_NOT_EXIST", ""),
        (
            "GET",
            "/experiments/get-by-name",
            {"experiment_name": "nope"},
            404,
            "RESOURCE_DOES_NOT_EXIST",
            "nope",
        ),
        ("GET", "/runs/get", {"run_id": "0" * 32}, 404, "RESOURCE_DOES_NOT_EXIST", ""),
        ("POST", "/experiments/create", {}, 400, "INVALID_PARAMETER_VALUE", "name"),
        ("POST", "/experiments/create", {"name": 5}, 400, "INVALID_PARAMETER_VALUE", "name"),
        (
            "POST",
            "/runs/log-metric",
            {"run_id": "r", "key": "k", "value": "abc", "timestamp": 1},
            400,
            "INVALID_PARAMETER_VALUE",
            "value",
        ),
        (
            "POST",
            "/runs/search",
            {"experiment_ids": ["0"], "filter": "metrics.x >"},
            400,
            "INVALID_PARAMETER_VALUE",
            "",
        ),
        (
            "POST",
            "/runs/search",
            {"experiment_ids": ["0"], "max_results": 0},
            400,
            "INVALID_PARAMETER_VALUE",
            "max_results",
        ),
    ],
)
def test_error_codes(
    client: TestClient,
    method: str,
    path: str,
    body: dict[str, Any],
    status: int,
    code: str,
    message_part: str,
) -> None:
    if method == "GET":
        response = client.get(API + path, params=body)
    else:
        response = client.post(API + path, json=body)
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == code
    assert message_part in response.json()["message"]


def test_duplicate_experiment_name(client: TestClient) -> None:
    post(client, "/experiments/create", {"name": "same"})
    response = client.post(API + "/experiments/create", json={"name": "same"})
    assert response.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[1, 2]",
        b'"text"',
        b"null",
        b'{"name": "a\x01b"}',
        b'{"name": "x", "tags": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"name": "x", "tags": [' + b'{"a":' * 10_000 + b"1" + b"}" * 10_000 + b"]}",
        b"\xff\xfe",
    ],
)
def test_hostile_bodies_get_400_without_internals(client: TestClient, body: bytes) -> None:
    response = client.post(
        API + "/experiments/create", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "Traceback" not in response.text
    assert "/site-packages/" not in response.text and ".py" not in response.text


def test_openapi_document_is_served(client: TestClient) -> None:
    response = client.get("/api/2.0/trackstone/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert "/api/2.0/mlflow/runs/log-batch" in document["paths"]


@pytest.mark.parametrize(
    ("path", "expected"), [("/health", "OK"), ("/version", trackstone.__version__)]
)
def test_health_and_version(client: TestClient, path: str, expected: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.text == expected
