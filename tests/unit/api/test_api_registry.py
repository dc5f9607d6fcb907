"""The model registry and monitoring wire: MLflow's JSON shapes, version spellings, round trips."""

from __future__ import annotations

import math
from typing import Any

import msgspec
import pytest

from trackstone.api.decoding import decode_request, decode_response
from trackstone.api.encoding import encode
from trackstone.api.monitoring import (
    CheckModelVersion,
    GetModelVersionBaselineResponse,
    GetProductionMetricsResponse,
    LogProductionMetrics,
    SetModelVersionBaseline,
    WireBaselineValue,
    baseline_from_wire,
    baseline_to_wire,
    baseline_values_from_wire,
    production_metric_to_wire,
    report_to_wire,
    rule_from_wire,
)
from trackstone.api.records import WireTag
from trackstone.api.registry import (
    CreateModelVersion,
    DeleteRegisteredModelAlias,
    GetLatestVersions,
    GetModelVersion,
    ModelVersionResponse,
    RegisteredModelResponse,
    SearchModelVersions,
    SearchRegisteredModels,
    SetRegisteredModelAlias,
    TransitionModelVersionStage,
    model_version_from_wire,
    model_version_tags_from_wire,
    model_version_to_wire,
    registered_model_from_wire,
    registered_model_tags_from_wire,
    registered_model_to_wire,
)
from trackstone.entities.registry import (
    Baseline,
    BaselineOrigin,
    ModelVersion,
    ModelVersionStage,
    ModelVersionStatus,
    ModelVersionTag,
    ProductionMetric,
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
)
from trackstone.errors import InternalError, InvalidParameter
from trackstone.monitoring.report import BaselineReport, MetricCheck, Rule

VERSION = ModelVersion(
    name="churn",
    version="2",
    creation_timestamp=1_700_000_000_000,
    last_updated_timestamp=1_700_000_000_500,
    source="models:/m-0123456789abcdef0123456789abcdef",
    run_id="abc123",
    description="second try",
    user_id="alice",
    current_stage=ModelVersionStage.PRODUCTION,
    status=ModelVersionStatus.READY,
    status_message="",
    run_link="http://runs/abc123",
    model_id="m-0123456789abcdef0123456789abcdef",
    storage_location="mlflow-artifacts:/1/models/m-0123/artifacts",
    tags={"team": "growth", "validated": "yes"},
    aliases=("champion", "prod"),
)
MODEL = RegisteredModel(
    name="churn",
    creation_timestamp=1_699_000_000_000,
    last_updated_timestamp=1_700_000_000_500,
    description="churn classifier",
    user_id="alice",
    tags={"owner": "growth"},
    aliases=(RegisteredModelAlias("champion", "2"), RegisteredModelAlias("prod", "2")),
    latest_versions=(VERSION,),
)


def _json(message: msgspec.Struct) -> Any:
    return msgspec.json.decode(encode(message))


def test_model_version_encodes_as_mlflow_json() -> None:
    assert _json(ModelVersionResponse(model_version=model_version_to_wire(VERSION))) == {
        "model_version": {
            "name": "churn",
            "version": "2",
            "creation_timestamp": 1_700_000_000_000,
            "last_updated_timestamp": 1_700_000_000_500,
            "user_id": "alice",
            "current_stage": "Production",
            "description": "second try",
            "source": "models:/m-0123456789abcdef0123456789abcdef",
            "run_id": "abc123",
            "status": "READY",
            "tags": [{"key": "team", "value": "growth"}, {"key": "validated", "value": "yes"}],
            "run_link": "http://runs/abc123",
            "aliases": ["champion", "prod"],
            "model_id": "m-0123456789abcdef0123456789abcdef",
            "storage_location": "mlflow-artifacts:/1/models/m-0123/artifacts",
        }
    }


def test_registered_model_encodes_as_mlflow_json() -> None:
    body = _json(RegisteredModelResponse(registered_model=registered_model_to_wire(MODEL)))
    model = body["registered_model"]
    assert {key: value for key, value in model.items() if key != "latest_versions"} == {
        "name": "churn",
        "creation_timestamp": 1_699_000_000_000,
        "last_updated_timestamp": 1_700_000_000_500,
        "user_id": "alice",
        "description": "churn classifier",
        "tags": [{"key": "owner", "value": "growth"}],
        "aliases": [{"alias": "champion", "version": "2"}, {"alias": "prod", "version": "2"}],
    }
    assert [item["version"] for item in model["latest_versions"]] == ["2"]


