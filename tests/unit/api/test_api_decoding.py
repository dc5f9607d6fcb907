"""decode_request: valid bodies and queries, protobuf JSON leniency, and every kind of bad input."""

from __future__ import annotations

import math
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackstone.api.decoding import decode_request, decode_response, query_fields
from trackstone.api.experiments import CreateExperiment, SearchExperiments
from trackstone.api.metrics import GetMetricHistory, GetMetricHistoryBulkInterval
from trackstone.api.records import LogBatch, LogMetric, WireMetric
from trackstone.api.routes import ROUTES
from trackstone.api.runs import GetRun, SearchRuns, UpdateRun
from trackstone.entities import RunStatus, ViewType
from trackstone.errors import InternalError, InvalidParameter


def _metric(value: str, timestamp: str = "1", step: str = "0") -> bytes:
    body = f'{{"key": "loss", "value": {value}, "timestamp": {timestamp}, "step": {step}}}'
    return f'{{"run_id": "r1", "metrics": [{body}]}}'.encode()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (_metric("0.5"), WireMetric("loss", 0.5, 1, 0)),
        (_metric("3"), WireMetric("loss", 3.0, 1, 0)),
        (_metric('"2.5"'), WireMetric("loss", 2.5, 1, 0)),
        (_metric("1", '"1700000000000"', '"7"'), WireMetric("loss", 1.0, 1_700_000_000_000, 7)),
        (_metric("1", "1700000000000.0"), WireMetric("loss", 1.0, 1_700_000_000_000, 0)),
        (_metric("1", '"-9223372036854775808"'), WireMetric("loss", 1.0, -(2**63), 0)),
        (_metric('"Infinity"'), WireMetric("loss", math.inf, 1, 0)),
        (_metric('"-Infinity"'), WireMetric("loss", -math.inf, 1, 0)),
    ],
)
def test_log_batch_metric_numbers_follow_protobuf_json(body: bytes, expected: WireMetric) -> None:
    assert decode_request(LogBatch, body).metrics == [expected]


def test_nan_string_decodes_to_nan() -> None:
    [metric] = decode_request(LogBatch, _metric('"NaN"')).metrics
    assert isinstance(metric.value, float)
    assert math.isnan(metric.value)


def test_step_defaults_to_zero_and_lists_to_empty() -> None:
    body = b'{"run_id": "r1", "metrics": [{"key": "a", "value": 1, "timestamp": 2}]}'
    batch = decode_request(LogBatch, body)
    assert (batch.metrics[0].step, batch.params, batch.tags) == (0, [], [])


@pytest.mark.parametrize(
    ("struct_type", "body", "field", "expected"),
    [
        (SearchRuns, b"{}", "max_results", 1000),
        (SearchRuns, b"{}", "run_view_type", "ACTIVE_ONLY"),
        (SearchRuns, b"{}", "order_by", []),
        (SearchRuns, b'{"filter": "metrics.a > 1"}', "filter_string", "metrics.a > 1"),
        (SearchRuns, b'{"max_results": "25"}', "max_results", 25),
        (SearchRuns, b'{"run_view_type": 3}', "run_view_type", 3),
        (SearchRuns, b'{"run_view_type": "DELETED_ONLY"}', "run_view_type", "DELETED_ONLY"),
        (SearchExperiments, b"{}", "max_results", 1000),
        (SearchExperiments, b'{"filter": "name = \'a\'"}', "filter_string", "name = 'a'"),
        (GetMetricHistory, b'{"run_id": "r", "metric_key": "m"}', "max_results", None),
        (
            GetMetricHistoryBulkInterval,
            b'{"run_ids": ["a"], "metric_key": "m"}',
            "max_results",
            2500,
        ),
        (CreateExperiment, b'{"name": "e"}', "artifact_location", None),
        (UpdateRun, b'{"run_id": "r", "status": "FINISHED"}', "status", "FINISHED"),
        (UpdateRun, b'{"run_id": "r", "end_time": "12"}', "end_time", 12),
    ],
)
def test_fields_and_defaults(
    struct_type: type[Any], body: bytes, field: str, expected: Any
) -> None:
    assert getattr(decode_request(struct_type, body), field) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"run_view_type": "ALL"}', ViewType.ALL),
        (b'{"run_view_type": 2}', ViewType.DELETED_ONLY),
        (b'{"run_view_type": "1"}', ViewType.ACTIVE_ONLY),
        (b"{}", ViewType.ACTIVE_ONLY),
    ],
)
def test_view_type_by_name_or_number(body: bytes, expected: ViewType) -> None:
    assert decode_request(SearchRuns, body).view is expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"run_id": "r", "status": "KILLED"}', RunStatus.KILLED),
        (b'{"run_id": "r", "status": 3}', RunStatus.FINISHED),
        (b'{"run_id": "r"}', None),
    ],
)
def test_run_status_by_name_or_number(body: bytes, expected: RunStatus | None) -> None:
    assert decode_request(UpdateRun, body).run_status is expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"run_id": "a"}', "a"),
        (b'{"run_uuid": "b"}', "b"),
        (b'{"run_id": "a", "run_uuid": "b"}', "a"),
    ],
)
def test_run_uuid_is_an_alias_of_run_id(body: bytes, expected: str) -> None:
    assert decode_request(GetRun, body).run_id == expected


