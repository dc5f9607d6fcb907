"""Keep ``bench/registry.py`` from rotting: a quick run against ``trackstone server`` must work.

This checks that the registry benchmark runs end to end and that the server's answers are the
ones computed from the population; it never asserts on how fast anything was.
"""

from __future__ import annotations

import pytest

from support.bench_runs import run_quick_bench

QUICK_MODELS = 10
QUICK_VERSIONS = 200  # 10 models x 20 versions
QUICK_TIMED_CREATES = 50  # the last 5 versions of each model

# label -> results of the quick population (10 models x 20 versions, 3 runs)
EXPECTED_SEARCHES = {
    "name =": 20,  # one model's versions
    "name LIKE": 200,  # 'bench-model-00%' matches all ten quick models
    "tags.dataset =": 20,  # versions 3 and 13 of each model
    "run_id IN (2 runs)": 133,  # (model + version) % 3 in {0, 1}
    "all, by version_number": 200,
    "models: name LIKE": 10,
    "models: tags.team =": 2,  # models 2 and 7
}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    stdout, document = run_quick_bench(
        "registry.py", "registry", tmp_path_factory.mktemp("registry-bench")
    )
    assert "model registry: trackstone server vs mlflow server" in stdout
    assert "warning" not in stdout, stdout
    return document


def test_quick_registry_bench_creates_every_version(quick_run: dict[str, object]) -> None:
    results = quick_run["results"]
    assert isinstance(results, dict)
    assert set(results) == {"trackstone"}
    work = results["trackstone"]["workloads"]
    assert work["population"]["models"] == QUICK_MODELS
    assert work["population"]["versions"] + work["create_version"]["requests"] == QUICK_VERSIONS
    assert work["create_version"]["requests"] == QUICK_TIMED_CREATES


@pytest.mark.parametrize(("label", "count"), EXPECTED_SEARCHES.items())
def test_quick_registry_bench_search_answers(
    quick_run: dict[str, object], label: str, count: int
) -> None:
    results = quick_run["results"]
    assert isinstance(results, dict)
    [search] = [s for s in results["trackstone"]["workloads"]["searches"] if s["label"] == label]
    assert search["results"] == count
    assert search["correct"], search["first"]