def test_registered_model_round_trips_through_json() -> None:
    body = encode(RegisteredModelResponse(registered_model=registered_model_to_wire(MODEL)))
    wire = decode_response(RegisteredModelResponse, body).registered_model
    assert wire is not None
    assert registered_model_from_wire(wire) == MODEL


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("creation_timestamp", '"1700000000000"', ("creation_timestamp", 1_700_000_000_000)),
        ("status", "3", ("status", ModelVersionStatus.READY)),
        ("status", "1", ("status", ModelVersionStatus.PENDING_REGISTRATION)),
        ("status", '"FAILED_REGISTRATION"', ("status", ModelVersionStatus.FAILED_REGISTRATION)),
        ("current_stage", '"staging"', ("current_stage", ModelVersionStage.STAGING)),
        ("current_stage", '""', ("current_stage", ModelVersionStage.NONE)),
    ],
)
def test_model_version_reads_protobuf_spellings(
    field: str, value: str, expected: tuple[str, object]
) -> None:
    body = f'{{"model_version": {{"name": "m", "version": "1", "{field}": {value}}}}}'
    wire = decode_response(ModelVersionResponse, body.encode()).model_version
    assert wire is not None
    assert getattr(model_version_from_wire(wire), expected[0]) == expected[1]


def test_model_version_with_no_fields_reads_as_defaults() -> None:
    wire = decode_response(ModelVersionResponse, b'{"model_version": {}}').model_version
    assert wire is not None
    version = model_version_from_wire(wire)
    assert (version.current_stage, version.status, version.creation_timestamp) == (
        ModelVersionStage.NONE,
        ModelVersionStatus.READY,
        0,
    )


def test_a_response_of_the_wrong_shape_is_an_internal_error() -> None:
    with pytest.raises(InternalError, match="model_version"):
        decode_response(ModelVersionResponse, b'{"model_version": {"version": 2.5}}')


@pytest.mark.parametrize(
    ("body", "query", "expected"),
    [
        (b'{"name": "m", "version": "3"}', None, "3"),
        (b'{"name": "m", "version": 3}', None, 3),
        (b'{"name": "m", "version": "latest"}', None, "latest"),
        (b"", {"name": ["m"], "version": ["3"]}, "3"),
    ],
)
def test_a_version_may_be_a_string_or_a_number(
    body: bytes, query: dict[str, list[str]] | None, expected: object
) -> None:
    assert decode_request(GetModelVersion, body, query).version == expected


