"""Value rules of the entity constructors: keys, lengths, numbers, int64."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from trackstone.entities import (
    Dataset,
    DatasetInput,
    ExperimentTag,
    InputTag,
    Metric,
    Param,
    RunStatus,
    RunTag,
    ViewType,
)
from trackstone.entities.experiment import check_experiment_name
from trackstone.errors import InvalidParameter

VALID_KEYS = ["loss", "val/loss", "a.b-c_d", "with space", "epoch:1", "x" * 250, "dir/"]
INVALID_KEYS = [
    ("", "must not be empty"),
    ("x" * 251, "at most 250"),
    ("a\nb", "may only contain"),
    ("a;b", "may only contain"),
    ("../escape", "clean relative path"),
    ("a/../b", "clean relative path"),
    ("/abs", "clean relative path"),
    ("a//b", "clean relative path"),
    ("./a", "clean relative path"),
]


@pytest.mark.parametrize("key", VALID_KEYS)
def test_valid_keys_are_kept_as_given(key: str) -> None:
    assert Metric(key, 1.0, 0).key == key
    assert Param(key, "v").key == key
    assert RunTag(key, "v").key == key


@pytest.mark.parametrize(("key", "fragment"), INVALID_KEYS)
@pytest.mark.parametrize("entity", [Param, RunTag, ExperimentTag])
def test_invalid_keys_are_refused_with_the_reason(entity: type, key: str, fragment: str) -> None:
    with pytest.raises(InvalidParameter, match=fragment):
        entity(key, "v")


@pytest.mark.parametrize(("entity", "limit"), [(Param, 6000), (RunTag, 8000)])
def test_long_param_and_tag_values_are_cut_with_a_warning_as_mlflow_does(
    entity: type, limit: int, caplog: pytest.LogCaptureFixture
) -> None:
    assert entity("k", "v" * limit).value == "v" * limit
    assert not caplog.records
    value = "".join(str(index % 10) for index in range(limit + 5))
    assert entity("k", value).value == value[:limit]
    [warning] = caplog.records
    assert warning.levelname == "WARNING"
    assert f"'k' value: {limit + 5} characters, cut to the first {limit}" in warning.getMessage()


@pytest.mark.parametrize(("length", "ok"), [(20000, True), (20001, False)])
def test_experiment_tag_values_are_refused_over_mlflows_limit(length: int, ok: bool) -> None:
    value = "v" * length
    if ok:
        assert ExperimentTag("k", value).value == value
    else:
        with pytest.raises(InvalidParameter, match=rf"'k' value: must be at most .* got {length}"):
            ExperimentTag("k", value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1.0), (0.5, 0.5), (-0.0, -0.0), (math.inf, math.inf), (-math.inf, -math.inf), ("", None)],
)
def test_metric_values(value: object, expected: float | None) -> None:
    if expected is None:
        with pytest.raises(InvalidParameter, match="must be a number"):
            Metric("m", value, 0)  # type: ignore[arg-type]
    else:
        stored = Metric("m", value, 0).value  # type: ignore[arg-type]
        assert stored == expected
        assert math.copysign(1.0, stored) == math.copysign(1.0, expected)


@pytest.mark.parametrize("value", [True, "0.5", None, b"1", [1.0]])
def test_metric_refuses_non_numbers(value: object) -> None:
    with pytest.raises(InvalidParameter, match=r"metric 'm' value: must be a number"):
        Metric("m", value, 0)  # type: ignore[arg-type]


def test_nan_metrics_compare_equal_and_hash_alike() -> None:
    a, b = Metric("m", math.nan, 5, 1), Metric("m", float("nan"), 5, 1)
    assert a == b
    assert hash(a) == hash(b)
    assert a != Metric("m", 0.0, 5, 1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3), ("42", 42), (" -7 ", -7), (2.0, 2), (2**63 - 1, 2**63 - 1)],
)
def test_steps_accept_int64_in_protobuf_forms(value: object, expected: int) -> None:
    assert Metric("m", 0.0, 0, value).step == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("x", "must be an integer"),
        (2.5, "must be an integer"),
        (2**63, "64-bit"),
        (True, "integer"),
    ],
)
def test_steps_refuse_non_int64(value: object, fragment: str) -> None:
    with pytest.raises(InvalidParameter, match=rf"metric 'm' step: .*{fragment}"):
        Metric("m", 0.0, 0, value)  # type: ignore[arg-type]


def test_param_and_tag_values_are_stringified() -> None:
    assert Param("lr", 0.01).value == "0.01"  # type: ignore[arg-type]
    assert RunTag("n", 3).value == "3"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Param("p", "a\x00b"), "param 'p' value"),
        (lambda: RunTag("t", "\x00"), "tag 't' value"),
        (lambda: check_experiment_name("exp\x00"), "experiment name"),
    ],
)
def test_text_with_nul_is_refused_on_every_backend(build: Any, field: str) -> None:
    """PostgreSQL cannot store NUL in text, so no backend accepts it."""
    with pytest.raises(InvalidParameter, match=rf"^{re.escape(field)}: must not contain NUL"):
        build()


@pytest.mark.parametrize(("name", "ok"), [("exp", True), ("", False), ("  ", False), (5, False)])
def test_experiment_names(name: object, ok: bool) -> None:
    if ok:
        assert check_experiment_name(name) == name
    else:
        with pytest.raises(InvalidParameter, match="experiment name"):
            check_experiment_name(name)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("FINISHED", RunStatus.FINISHED), ("killed", RunStatus.KILLED), (1, RunStatus.RUNNING)],
)
def test_run_status_parsing(raw: object, expected: RunStatus) -> None:
    assert RunStatus.parse(raw) is expected  # type: ignore[arg-type]


def test_run_status_refuses_unknown_names() -> None:
    with pytest.raises(InvalidParameter, match="status: must be one of"):
        RunStatus.parse("DONE")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ViewType.ACTIVE_ONLY),
        ("all", ViewType.ALL),
        (2, ViewType.DELETED_ONLY),
        ("3", ViewType.ALL),
    ],
)
def test_view_type_parsing(raw: object, expected: ViewType) -> None:
    assert ViewType.parse(raw) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["everything", 7, "9"])
def test_view_type_refuses_unknown(raw: object) -> None:
    with pytest.raises(InvalidParameter, match="view_type"):
        ViewType.parse(raw)  # type: ignore[arg-type]


def test_dataset_input_context_comes_from_its_tag() -> None:
    dataset = Dataset(name="iris", digest="abc123")
    used = DatasetInput(dataset, (InputTag("mlflow.data.context", "training"),))
    assert used.context == "training"
    assert DatasetInput(dataset).context is None


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [({"name": "", "digest": "d"}, "dataset name"), ({"name": "n", "digest": "d" * 37}, "digest")],
)
def test_dataset_limits(kwargs: dict[str, str], fragment: str) -> None:
    with pytest.raises(InvalidParameter, match=fragment):
        Dataset(**kwargs)
