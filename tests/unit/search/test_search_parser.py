"""Filter and order-by text to syntax trees, and the messages of text that does not parse."""

from __future__ import annotations

import pytest

from trackstone.errors import InvalidParameter
from trackstone.search.ast import (
    And,
    Comparison,
    Expression,
    Identifier,
    IdentifierKind,
    Operator,
    Or,
    OrderKey,
)
from trackstone.search.parser import (
    MAX_NESTING,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_run_filter,
    parse_run_order_by,
)


def metric(key: str) -> Identifier:
    return Identifier(IdentifierKind.METRIC, key)


def param(key: str) -> Identifier:
    return Identifier(IdentifierKind.PARAM, key)


def tag(key: str) -> Identifier:
    return Identifier(IdentifierKind.TAG, key)


def attr(key: str) -> Identifier:
    return Identifier(IdentifierKind.ATTRIBUTE, key)


def dataset(key: str) -> Identifier:
    return Identifier(IdentifierKind.DATASET, key)


C = Comparison
Op = Operator
LOSS_LT = C(metric("loss"), Op.LT, 0.3)
LR_EQ = C(param("lr"), Op.EQ, "0.1")
TEAM_EQ = C(tag("team"), Op.EQ, "a")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("", None),
        ("   \n\t", None),
        ("metrics.loss < 0.3", LOSS_LT),
        ("metric.loss<0.3", LOSS_LT),
        ("METRICS.loss < .3", LOSS_LT),
        ("metrics.loss < 3e-1", LOSS_LT),
        ("metrics.loss = -1", C(metric("loss"), Op.EQ, -1.0)),
        ("metrics.loss >= 1e999", C(metric("loss"), Op.GE, float("inf"))),
        ("metrics.`my key` != 2", C(metric("my key"), Op.NE, 2.0)),
        ("metrics.loss <> 2", C(metric("loss"), Op.NE, 2.0)),
        ("metrics.val/loss > 0", C(metric("val/loss"), Op.GT, 0.0)),
        ("metrics.loss <= 0", C(metric("loss"), Op.LE, 0.0)),
        ("metrics.loss IS NULL", C(metric("loss"), Op.IS_NULL, None)),
        ("metrics.loss is not null", C(metric("loss"), Op.IS_NOT_NULL, None)),
        ("params.lr = '0.1'", LR_EQ),
        ('param.lr = "0.1"', LR_EQ),
        ("parameters.lr = '0.1'", LR_EQ),
        ("parameter.lr = '0.1'", LR_EQ),
        ("params.`p 1` = 'it''s'", C(param("p 1"), Op.EQ, "it's")),
        ("params.opt LIKE 'ad%'", C(param("opt"), Op.LIKE, "ad%")),
        ("params.opt ILIKE 'AD%'", C(param("opt"), Op.ILIKE, "AD%")),
        ("params.opt IN ('adam', 'sgd')", C(param("opt"), Op.IN, ("adam", "sgd"))),
        ("params.opt not in ('adam')", C(param("opt"), Op.NOT_IN, ("adam",))),
        ("params.opt IS NULL", C(param("opt"), Op.IS_NULL, None)),
        ("tags.team = 'a'", TEAM_EQ),
        ("tag.team = 'a'", TEAM_EQ),
        ("tags.mlflow.runName = 'r'", C(tag("mlflow.runName"), Op.EQ, "r")),
        ('tags."mlflow.user" = "me"', C(tag("mlflow.user"), Op.EQ, "me")),
        ("tags.`a``b` != ''", C(tag("a`b"), Op.NE, "")),
        ("tags.t IS NOT NULL", C(tag("t"), Op.IS_NOT_NULL, None)),
        ("attributes.status = 'FINISHED'", C(attr("status"), Op.EQ, "FINISHED")),
        ("status = 'finished'", C(attr("status"), Op.EQ, "FINISHED")),
        ("attr.status IN ('running', 'Failed')", C(attr("status"), Op.IN, ("RUNNING", "FAILED"))),
        ("run.status LIKE 'fin%'", C(attr("status"), Op.LIKE, "fin%")),
        ("attribute.run_id = 'abc'", C(attr("run_id"), Op.EQ, "abc")),
        ("attributes.run_uuid IN ('a', 'b')", C(attr("run_id"), Op.IN, ("a", "b"))),
        ("id != 'a'", C(attr("run_id"), Op.NE, "a")),
        ("run_name ILIKE '%bert%'", C(attr("run_name"), Op.ILIKE, "%bert%")),
        ("attributes.`run_name` = 'x'", C(attr("run_name"), Op.EQ, "x")),
        ("user_id = 'me'", C(attr("user_id"), Op.EQ, "me")),
        ("artifact_uri LIKE 's3://%'", C(attr("artifact_uri"), Op.LIKE, "s3://%")),
        ("attributes.start_time >= 1700000000000", C(attr("start_time"), Op.GE, 1700000000000)),
        ("created > 5", C(attr("start_time"), Op.GT, 5)),
        ("Created > 5", C(attr("start_time"), Op.GT, 5)),
        ("end_time IS NULL", C(attr("end_time"), Op.IS_NULL, None)),
        ("end_time < -1", C(attr("end_time"), Op.LT, -1)),
        ("datasets.name = 'mnist'", C(dataset("name"), Op.EQ, "mnist")),
        ("dataset.digest IN ('d1')", C(dataset("digest"), Op.IN, ("d1",))),
        ("datasets.context LIKE 'train%'", C(dataset("context"), Op.LIKE, "train%")),
        (
            "metrics.loss < 0.3 AND params.lr = '0.1'",
            And((LOSS_LT, LR_EQ)),
        ),
        (
            "metrics.loss < 0.3 OR params.lr = '0.1' AND tags.team = 'a'",
            Or((LOSS_LT, And((LR_EQ, TEAM_EQ)))),
        ),
        (
            "metrics.loss < 0.3 AND params.lr = '0.1' OR tags.team = 'a'",
            Or((And((LOSS_LT, LR_EQ)), TEAM_EQ)),
        ),
        (
            "metrics.loss < 0.3 AND (params.lr = '0.1' OR tags.team = 'a')",
            And((LOSS_LT, Or((LR_EQ, TEAM_EQ)))),
        ),
        (
            "(metrics.loss < 0.3 AND params.lr = '0.1') AND tags.team = 'a'",
            And((LOSS_LT, LR_EQ, TEAM_EQ)),
        ),
        (
            "metrics.loss < 0.3 or (params.lr = '0.1' or (tags.team = 'a'))",
            Or((LOSS_LT, LR_EQ, TEAM_EQ)),
        ),
        ("((metrics.loss < 0.3))", LOSS_LT),
    ],
)
def test_valid_run_filters(text: str | None, expected: Expression | None) -> None:
    assert parse_run_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name = 'exp'", C(attr("name"), Op.EQ, "exp")),
        ("attributes.name LIKE 'e%'", C(attr("name"), Op.LIKE, "e%")),
        ("creation_time > 10", C(attr("creation_time"), Op.GT, 10)),
        ("attr.last_update_time <= 10", C(attr("last_update_time"), Op.LE, 10)),
        ("tags.owner = 'me'", C(tag("owner"), Op.EQ, "me")),
        ("tags.owner IS NULL", C(tag("owner"), Op.IS_NULL, None)),
        (
            "name = 'a' or tags.owner = 'me'",
            Or((C(attr("name"), Op.EQ, "a"), C(tag("owner"), Op.EQ, "me"))),
        ),
    ],
)
def test_valid_experiment_filters(text: str, expected: Expression) -> None:
    assert parse_experiment_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            "metrics.loss foo",
            [
                "filter: expected a comparison operator at position 13 (after 'metrics.loss'), "
                "got 'foo'"
            ],
        ),
        (
            "colour = 'red'",
            [
                "filter: unknown attribute 'colour' at position 0; expected one of run_id, "
                "run_name, status, user_id, artifact_uri, start_time, end_time",
                "metrics.colour",
            ],
        ),
        (
            "metrics.loss = '0.5'",
            ["filter: metrics.loss compares to numbers, got the string '0.5' at position 15"],
        ),
        (
            "params.lr = 0.1",
            ["params.lr compares to quoted strings, got the number 0.1 at position 12"],
        ),
        (
            "params.lr IN (1)",
            ["params.lr compares to quoted strings, got the number 1 at position 14"],
        ),
        ("start_time > '5'", ["attributes.start_time compares to integers, got the string '5'"]),
        (
            "start_time > 1.5",
            ["attributes.start_time compares to integers, got 1.5 at position 13"],
        ),
        ("end_time > 1e3", ["compares to integers, got 1e3"]),
        ("start_time > 9223372036854775808", ["outside the 64-bit integer range"]),
        (
            "metrics.loss < 0.3 and",
            ["expected an identifier", "at position 22 (after 'and')", "got the end of the filter"],
        ),
        (
            "metrics.loss < 0.3 params.x = 'a'",
            [
                "expected AND, OR or the end of the filter at "
                "position 19 (after '0.3'), got 'params.x'"
            ],
        ),
        ("(metrics.loss < 0.3", ["expected AND, OR or ')' at position 19", "end of the filter"]),
        ("metrics.loss < 0.3)", ["expected AND, OR or the end of the filter at position 18"]),
        ("()", ["expected an identifier such as metrics.loss or attributes.status at position 1"]),
        ("metrics.loss <", ["expected a number at position 14 (after '<'), got the end"]),
        ("params.x =", ["expected a quoted string at position 10"]),
        ("params.x = = 'a'", ["expected a quoted string at position 11 (after '='), got '='"]),
        (
            "metrics.loss LIKE 'a%'",
            [
                "LIKE does not apply to metrics.loss at position 13; use one "
                "of =, !=, <, <=, >, >=, IS NULL, IS NOT NULL"
            ],
        ),
        ("metrics.loss IN ('a')", ["IN does not apply to metrics.loss"]),
        (
            "params.x < 'a'",
            [
                "< does not apply to params.x at position 9; use one of =, !=, "
                "LIKE, ILIKE, IN, NOT IN, IS NULL, IS NOT NULL"
            ],
        ),
        ("status IS NULL", ["IS NULL does not apply to attributes.status"]),
        ("start_time IS NOT NULL", ["IS NOT NULL does not apply to attributes.start_time"]),
        ("datasets.name IS NULL", ["IS NULL does not apply to datasets.name"]),
        (
            "status = 'DONE'",
            [
                "attributes.status must be one of RUNNING, SCHEDULED, FINISHED, "
                "FAILED, KILLED, got 'DONE' at position 9"
            ],
        ),
        ("status IN ('RUNNING', 'nope')", ["got 'nope' at position 22"]),
        ("params.x IN 'a'", ["expected '(' to open the list of values at position 12"]),
        ("params.x IN ()", ["expected a quoted string at position 13 (after '('), got ')'"]),
        ("params.x IN ('a',)", ["expected a quoted string at position 17"]),
        ("params.x IN ('a' 'b')", ["expected ',' or ')' at position 17"]),
        (
            "params.x NOT LIKE 'a'",
            ["expected IN after NOT at position 13 (after 'NOT'), got 'LIKE'"],
        ),
        ("params.x IS 'a'", ["expected NULL or NOT NULL after IS at position 12"]),
        ("params.x IS NOT 'a'", ["expected NULL after IS NOT at position 16"]),
        (
            "NOT params.x = 'a'",
            [
                "expected an identifier such as metrics.loss or attributes.status "
                "at position 0, got 'NOT'"
            ],
        ),
        ("params.x LIKE 5", ["params.x compares to quoted strings, got the number 5"]),
        (
            "foo.bar = 'a'",
            [
                "unknown prefix 'foo' at position 0; expected one of metrics, params, "
                "tags, attributes, datasets"
            ],
        ),
        ("attributes.colour = 'a'", ["unknown attribute 'colour' at position 0"]),
        (
            "datasets.size = 'a'",
            ["unknown datasets 'size' at position 0; expected one of name, digest, context"],
        ),
        ("'a' = params.x", ["expected an identifier", "at position 0, got \"'a'\""]),
        ("metrics.x = 1 # 2", ["unexpected character '#' at position 14"]),
        (
            "params.x = NULL",
            ["comparing to NULL at position 11 is never true; write params.x IS NULL"],
        ),
        ("metrics.x <> null", ["write metrics.x IS NOT NULL"]),
        ("metrics.x < NULL", ["write metrics.x IS NULL or IS NOT NULL"]),
        ("loss < 1", ["(did you mean metrics.loss or params.loss or tags.loss?)"]),
        (
            "(" * (MAX_NESTING + 1) + "metrics.x = 1" + ")" * (MAX_NESTING + 1),
            [f"parentheses nest deeper than {MAX_NESTING} levels at position {MAX_NESTING}"],
        ),
    ],
)
def test_invalid_run_filters(text: str, fragments: list[str]) -> None:
    with pytest.raises(InvalidParameter) as raised:
        parse_run_filter(text)
    for fragment in fragments:
        assert fragment in raised.value.message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "metrics.loss < 1",
            "unknown prefix 'metrics' at position 0; expected one of attributes, tags",
        ),
        ("params.x = 'a'", "unknown prefix 'params'"),
        ("datasets.name = 'a'", "unknown prefix 'datasets'"),
        ("run.name = 'a'", "unknown prefix 'run'"),
        (
            "status = 'RUNNING'",
            "unknown attribute 'status' at position 0; expected one of name, "
            "creation_time, last_update_time (did you mean tags.status?)",
        ),
        ("experiment_id = '1'", "unknown attribute 'experiment_id'"),
        ("creation_time = 'x'", "attributes.creation_time compares to integers"),
        ("name > 'a'", "> does not apply to attributes.name"),
    ],
)
def test_invalid_experiment_filters(text: str, fragment: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        parse_experiment_filter(text)
    assert fragment in raised.value.message


def test_filter_must_be_text() -> None:
    with pytest.raises(InvalidParameter, match="filter: must be a string, got 3"):
        parse_run_filter(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (None, []),
        ([], []),
        (["metrics.m0 DESC"], [OrderKey(metric("m0"), ascending=False)]),
        (["attributes.start_time"], [OrderKey(attr("start_time"), ascending=True)]),
        (["params.`p 1` asc"], [OrderKey(param("p 1"), ascending=True)]),
        (["run_name desc", "tags.t"], [OrderKey(attr("run_name"), False), OrderKey(tag("t"))]),
        (["created DESC"], [OrderKey(attr("start_time"), ascending=False)]),
        (["status", "end_time ASC"], [OrderKey(attr("status")), OrderKey(attr("end_time"))]),
        ("metrics.m0 DESC", [OrderKey(metric("m0"), ascending=False)]),
    ],
)
def test_run_order_by(items: list[str] | None, expected: list[OrderKey]) -> None:
    assert parse_run_order_by(items) == expected


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (["name"], [OrderKey(attr("name"))]),
        (["last_update_time DESC"], [OrderKey(attr("last_update_time"), ascending=False)]),
        (["attributes.creation_time asc"], [OrderKey(attr("creation_time"))]),
        (["experiment_id DESC"], [OrderKey(attr("experiment_id"), ascending=False)]),
        (["tags.owner"], [OrderKey(tag("owner"))]),
    ],
)
def test_experiment_order_by(items: list[str], expected: list[OrderKey]) -> None:
    assert parse_experiment_order_by(items) == expected


@pytest.mark.parametrize(
    ("items", "fragment"),
    [
        (
            ["metrics.m0 DEC"],
            "order_by: expected ASC or DESC at position 11 (after 'metrics.m0'), "
            "got 'DEC'; in order_by item 'metrics.m0 DEC'",
        ),
        (["metrics.m0 DESC ASC"], "expected the end of the order_by item at position 16"),
        (["metrics.m0 > 1"], "expected ASC or DESC at position 11 (after 'metrics.m0'), got '>'"),
        (
            [""],
            "expected an identifier such as metrics.loss or attributes.status at position 0, "
            "got the end of the order_by item",
        ),
        (["DESC metrics.m0"], "unknown attribute 'DESC' at position 0"),
        (["datasets.name"], "order_by: datasets. cannot be used in order_by"),
        (["colour"], "order_by: unknown attribute 'colour' at position 0"),
        (["metrics.`m0"], "order_by: unterminated key starting at position 8"),
        ([3], "order_by: each item must be a string, got 3"),
    ],
)
def test_invalid_run_order_by(items: list[str], fragment: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        parse_run_order_by(items)
    assert fragment in raised.value.message
