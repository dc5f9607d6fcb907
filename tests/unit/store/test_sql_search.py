"""The AST -> SQL compiler, run on a real SQLite store against hand-built syntax trees."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from trackstone.clock import ManualClock
from trackstone.entities import (
    DATASET_CONTEXT_TAG,
    Dataset,
    DatasetInput,
    InputTag,
    Metric,
    Param,
    RunStatus,
    RunTag,
)
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
from trackstone.store.sql import schema
from trackstone.store.sql.engine import Database
from trackstone.store.sql.search import SqlSearch, glob_pattern
from trackstone.store.sql.store import SqlStore

METRIC, PARAM, TAG = IdentifierKind.METRIC, IdentifierKind.PARAM, IdentifierKind.TAG
ATTR, DATASET = IdentifierKind.ATTRIBUTE, IdentifierKind.DATASET


def cmp(kind: IdentifierKind, key: str, operator: Operator, value: object) -> Comparison:
    return Comparison(Identifier(kind, key), operator, value)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A store with three runs ``a``, ``b``, ``c`` (started in that order), opened raw."""
    path: Path = tmp_path_factory.mktemp("search") / "tracking.db"
    uri = f"sqlite:///{path}"
    clock = ManualClock(start_ms=1000)
    store = SqlStore(uri, str(path.parent / "artifacts"), clock=clock)
    runs = {}
    for name in ("a", "b", "c"):
        clock.advance(10)
        runs[name] = store.create_run("0", run_name=name).info.run_id
    store.log_batch(
        runs["a"],
        metrics=[Metric("loss", 0.1, 1), Metric("acc", math.nan, 1)],
        params=[Param("lr", "0.1")],
        tags=[RunTag("team", "Vision")],
    )
    store.log_batch(
        runs["b"],
        metrics=[Metric("loss", 0.5, 1), Metric("acc", math.inf, 1)],
        params=[Param("lr", "0.01")],
        tags=[RunTag("team", "vision%x")],
    )
    store.log_batch(runs["c"], tags=[RunTag("team", "ViSiOn[1]*?")])
    store.log_inputs(
        runs["c"],
        [DatasetInput(Dataset("mnist", "d1"), tags=(InputTag(DATASET_CONTEXT_TAG, "train"),))],
    )
    store.update_run_info(runs["a"], status=RunStatus.FINISHED, end_time=2000)
    store.close()
    database = Database(uri)
    yield database
    database.dispose()


