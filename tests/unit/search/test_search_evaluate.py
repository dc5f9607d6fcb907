"""The reference semantics: which runs and experiments a filter matches, and their order."""

from __future__ import annotations

import math

import pytest

from trackstone.entities import (
    DATASET_CONTEXT_TAG,
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
)
from trackstone.search.evaluate import (
    experiment_matches,
    experiment_sort_key,
    like,
    run_matches,
    sort_experiments,
    sort_runs,
)
from trackstone.search.parser import (
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_run_filter,
    parse_run_order_by,
)


def make_run(
    run_id: str,
    *,
    metrics: dict[str, float] | None = None,
    params: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    datasets: tuple[tuple[str, str, str | None], ...] = (),
    status: RunStatus = RunStatus.FINISHED,
    start_time: int | None = 100,
    end_time: int | None = None,
) -> Run:
    info = RunInfo(
        run_id=run_id,
        experiment_id="1",
        run_name=f"name-{run_id}",
        user_id="alice",
        status=status,
        start_time=start_time,
        end_time=end_time,
        artifact_uri=f"s3://bucket/1/{run_id}/artifacts",
    )
    latest = tuple(Metric(key, value, timestamp=0) for key, value in (metrics or {}).items())
    inputs = tuple(
        DatasetInput(
            Dataset(name, digest),
            () if context is None else (InputTag(DATASET_CONTEXT_TAG, context),),
        )
        for name, digest, context in datasets
    )
    return Run(info, RunData(latest, params or {}, tags or {}), RunInputs(inputs))


