"""The ROUTES table and the OpenAPI document generated from it."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from trackstone.api.messages import Request, Response
from trackstone.api.openapi import openapi_document
from trackstone.api.routes import API_PREFIX, ROUTES, route_named

_MLFLOW_TRACKING_PATHS = {
    ("POST", "/api/2.0/mlflow/experiments/create"),
    ("GET", "/api/2.0/mlflow/experiments/get"),
    ("GET", "/api/2.0/mlflow/experiments/get-by-name"),
    ("GET", "/api/2.0/mlflow/experiments/search"),
    ("POST", "/api/2.0/mlflow/experiments/search"),
    ("POST", "/api/2.0/mlflow/experiments/update"),
    ("POST", "/api/2.0/mlflow/experiments/delete"),
    ("POST", "/api/2.0/mlflow/experiments/restore"),
    ("POST", "/api/2.0/mlflow/experiments/set-experiment-tag"),
    ("POST", "/api/2.0/mlflow/experiments/delete-experiment-tag"),
    ("POST", "/api/2.0/mlflow/runs/create"),
    ("GET", "/api/2.0/mlflow/runs/get"),
    ("POST", "/api/2.0/mlflow/runs/update"),
    ("POST", "/api/2.0/mlflow/runs/delete"),
    ("POST", "/api/2.0/mlflow/runs/restore"),
    ("POST", "/api/2.0/mlflow/runs/search"),
    ("POST", "/api/2.0/mlflow/runs/log-metric"),
    ("POST", "/api/2.0/mlflow/runs/log-parameter"),
    ("POST", "/api/2.0/mlflow/runs/log-batch"),
    ("POST", "/api/2.0/mlflow/runs/set-tag"),
    ("POST", "/api/2.0/mlflow/runs/delete-tag"),
    ("POST", "/api/2.0/mlflow/runs/log-inputs"),
    ("POST", "/api/2.0/mlflow/runs/outputs"),
    ("GET", "/api/2.0/mlflow/metrics/get-history"),
    ("GET", "/api/2.0/mlflow/metrics/get-history-bulk-interval"),
    ("GET", "/api/2.0/mlflow/artifacts/list"),
    ("POST", "/api/2.0/mlflow/logged-models"),
    ("POST", "/api/2.0/mlflow/logged-models/search"),
    ("GET", "/api/2.0/mlflow/logged-models/{model_id}"),
    ("PATCH", "/api/2.0/mlflow/logged-models/{model_id}"),
    ("DELETE", "/api/2.0/mlflow/logged-models/{model_id}"),
    ("PATCH", "/api/2.0/mlflow/logged-models/{model_id}/tags"),
    ("DELETE", "/api/2.0/mlflow/logged-models/{model_id}/tags/{tag_key}"),
    ("POST", "/api/2.0/mlflow/logged-models/{model_id}/params"),
}
# The model registry, as MLflow's model_registry.proto declares each RPC's endpoints.
_MLFLOW_REGISTRY_PATHS = {
    ("POST", "/api/2.0/mlflow/registered-models/create"),
    ("POST", "/api/2.0/mlflow/registered-models/rename"),
    ("PATCH", "/api/2.0/mlflow/registered-models/update"),
    ("DELETE", "/api/2.0/mlflow/registered-models/delete"),
    ("GET", "/api/2.0/mlflow/registered-models/get"),
    ("GET", "/api/2.0/mlflow/registered-models/search"),
    ("POST", "/api/2.0/mlflow/registered-models/get-latest-versions"),
    ("GET", "/api/2.0/mlflow/registered-models/get-latest-versions"),
    ("POST", "/api/2.0/mlflow/registered-models/set-tag"),
    ("DELETE", "/api/2.0/mlflow/registered-models/delete-tag"),
    ("POST", "/api/2.0/mlflow/registered-models/alias"),
    ("DELETE", "/api/2.0/mlflow/registered-models/alias"),
    ("GET", "/api/2.0/mlflow/registered-models/alias"),
    ("POST", "/api/2.0/mlflow/model-versions/create"),
    ("PATCH", "/api/2.0/mlflow/model-versions/update"),
    ("POST", "/api/2.0/mlflow/model-versions/transition-stage"),
    ("DELETE", "/api/2.0/mlflow/model-versions/delete"),
    ("GET", "/api/2.0/mlflow/model-versions/get"),
    ("GET", "/api/2.0/mlflow/model-versions/search"),
    ("GET", "/api/2.0/mlflow/model-versions/get-download-uri"),
    ("POST", "/api/2.0/mlflow/model-versions/set-tag"),
    ("DELETE", "/api/2.0/mlflow/model-versions/delete-tag"),
}


def _method_paths() -> list[tuple[str, str]]:
    return [(method, path) for route in ROUTES for path in route.paths for method in route.methods]


def test_every_path_is_unique_per_method() -> None:
    duplicates = [key for key, count in Counter(_method_paths()).items() if count > 1]
    assert duplicates == []


def test_handler_names_are_unique() -> None:
    duplicates = [name for name, count in Counter(r.name for r in ROUTES).items() if count > 1]
    assert duplicates == []


def test_routes_cover_mlflow_tracking_and_registry_endpoints_exactly() -> None:
    api = {(m, p) for m, p in _method_paths() if p.startswith(API_PREFIX + "/mlflow/")}
    assert api == _MLFLOW_TRACKING_PATHS | _MLFLOW_REGISTRY_PATHS


def test_every_path_has_its_ajax_alias() -> None:
    for route in ROUTES:
        version = route.api_version
        assert route.paths == (f"/api/{version}{route.path}", f"/ajax-api/{version}{route.path}")


def test_only_server_info_is_an_api_3_route() -> None:
    assert [route.api_path for route in ROUTES if route.api_version != "2.0"] == [
        "/api/3.0/mlflow/server-info"
    ]


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_rows_are_well_formed(route: Any) -> None:
    assert issubclass(route.request, Request)
    assert issubclass(route.response, Response)
    assert set(route.methods) <= {"GET", "POST", "PATCH", "DELETE"}
    assert route.summary.endswith(".")
    assert route_named(route.name) is route


def test_openapi_document_validates() -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    document = openapi_document("1.2.3")
    validator.validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"]["version"] == "1.2.3"


def test_openapi_operation_ids_are_unique_and_every_route_is_described() -> None:
    document = openapi_document("0")
    operations = [
        (method.upper(), path, operation["operationId"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    ids = [operation_id for _, _, operation_id in operations]
    assert len(ids) == len(set(ids))
    # Besides ROUTES: Trackstone's folder tar routes (not JSON, so not in ROUTES).
    tar = [
        (method, f"{prefix}/trackstone-artifacts/tar/{{artifact_path}}")
        for prefix in ("/api/2.0", "/ajax-api/2.0")
        for method in ("GET", "PUT")
    ]
    assert sorted((m, p) for m, p, _ in operations) == sorted(_method_paths() + tar)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_openapi_refs_all_resolve() -> None:
    document = openapi_document("0")
    schemas = document["components"]["schemas"]
    missing = {ref for ref in _refs(document) if ref.rpartition("/")[2] not in schemas}
    assert missing == set()


@pytest.mark.parametrize(
    ("path", "method", "parameter", "expected"),
    [
        (
            "/api/2.0/mlflow/metrics/get-history-bulk-interval",
            "get",
            "run_ids",
            {
                "name": "run_ids",
                "in": "query",
                "required": True,
                "schema": {
                    "type": "array",
                    "items": {"type": "string"},
                    "maxItems": 100,
                    "minItems": 1,
                },
                "style": "form",
                "explode": True,
            },
        ),
        (
            "/api/2.0/mlflow/metrics/get-history",
            "get",
            "page_token",
            {"name": "page_token", "in": "query", "required": False, "schema": {"type": "string"}},
        ),
        (
            "/api/2.0/mlflow/experiments/search",
            "get",
            "filter",
            {"name": "filter", "in": "query", "required": False, "schema": {"type": "string"}},
        ),
    ],
)
def test_get_routes_take_query_parameters(
    path: str, method: str, parameter: str, expected: dict[str, Any]
) -> None:
    operation = openapi_document("0")["paths"][path][method]
    [found] = [p for p in operation["parameters"] if p["name"] == parameter]
    assert found == expected
    assert "requestBody" not in operation


def test_post_routes_take_a_json_body() -> None:
    operation = openapi_document("0")["paths"]["/api/2.0/mlflow/runs/log-batch"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/LogBatch"}
    assert "parameters" not in operation


def test_metric_value_schema_allows_protobuf_names() -> None:
    schema = openapi_document("0")["components"]["schemas"]["WireMetric"]["properties"]["value"]
    assert schema == {"anyOf": [{"type": "number"}, {"enum": ["-Infinity", "Infinity", "NaN"]}]}