def _names(db: Database, expression: Expression | None) -> set[str]:
    condition = SqlSearch(db.dialect).run_condition(expression)
    runs = schema.runs
    with db.read() as connection:
        return set(connection.execute(select(runs.c.name).where(condition)).scalars())


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (cmp(METRIC, "loss", Operator.LT, 0.3), {"a"}),
        (cmp(METRIC, "loss", Operator.NE, 0.5), {"a"}),
        (cmp(METRIC, "loss", Operator.GE, 0.1), {"a", "b"}),
        (cmp(METRIC, "acc", Operator.NE, 1.0), {"a", "b"}),  # NaN satisfies only !=
        (cmp(METRIC, "acc", Operator.LT, 1.0), set()),
        (cmp(METRIC, "acc", Operator.GT, 1e308), {"b"}),  # +inf
        (cmp(METRIC, "acc", Operator.EQ, math.inf), {"b"}),
        (cmp(METRIC, "loss", Operator.IS_NULL, None), {"c"}),
        (cmp(METRIC, "acc", Operator.IS_NOT_NULL, None), {"a", "b"}),  # NaN is present
        (cmp(PARAM, "lr", Operator.IN, ("0.1", "x")), {"a"}),
        (cmp(PARAM, "lr", Operator.NOT_IN, ("0.1",)), {"b"}),  # absent is never NOT IN
        (cmp(PARAM, "lr", Operator.NE, "0.1"), {"b"}),
        (cmp(PARAM, "lr", Operator.IS_NULL, None), {"c"}),
        (cmp(TAG, "team", Operator.LIKE, "vision%"), {"b"}),  # case-sensitive
        (cmp(TAG, "team", Operator.ILIKE, "vision%"), {"a", "b", "c"}),
        (cmp(TAG, "team", Operator.LIKE, "%[1]*?"), {"c"}),  # GLOB specials are literal
        (cmp(TAG, "team", Operator.LIKE, "ViSiOn_1__?"), {"c"}),
        (cmp(TAG, "team", Operator.LIKE, "vision_x"), {"b"}),  # _ matches the '%'
        (cmp(TAG, "team", Operator.LIKE, "Vision"), {"a"}),  # whole value only
        (cmp(TAG, "team", Operator.LIKE, "Visio"), set()),
        (cmp(DATASET, "context", Operator.EQ, "train"), {"c"}),
        (cmp(DATASET, "name", Operator.LIKE, "mn%"), {"c"}),
        (cmp(DATASET, "digest", Operator.NE, "zz"), {"c"}),
        (cmp(ATTR, "status", Operator.EQ, "FINISHED"), {"a"}),
        (cmp(ATTR, "status", Operator.IN, ("RUNNING", "KILLED")), {"b", "c"}),
        (cmp(ATTR, "end_time", Operator.IS_NULL, None), {"b", "c"}),
        (cmp(ATTR, "end_time", Operator.NE, 5), {"a"}),  # a NULL end time is absent
        (cmp(ATTR, "start_time", Operator.GT, 1015), {"b", "c"}),
        (cmp(ATTR, "run_name", Operator.LIKE, "_"), {"a", "b", "c"}),
        (
            Or((cmp(METRIC, "loss", Operator.LT, 0.3), cmp(PARAM, "lr", Operator.EQ, "0.01"))),
            {"a", "b"},
        ),
        (
            And(
                (
                    cmp(TAG, "team", Operator.ILIKE, "VISION%"),
                    Or(
                        (
                            cmp(METRIC, "loss", Operator.IS_NULL, None),
                            cmp(METRIC, "acc", Operator.EQ, math.inf),
                        )
                    ),
                )
            ),
            {"b", "c"},
        ),
        (None, {"a", "b", "c"}),
    ],
)
def test_filter(db: Database, expression: Expression | None, expected: set[str]) -> None:
    assert _names(db, expression) == expected


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ([], ["c", "b", "a"]),  # start_time DESC
        ([OrderKey(Identifier(METRIC, "loss"), ascending=False)], ["b", "a", "c"]),
        ([OrderKey(Identifier(METRIC, "loss"), ascending=True)], ["a", "b", "c"]),
        # NaN and absent form one group, last in both directions; then start_time DESC.
        ([OrderKey(Identifier(METRIC, "acc"), ascending=True)], ["b", "c", "a"]),
        ([OrderKey(Identifier(METRIC, "acc"), ascending=False)], ["b", "c", "a"]),
        ([OrderKey(Identifier(TAG, "team"), ascending=True)], ["c", "a", "b"]),  # code points
        ([OrderKey(Identifier(ATTR, "end_time"), ascending=False)], ["a", "c", "b"]),
        ([OrderKey(Identifier(ATTR, "run_name"), ascending=True)], ["a", "b", "c"]),
    ],
)
def test_order(db: Database, keys: list[OrderKey], expected: list[str]) -> None:
    runs = schema.runs
    query = SqlSearch(db.dialect).apply_run_order(select(runs.c.name), keys)
    with db.read() as connection:
        assert list(connection.execute(query).scalars()) == expected


def test_datasets_cannot_be_sorted(db: Database) -> None:
    runs = schema.runs
    with pytest.raises(InvalidParameter, match="datasets"):
        SqlSearch(db.dialect).apply_run_order(
            select(runs.c.name), [OrderKey(Identifier(DATASET, "name"))]
        )


@pytest.mark.parametrize(
    ("like", "glob"),
    [
        ("abc", "abc"),
        ("a%c", "a*c"),
        ("a_c", "a?c"),
        ("a*b?c[d]", "a[*]b[?]c[[]d]"),
        ("100%_", "100*?"),
        ("back\\slash", "back\\slash"),
    ],
)
def test_glob_pattern(like: str, glob: str) -> None:
    assert glob_pattern(like) == glob


@pytest.mark.parametrize(
    ("dialect", "fragment"),
    [
        ("sqlite", "GLOB"),
        ("postgresql", "LIKE"),
    ],
)
def test_like_operator_per_dialect(dialect: str, fragment: str) -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    condition = SqlSearch(dialect).run_condition(cmp(TAG, "t", Operator.LIKE, "a%"))
    engine_dialect = postgresql.dialect() if dialect == "postgresql" else sqlite.dialect()
    assert fragment in str(condition.compile(dialect=engine_dialect))