RUN = make_run(
    "r1",
    metrics={"loss": 0.25, "nan": math.nan, "big": math.inf, "small": -math.inf, "zero": -0.0},
    params={"opt": "adam", "path": "a\\b", "pct": "50%"},
    tags={"team": "vision", "city": "Zürich", "note": "line1\nline2", "mlflow.runName": "r"},
    datasets=(("mnist", "d1", "training"), ("cifar", "d2", None)),
    start_time=1000,
)
FALSE_A = "metrics.loss > 1"
TRUE_B = "params.opt = 'adam'"
TRUE_C = "tags.team = 'vision'"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        ("metrics.loss < 0.5", True),
        ("metrics.loss = 0.25", True),
        ("metrics.loss > 0.25", False),
        ("metrics.loss >= 0.25", True),
        ("metrics.loss <= 0.2", False),
        ("metrics.zero = 0", True),
        ("metrics.nan = 0", False),
        ("metrics.nan != 0", True),
        ("metrics.nan < 1e999", False),
        ("metrics.nan > -1e999", False),
        ("metrics.nan <= 0", False),
        ("metrics.nan >= 0", False),
        ("metrics.nan IS NULL", False),
        ("metrics.nan IS NOT NULL", True),
        ("metrics.big > 1e308", True),
        ("metrics.big = 1e999", True),
        ("metrics.small < -1e308", True),
        ("metrics.absent != 1", False),
        ("metrics.absent < 1", False),
        ("metrics.absent IS NULL", True),
        ("metrics.absent IS NOT NULL", False),
        ("metrics.loss IS NULL", False),
        ("params.opt = 'adam'", True),
        ("params.opt = 'Adam'", False),
        ("params.opt != 'sgd'", True),
        ("params.absent != 'sgd'", False),
        ("params.absent IS NULL", True),
        ("params.opt LIKE 'ad%'", True),
        ("params.opt LIKE 'AD%'", False),
        ("params.opt ILIKE 'AD%'", True),
        ("params.opt LIKE '_dam'", True),
        ("params.opt LIKE 'a_'", False),
        ("params.opt LIKE 'adam_'", False),
        ("params.opt LIKE '%'", True),
        ("params.opt LIKE 'ada'", False),
        ("params.path LIKE 'a\\%'", True),
        ("params.path LIKE 'a\\b'", True),
        ("params.pct LIKE '50\\%'", False),
        ("params.absent LIKE '%'", False),
        ("params.opt IN ('sgd', 'adam')", True),
        ("params.opt IN ('sgd')", False),
        ("params.opt NOT IN ('sgd')", True),
        ("params.opt NOT IN ('adam')", False),
        ("params.absent NOT IN ('adam')", False),
        ("params.absent IN ('adam')", False),
        ("tags.city ILIKE 'zürich'", True),
        ("tags.city ILIKE 'ZÜRICH'", False),
        ("tags.note LIKE 'line1%'", True),
        ("tags.note LIKE 'line1_line2'", True),
        ("tags.mlflow.runName = 'r'", True),
        ("tags.team IS NOT NULL", True),
        ("attributes.run_id = 'r1'", True),
        ("attributes.run_name = 'name-r1'", True),
        ("attributes.user_id = 'alice'", True),
        ("attributes.artifact_uri LIKE 's3://%/r1/%'", True),
        ("status = 'FINISHED'", True),
        ("status IN ('RUNNING', 'FAILED')", False),
        ("status NOT IN ('RUNNING', 'FAILED')", True),
        ("status ILIKE 'fin%'", True),
        ("start_time = 1000", True),
        ("start_time > 999 AND start_time < 1001", True),
        ("end_time IS NULL", True),
        ("end_time IS NOT NULL", False),
        ("end_time > 0", False),
        ("end_time != 5", False),
        ("datasets.name = 'cifar'", True),
        ("datasets.name != 'mnist'", True),
        ("datasets.name NOT IN ('mnist', 'cifar')", False),
        ("datasets.digest IN ('d2', 'd9')", True),
        ("datasets.context = 'training'", True),
        ("datasets.context != 'training'", False),
        ("datasets.context IN ('eval')", False),
        ("datasets.name LIKE 'c%'", True),
        ("datasets.name = 'cifar' AND datasets.context = 'training'", True),
        (f"{FALSE_A} AND {TRUE_B} OR {TRUE_C}", True),
        (f"{FALSE_A} AND ({TRUE_B} OR {TRUE_C})", False),
        (f"{TRUE_C} OR {TRUE_B} AND {FALSE_A}", True),
        (f"({TRUE_C} OR {TRUE_B}) AND {FALSE_A}", False),
        (f"{FALSE_A} OR {FALSE_A}", False),
        (f"{TRUE_B} AND {TRUE_C}", True),
    ],
)
def test_run_matches(text: str, expected: bool) -> None:
    assert run_matches(parse_run_filter(text), RUN) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("datasets.name != 'x'", False),
        ("datasets.name NOT IN ('x')", False),
        ("end_time = 5", True),
        ("end_time IS NOT NULL", True),
        ("start_time > 0", False),
        ("metrics.loss IS NULL", True),
    ],
)
def test_run_matches_on_a_bare_run(text: str, expected: bool) -> None:
    bare = make_run("r2", start_time=None, end_time=5)
    assert run_matches(parse_run_filter(text), bare) is expected


EXPERIMENT = Experiment(
    experiment_id="7",
    name="Vision-baseline",
    artifact_location="s3://bucket/7",
    tags={"owner": "alice"},
    creation_time=10,
    last_update_time=None,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, True),
        ("name = 'Vision-baseline'", True),
        ("name LIKE 'vision%'", False),
        ("name ILIKE 'vision%'", True),
        ("name IN ('a', 'Vision-baseline')", True),
        ("creation_time = 10", True),
        ("creation_time > 10", False),
        ("last_update_time > 0", False),
        ("last_update_time != 0", False),
        ("tags.owner = 'alice'", True),
        ("tags.owner IS NULL", False),
        ("tags.absent IS NULL", True),
        ("tags.absent != 'x'", False),
        ("name = 'x' OR tags.owner = 'alice'", True),
    ],
)
def test_experiment_matches(text: str | None, expected: bool) -> None:
    assert experiment_matches(parse_experiment_filter(text), EXPERIMENT) is expected


