"""TrackingStore contract: search_runs filters, ordering, pagination and errors."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from string import Template

import pytest

from support.tracking import make_run, search_all_runs
from trackstone.entities import (
    DATASET_CONTEXT_TAG,
    Dataset,
    DatasetInput,
    InputTag,
    Metric,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from trackstone.errors import InvalidParameter
from trackstone.store.base import TrackingStore

BASE = 1_600_000_000_000
NAN = math.nan
INF = math.inf


@dataclass(frozen=True)
class RunSpec:
    """What one run of the population holds."""

    user: str = "dora"
    status: RunStatus | None = None
    end_time: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    inputs: tuple[tuple[str, str, str], ...] = ()  # (name, digest, context)


RUNS: dict[str, RunSpec] = {
    "r1": RunSpec(
        user="alice",
        status=RunStatus.FINISHED,
        end_time=BASE + 1_500,
        metrics={"loss": 0.5, "acc": 0.9, "val loss": 0.25},
        params={"lr": "0.01", "opt": "adam"},
        tags={"team": "vision", "my.tag": "a b", "model name": "resnet"},
        inputs=(("mnist", "abc123", "training"),),
    ),
    "r2": RunSpec(
        user="bob",
        status=RunStatus.RUNNING,
        metrics={"loss": 1.5, "acc": NAN},
        params={"lr": "0.1", "opt": "sgd"},
        tags={"team": "Vision"},
        inputs=(("mnist", "def456", "eval"), ("cifar", "c1", "training")),
    ),
    "r3": RunSpec(
        user="alice",
        status=RunStatus.FAILED,
        end_time=BASE + 3_500,
        metrics={"loss": INF},
        params={"lr": "0.001"},
        tags={"team": "nlp"},
    ),
    "r4": RunSpec(
        user="carol",
        status=RunStatus.KILLED,
        end_time=BASE + 4_500,
        metrics={"loss": -INF, "acc": 0.5},
    ),
    "r5": RunSpec(user="bob", params={"opt": "Adam"}, tags={"team": "vision-2"}),
}
# r6 matches many filters but is deleted; r7 is the same but lives in another experiment.
LOOKALIKE = RunSpec(metrics={"loss": 0.5, "acc": 0.9}, params={"lr": "0.01", "opt": "adam"})


@dataclass(frozen=True)
class Population:
    """Five active runs r1..r5 (plus a deleted r6) in one experiment, r7 in another."""

    store: TrackingStore
    experiment_id: str
    other_experiment_id: str
    ids: dict[str, str]  # run name -> run id

    def names(self, runs: Iterable[Run]) -> list[str]:
        by_id = {run_id: name for name, run_id in self.ids.items()}
        return [by_id[run.info.run_id] for run in runs]


def _create(store: TrackingStore, experiment_id: str, name: str, spec: RunSpec) -> str:
    start = BASE + 1_000 * int(name[1:])
    run = make_run(
        store,
        experiment_id,
        run_name=name,
        start_time=start,
        user_id=spec.user,
        metrics=[Metric(key, value, start, 0) for key, value in spec.metrics.items()],
        params=spec.params,
        tags=spec.tags,
    )
    run_id = run.info.run_id
    if spec.inputs:
        store.log_inputs(
            run_id,
            [
                DatasetInput(Dataset(n, d, "local", n), (InputTag(DATASET_CONTEXT_TAG, c),))
                for n, d, c in spec.inputs
            ],
        )
    if spec.status is not None:
        store.update_run_info(run_id, status=spec.status, end_time=spec.end_time)
    return run_id


@pytest.fixture(scope="module")
def population(shared_store: TrackingStore) -> Population:
    """Store the population once per module and backend; tests using it must only read."""
    store = shared_store
    experiment_id = store.create_experiment("search")
    other = store.create_experiment("other")
    ids = {name: _create(store, experiment_id, name, spec) for name, spec in RUNS.items()}
    ids["r6"] = _create(store, experiment_id, "r6", LOOKALIKE)
    store.delete_run(ids["r6"])
    ids["r7"] = _create(store, other, "r7", LOOKALIKE)
    return Population(store, experiment_id, other, ids)


def _search_names(
    store: TrackingStore,
    population: Population,
    filter_string: str | None,
    order_by: list[str] | None = None,
) -> list[str]:
    if filter_string is not None:
        filter_string = Template(filter_string).substitute(population.ids)
    found = search_all_runs(store, [population.experiment_id], filter_string, order_by)
    return population.names(found)


FILTER_CASES: list[tuple[str | None, set[str]]] = [
    # metrics: latest value, IEEE semantics, absent key is false
    ("metrics.loss = 0.5", {"r1"}),
    ("metrics.loss != 0.5", {"r2", "r3", "r4"}),
    ("metrics.loss > 1", {"r2", "r3"}),
    ("metrics.loss >= 1.5", {"r2", "r3"}),
    ("metrics.loss < 0", {"r4"}),
    ("metrics.loss <= 0.5", {"r1", "r4"}),
    ("metrics.loss < -1", {"r4"}),
    ("metrics.loss > 1e300", {"r3"}),
    ("metric.loss = 0.5", {"r1"}),
    ("metrics.acc = 0.9", {"r1"}),
    ("metrics.acc != 0.9", {"r2", "r4"}),
    ("metrics.acc >= 0.5", {"r1", "r4"}),
    ("metrics.acc < 100", {"r1", "r4"}),
    ("metrics.acc IS NULL", {"r3", "r5"}),
    ("metrics.acc IS NOT NULL", {"r1", "r2", "r4"}),
    ("metrics.`val loss` < 0.3", {"r1"}),
    # params
    ("params.lr = '0.01'", {"r1"}),
    ("param.lr = '0.1'", {"r2"}),
    ("params.lr != '0.01'", {"r2", "r3"}),
    ("params.lr LIKE '0.0%'", {"r1", "r3"}),
    ("params.opt LIKE 'a_am'", {"r1"}),
    ("params.opt ILIKE 'A_AM'", {"r1", "r5"}),
    ("params.opt LIKE '%dam'", {"r1", "r5"}),
    ("params.opt LIKE 'Ad%'", {"r5"}),
    ("params.opt = 'ADAM'", set()),
    ("params.lr IN ('0.01', '0.1')", {"r1", "r2"}),
    ("params.lr NOT IN ('0.01')", {"r2", "r3"}),
    ("params.opt IS NULL", {"r3", "r4"}),
    ("params.opt IS NOT NULL", {"r1", "r2", "r5"}),
    # tags, backtick keys with dots and spaces, double quotes
    ("tags.team = 'vision'", {"r1"}),
    ("tags.team LIKE 'vision%'", {"r1", "r5"}),
    ("tags.team ILIKE 'vision%'", {"r1", "r2", "r5"}),
    ("tags.team LIKE '%ision'", {"r1", "r2"}),
    ("tags.`my.tag` = 'a b'", {"r1"}),
    ("tags.`model name` = 'resnet'", {"r1"}),
    ("tags.team NOT IN ('vision', 'nlp')", {"r2", "r5"}),
    ("tags.team IS NULL", {"r4"}),
    ("tags.`mlflow.runName` = 'r3'", {"r3"}),
    ('tags.team = "nlp"', {"r3"}),
    # attributes
    ("attributes.status = 'RUNNING'", {"r2", "r5"}),
    ("attributes.status != 'RUNNING'", {"r1", "r3", "r4"}),
    ("attributes.status IN ('FAILED', 'KILLED')", {"r3", "r4"}),
    ("attributes.user_id = 'alice'", {"r1", "r3"}),
    ("attributes.run_name = 'r1'", {"r1"}),
    ("attributes.run_name LIKE 'r%'", {"r1", "r2", "r3", "r4", "r5"}),
    ("attributes.run_name ILIKE 'R1'", {"r1"}),
    (f"attributes.start_time >= {BASE + 3_000}", {"r3", "r4", "r5"}),
    (f"attributes.start_time < {BASE + 2_000}", {"r1"}),
    (f"attributes.end_time > {BASE + 2_000}", {"r3", "r4"}),
    ("attributes.end_time IS NULL", {"r2", "r5"}),
    ("attributes.run_id = '$r1'", {"r1"}),
    ("attributes.run_id IN ('$r1', '$r3')", {"r1", "r3"}),
    ("attributes.artifact_uri LIKE '%$r2%'", {"r2"}),
    # datasets: a comparison holds when any input satisfies it
    ("datasets.name = 'mnist'", {"r1", "r2"}),
    ("datasets.name != 'mnist'", {"r2"}),
    ("datasets.digest IN ('abc123', 'c1')", {"r1", "r2"}),
    ("datasets.context = 'eval'", {"r2"}),
    ("datasets.name = 'mnist' AND datasets.context = 'training'", {"r1", "r2"}),
    # boolean structure
    ("params.opt = 'adam' OR tags.team = 'nlp'", {"r1", "r3"}),
    ("(metrics.loss > 1 OR metrics.loss < 0) AND attributes.status = 'FAILED'", {"r3"}),
    ("metrics.loss > 1 OR metrics.loss < 0 AND attributes.status = 'FAILED'", {"r2", "r3"}),
    ("params.opt = 'adam' and tags.team = 'vision'", {"r1"}),
    ("(params.opt = 'adam') or (params.opt = 'sgd' and metrics.loss > 1)", {"r1", "r2"}),
    ("metrics.loss > 0 AND metrics.loss < 2 AND params.lr IS NOT NULL", {"r1", "r2"}),
    ("((tags.team = 'nlp'))", {"r3"}),
    ("", {"r1", "r2", "r3", "r4", "r5"}),
    (None, {"r1", "r2", "r3", "r4", "r5"}),
]


@pytest.mark.parametrize(("filter_string", "expected"), FILTER_CASES)
def test_filter(population: Population, filter_string: str | None, expected: set[str]) -> None:
    store = population.store
    names = _search_names(store, population, filter_string)

    assert sorted(names) == sorted(expected)


ORDER_CASES: list[tuple[list[str] | None, list[str]]] = [
    (None, ["r5", "r4", "r3", "r2", "r1"]),
    ([], ["r5", "r4", "r3", "r2", "r1"]),
    (["metrics.loss ASC"], ["r4", "r1", "r2", "r3", "r5"]),
    (["metrics.loss"], ["r4", "r1", "r2", "r3", "r5"]),
    (["metrics.loss DESC"], ["r3", "r2", "r1", "r4", "r5"]),
    # NaN and absent form one last group, ordered by the tie-breakers
    (["metrics.acc ASC"], ["r4", "r1", "r5", "r3", "r2"]),
    (["metrics.acc DESC"], ["r1", "r4", "r5", "r3", "r2"]),
    (["metrics.`val loss` DESC"], ["r1", "r5", "r4", "r3", "r2"]),
    (["params.opt ASC", "metrics.loss DESC"], ["r5", "r1", "r2", "r3", "r4"]),
    (["params.opt DESC", "metrics.loss ASC"], ["r2", "r1", "r5", "r4", "r3"]),
    (["tags.team DESC"], ["r5", "r1", "r3", "r2", "r4"]),
    (["attributes.start_time ASC"], ["r1", "r2", "r3", "r4", "r5"]),
    (["attributes.run_name DESC"], ["r5", "r4", "r3", "r2", "r1"]),
    (["attributes.user_id ASC", "attributes.start_time ASC"], ["r1", "r3", "r2", "r5", "r4"]),
    (["attributes.status"], ["r3", "r1", "r4", "r5", "r2"]),
    (["attributes.end_time DESC"], ["r4", "r3", "r1", "r5", "r2"]),
]


@pytest.mark.parametrize(("order_by", "expected"), ORDER_CASES)
def test_order(population: Population, order_by: list[str] | None, expected: list[str]) -> None:
    store = population.store
    assert _search_names(store, population, None, order_by) == expected


@pytest.mark.parametrize(("order_by", "expected"), ORDER_CASES)
def test_order_survives_pagination(
    population: Population, order_by: list[str] | None, expected: list[str]
) -> None:
    store = population.store
    found = search_all_runs(store, [population.experiment_id], order_by=order_by, page_size=2)

    assert population.names(found) == expected


def test_filter_and_order_together(population: Population) -> None:
    store = population.store
    names = _search_names(store, population, "metrics.loss IS NOT NULL", ["metrics.loss DESC"])

    assert names == ["r3", "r2", "r1", "r4"]


def test_same_start_time_orders_by_run_id(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("ties")
    ids = [store.create_run(experiment_id, start_time=5).info.run_id for _ in range(6)]
    older = store.create_run(experiment_id, start_time=4).info.run_id

    found = search_all_runs(store, [experiment_id])

    assert [run.info.run_id for run in found] == [*sorted(ids), older]


def test_results_carry_the_whole_run(population: Population) -> None:
    store = population.store
    (found,) = search_all_runs(store, [population.experiment_id], "attributes.run_name = 'r1'")

    assert found == store.get_run(population.ids["r1"])


def test_searching_several_experiments(population: Population) -> None:
    store = population.store
    both = [population.experiment_id, population.other_experiment_id]

    names = population.names(search_all_runs(store, both, "metrics.loss = 0.5"))
    only_other = search_all_runs(store, [population.other_experiment_id])

    assert sorted(names) == ["r1", "r7"]
    assert population.names(only_other) == ["r7"]


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (ViewType.ACTIVE_ONLY, {"r1"}),
        (ViewType.DELETED_ONLY, {"r6"}),
        (ViewType.ALL, {"r1", "r6"}),
    ],
)
def test_view_type_with_filter(population: Population, view: ViewType, expected: set[str]) -> None:
    store = population.store
    found = search_all_runs(
        store, [population.experiment_id], "params.lr = '0.01' AND metrics.acc > 0.8", view=view
    )

    assert set(population.names(found)) == expected


# -- errors -------------------------------------------------------------------------------

SYNTAX_ERRORS: list[tuple[str, set[int]]] = [
    ("metrics.loss >", {13, 14}),
    ("metrics.loss > 1 AND", {17, 20}),
    ("metrics.loss ~ 1", {13}),
    ("(metrics.loss > 1", {17}),
    ("params.lr = 'open", {12, 17}),
    ("metrics.loss > 1 metrics.acc < 2", {17}),
    ("params.lr IN ('a', 'b'", {13, 22}),
]


@pytest.mark.parametrize(("filter_string", "positions"), SYNTAX_ERRORS)
def test_syntax_errors_mention_the_position(
    store: TrackingStore, filter_string: str, positions: set[int]
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        store.search_runs(["0"], filter_string=filter_string)

    # 0- or 1-based, as long as the message points at the offending place.
    numbers = {int(n) for n in re.findall(r"\d+", str(caught.value))}
    accepted = positions | {p + 1 for p in positions}
    assert numbers & accepted, f"no position in {str(caught.value)!r}"


@pytest.mark.parametrize(
    "filter_string",
    [
        "nonsense.key = 'x'",
        "attributes.nope = 'x'",
        "metrics.loss = 'abc'",
        "params.lr = 5",
        "datasets.size = 'x'",
        "tags.team IN ()",
        "metrics.loss",
        "AND",
        "metrics.loss > 1 OR",
        "()",
    ],
)
def test_invalid_filters_raise_invalid_parameter(store: TrackingStore, filter_string: str) -> None:
    with pytest.raises(InvalidParameter):
        store.search_runs(["0"], filter_string=filter_string)


@pytest.mark.parametrize(
    "order_by",
    [
        ["metrics.loss SIDEWAYS"],
        ["nonsense.x ASC"],
        ["metrics.loss ASC DESC"],
        ["attributes.nope"],
        ["metrics.loss ASC", ""],
    ],
)
def test_invalid_order_by_raises_invalid_parameter(
    store: TrackingStore, order_by: list[str]
) -> None:
    with pytest.raises(InvalidParameter):
        store.search_runs(["0"], order_by=order_by)


# -- searches after changes ---------------------------------------------------------------


def _names_of(store: TrackingStore, experiment_id: str, filter_string: str) -> set[str]:
    return {run.info.run_name for run in search_all_runs(store, [experiment_id], filter_string)}


def test_metric_filters_use_the_latest_point(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    run_id = store.create_run(experiment_id, run_name="a").info.run_id
    store.log_batch(run_id, metrics=[Metric("loss", 5.0, 10, 0), Metric("loss", 1.0, 5, 2)])
    store.log_metric(run_id, Metric("loss", 9.0, 99, 1))  # logged last, but an older step

    assert _names_of(store, experiment_id, "metrics.loss < 2") == {"a"}
    assert _names_of(store, experiment_id, "metrics.loss > 4") == set()

    store.log_metric(run_id, Metric("loss", 7.0, 1, 3))

    assert _names_of(store, experiment_id, "metrics.loss < 2") == set()
    assert _names_of(store, experiment_id, "metrics.loss = 7") == {"a"}


def test_searches_see_renames_tag_changes_and_lifecycle(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    run_id = store.create_run(experiment_id, run_name="before").info.run_id
    store.set_tag(run_id, RunTag("stage", "one"))

    store.update_run_info(run_id, run_name="after", status=RunStatus.FINISHED)
    store.set_tag(run_id, RunTag("stage", "two"))

    assert _names_of(store, experiment_id, "attributes.run_name = 'after'") == {"after"}
    assert _names_of(store, experiment_id, "attributes.run_name = 'before'") == set()
    assert _names_of(store, experiment_id, "tags.stage = 'two'") == {"after"}
    assert _names_of(store, experiment_id, "attributes.status = 'FINISHED'") == {"after"}

    store.delete_tag(run_id, "stage")
    assert _names_of(store, experiment_id, "tags.stage IS NULL") == {"after"}

    store.delete_experiment(experiment_id)
    assert _names_of(store, experiment_id, "") == set()
    store.restore_experiment(experiment_id)
    assert _names_of(store, experiment_id, "") == {"after"}
