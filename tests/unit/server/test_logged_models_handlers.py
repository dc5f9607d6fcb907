"""Logged model endpoints and server-info on the wire: paths, methods, JSON shape, errors."""

from __future__ import annotations

from typing import Any

import pytest

from support.asgi_client import TestClient

MODELS = "/api/2.0/mlflow/logged-models"


def _create(client: TestClient, **fields: Any) -> dict[str, Any]:
    response = client.post(MODELS, json={"experiment_id": "0", **fields})
    assert response.status_code == 200, response.text
    model: dict[str, Any] = response.json()["model"]
    return model


def test_create_answers_the_model_in_mlflow_shape(client: TestClient) -> None:
    run_id = client.post("/api/2.0/mlflow/runs/create", json={"experiment_id": "0"}).json()["run"][
        "info"
    ]["run_id"]

    model = _create(
        client,
        name="clf",
        source_run_id=run_id,
        model_type="sk",
        params=[{"key": "C", "value": "1"}],
        tags=[{"key": "team", "value": "ml"}],
    )

    info = model["info"]
    assert info["model_id"].startswith("m-")
    assert info["experiment_id"] == "0"
    assert info["name"] == "clf"
    assert info["status"] == "LOGGED_MODEL_PENDING"
    assert info["source_run_id"] == run_id
    assert info["model_type"] == "sk"
    assert info["artifact_uri"].endswith(f"/0/models/{info['model_id']}/artifacts")
    assert isinstance(info["creation_timestamp_ms"], int)
    assert info["tags"] == [{"key": "team", "value": "ml"}]
    assert model["data"]["params"] == [{"key": "C", "value": "1"}]


def test_get_reads_the_id_from_the_path(client: TestClient) -> None:
    model_id = _create(client, name="by-path")["info"]["model_id"]

    response = client.get(f"{MODELS}/{model_id}")

    assert response.status_code == 200
    assert response.json()["model"]["info"]["name"] == "by-path"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("LOGGED_MODEL_READY", "LOGGED_MODEL_READY"),
        (2, "LOGGED_MODEL_READY"),
        ("LOGGED_MODEL_UPLOAD_FAILED", "LOGGED_MODEL_UPLOAD_FAILED"),
    ],
)
def test_finalize_is_a_patch_of_the_model(
    client: TestClient, status: object, expected: str
) -> None:
    model_id = _create(client)["info"]["model_id"]

    response = client.patch(f"{MODELS}/{model_id}", json={"model_id": model_id, "status": status})

    assert response.status_code == 200, response.text
    assert response.json()["model"]["info"]["status"] == expected


def test_tags_params_and_tag_deletion(client: TestClient) -> None:
    model_id = _create(client)["info"]["model_id"]

    tagged = client.patch(f"{MODELS}/{model_id}/tags", json={"tags": [{"key": "a", "value": "1"}]})
    params = client.post(
        f"{MODELS}/{model_id}/params", json={"params": [{"key": "p", "value": "v"}]}
    )
    removed = client.delete(f"{MODELS}/{model_id}/tags/a")
    again = client.delete(f"{MODELS}/{model_id}/tags/a")

    assert tagged.json()["model"]["info"]["tags"] == [{"key": "a", "value": "1"}]
    assert (params.status_code, params.json()) == (200, {})
    assert (removed.status_code, removed.json()) == (200, {})
    assert again.status_code == 404
    model = client.get(f"{MODELS}/{model_id}").json()["model"]
    assert "tags" not in model["info"]
    assert model["data"]["params"] == [{"key": "p", "value": "v"}]


def test_delete_then_get_with_allow_deleted(client: TestClient) -> None:
    model_id = _create(client, name="old")["info"]["model_id"]

    deleted = client.request("DELETE", f"{MODELS}/{model_id}", json={"model_id": model_id})

    assert (deleted.status_code, deleted.json()) == (200, {})
    assert client.get(f"{MODELS}/{model_id}").status_code == 404
    kept = client.get(f"{MODELS}/{model_id}", params={"allow_deleted": "true"})
    assert kept.json()["model"]["info"]["name"] == "old"


def test_search_takes_filter_and_order_by_objects(client: TestClient) -> None:
    for name in ("b", "a", "c"):
        _create(client, name=name)

    response = client.post(
        f"{MODELS}/search",
        json={
            "experiment_ids": ["0"],
            "filter": "name != 'c'",
            "order_by": [{"field_name": "name", "ascending": True}],
            "max_results": 1,
        },
    )
    body = response.json()
    following = client.post(
        f"{MODELS}/search",
        json={
            "experiment_ids": ["0"],
            "filter": "name != 'c'",
            "order_by": [{"field_name": "name", "ascending": True}],
            "max_results": 1,
            "page_token": body["next_page_token"],
        },
    ).json()

    assert [m["info"]["name"] for m in body["models"]] == ["a"]
    assert [m["info"]["name"] for m in following["models"]] == ["b"]
    assert "next_page_token" not in following


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", f"{MODELS}/m-missing", None, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("POST", MODELS, {"experiment_id": "424242"}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("POST", MODELS, {"name": "no experiment"}, 400, "INVALID_PARAMETER_VALUE"),
        ("PATCH", f"{MODELS}/m-missing", {"status": "BOGUS"}, 400, "INVALID_PARAMETER_VALUE"),
        ("PATCH", f"{MODELS}/m-missing", {"status": 2}, 404, "RESOURCE_DOES_NOT_EXIST"),
        (
            "POST",
            f"{MODELS}/search",
            {"experiment_ids": ["0"], "filter": "name = "},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
    ],
)
def test_errors(
    client: TestClient,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    code: str,
) -> None:
    response = client.request(method, path, json=body)

    assert response.status_code == status
    assert response.json()["error_code"] == code


@pytest.mark.parametrize("prefix", ["/api/3.0", "/ajax-api/3.0"])
def test_server_info_states_every_field(client: TestClient, prefix: str) -> None:
    response = client.get(f"{prefix}/mlflow/server-info")

    assert response.status_code == 200
    assert response.json() == {
        "store_type": "SqlStore",
        "workspaces_enabled": False,
        "trace_archival_enabled": False,
        "multipart_uploads_enabled": False,
        "multipart_downloads_enabled": False,
        "presigned_upload_run_id_supported": False,
        "presigned_upload_model_id_supported": False,
        "features_enabled": {"gateway": False},
    }