@pytest.mark.parametrize(
    ("struct_type", "body", "expected"),
    [
        (GetModelVersion, b'{"name": "m", "version": 1.5}', "version: must be an integer or"),
        (GetModelVersion, b'{"name": "m", "version": true}', "version: must be an integer or"),
        (GetModelVersion, b'{"name": "m", "version": 1e30}', "version"),
        (GetModelVersion, b'{"version": "1"}', "name: this field is required"),
        (SetRegisteredModelAlias, b'{"name": "m", "alias": "a"}', "version: this field is req"),
        (DeleteRegisteredModelAlias, b'{"name": "m"}', "alias: this field is required"),
        (CreateModelVersion, b'{"name": "m"}', "source: this field is required"),
        (SearchRegisteredModels, b'{"max_results": 1001}', "max_results: must be an integer"),
        (SearchModelVersions, b'{"max_results": 0}', "max_results: must be an integer >= 1"),
        (SearchModelVersions, b'{"max_results": 200001}', "max_results: must be an integer"),
        (GetLatestVersions, b'{"name": "m", "stages": "Production"}', "stages: must be a list"),
        (
            TransitionModelVersionStage,
            b'{"name": "m", "version": "1", "stage": "Production", '
            b'"archive_existing_versions": "yes"}',
            "archive_existing_versions: must be a boolean",
        ),
        (
            LogProductionMetrics,
            b'{"name": "m", "version": 1, "metrics": [{"key": "a", "value": "x", "timestamp": 1}]}',
            "metrics[0].value: must be a number",
        ),
        (CheckModelVersion, b'{"name": "m", "version": 1, "rules": []}', "rules: must be a list"),
        (
            CheckModelVersion,
            b'{"name": "m", "version": 1, "rules": [{"metric": "a", "operator": "==",'
            b' "threshold": 1}]}',
            "rules[0]",
        ),
    ],
)
def test_bad_requests_name_the_field(struct_type: type[Any], body: bytes, expected: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        decode_request(struct_type, body)
    assert expected in caught.value.message


@pytest.mark.parametrize(
    ("struct_type", "query", "field", "expected"),
    [
        (SearchRegisteredModels, {"order_by": ["name DESC", "creation_timestamp"]}, "order_by",
         ["name DESC", "creation_timestamp"]),
        (SearchRegisteredModels, {"filter": ["name LIKE 'c%'"]}, "filter_string",
         "name LIKE 'c%'"),
        (SearchModelVersions, {"max_results": ["200000"]}, "max_results", 200_000),
        (GetLatestVersions, {"name": ["m"], "stages": ["Staging", "None"]}, "stages",
         ["Staging", "None"]),
    ],
)  # fmt: skip
def test_get_requests_read_the_query_string(
    struct_type: type[Any], query: dict[str, list[str]], field: str, expected: object
) -> None:
    assert getattr(decode_request(struct_type, b"", query), field) == expected


def test_tags_keep_their_order_and_values() -> None:
    items = [WireTag("a", "1"), WireTag("b", "")]
    assert registered_model_tags_from_wire(items) == [
        RegisteredModelTag("a", "1"),
        RegisteredModelTag("b", ""),
    ]
    assert model_version_tags_from_wire(items) == [
        ModelVersionTag("a", "1"),
        ModelVersionTag("b", ""),
    ]


# -- monitoring --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected_json"),
    [(0.25, 0.25), (math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity")],
)
def test_production_metrics_round_trip_non_finite_values(
    value: float, expected_json: object
) -> None:
    response = GetProductionMetricsResponse(
        metrics=[production_metric_to_wire(ProductionMetric("acc", value, 5))]
    )
    assert _json(response) == {"metrics": [{"key": "acc", "value": expected_json, "timestamp": 5}]}
    [item] = decode_response(GetProductionMetricsResponse, encode(response)).metrics
    assert (item.key, item.timestamp) == ("acc", 5)
    assert math.isnan(item.value) if math.isnan(value) else item.value == value


def test_baseline_round_trips() -> None:
    baseline = Baseline({"acc": 0.9, "loss": math.inf}, BaselineOrigin.SOURCE_RUN)
    wire = baseline_to_wire(baseline)
    assert _json(wire) == {
        "metrics": [{"key": "acc", "value": 0.9}, {"key": "loss", "value": "Infinity"}],
        "origin": "source_run",
    }
    assert baseline_from_wire(decode_response(GetModelVersionBaselineResponse, encode(wire))) == (
        baseline
    )


def test_an_empty_baseline_has_origin_none() -> None:
    assert baseline_from_wire(decode_response(GetModelVersionBaselineResponse, b"{}")) == Baseline(
        {}, BaselineOrigin.NONE
    )


def test_baseline_values_refuse_a_repeated_key() -> None:
    request = decode_request(
        SetModelVersionBaseline,
        b'{"name": "m", "version": 1, "metrics": [{"key": "a", "value": 1},'
        b' {"key": "a", "value": 2}]}',
    )
    with pytest.raises(InvalidParameter, match=r"metrics\[1\]\.key: 'a' is given twice"):
        baseline_values_from_wire(request.metrics)


def test_baseline_values_map_keys_to_floats() -> None:
    items = [WireBaselineValue("a", 1), WireBaselineValue("b", "NaN")]
    values = baseline_values_from_wire(items)
    assert values["a"] == 1.0 and isinstance(values["a"], float)
    assert math.isnan(values["b"])


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ('"accuracy>=-2%@24h"', "accuracy>=-2%@24h"),
        (
            '{"metric": "loss", "operator": "~=", "threshold": 0.05}',
            Rule("loss", "~=", 0.05),
        ),
        (
            '{"metric": "lat", "operator": "<=", "threshold": "5", "relative": true,'
            ' "window_s": 60}',
            Rule("lat", "<=", 5.0, True, 60.0),
        ),
    ],
)
def test_check_rules_come_as_text_or_mappings(rule: str, expected: object) -> None:
    body = f'{{"name": "m", "version": "1", "rules": [{rule}]}}'.encode()
    [item] = decode_request(CheckModelVersion, body).rules
    assert rule_from_wire(item) == expected


def test_report_spells_unknown_and_non_finite_numbers() -> None:
    rule = Rule("acc", ">=", -0.02, relative=True)
    report = BaselineReport(
        name="churn",
        version="2",
        baseline_origin=BaselineOrigin.EXPLICIT,
        checked_at=1_700_000_000_000,
        checks=(
            MetricCheck(rule, 0.9, 0.88, 3, -0.0222, passed=False, reason="dropped"),
            MetricCheck(rule, 0.9, math.nan, 1, None, passed=False, reason="NaN observed"),
        ),
    )
    assert _json(report_to_wire(report)) == {
        "name": "churn",
        "version": "2",
        "baseline_origin": "explicit",
        "checked_at": 1_700_000_000_000,
        "passed": False,
        "checks": [
            {
                "rule": {"metric": "acc", "operator": ">=", "threshold": -0.02, "relative": True},
                "rule_text": "acc>=-0.02rel",
                "baseline": 0.9,
                "observed": 0.88,
                "observations": 3,
                "deviation": -0.0222,
                "passed": False,
                "reason": "dropped",
            },
            {
                "rule": {"metric": "acc", "operator": ">=", "threshold": -0.02, "relative": True},
                "rule_text": "acc>=-0.02rel",
                "baseline": 0.9,
                "observed": "NaN",
                "observations": 1,
                "passed": False,
                "reason": "NaN observed",
            },
        ],
    }
