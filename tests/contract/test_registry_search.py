"""RegistryStore contract: searching registered models and versions — filters, order, pages.

One population per backend (module scope), read only. Every filter is also checked against
the reference semantics of ``trackstone.search.registry`` applied to all entities.

Population (names sort by code points: ``Gamma`` < ``alpha`` < ``beta`` < ``delta_x``)::

    model    tags                      version  run  source                  stage       alias
    alpha    team=vision, tier=gold    1        r1   runs:/r1/model          None
                                       2        r2   runs:/r2/model          Production  champion
                                                                                          (env=prod)
                                       3        -    file:///models/alpha/3  Staging     challenger
    beta     team=nlp                  1        r1   s3://bucket/beta/1      Production  champion
                                       2        -    s3://bucket/beta/2      None
    Gamma    -                         1        r2   gs://g/1                None
    delta_x  team=Vision               -
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from trackstone.clock import ManualClock
from trackstone.entities.registry import ModelVersionTag, RegisteredModelTag
from trackstone.errors import InvalidParameter
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
from trackstone.store.base import TrackingStore
from trackstone.store.registry import RegistryStore, registry_of


@dataclass(frozen=True)
class Population:
    registry: RegistryStore
    runs: dict[str, str]


@pytest.fixture(scope="module")
def population(shared_store: TrackingStore, shared_clock: ManualClock) -> Iterator[Population]:
    registry = registry_of(shared_store)
    experiment_id = shared_store.create_experiment("registry-search")
    runs = {key: shared_store.create_run(experiment_id).info.run_id for key in ("r1", "r2")}
    models = {
        "alpha": {"team": "vision", "tier": "gold"},
        "beta": {"team": "nlp"},
        "Gamma": {},
        "delta_x": {"team": "Vision"},
    }
    for name, tags in models.items():
        shared_clock.advance(1_000)
        registry.create_registered_model(
            name, tags=[RegisteredModelTag(k, v) for k, v in tags.items()]
        )
    versions = [
        ("alpha", "runs:/{r1}/model", "r1", {}),
        ("alpha", "runs:/{r2}/model", "r2", {"env": "prod"}),
        ("alpha", "file:///models/alpha/3", "", {}),
        ("beta", "s3://bucket/beta/1", "r1", {}),
        ("beta", "s3://bucket/beta/2", "", {}),
        ("Gamma", "gs://g/1", "r2", {}),
    ]
    for name, source, run, tags in versions:
        shared_clock.advance(1_000)
        registry.create_model_version(
            name,
            source.format(**runs),
            run_id=runs.get(run, ""),
            tags=[ModelVersionTag(k, v) for k, v in tags.items()],
        )
    for name, number, stage in [
        ("alpha", 2, "Production"),
        ("alpha", 3, "Staging"),
        ("beta", 1, "Production"),
    ]:
        shared_clock.advance(1_000)
        registry.transition_model_version_stage(name, number, stage)
    registry.set_registered_model_alias("alpha", "champion", 2)
    registry.set_registered_model_alias("alpha", "challenger", 3)
    registry.set_registered_model_alias("beta", "champion", 1)
    yield Population(registry, runs)


def _labels(versions: object) -> list[str]:
    return [f"{v.name}/{v.version}" for v in versions]  # type: ignore[attr-defined]


# -- registered models -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        (None, ["Gamma", "alpha", "beta", "delta_x"]),
        ("name = 'alpha'", ["alpha"]),
        ("name != 'alpha'", ["Gamma", "beta", "delta_x"]),
        ("name LIKE 'a%'", ["alpha"]),
        ("name LIKE 'A%'", []),
        ("name ILIKE 'g%'", ["Gamma"]),
        ("name LIKE '%_x'", ["delta_x"]),
        ("name IN ('alpha', 'beta', 'zeta')", ["alpha", "beta"]),
        ("attributes.name NOT IN ('alpha')", ["Gamma", "beta", "delta_x"]),
        ("tags.team = 'vision'", ["alpha"]),
        ("tags.team ILIKE 'vision'", ["alpha", "delta_x"]),
        ("tags.team != 'nlp'", ["alpha", "delta_x"]),
        ("tags.tier IS NULL", ["Gamma", "beta", "delta_x"]),
        ("tags.team = 'vision' AND tags.tier = 'gold'", ["alpha"]),
        ("tags.team = 'nlp' OR name = 'Gamma'", ["Gamma", "beta"]),
        ("tag.`mlflow.prompt.is_prompt` != 'true'", ["Gamma", "alpha", "beta", "delta_x"]),
        ("tags.`mlflow.prompt.is_prompt` = 'true'", []),
        ("name = 'nope'", []),
    ],
)
def test_model_filters(
    population: Population, filter_string: str | None, expected: list[str]
) -> None:
    registry = population.registry
    found = registry.search_registered_models(filter_string)

    everything = registry.search_registered_models(max_results=1000)
    expression = parse_model_filter(filter_string)
    reference = sort_registered_models(
        (m for m in everything if registered_model_matches(expression, m)),
        parse_model_order_by(None),
    )
    assert [m.name for m in found] == expected
    assert [m.name for m in reference] == expected
    assert found.token is None


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (["name DESC"], ["delta_x", "beta", "alpha", "Gamma"]),
        (["creation_timestamp DESC"], ["delta_x", "Gamma", "beta", "alpha"]),
        (["last_updated_timestamp ASC"], ["delta_x", "Gamma", "alpha", "beta"]),
        (["timestamp DESC"], ["beta", "alpha", "Gamma", "delta_x"]),
    ],
)
def test_model_orders(population: Population, order_by: list[str], expected: list[str]) -> None:
    found = population.registry.search_registered_models(order_by=order_by)

    assert [m.name for m in found] == expected


def test_a_searched_model_carries_tags_aliases_and_latest_versions(population: Population) -> None:
    registry = population.registry

    (found,) = registry.search_registered_models("name = 'alpha'")

    assert found == registry.get_registered_model("alpha")
    assert sorted(v.version for v in found.latest_versions) == ["1", "2", "3"]
    assert {a.alias: a.version for a in found.aliases} == {"champion": "2", "challenger": "3"}


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_model_pages_visit_every_model_once(population: Population, page_size: int) -> None:
    names: list[str] = []
    token = None
    while True:
        page = population.registry.search_registered_models(
            max_results=page_size, order_by=["creation_timestamp DESC"], page_token=token
        )
        names.extend(m.name for m in page)
        token = page.token
        if token is None:
            break

    assert names == ["delta_x", "Gamma", "beta", "alpha"]


@pytest.mark.parametrize(
    ("filter_string", "max_results", "has_token"),
    [(None, 0, True), ("name = 'nope'", 0, False), (None, -1, False)],
)
def test_a_model_page_of_zero_or_less_is_empty(
    population: Population, filter_string: str | None, max_results: int, has_token: bool
) -> None:
    # MLflow answers these with an empty list (and, for 0, a token when models match).
    page = population.registry.search_registered_models(filter_string, max_results=max_results)

    assert list(page) == []
    assert (page.token is not None) == has_token


def test_the_token_of_an_empty_model_page_loses_nothing(population: Population) -> None:
    registry = population.registry
    first = registry.search_registered_models(max_results=2)
    assert first.token is not None
    empty = registry.search_registered_models(max_results=0, page_token=first.token)
    assert empty.token is not None

    rest = registry.search_registered_models(max_results=10, page_token=empty.token)

    assert [m.name for m in first] + [m.name for m in rest] == ["Gamma", "alpha", "beta", "delta_x"]


# -- model versions --------------------------------------------------------------------

# MLflow's default order: last updated first (stage moves count), then name, newest version.
ALL_VERSIONS = ["beta/1", "alpha/3", "alpha/2", "Gamma/1", "beta/2", "alpha/1"]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        (None, ALL_VERSIONS),
        ("name = 'alpha'", ["alpha/3", "alpha/2", "alpha/1"]),
        ("version_number > 1", ["alpha/3", "alpha/2", "beta/2"]),
        ("version_number = 1 AND name != 'Gamma'", ["beta/1", "alpha/1"]),
        ("run_id = '{r1}'", ["beta/1", "alpha/1"]),
        ("run_id IN ('{r1}', '{r2}')", ["beta/1", "alpha/2", "Gamma/1", "alpha/1"]),
        ("run_id != '{r1}'", ["alpha/2", "Gamma/1"]),
        ("run_id NOT IN ('{r1}')", ["alpha/2", "Gamma/1"]),
        ("source_path = 's3://bucket/beta/1'", ["beta/1"]),
        ("source_path LIKE 's3://bucket/%'", ["beta/1", "beta/2"]),
        ("tags.env = 'prod'", ["alpha/2"]),
        ("tags.env IS NULL AND name = 'alpha'", ["alpha/3", "alpha/1"]),
        ("current_stage = 'production'", ["beta/1", "alpha/2"]),
        ("current_stage IN ('Staging', 'None')", ["alpha/3", "Gamma/1", "beta/2", "alpha/1"]),
        ("alias = 'champion'", ["beta/1", "alpha/2"]),
        ("aliases LIKE 'ch%'", ["beta/1", "alpha/3", "alpha/2"]),
        (
            "name = 'alpha' OR current_stage = 'Production'",
            ["beta/1", "alpha/3", "alpha/2", "alpha/1"],
        ),
        ("name = 'nope'", []),
    ],
)
def test_version_filters(
    population: Population, filter_string: str | None, expected: list[str]
) -> None:
    registry = population.registry
    text = filter_string.format(**population.runs) if filter_string else None

    found = registry.search_model_versions(text)

    everything = registry.search_model_versions(max_results=1000)
    expression = parse_version_filter(text)
    reference = sort_model_versions(
        (v for v in everything if model_version_matches(expression, v)),
        parse_version_order_by(None),
    )
    assert _labels(found) == expected
    assert _labels(reference) == expected


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (["version_number ASC"], ["Gamma/1", "alpha/1", "beta/1", "alpha/2", "beta/2", "alpha/3"]),
        (
            ["creation_timestamp DESC"],
            ["Gamma/1", "beta/2", "beta/1", "alpha/3", "alpha/2", "alpha/1"],
        ),
        (["name DESC"], ["beta/2", "beta/1", "alpha/3", "alpha/2", "alpha/1", "Gamma/1"]),
        (
            ["last_updated_timestamp DESC"],
            ["beta/1", "alpha/3", "alpha/2", "Gamma/1", "beta/2", "alpha/1"],
        ),
        (
            ["name ASC", "version_number ASC"],
            ["Gamma/1", "alpha/1", "alpha/2", "alpha/3", "beta/1", "beta/2"],
        ),
    ],
)
def test_version_orders(population: Population, order_by: list[str], expected: list[str]) -> None:
    found = population.registry.search_model_versions(order_by=order_by)

    assert _labels(found) == expected


def test_searched_versions_carry_tags_and_aliases(population: Population) -> None:
    registry = population.registry

    found = {v.version: v for v in registry.search_model_versions("name = 'alpha'")}

    assert found["2"] == registry.get_model_version("alpha", 2)
    assert dict(found["2"].tags) == {"env": "prod"}
    assert found["3"].aliases == ("challenger",)


@pytest.mark.parametrize(
    ("page_size", "order_by"),
    [
        (1, None),
        (2, None),
        (4, None),
        (1, ["last_updated_timestamp DESC"]),
        (5, ["version_number ASC"]),
    ],
)
def test_version_pages_visit_every_version_once(
    population: Population, page_size: int, order_by: list[str] | None
) -> None:
    registry = population.registry
    whole = _labels(registry.search_model_versions(order_by=order_by))
    seen: list[str] = []
    token = None
    while True:
        page = registry.search_model_versions(
            max_results=page_size, order_by=order_by, page_token=token
        )
        assert len(page) <= page_size
        seen.extend(_labels(page))
        token = page.token
        if token is None:
            break

    assert seen == whole
    assert len(whole) == 6


@pytest.mark.parametrize(
    ("kind", "arguments", "message"),
    [
        ("models", {"filter_string": "name = "}, "filter"),
        ("models", {"filter_string": "run_id = 'x'"}, "run_id"),
        ("models", {"order_by": ["run_id"]}, "run_id"),
        ("models", {"order_by": ["name", "name DESC"]}, "more than once"),
        ("models", {"max_results": 1001}, "max_results"),
        ("models", {"page_token": "garbage"}, "page_token"),
        ("versions", {"filter_string": "version_number = 'one'"}, "version_number"),
        ("versions", {"filter_string": "current_stage = 'Live'"}, "current_stage"),
        ("versions", {"filter_string": "metrics.acc > 1"}, "metrics"),
        ("versions", {"order_by": ["run_id ASC"]}, "run_id"),
        ("versions", {"order_by": ["version_number SIDEWAYS"]}, "ASC or DESC"),
        ("versions", {"max_results": 200_001}, "max_results"),
        # MLflow refuses an empty version page but not an empty model page (below).
        ("versions", {"max_results": 0}, "max_results"),
        ("versions", {"max_results": -1}, "max_results"),
        ("versions", {"page_token": "garbage"}, "page_token"),
    ],
)
def test_bad_searches_are_refused_naming_the_problem(
    population: Population, kind: str, arguments: dict[str, object], message: str
) -> None:
    registry = population.registry
    search = (
        registry.search_registered_models if kind == "models" else registry.search_model_versions
    )

    with pytest.raises(InvalidParameter, match=message):
        search(**arguments)  # type: ignore[arg-type]


def test_a_token_of_another_query_is_refused(population: Population) -> None:
    registry = population.registry
    token = registry.search_model_versions(max_results=1).token
    assert token is not None

    with pytest.raises(InvalidParameter, match="page_token"):
        registry.search_model_versions("name = 'alpha'", max_results=1, page_token=token)


def _forged(token: str, **changes: object) -> str:
    """Return ``token`` with fields changed and its checksum redone, as a forger could."""
    body = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    body.pop("c")
    body.update(changes)
    body["c"] = hashlib.sha256(
        b"trackstone-page:" + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()[:12]
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "changes",
    [
        {"p": ["x", "tm", 1]},  # text where the update time (an integer) goes
        {"p": [2**70, "a", 1]},  # beyond int64
        {"p": [1, 2, 3]},  # a number where the name goes
        {"o": 2**70},
    ],
    ids=["text-for-number", "overflow", "number-for-text", "offset-overflow"],
)
def test_a_forged_version_token_is_refused(
    population: Population, changes: dict[str, object]
) -> None:
    registry = population.registry
    token = registry.search_model_versions(max_results=1).token
    assert token is not None

    with pytest.raises(InvalidParameter, match="page_token"):
        registry.search_model_versions(max_results=1, page_token=_forged(token, **changes))