def test_unknown_fields_are_ignored_at_every_level() -> None:
    body = (
        b'{"run_id": "r", "future": {"deep": [1, 2]}, "metrics": '
        b'[{"key": "a", "value": 1, "timestamp": 2, "model_id": "m-1", "x": null}]}'
    )
    assert decode_request(LogBatch, body) == LogBatch(
        run_id="r", metrics=[WireMetric("a", 1.0, 2, 0)]
    )


@pytest.mark.parametrize(
    ("struct_type", "body", "message"),
    [
        (LogBatch, _metric('"abc"'), "metrics[0].value: must be a number, got 'abc'"),
        (LogBatch, _metric("true"), "metrics[0].value: must be a number, got true"),
        (LogBatch, _metric("null"), "metrics[0].value: must be a number, got null"),
        (LogBatch, _metric("1e400"), "metrics[0].value: number out of range"),
        (LogBatch, _metric("1", "1.5"), "metrics[0].timestamp: must be an integer, got 1.5"),
        (LogBatch, _metric("1", '"soon"'), "metrics[0].timestamp: must be an integer, got 'soon'"),
        (
            LogBatch,
            _metric("1", '"9223372036854775808"'),
            "metrics[0].timestamp: must be an integer <= 9223372036854775807,"
            " got '9223372036854775808'",
        ),
        (
            LogBatch,
            b'{"run_id": "r", "metrics": [{"key": "a", "value": 1}]}',
            "metrics[0].timestamp: this field is required",
        ),
        (LogBatch, b'{"metrics": []}', "run_id: this field is required"),
        (LogBatch, b'{"run_id": 7}', "run_id: must be a string, got 7"),
        (LogBatch, b'{"run_id": "r", "metrics": {}}', "metrics: must be a list, got an object"),
        (LogBatch, b'{"run_id": "r", "tags": [1]}', "tags[0]: must be an object, got 1"),
        (GetRun, b"{}", "run_id: this field is required"),
        (LogMetric, b'{"run_id": "r", "value": 1, "timestamp": 1}', "key: this field is required"),
        (CreateExperiment, b'{"name": null}', "name: must be a string, got null"),
        (
            SearchRuns,
            b'{"run_view_type": "all"}',
            "run_view_type: must be one of ACTIVE_ONLY, ALL, DELETED_ONLY (or 1, 2, 3), got 'all'",
        ),
        (SearchRuns, b'{"max_results": 0}', "max_results: must be an integer >= 1, got 0"),
        (
            SearchRuns,
            b'{"max_results": 50001}',
            "max_results: must be an integer <= 50000, got 50001",
        ),
        (
            SearchRuns,
            b'{"experiment_ids": "1"}',
            "experiment_ids: must be a list, got '1'",
        ),
        (
            UpdateRun,
            b'{"run_id": "r", "status": "DONE"}',
            "status: must be one of FAILED, FINISHED, KILLED, RUNNING, SCHEDULED"
            " (or 1, 2, 3, 4, 5), got 'DONE'",
        ),
        (
            GetMetricHistoryBulkInterval,
            b'{"run_ids": [], "metric_key": "m"}',
            "run_ids: must be a list of at least 1 item, got a list of 0 items",
        ),
        (
            GetMetricHistoryBulkInterval,
            b'{"run_ids": ["a"], "metric_key": "m", "start_step": 1}',
            "start_step and end_step: give both or neither",
        ),
        (
            GetMetricHistoryBulkInterval,
            b'{"run_ids": ["a"], "metric_key": "m", "start_step": 5, "end_step": 1}',
            "start_step: must not exceed end_step (1), got 5",
        ),
        (LogBatch, b"[]", "request body: must be a JSON object, got a list"),
        (LogBatch, b'"text"', "request body: must be a JSON object, got a string"),
        (LogBatch, b"null", "request body: must be a JSON object, got null"),
        (LogBatch, b"12", "request body: must be a JSON object, got an integer"),
        (LogBatch, b'{"run_id": ', "request body: malformed JSON (input data was truncated)"),
        (
            LogBatch,
            b"{'run_id': 1}",
            "request body: malformed JSON (object keys must be strings (byte 1))",
        ),
        (
            LogBatch,
            b'{"run_id": NaN}',
            "request body: malformed JSON (invalid character (byte 11))",
        ),
        (LogBatch, b"\xff\xfe{}", "request body: malformed JSON (invalid character (byte 0))"),
        (
            LogBatch,
            b'{"run_id": "a\x01b"}',
            "request body: malformed JSON (invalid character (byte 13))",
        ),
        (
            LogBatch,
            b'{"run_id": "r"} {}',
            "request body: malformed JSON (trailing characters (byte 17))",
        ),
    ],
)
def test_bad_bodies_raise_invalid_parameter_naming_the_field(
    struct_type: type[Any], body: bytes, message: str
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        decode_request(struct_type, body)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("key", "count", "message"),
    [
        (
            "metrics",
            1001,
            "metrics: must be a list of at most 1000 items, got a list of 1001 items",
        ),
        ("params", 101, "params: must be a list of at most 100 items, got a list of 101 items"),
        ("tags", 101, "tags: must be a list of at most 100 items, got a list of 101 items"),
    ],
)
def test_batch_limits(key: str, count: int, message: str) -> None:
    item = (
        {"key": "k", "value": 1, "timestamp": 1} if key == "metrics" else {"key": "k", "value": "v"}
    )
    body = msgspec.json.encode({"run_id": "r", key: [item] * count})
    with pytest.raises(InvalidParameter) as caught:
        decode_request(LogBatch, body)
    assert caught.value.message == message


