"""The registry benchmark's workload: fill a registry over REST, then time creates and searches.

The same plain keep-alive connection (``server_workload.Client``) drives every server through
MLflow's documented REST API (``/api/2.0/mlflow/registered-models/*``, ``/model-versions/*``).
The population is generated here from the sizes alone, so every server stores the same models,
versions, tags and sources, and every search answer can be checked against the answer computed
in Python from the population.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from server_workload import Client, RequestFailed, latency_stats

__all__ = [
    "FULL",
    "QUICK",
    "Query",
    "RegistrySizes",
    "Target",
    "Version",
    "measure",
    "model_queries",
    "populate",
    "prepare",
    "version_queries",
]

SEARCH_PAGE = 1_000  # model versions per page while paging through a search
MODEL_PAGE = 100  # registered models per search request
FRAMEWORKS = ("sklearn", "xgboost", "torch")


@dataclass(frozen=True)
class RegistrySizes:
    """How much work each measurement does (the same for every server)."""

    models: int  # registered models
    versions_per_model: int  # versions of each model: models * versions_per_model in all
    timed_versions_per_model: int  # the last versions of each model, created one at a time, timed
    runs: int  # real runs the versions' sources point at (runs:/<run_id>/model)
    threads: int  # parallel population requests (one model per thread at a time)
    search_repeats: int  # timed repeats of each search, after one warm-up

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def total_versions(self) -> int:
        return self.models * self.versions_per_model


FULL = RegistrySizes(
    models=100,
    versions_per_model=100,
    timed_versions_per_model=10,
    runs=5,
    threads=4,
    search_repeats=15,
)
QUICK = RegistrySizes(
    models=10,
    versions_per_model=20,
    timed_versions_per_model=5,
    runs=3,
    threads=4,
    search_repeats=3,
)


@dataclass(frozen=True)
class Version:
    """One model version of the population, as the server must store it."""

    name: str
    version: int
    run_index: int  # which of the bench's runs its source points at
    tags: dict[str, str]


def model_name(index: int) -> str:
    return f"bench-model-{index:03d}"


def model_tags(index: int) -> dict[str, str]:
    return {"team": f"team-{index % 5}", "task": ("classification", "regression")[index % 2]}


def population(sizes: RegistrySizes) -> list[Version]:
    """Return every version the benchmark creates, in creation order within each model."""
    return [
        Version(
            name=model_name(model),
            version=version,
            run_index=(model + version) % sizes.runs,
            tags={
                "dataset": f"ds-{version % 10}",
                "validated": "true" if version % 3 == 0 else "false",
                "framework": FRAMEWORKS[version % len(FRAMEWORKS)],
            },
        )
        for model in range(sizes.models)
        for version in range(1, sizes.versions_per_model + 1)
    ]


def create_version_body(version: Version, run_ids: list[str]) -> bytes:
    run_id = run_ids[version.run_index]
    payload = {
        "name": version.name,
        "source": f"runs:/{run_id}/model",
        "run_id": run_id,
        "tags": [{"key": k, "value": v} for k, v in version.tags.items()],
        "description": f"{version.name} v{version.version}",
    }
    return json.dumps(payload).encode()


def _create_version(client: Client, version: Version, run_ids: list[str]) -> int:
    """Create one version, check the number the server gave it; return how long it took (ns)."""
    body = create_version_body(version, run_ids)
    start = time.perf_counter_ns()
    answer = client.send("POST", "/model-versions/create", body)
    elapsed = time.perf_counter_ns() - start
    given = json.loads(answer)["model_version"]["version"]
    if int(given) != version.version:
        raise RequestFailed(f"{version.name}: created version {given}, expected {version.version}")
    return elapsed


def _create_models(client: Client, sizes: RegistrySizes) -> None:
    for index in range(sizes.models):
        payload = {
            "name": model_name(index),
            "tags": [{"key": k, "value": v} for k, v in model_tags(index).items()],
            "description": f"benchmark model {index}",
        }
        client.call("POST", "/registered-models/create", payload)


def populate(
    base_url: str, client: Client, sizes: RegistrySizes, run_ids: list[str]
) -> dict[str, Any]:
    """Create the models, then all but the timed versions, ``threads`` models at a time.

    Each model's versions are created in order by one thread, so version numbers are the
    population's; the threads work on different models. Returns the wall time and rate.
    """
    started = time.perf_counter()
    _create_models(client, sizes)
    untimed = sizes.versions_per_model - sizes.timed_versions_per_model
    by_model: dict[str, list[Version]] = {}
    for version in population(sizes):
        if version.version <= untimed:
            by_model.setdefault(version.name, []).append(version)

    def create_all(versions: list[Version]) -> int:
        worker = Client(base_url)
        try:
            for version in versions:
                _create_version(worker, version, run_ids)
        finally:
            worker.close()
        return len(versions)

    with ThreadPoolExecutor(max_workers=sizes.threads) as pool:
        created = sum(pool.map(create_all, by_model.values()))
    wall_s = time.perf_counter() - started
    return {
        "models": sizes.models,
        "versions": created,
        "threads": sizes.threads,
        "wall_s": wall_s,
        "versions_per_s": created / wall_s,
    }


@dataclass
class Target:
    """One server under test: its name, its REST session and the ids of its runs."""

    name: str
    client: Client
    run_ids: list[str]


def measure_creates(targets: list[Target], sizes: RegistrySizes) -> dict[str, dict[str, float]]:
    """Create the last versions of every model one request at a time, round robin; time each.

    They land on registries already holding all the other versions. The servers take turns
    (in alternating order), so a busy moment of the machine falls on both alike.
    """
    untimed = sizes.versions_per_model - sizes.timed_versions_per_model
    tail = sorted(
        (v for v in population(sizes) if v.version > untimed), key=lambda v: (v.version, v.name)
    )
    durations: dict[str, list[int]] = {target.name: [] for target in targets}
    for index, version in enumerate(tail):
        for target in _turns(targets, index):
            durations[target.name].append(_create_version(target.client, version, target.run_ids))
    return {name: latency_stats(figures) for name, figures in durations.items()}


@dataclass(frozen=True)
class Query:
    """One search: its label, request parameters, and the answer computed from the population."""

    label: str
    endpoint: str  # "/model-versions/search" or "/registered-models/search"
    params: dict[str, Any]
    expected: list[str]  # "name/version" (versions) or names (models), in the server's order
    paged: bool  # follow next_page_token to the end


def _ordered(versions: Iterable[Version], key: Callable[[Version], Any]) -> list[str]:
    return [f"{v.name}/{v.version}" for v in sorted(versions, key=key)]


def version_queries(sizes: RegistrySizes, run_ids: list[str]) -> list[Query]:
    """Return the model-version searches, with their expected answers."""
    everything = population(sizes)
    one = model_name(sizes.models // 2)
    prefix = model_name(sizes.models // 2)[:-1]  # a tenth of the models (of 100)
    picked_runs = run_ids[:2]
    quoted_runs = ", ".join(f"'{r}'" for r in picked_runs)

    def by_name_then_newest(v: Version) -> tuple[str, int]:
        return (v.name, -v.version)

    def query(
        label: str, filter_string: str | None, order_by: list[str], expected: list[str]
    ) -> Query:
        params: dict[str, Any] = {"max_results": SEARCH_PAGE, "order_by": order_by}
        if filter_string is not None:
            params["filter"] = filter_string
        return Query(label, "/model-versions/search", params, expected, paged=True)

    return [
        query(
            "name =",
            f"name = '{one}'",
            ["version_number DESC"],
            _ordered((v for v in everything if v.name == one), lambda v: -v.version),
        ),
        query(
            "name LIKE",
            f"name LIKE '{prefix}%'",
            ["name ASC", "version_number DESC"],
            _ordered((v for v in everything if v.name.startswith(prefix)), by_name_then_newest),
        ),
        query(
            "tags.dataset =",
            "tags.dataset = 'ds-3'",
            ["name ASC", "version_number DESC"],
            _ordered((v for v in everything if v.tags["dataset"] == "ds-3"), by_name_then_newest),
        ),
        query(
            f"run_id IN ({len(picked_runs)} runs)",
            f"run_id IN ({quoted_runs})",
            ["name ASC", "version_number DESC"],
            _ordered(
                (v for v in everything if v.run_index < len(picked_runs)), by_name_then_newest
            ),
        ),
        query(
            "all, by version_number",
            None,
            ["version_number DESC", "name ASC"],
            _ordered(everything, lambda v: (-v.version, v.name)),
        ),
    ]


def model_queries(sizes: RegistrySizes) -> list[Query]:
    """Return the registered-model searches (first page of MODEL_PAGE), with their answers."""
    names = [model_name(i) for i in range(sizes.models)]
    team = "team-2"
    return [
        Query(
            "models: name LIKE",
            "/registered-models/search",
            {"filter": "name LIKE 'bench-model-%'", "max_results": MODEL_PAGE},
            sorted(names)[:MODEL_PAGE],
            paged=False,
        ),
        Query(
            "models: tags.team =",
            "/registered-models/search",
            {"filter": f"tags.team = '{team}'", "max_results": MODEL_PAGE},
            sorted(n for i, n in enumerate(names) if model_tags(i)["team"] == team)[:MODEL_PAGE],
            paged=False,
        ),
    ]


def _answer_items(answer: dict[str, Any]) -> list[str]:
    if "model_versions" in answer:
        return [f"{v['name']}/{v['version']}" for v in answer["model_versions"]]
    return [m["name"] for m in answer.get("registered_models", [])]


def run_query(client: Client, query: Query) -> tuple[list[str], int, int]:
    """Send a search (every page when ``paged``); return the items, pages and answer bytes.

    Each answer is decoded inside the timing: the next page's token is in it.
    """
    items: list[str] = []
    token, pages, size = None, 0, 0
    while True:
        params = dict(query.params)
        if token:
            params["page_token"] = token
        raw = client.send("GET", query.endpoint, **params)
        answer = json.loads(raw)
        pages, size = pages + 1, size + len(raw)
        items += _answer_items(answer)
        token = answer.get("next_page_token")
        if not query.paged or not token:
            return items, pages, size


def _turns(targets: list[Target], index: int) -> list[Target]:
    return targets if index % 2 == 0 else targets[::-1]


def _summary(query: Query, answer: tuple[list[str], int, int]) -> dict[str, Any]:
    items, pages, size = answer
    return {
        "label": query.label,
        "endpoint": query.endpoint,
        "params": query.params,
        "results": len(items),
        "expected_results": len(query.expected),
        "correct": items == query.expected,
        "first": items[:3],
        "digest": hashlib.sha256("\n".join(items).encode()).hexdigest()[:16],
        "requests": pages,
        "answer_bytes": size,
    }


def _percentiles(durations: list[int]) -> dict[str, float]:
    ordered = sorted(durations)
    return {
        "repeats": len(ordered),
        "p50_ms": statistics.median(ordered) / 1e6,
        "p90_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))] / 1e6,
        "mean_ms": statistics.fmean(ordered) / 1e6,
    }


def measure_searches(
    targets: list[Target], sizes: RegistrySizes, progress: Callable[[str], None]
) -> dict[str, list[dict[str, Any]]]:
    """Each search: one warm-up per server (its answer is checked), then timed repeats.

    The servers take turns on every repeat, in alternating order. Returns each server's
    figures per search: median and p90 of the whole paging, and what it answered.
    """
    queries = {t.name: [*version_queries(sizes, t.run_ids), *model_queries(sizes)] for t in targets}
    figures: dict[str, list[dict[str, Any]]] = {t.name: [] for t in targets}
    for index in range(len(queries[targets[0].name])):
        progress(f"search {queries[targets[0].name][index].label}")
        durations: dict[str, list[int]] = {}
        for target in targets:
            query = queries[target.name][index]
            figures[target.name].append(_summary(query, run_query(target.client, query)))
            durations[target.name] = []
        for repeat in range(sizes.search_repeats):
            for target in _turns(targets, repeat):
                start = time.perf_counter_ns()
                run_query(target.client, queries[target.name][index])
                durations[target.name].append(time.perf_counter_ns() - start)
        for target in targets:
            figures[target.name][-1].update(_percentiles(durations[target.name]))
    return figures


def create_runs(client: Client, count: int) -> list[str]:
    """Create the runs the versions come from; return their ids."""
    experiment_id = client.call("POST", "/experiments/create", {"name": "registry-bench"})[
        "experiment_id"
    ]
    return [
        client.call(
            "POST", "/runs/create", {"experiment_id": experiment_id, "run_name": f"train-{i}"}
        )["run"]["info"]["run_id"]
        for i in range(count)
    ]


def prepare(
    name: str, base_url: str, sizes: RegistrySizes, progress: Callable[[str], None]
) -> tuple[Target, dict[str, Any]]:
    """Create the runs and populate one server; return it as a target and the population figures."""
    client = Client(base_url)
    run_ids = create_runs(client, sizes.runs)
    untimed = sizes.models * (sizes.versions_per_model - sizes.timed_versions_per_model)
    progress(
        f"{name}: populating {sizes.models} models, {untimed} versions ({sizes.threads} threads)"
    )
    return Target(name, client, run_ids), populate(base_url, client, sizes, run_ids)


def measure(
    targets: list[Target], sizes: RegistrySizes, progress: Callable[[str], None]
) -> dict[str, dict[str, Any]]:
    """Time creates and searches on every populated server, taking turns; return the figures."""
    progress(f"create-model-version x {sizes.models * sizes.timed_versions_per_model}, timed")
    creates = measure_creates(targets, sizes)
    searches = measure_searches(targets, sizes, progress)
    return {
        t.name: {"create_version": creates[t.name], "searches": searches[t.name]} for t in targets
    }