@pytest.mark.parametrize(
    ("value", "pattern", "case_sensitive", "expected"),
    [
        ("abc", "abc", True, True),
        ("abc", "ABC", True, False),
        ("abc", "ABC", False, True),
        ("ABC", "abc", False, True),
        ("abc", "a%", True, True),
        ("abc", "%c", True, True),
        ("abc", "%b%", True, True),
        ("abc", "a_c", True, True),
        ("abc", "a__c", True, False),
        ("", "%", True, True),
        ("", "_", True, False),
        ("a.c", "a.c", True, True),
        ("abc", "a.c", True, False),
        ("a*c", "a*c", True, True),
        ("aac", "a*c", True, False),
        ("a\nb", "a_b", True, True),
        ("a\nb", "a%", True, True),
        ("É", "é", False, False),
        ("x[y]", "x[y]", True, True),
    ],
)
def test_like(value: str, pattern: str, case_sensitive: bool, expected: bool) -> None:
    assert like(value, pattern, case_sensitive) is expected


RUNS = (
    make_run("r1", metrics={"m": 1.0}, params={"p": "b"}, start_time=100),
    make_run("r2", metrics={"m": math.nan}, start_time=300),
    make_run("r3", params={"p": "a"}, start_time=200),
    make_run("r4", metrics={"m": 3.0}, params={"p": "B"}, start_time=100),
    make_run("r5", metrics={"m": 1.0}, start_time=300),
    make_run("r6", metrics={"m": -math.inf}, start_time=None),
)


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        ([], ["r2", "r5", "r3", "r1", "r4", "r6"]),
        (["metrics.m"], ["r6", "r5", "r1", "r4", "r2", "r3"]),
        (["metrics.m DESC"], ["r4", "r5", "r1", "r6", "r2", "r3"]),
        (["params.p"], ["r4", "r3", "r1", "r2", "r5", "r6"]),
        (["params.p DESC"], ["r1", "r3", "r4", "r2", "r5", "r6"]),
        (["metrics.m ASC", "params.p DESC"], ["r6", "r1", "r5", "r4", "r3", "r2"]),
        (["attributes.start_time"], ["r1", "r4", "r3", "r2", "r5", "r6"]),
        (["start_time DESC"], ["r2", "r5", "r3", "r1", "r4", "r6"]),
        (["attributes.run_id DESC"], ["r6", "r5", "r4", "r3", "r2", "r1"]),
        (["end_time"], ["r2", "r5", "r3", "r1", "r4", "r6"]),
        (["tags.absent DESC"], ["r2", "r5", "r3", "r1", "r4", "r6"]),
    ],
)
def test_sort_runs(order_by: list[str], expected: list[str]) -> None:
    ordered = sort_runs(reversed(RUNS), parse_run_order_by(order_by))
    assert [run.info.run_id for run in ordered] == expected


def experiment(experiment_id: str, name: str, last_update_time: int | None) -> Experiment:
    return Experiment(experiment_id, name, f"/a/{experiment_id}", last_update_time=last_update_time)


EXPERIMENTS = (
    experiment("10", "b", 5),
    experiment("9", "a", 5),
    experiment("abc", "a", None),
    experiment("07", "c", 9),
    experiment("7", "c", None),
    experiment("2", "b", 5),
)


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        ([], ["07", "2", "9", "10", "7", "abc"]),
        (["name"], ["9", "abc", "2", "10", "07", "7"]),
        (["name DESC"], ["07", "7", "2", "10", "9", "abc"]),
        (["last_update_time"], ["2", "9", "10", "07", "7", "abc"]),
        (["experiment_id DESC"], ["abc", "10", "9", "7", "07", "2"]),
    ],
)
def test_sort_experiments(order_by: list[str], expected: list[str]) -> None:
    ordered = sort_experiments(EXPERIMENTS, parse_experiment_order_by(order_by))
    assert [e.experiment_id for e in ordered] == expected


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["10", "9", "1"], ["1", "9", "10"]),
        (["b", "10", "a", "2"], ["2", "10", "a", "b"]),
        (["7", "07", "007"], ["007", "07", "7"]),
        (["1a", "2", "10"], ["2", "10", "1a"]),
        (["٣", "3"], ["3", "٣"]),
    ],
)
def test_experiment_sort_key(ids: list[str], expected: list[str]) -> None:
    assert sorted(ids, key=experiment_sort_key) == expected
