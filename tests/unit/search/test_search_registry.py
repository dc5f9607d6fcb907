"""The registry's search schemas and reference semantics (trackstone.search.registry)."""

from __future__ import annotations

import pytest

from trackstone.entities.registry import ModelVersion, ModelVersionStage, RegisteredModel
from trackstone.errors import InvalidParameter
from trackstone.search.ast import Comparison, Identifier, IdentifierKind, Operator, OrderKey
from trackstone.search.registry import (
    model_version_matches,
    parse_model_filter,
    parse_model_order_by,
    parse_version_filter,
    parse_version_order_by,
    registered_model_matches,
    sort_model_versions,
    sort_registered_models,
)


def _attribute(key: str) -> Identifier:
    return Identifier(IdentifierKind.ATTRIBUTE, key)


def _version(name: str, number: int, **fields: object) -> ModelVersion:
    values: dict[str, object] = {"creation_timestamp": number, "last_updated_timestamp": number}
    values.update(fields)
    return ModelVersion(name=name, version=str(number), **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version = 3", Comparison(_attribute("version_number"), Operator.EQ, 3)),
        ("source LIKE 's3%'", Comparison(_attribute("source_path"), Operator.LIKE, "s3%")),
        ("aliases = 'a'", Comparison(_attribute("alias"), Operator.EQ, "a")),
        (
            "stage = 'production'",
            Comparison(_attribute("current_stage"), Operator.EQ, "Production"),
        ),
        ("run_id IN ('a', 'b')", Comparison(_attribute("run_id"), Operator.IN, ("a", "b"))),
        ("creation_time > 5", Comparison(_attribute("creation_timestamp"), Operator.GT, 5)),
    ],
)
def test_version_filter_spellings(text: str, expected: Comparison) -> None:
    assert parse_version_filter(text) == expected


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (parse_model_filter, "run_id = 'x'", "run_id"),
        (parse_model_filter, "params.a = 'x'", "prefix"),
        (parse_version_filter, "current_stage = 'Live'", "current_stage"),
        (parse_version_filter, "version_number LIKE '1%'", "LIKE"),
        (parse_version_filter, "version_number = 'one'", "version_number"),
        (parse_version_filter, "alias IS NULL", "IS NULL"),
    ],
)
def test_bad_filters_name_the_problem(parse: object, text: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        parse(text)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("parse", "items", "expected"),
    [
        (parse_model_order_by, None, [("name", True)]),
        (
            parse_model_order_by,
            ["timestamp DESC"],
            [("last_updated_timestamp", False), ("name", True)],
        ),
        (parse_model_order_by, ["name DESC"], [("name", False)]),
        (
            parse_version_order_by,
            None,
            [("last_updated_timestamp", False), ("name", True), ("version_number", False)],
        ),
        (
            parse_version_order_by,
            ["version ASC"],
            [("version_number", True), ("name", True)],
        ),
        (
            parse_version_order_by,
            ["creation_timestamp"],
            [("creation_timestamp", True), ("name", True), ("version_number", False)],
        ),
    ],
)
def test_orders_are_completed_with_the_tie_breakers(
    parse: object, items: list[str] | None, expected: list[tuple[str, bool]]
) -> None:
    keys: list[OrderKey] = parse(items)  # type: ignore[operator]

    assert [(key.identifier.key, key.ascending) for key in keys] == expected


@pytest.mark.parametrize(
    ("parse", "items", "message"),
    [
        (parse_model_order_by, ["name", "name DESC"], "more than once"),
        (parse_version_order_by, ["run_id"], "run_id"),
        (parse_version_order_by, ["tags.a"], "tags"),
    ],
)
def test_bad_orders_are_refused(parse: object, items: list[str], message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        parse(items)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "tags", "expected"),
    [
        ("tags.`mlflow.prompt.is_prompt` != 'true'", {}, True),
        ("tags.`mlflow.prompt.is_prompt` = 'false'", {}, True),
        ("tags.`mlflow.prompt.is_prompt` = 'true'", {}, False),
        ("tags.`mlflow.prompt.is_prompt` != 'true'", {"mlflow.prompt.is_prompt": "true"}, False),
        ("tags.other != 'true'", {}, False),
        ("tags.other IS NULL", {}, True),
    ],
)
def test_an_absent_prompt_tag_reads_false(text: str, tags: dict[str, str], expected: bool) -> None:
    model = RegisteredModel("m", 0, 0, tags=tags)

    assert registered_model_matches(parse_model_filter(text), model) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("run_id != 'r1'", ["b/1"]),
        ("run_id NOT IN ('r1')", ["b/1"]),
        ("alias = 'gold'", ["a/1"]),
        ("alias != 'gold'", ["a/1"]),
        ("current_stage = 'Production'", ["b/1"]),
        ("version_number >= 2", ["a/2"]),
    ],
)
def test_version_matching(text: str, expected: list[str]) -> None:
    versions = [
        _version("a", 1, run_id="r1", aliases=("gold", "silver")),
        _version("a", 2),
        _version("b", 1, run_id="r2", current_stage=ModelVersionStage.PRODUCTION),
    ]
    expression = parse_version_filter(text)

    found = [f"{v.name}/{v.version}" for v in versions if model_version_matches(expression, v)]

    assert found == expected


def test_sorting_uses_the_completed_keys() -> None:
    versions = [_version("b", 1), _version("a", 1), _version("a", 2), _version("B", 9)]

    ordered = sort_model_versions(versions, parse_version_order_by(None))

    assert [f"{v.name}/{v.version}" for v in ordered] == ["B/9", "a/2", "a/1", "b/1"]


def test_models_sort_by_time_then_name() -> None:
    models = [RegisteredModel("b", 1, 5), RegisteredModel("a", 2, 5), RegisteredModel("c", 3, 1)]

    ordered = sort_registered_models(models, parse_model_order_by(["last_updated_timestamp DESC"]))

    assert [m.name for m in ordered] == ["a", "b", "c"]
