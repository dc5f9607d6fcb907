"""The web UI server side: page shells and their CSP, 404 pages, static files, run counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.asgi_client import TestClient
from trackstone.entities import Metric, RunStatus
from trackstone.store.experiment_stats import (
    EXPERIMENT_STATS_MAX_IDS,
    ExperimentStats,
    experiment_stats_of,
)
from trackstone.store.sql.store import SqlStore

STATS = "/api/2.0/trackstone/ui/experiment-stats"
_CSP_PARTS = (
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("/", 'src="/static/js/experiments.js'),
        ("/experiments/0", 'src="/static/js/runs.js'),
        ("/compare?runs=abc,def", 'href="/runs/def"'),
        ("/models", "<h1>Models</h1>"),
    ],
)
def test_pages_are_html_with_the_ui_csp_and_no_inline_code(
    client: TestClient, path: str, marker: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert all(part in policy for part in _CSP_PARTS), policy
    assert marker in response.text
    assert "<script>" not in response.text and "style=" not in response.text


def test_run_page_shows_name_and_status(client: TestClient, store: SqlStore) -> None:
    run = store.create_run("0", run_name="first", start_time=1)
    store.update_run_info(run.info.run_id, status=RunStatus.FAILED, end_time=2)
    response = client.get(f"/runs/{run.info.run_id}")
    assert response.status_code == 200
    assert '<h1 id="run-name">first</h1>' in response.text
    assert ">FAILED</span>" in response.text


@pytest.mark.parametrize(
    ("keys", "attribute"),
    [
        ((), 'data-metric-keys="[]"'),
        (("loss", "acc/val"), 'data-metric-keys="[&#34;acc/val&#34;, &#34;loss&#34;]"'),
    ],
)
def test_run_page_names_its_metric_keys_for_the_charts(
    client: TestClient, store: SqlStore, keys: tuple[str, ...], attribute: str
) -> None:
    run = store.create_run("0", run_name="charted", start_time=1)
    for key in keys:
        store.log_metric(run.info.run_id, Metric(key, 1.0, timestamp=1, step=0))
    response = client.get(f"/runs/{run.info.run_id}")
    assert attribute in response.text


@pytest.mark.parametrize("path", ["/experiments/12345", "/experiments/abc", "/runs/nope"])
def test_unknown_records_get_an_html_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text


@pytest.mark.parametrize(("listed", "unknown"), [("0,12345", "12345"), ("777,0", "777")])
def test_an_unknown_id_in_a_list_of_experiments_gets_a_404_naming_it(
    client: TestClient, listed: str, unknown: str
) -> None:
    response = client.get(f"/experiments/{listed}")
    assert response.status_code == 404
    assert f"There is no experiment &#39;{unknown}&#39;." in response.text


def test_a_list_of_experiments_names_them_all(client: TestClient, store: SqlStore) -> None:
    first = store.create_experiment("first <b>")
    response = client.get(f"/experiments/0,{first}")
    assert response.status_code == 200
    assert '<h1 id="experiment-name">Runs of Default, first &lt;b&gt;</h1>' in response.text
    assert f'data-experiment-ids="0,{first}"' in response.text


def test_experiment_names_are_escaped(client: TestClient, store: SqlStore) -> None:
    experiment_id = store.create_experiment("<script>alert('x')</script>")
    response = client.get(f"/experiments/{experiment_id}")
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in response.text


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/static/js/runs.js", "text/javascript"), ("/static/css/app.css", "text/css")],
)
def test_our_static_files_are_served(client: TestClient, path: str, content_type: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert response.headers["x-content-type-options"] == "nosniff"


def test_experiment_stats_count_active_and_deleted_runs(
    client: TestClient, store: SqlStore
) -> None:
    busy = store.create_experiment("busy")
    empty = store.create_experiment("empty")
    first = store.create_run(busy, start_time=1_000).info.run_id
    store.create_run(busy, start_time=5_000)
    store.update_run_info(first, status=RunStatus.FINISHED, end_time=9_000)
    deleted = store.create_run(busy, start_time=20_000).info.run_id
    store.delete_run(deleted)
    response = client.get(STATS, params=[("experiment_ids", i) for i in (busy, empty, "999")])
    assert response.status_code == 200
    assert response.json() == {
        "experiments": [
            {"experiment_id": busy, "active_runs": 2, "deleted_runs": 1, "last_run_time_ms": 9000},
            {"experiment_id": empty, "active_runs": 0, "deleted_runs": 0, "last_run_time_ms": None},
        ]
    }


@pytest.mark.parametrize(
    ("ids", "message_part"),
    [
        (["1", "x"], "experiment_ids[1]: must be an experiment id, got 'x'"),
        (["1"] * (EXPERIMENT_STATS_MAX_IDS + 1), f"at most {EXPERIMENT_STATS_MAX_IDS} ids"),
    ],
)
def test_experiment_stats_refuse_bad_ids(
    client: TestClient, ids: list[str], message_part: str
) -> None:
    response = client.get(STATS, params=[("experiment_ids", i) for i in ids])
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert message_part in response.json()["message"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """Return an empty SqlStore on SQLite or on a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path / 'stats.db'}"
    else:
        uri = request.getfixturevalue("postgres_uri")
    opened = SqlStore(uri, str(tmp_path / "artifacts"))
    yield opened
    opened.close()


def test_experiment_stats_on_each_database(any_sql_store: SqlStore) -> None:
    experiment_id = any_sql_store.create_experiment("counted")
    for start in (10, 30, 20):
        any_sql_store.create_run(experiment_id, start_time=start)
    stats = experiment_stats_of(any_sql_store).experiment_stats([experiment_id, "0"])
    assert stats == [
        ExperimentStats(experiment_id, active_runs=3, deleted_runs=0, last_run_time_ms=30),
        ExperimentStats("0", active_runs=0, deleted_runs=0, last_run_time_ms=None),
    ]
