"""Build the OpenAPI 3.1 document of the tracking API from ROUTES and the message structs."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from trackstone.api.artifacts import BATCH_TAR_PATH
from trackstone.api.errors import ErrorBody
from trackstone.api.routes import AJAX_API_PREFIX, API_PREFIX, ROUTES, Route

__all__ = ["openapi_document"]

_REF_TEMPLATE = "#/components/schemas/{name}"
_ERROR_REF = {"$ref": _REF_TEMPLATE.format(name="ErrorBody")}
_PATH_PARAMETER = re.compile(r"{(\w+)}")
# Methods whose request comes in the query string (and path) rather than in a JSON body.
_QUERY_METHODS = ("GET", "DELETE")


def openapi_document(version: str) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of every route, ``version`` being the server's.

    GET and DELETE routes take their request's fields as query parameters (lists as repeated
    keys); the others take a JSON body. ``{name}`` path segments are path parameters. Every
    route may answer with an ``ErrorBody``.
    """
    messages: list[Any] = [ErrorBody]
    for route in ROUTES:
        messages.extend([route.request, route.response])
    _, components = msgspec.json.schema_components(
        tuple(dict.fromkeys(messages)), ref_template=_REF_TEMPLATE
    )
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        for prefix_index, path in enumerate(route.paths):
            item = paths.setdefault(path, {})
            for method in route.methods:
                item[method.lower()] = _operation(route, method, prefix_index, components)
    paths.update(_folder_tar_paths())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Trackstone tracking API",
            "version": version,
            "description": (
                "MLflow REST API 2.0 compatible tracking endpoints. Each path is also served "
                "under /ajax-api/2.0. int64 fields also accept decimal strings and doubles "
                'the strings "NaN", "Infinity" and "-Infinity", as protobuf JSON allows.'
            ),
        },
        "paths": paths,
        "components": {"schemas": components},
    }


def _operation(
    route: Route, method: str, prefix_index: int, components: dict[str, Any]
) -> dict[str, Any]:
    operation_id = route.name
    if len(route.methods) > 1:
        operation_id += f"_{method.lower()}"
    if prefix_index:
        operation_id = f"ajax_{operation_id}"
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": route.summary,
        "tags": [route.path.split("/")[2]],
        "responses": {
            "200": {
                "description": "Success",
                "content": {
                    "application/json": {
                        "schema": {"$ref": _REF_TEMPLATE.format(name=route.response.__name__)}
                    }
                },
            },
            "400": _error_response("The request is invalid (INVALID_PARAMETER_VALUE...)"),
            "404": _error_response("The resource does not exist (RESOURCE_DOES_NOT_EXIST)"),
            "default": _error_response("Any other error"),
        },
    }
    in_path = _PATH_PARAMETER.findall(route.path)
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in in_path
    ]
    if method in _QUERY_METHODS:
        query = _query_parameters(components[route.request.__name__])
        parameters.extend(item for item in query if item["name"] not in in_path)
    else:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": _REF_TEMPLATE.format(name=route.request.__name__)}
                }
            },
        }
    if parameters or method in _QUERY_METHODS:
        operation["parameters"] = parameters
    return operation


def _folder_tar_paths() -> dict[str, dict[str, Any]]:
    """Describe Trackstone's folder tar routes (not in ROUTES: their bodies are not JSON)."""
    tar = {"application/x-tar": {"schema": {"type": "string", "format": "binary"}}}
    parameters = [
        {"name": "artifact_path", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    errors = {
        "400": _error_response("A refused member or path, or a malformed archive"),
        "404": _error_response("The folder does not exist (RESOURCE_DOES_NOT_EXIST)"),
        "default": _error_response("Any other error (413 over the limit, 503 not served)"),
    }
    paths: dict[str, dict[str, Any]] = {}
    for prefix_index, prefix in enumerate((API_PREFIX, AJAX_API_PREFIX)):
        ajax = "ajax_" if prefix_index else ""
        paths[f"{prefix}{BATCH_TAR_PATH}/{{artifact_path}}"] = {
            "get": {
                "operationId": f"{ajax}download_folder_tar",
                "summary": "Download a folder of the artifacts destination as a tar stream.",
                "tags": ["trackstone-artifacts"],
                "parameters": parameters,
                "responses": {
                    "200": {"description": "The folder's files", "content": tar},
                    **errors,
                },
            },
            "put": {
                "operationId": f"{ajax}upload_folder_tar",
                "summary": "Write every member of a tar stream below a folder, all or nothing.",
                "tags": ["trackstone-artifacts"],
                "parameters": parameters,
                # Any content type is read as a tar stream (the client sends application/x-tar).
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/octet-stream": tar["application/x-tar"],
                    },
                },
                "responses": {
                    "200": {
                        "description": "Every file was written",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **errors,
                },
            },
        }
    return paths


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", ()))
    parameters = []
    for name, property_schema in schema.get("properties", {}).items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": _without_null(property_schema),
        }
        if property_schema.get("type") == "array":
            parameter["style"] = "form"
            parameter["explode"] = True
        parameters.append(parameter)
    return parameters


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query value is never JSON null: drop the null branch of ``X | None`` fields."""
    options = schema.get("anyOf")
    if options is None:
        return schema
    kept = [option for option in options if option.get("type") != "null"]
    rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
    if len(kept) == 1:
        return {**kept[0], **rest}
    return {**rest, "anyOf": kept}
