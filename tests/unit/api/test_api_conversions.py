"""Entities -> wire JSON -> entities: MLflow's shapes, NaN/inf spellings, lossless round trips."""

from __future__ import annotations

import math
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackstone.api.decoding import decode_request, decode_response
from trackstone.api.encoding import encode
from trackstone.api.experiments import (
    GetExperimentResponse,
    SearchExperimentsResponse,
    experiment_from_wire,
    experiment_tags_from_wire,
    experiment_to_wire,
)
from trackstone.api.inputs import LogInputs, dataset_input_to_wire, dataset_inputs_from_wire
from trackstone.api.metrics import (
    GetMetricHistoryBulkIntervalResponse,
    metric_with_run_id_from_wire,
    metric_with_run_id_to_wire,
)
from trackstone.api.records import (
    LogBatch,
    LogMetric,
    WireMetric,
    WireParam,
    WireTag,
    metric_to_wire,
    metrics_from_wire,
    params_from_wire,
    tags_from_wire,
)
from trackstone.api.runs import (
    GetRunResponse,
    SearchRunsResponse,
    UpdateRunResponse,
    run_from_wire,
    run_info_from_wire,
    run_info_to_wire,
    run_to_wire,
)
from trackstone.api.scalars import wire_number
from trackstone.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    LifecycleStage,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
)
from trackstone.errors import InternalError, InvalidParameter

_INFO = RunInfo(
    run_id="0123abcd",
    experiment_id="7",
    run_name="brave-owl",
    user_id="ana",
    status=RunStatus.FINISHED,
    start_time=1_700_000_000_000,
    end_time=1_700_000_360_000,
    artifact_uri="file:///data/7/0123abcd/artifacts",
    lifecycle_stage=LifecycleStage.DELETED,
)
_RUN = Run(
    info=_INFO,
    data=RunData(
        latest_metrics=(
            Metric("loss", 0.25, 1_700_000_000_001, 3),
            Metric("nan_metric", math.nan, 5, 0),
            Metric("big", math.inf, 6, 2**62),
            Metric("small", -math.inf, 7, -1),
        ),
        params={"lr": "0.01", "layers": "3"},
        tags={"mlflow.runName": "brave-owl", "team": "vision"},
    ),
    inputs=RunInputs(
        dataset_inputs=(
            DatasetInput(
                Dataset("train", "abc123", "local", '{"uri": "x"}', schema="{}", profile=None),
                (InputTag("mlflow.data.context", "training"),),
            ),
        )
    ),
)
_EXPERIMENT = Experiment(
    experiment_id="7",
    name="vision",
    artifact_location="file:///data/7",
    lifecycle_stage=LifecycleStage.ACTIVE,
    tags={"owner": "ana", "note": "x"},
    creation_time=1_600_000_000_000,
    last_update_time=1_600_000_000_500,
)


def test_run_json_has_mlflow_shape() -> None:
    body = msgspec.json.decode(encode(GetRunResponse(run=run_to_wire(_RUN))))
    assert body == {
        "run": {
            "info": {
                "run_id": "0123abcd",
                "run_uuid": "0123abcd",
                "run_name": "brave-owl",
                "experiment_id": "7",
                "user_id": "ana",
                "status": "FINISHED",
                "start_time": 1_700_000_000_000,
                "end_time": 1_700_000_360_000,
                "artifact_uri": "file:///data/7/0123abcd/artifacts",
                "lifecycle_stage": "deleted",
            },
            "data": {
                "metrics": [
                    {"key": "loss", "value": 0.25, "timestamp": 1_700_000_000_001, "step": 3},
                    {"key": "nan_metric", "value": "NaN", "timestamp": 5, "step": 0},
                    {"key": "big", "value": "Infinity", "timestamp": 6, "step": 2**62},
                    {"key": "small", "value": "-Infinity", "timestamp": 7, "step": -1},
                ],
                "params": [{"key": "lr", "value": "0.01"}, {"key": "layers", "value": "3"}],
                "tags": [
                    {"key": "mlflow.runName", "value": "brave-owl"},
                    {"key": "team", "value": "vision"},
                ],
            },
            "inputs": {
                "dataset_inputs": [
                    {
                        "tags": [{"key": "mlflow.data.context", "value": "training"}],
                        "dataset": {
                            "name": "train",
                            "digest": "abc123",
                            "source_type": "local",
                            "source": '{"uri": "x"}',
                            "schema": "{}",
                        },
                    }
                ]
            },
        }
    }


def test_unset_run_fields_are_left_out() -> None:
    info = RunInfo("r", "0", "", "", RunStatus.RUNNING, None, None, "file:///a")
    body = msgspec.json.decode(encode(GetRunResponse(run=run_to_wire(Run(info)))))
    assert body == {
        "run": {
            "info": {
                "run_id": "r",
                "run_uuid": "r",
                "experiment_id": "0",
                "status": "RUNNING",
                "artifact_uri": "file:///a",
                "lifecycle_stage": "active",
            },
            "data": {},
            "inputs": {},
        }
    }


def test_experiment_json_has_mlflow_shape() -> None:
    body = msgspec.json.decode(
        encode(GetExperimentResponse(experiment=experiment_to_wire(_EXPERIMENT)))
    )
    assert body == {
        "experiment": {
            "experiment_id": "7",
            "name": "vision",
            "artifact_location": "file:///data/7",
            "lifecycle_stage": "active",
            "last_update_time": 1_600_000_000_500,
            "creation_time": 1_600_000_000_000,
            "tags": [{"key": "owner", "value": "ana"}, {"key": "note", "value": "x"}],
        }
    }