def test_batch_total_limit() -> None:
    metrics = [{"key": "k", "value": 1, "timestamp": 1}] * 900
    params = [{"key": "p", "value": "v"}] * 100
    tags = [{"key": "t", "value": "v"}] * 1
    body = msgspec.json.encode({"run_id": "r", "metrics": metrics, "params": params, "tags": tags})
    with pytest.raises(InvalidParameter) as caught:
        decode_request(LogBatch, body)
    assert caught.value.message == "metrics, params and tags: at most 1000 in total, got 1001"


def test_batch_at_the_limits_is_accepted() -> None:
    metrics = [{"key": "k", "value": 1, "timestamp": 1}] * 800
    params = [{"key": "p", "value": "v"}] * 100
    tags = [{"key": "t", "value": "v"}] * 100
    body = msgspec.json.encode({"run_id": "r", "metrics": metrics, "params": params, "tags": tags})
    batch = decode_request(LogBatch, body)
    assert (len(batch.metrics), len(batch.params), len(batch.tags)) == (800, 100, 100)


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_deep_nesting_is_refused(depth: int) -> None:
    body = b'{"run_id": "r", "extra": ' + b"[" * depth + b"]" * depth + b"}"
    with pytest.raises(InvalidParameter) as caught:
        decode_request(LogBatch, body)
    assert caught.value.message == "request body: nested too deeply"


def test_long_bad_values_are_shortened_in_messages() -> None:
    body = msgspec.json.encode({"run_id": "r", "metrics": [{"key": "k", "value": "x" * 10_000}]})
    with pytest.raises(InvalidParameter) as caught:
        decode_request(LogBatch, body)
    assert caught.value.message == f"metrics[0].value: must be a number, got {'x' * 80!r}..."


@pytest.mark.parametrize("body", [None, b"", b"  \n"])
def test_empty_body_reads_the_query(body: bytes | None) -> None:
    query = {"run_id": ["r"], "metric_key": ["loss"], "max_results": ["10"]}
    request = decode_request(GetMetricHistory, body, query)
    assert (request.run_id, request.metric_key, request.max_results) == ("r", "loss", 10)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"run_ids": ["a", "b"], "metric_key": ["m"]}, (["a", "b"], "m", 2500, None, None)),
        (
            {"run_ids": ["a"], "metric_key": ["m", "ignored"], "max_results": ["320"]},
            (["a"], "m", 320, None, None),
        ),
        (
            {"run_ids": ["a"], "metric_key": ["m"], "start_step": ["0"], "end_step": ["9"]},
            (["a"], "m", 2500, 0, 9),
        ),
        ({"run_ids": ["a"], "metric_key": ["m"], "unknown": ["x"]}, (["a"], "m", 2500, None, None)),
    ],
)
def test_query_lists_take_every_value_scalars_the_first(
    query: dict[str, list[str]], expected: tuple[object, ...]
) -> None:
    request = decode_request(GetMetricHistoryBulkInterval, None, query)
    got = (
        request.run_ids,
        request.metric_key,
        request.max_results,
        request.start_step,
        request.end_step,
    )
    assert got == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"view_type": ["DELETED_ONLY"]}, ViewType.DELETED_ONLY),
        ({"view_type": ["3"]}, ViewType.ALL),
        ({}, ViewType.ACTIVE_ONLY),
    ],
)
def test_query_view_type(query: dict[str, list[str]], expected: ViewType) -> None:
    assert decode_request(SearchExperiments, None, query).view is expected


def test_query_filter_and_order_by() -> None:
    query = {"filter": ["name LIKE 'a%'"], "order_by": ["name", "creation_time DESC"]}
    request = decode_request(SearchExperiments, None, query)
    assert (request.filter_string, request.order_by) == (
        "name LIKE 'a%'",
        ["name", "creation_time DESC"],
    )


@pytest.mark.parametrize(
    ("struct_type", "query", "message"),
    [
        (GetMetricHistoryBulkInterval, {}, "run_ids: this field is required"),
        (GetMetricHistory, {"run_id": ["r"]}, "metric_key: this field is required"),
        (
            GetMetricHistory,
            {"run_id": ["r"], "metric_key": ["m"], "max_results": ["ten"]},
            "max_results: must be an integer, got 'ten'",
        ),
        (
            SearchExperiments,
            {"view_type": ["4"]},
            "view_type: must be one of ACTIVE_ONLY, ALL, DELETED_ONLY (or 1, 2, 3), got '4'",
        ),
        (GetRun, {}, "run_id: this field is required"),
    ],
)
def test_bad_queries_raise_invalid_parameter(
    struct_type: type[Any], query: dict[str, list[str]], message: str
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        decode_request(struct_type, None, query)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("struct_type", "expected"),
    [
        (GetMetricHistoryBulkInterval, {"run_ids": True, "metric_key": False}),
        (SearchExperiments, {"order_by": True, "filter": False, "view_type": False}),
    ],
)
def test_query_fields_reports_repeatable_keys(
    struct_type: type[Any], expected: dict[str, bool]
) -> None:
    fields = query_fields(struct_type)
    assert {name: fields[name] for name in expected} == expected


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)
_FIELD_NAMES = st.sampled_from(
    ["run_id", "metrics", "params", "tags", "key", "value", "timestamp", "step", "max_results"]
)


@settings(max_examples=200, deadline=None)
@given(
    route_index=st.integers(0, len(ROUTES) - 1),
    body=st.one_of(
        st.binary(max_size=200),
        st.dictionaries(_FIELD_NAMES, _JSON, max_size=5).map(msgspec.json.encode),
        _JSON.map(msgspec.json.encode),
    ),
)
def test_any_body_gives_a_request_or_invalid_parameter(route_index: int, body: bytes) -> None:
    request_type = ROUTES[route_index].request
    try:
        request = decode_request(request_type, body)
    except InvalidParameter as error:
        assert error.message
        assert "Traceback" not in error.message
    else:
        assert isinstance(request, request_type)


@settings(max_examples=200, deadline=None)
@given(
    route_index=st.integers(0, len(ROUTES) - 1),
    query=st.dictionaries(
        _FIELD_NAMES | st.text(max_size=5), st.lists(st.text(max_size=8), max_size=3)
    ),
)
def test_any_query_gives_a_request_or_invalid_parameter(
    route_index: int, query: dict[str, list[str]]
) -> None:
    request_type = ROUTES[route_index].request
    try:
        request = decode_request(request_type, None, query)
    except InvalidParameter as error:
        assert error.message
    else:
        assert isinstance(request, request_type)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b"<html>bad gateway</html>",
            "malformed response from server: JSON is malformed: invalid character (byte 0)",
        ),
        (b'{"runs": 5}', "unexpected response from server: runs: must be a list, got 5"),
    ],
)
def test_bad_responses_raise_internal_error(body: bytes, message: str) -> None:
    from trackstone.api.runs import SearchRunsResponse

    with pytest.raises(InternalError) as caught:
        decode_response(SearchRunsResponse, body)
    assert caught.value.message == message