def test_run_round_trips_through_json() -> None:
    body = encode(SearchRunsResponse(runs=[run_to_wire(_RUN)] * 2, next_page_token="tok"))
    decoded = decode_response(SearchRunsResponse, body)
    assert [run_from_wire(run) for run in decoded.runs] == [_RUN, _RUN]
    assert decoded.next_page_token == "tok"


def test_experiment_round_trips_through_json() -> None:
    body = encode(SearchExperimentsResponse(experiments=[experiment_to_wire(_EXPERIMENT)]))
    decoded = decode_response(SearchExperimentsResponse, body)
    assert [experiment_from_wire(e) for e in decoded.experiments] == [_EXPERIMENT]
    assert decoded.next_page_token is None


def test_run_info_round_trips_through_json() -> None:
    body = encode(UpdateRunResponse(run_info=run_info_to_wire(_INFO)))
    wire = decode_response(UpdateRunResponse, body).run_info
    assert wire is not None
    assert run_info_from_wire(wire) == _INFO


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.5, 0.5),
        (-0.0, -0.0),
        (1e308, 1e308),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
    ],
)
def test_wire_number(value: float, expected: object) -> None:
    assert wire_number(value) == expected


_VALUES = st.floats(allow_nan=True, allow_infinity=True)
_INT64 = st.integers(-(2**63), 2**63 - 1)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or (
        a == b and math.copysign(1, a) == math.copysign(1, b)
    )


@settings(max_examples=300, deadline=None)
@given(value=_VALUES, timestamp=_INT64, step=_INT64)
def test_metric_round_trips_through_the_server_direction(
    value: float, timestamp: int, step: int
) -> None:
    # Client encodes a log-batch, server decodes it back to entities.
    sent = Metric("m", value, timestamp, step)
    body = encode(LogBatch(run_id="r", metrics=[metric_to_wire(sent)]))
    [received] = metrics_from_wire(decode_request(LogBatch, body).metrics)
    assert received == sent
    assert _same(received.value, value)


@settings(max_examples=300, deadline=None)
@given(value=_VALUES, timestamp=_INT64, step=_INT64)
def test_metric_round_trips_through_the_client_direction(
    value: float, timestamp: int, step: int
) -> None:
    # Server encodes history points, client decodes them back to entities.
    sent = Metric("m", value, timestamp, step)
    body = encode(
        GetMetricHistoryBulkIntervalResponse(metrics=[metric_with_run_id_to_wire("r", sent)])
    )
    [wire] = decode_response(GetMetricHistoryBulkIntervalResponse, body).metrics
    run_id, received = metric_with_run_id_from_wire(wire)
    assert (run_id, received) == ("r", sent)
    assert _same(received.value, value)


@settings(max_examples=100, deadline=None)
@given(value=_VALUES)
def test_log_metric_request_round_trips(value: float) -> None:
    body = encode(LogMetric(run_id="r", key="k", value=wire_number(value), timestamp=1, step=2))
    request = decode_request(LogMetric, body)
    assert request.to_metric() == Metric("k", value, 1, 2)


def test_int64_extremes_stay_numbers() -> None:
    body = encode(LogBatch(run_id="r", metrics=[WireMetric("k", 1.0, 2**63 - 1, -(2**63))]))
    assert b'"timestamp":9223372036854775807,"step":-9223372036854775808' in body


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: metrics_from_wire([WireMetric("ok", 1.0, 1), WireMetric("bad key!", 1.0, 1)]),
            "metrics[1]: metric key: 'bad key!' may only contain letters, digits, underscores,"
            " dashes, periods, spaces, slashes and colons",
        ),
        (
            lambda: params_from_wire([WireParam("p", "v\x00")]),
            "params[0]: param 'p' value: must not contain NUL characters (\\x00)",
        ),
        (lambda: tags_from_wire([WireTag("", "v")]), "tags[0]: tag key: must not be empty"),
        (
            lambda: experiment_tags_from_wire([WireTag("a", "b"), WireTag("../x", "v")]),
            "tags[1]: experiment tag key: '../x' must be a clean relative path",
        ),
    ],
)
def test_invalid_records_name_their_position(call: Any, message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        call()
    assert caught.value.message == message


def test_log_inputs_round_trip() -> None:
    [item] = _RUN.inputs.dataset_inputs
    body = encode(LogInputs(run_id="r", datasets=[dataset_input_to_wire(item)]))
    request = decode_request(LogInputs, body)
    assert dataset_inputs_from_wire(request.datasets) == [item]


def test_unknown_lifecycle_stage_from_a_server_is_refused() -> None:
    body = b'{"experiment": {"experiment_id": "1", "name": "a", "lifecycle_stage": "archived"}}'
    wire = decode_response(GetExperimentResponse, body).experiment
    assert wire is not None
    with pytest.raises(InvalidParameter, match="lifecycle_stage: must be 'active' or 'deleted'"):
        experiment_from_wire(wire)


def test_response_with_wrong_types_is_an_internal_error() -> None:
    with pytest.raises(InternalError, match=r"run\.info\.status: must be one of"):
        decode_response(GetRunResponse, b'{"run": {"info": {"status": "BOGUS"}}}')
