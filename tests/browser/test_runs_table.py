"""Journeys on an experiment's runs table: sort, filter, columns, selection, CSV, keyboard."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from browser.conftest import UiServer
from browser.sample_data import OTHER_EXPERIMENT, SWEEP_EXPERIMENT, SWEEP_RUNS

_BY_NAME = {run.name: run for run in SWEEP_RUNS}


def _open(page: Any, ui_server: UiServer, query: str = "") -> None:
    experiment_id = ui_server.ids[f"experiment:{SWEEP_EXPERIMENT}"]
    page.goto(f"{ui_server.url}/experiments/{experiment_id}{query}")
    page.locator("#runs-body tr").first.wait_for()
    page.wait_for_selector("#main:not([aria-busy])")


def _shown_names(page: Any) -> list[str]:
    names: list[str] = page.locator("#runs-body .run-link").all_text_contents()
    return names


def _wait_for_names(page: Any, expected: list[str]) -> None:
    """Wait until the table shows exactly these run names, in this order."""
    page.wait_for_function(
        "names => JSON.stringify([...document.querySelectorAll('#runs-body .run-link')]"
        ".map(a => a.textContent)) === JSON.stringify(names)",
        arg=expected,
    )


@pytest.mark.parametrize(
    ("metric", "clicks", "expected"),
    [
        ("loss", 1, sorted(_BY_NAME, key=lambda name: _BY_NAME[name].loss)),
        ("loss", 2, sorted(_BY_NAME, key=lambda name: -_BY_NAME[name].loss)),
        ("accuracy", 2, sorted(_BY_NAME, key=lambda name: -_BY_NAME[name].accuracy)),
    ],
)
def test_sort_by_a_metric_column(
    page: Any, ui_server: UiServer, metric: str, clicks: int, expected: list[str]
) -> None:
    _open(page, ui_server)
    page.get_by_label("Group child runs").uncheck()  # a flat list shows the server's order
    header = page.locator(f'th[data-column="metrics.{metric}"]')
    for click in range(clicks):
        sort = "ascending" if click == 0 else "descending"
        header.get_by_role("button").click()
        page.wait_for_selector(f'th[data-column="metrics.{metric}"][aria-sort="{sort}"]')
    _wait_for_names(page, expected)
    assert _shown_names(page) == expected


def test_sorted_order_survives_a_reload(page: Any, ui_server: UiServer) -> None:
    _open(page, ui_server)
    page.get_by_label("Group child runs").uncheck()
    page.locator('th[data-column="metrics.loss"]').get_by_role("button").click()
    page.wait_for_url("**order=*")
    page.reload()
    page.wait_for_selector('th[data-column="metrics.loss"][aria-sort="ascending"]')
    page.get_by_label("Group child runs").uncheck()
    expected = sorted(_BY_NAME, key=lambda name: _BY_NAME[name].loss)
    _wait_for_names(page, expected)


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("metrics.loss < 0.3", {"child-b", "vit-small", "vit-base"}),
        ("params.optimizer = 'adam'", {"child-a", "child-b"}),
        ("attributes.status = 'FAILED' OR params.lr = '0.3'", {"resnet-34", "mlp"}),
        ("run_name LIKE 'vit-%'", {"vit-small", "vit-base"}),
    ],
)
def test_filter_with_the_search_language(
    page: Any, ui_server: UiServer, filter_text: str, expected: set[str]
) -> None:
    _open(page, ui_server)
    page.get_by_label("Filter runs").fill(filter_text)
    page.get_by_label("Filter runs").press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#runs-body tr').length === n", arg=len(expected)
    )
    assert set(_shown_names(page)) == expected
    assert page.locator("#filter-error").is_hidden()


@pytest.mark.parametrize(
    ("filter_text", "message_part"),
    [("metrics.loss <", "expected"), ("nonsense.key = 1", "nonsense")],
)
def test_a_bad_filter_shows_the_servers_error_inline(
    page: Any, ui_server: UiServer, filter_text: str, message_part: str
) -> None:
    _open(page, ui_server)
    page.get_by_label("Filter runs").fill(filter_text)
    page.get_by_role("button", name="Filter", exact=True).click()
    error = page.locator("#filter-error")
    error.wait_for(state="visible")
    assert message_part in (error.text_content() or "")
    assert page.get_by_label("Filter runs").get_attribute("aria-invalid") == "true"


def test_child_runs_are_grouped_under_their_parent(page: Any, ui_server: UiServer) -> None:
    _open(page, ui_server)
    children = sorted(run.name for run in SWEEP_RUNS if run.parent == "sweep-parent")
    names = _shown_names(page)
    parent_at = names.index("sweep-parent")
    assert sorted(names[parent_at + 1 : parent_at + 1 + len(children)]) == children
    page.get_by_role("button", name="Collapse 2 child run(s) of sweep-parent").click()
    page.locator("#runs-body .run-link", has_text=children[0]).wait_for(state="detached")
    assert len(_shown_names(page)) == len(SWEEP_RUNS) - len(children)


def test_column_picker_adds_a_param_column_remembered_per_experiment(
    page: Any, ui_server: UiServer
) -> None:
    _open(page, ui_server)
    assert page.locator('th[data-column="params.lr"]').count() == 0
    page.get_by_role("button", name="Columns").click()
    page.locator('#column-options input[data-column="params.lr"]').check()
    header = page.locator('th[data-column="params.lr"]')
    header.wait_for()
    lr_index = page.locator("#runs-head th").evaluate_all(
        "cells => cells.findIndex(c => c.dataset.column === 'params.lr')"
    )
    shown = {
        row.locator(".run-link").text_content(): row.locator("td").nth(lr_index).text_content()
        for row in page.locator("#runs-body tr").all()
    }
    assert shown == {run.name: run.lr for run in SWEEP_RUNS}
    page.reload()
    page.locator('th[data-column="params.lr"]').wait_for()


def test_download_the_visible_table_as_csv(page: Any, ui_server: UiServer) -> None:
    _open(page, ui_server, "?filter=params.optimizer+%3D+%27sgd%27")
    page.wait_for_function("document.querySelectorAll('#runs-body tr').length === 4")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"{SWEEP_EXPERIMENT}-runs.csv"
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    sgd = {run.name: run for run in SWEEP_RUNS if run.optimizer == "sgd"}
    assert {row["Run name"] for row in rows} == set(sgd)
    for row in rows:
        run = sgd[row["Run name"]]
        assert row["Run ID"] == ui_server.ids[run.name]
        assert float(row["metrics.loss"]) == run.loss
        assert row["Status"] == run.status
        assert row["Source"] == "train/vision.py"


def test_keyboard_reaches_the_filter_box_and_applies_it(page: Any, ui_server: UiServer) -> None:
    _open(page, ui_server)
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "run-filter":
            break
    assert page.evaluate("document.activeElement.id") == "run-filter"
    page.keyboard.type("params.lr = '0.3'")
    page.keyboard.press("Enter")
    _wait_for_names(page, ["mlp"])


def test_select_two_runs_and_compare(page: Any, ui_server: UiServer) -> None:
    _open(page, ui_server)
    compare = page.get_by_role("link", name="Compare")
    assert compare.get_attribute("aria-disabled") == "true"
    page.get_by_label("Select vit-small").check()
    page.get_by_label("Select mlp").check()
    page.wait_for_selector('#compare-link[aria-disabled="false"]')
    compare.click()
    page.wait_for_url("**/compare?runs=*")
    shown = set(page.locator("#compared-runs a").all_text_contents())
    assert shown == {ui_server.ids["vit-small"], ui_server.ids["mlp"]}


def test_run_name_links_to_the_run_page(page: Any, ui_server: UiServer) -> None:
    _open(page, ui_server)
    page.locator("#runs-body .run-link", has_text="resnet-34").click()
    page.wait_for_url(f"**/runs/{ui_server.ids['resnet-34']}")
    assert page.locator("#run-name").text_content() == "resnet-34"
    assert page.locator("#run-status").text_content() == "FAILED"


def test_show_deleted_runs(page: Any, ui_server: UiServer) -> None:
    client = ui_server.client
    experiment_id = client.create_experiment("with-a-deleted-run")
    kept = client.create_run(experiment_id, run_name="kept").info.run_id
    gone = client.create_run(experiment_id, run_name="gone").info.run_id
    client.delete_run(gone)
    page.goto(f"{ui_server.url}/experiments/{experiment_id}")
    page.locator(f'#runs-body tr[data-run-id="{kept}"]').wait_for()
    assert _shown_names(page) == ["kept"]
    page.get_by_label("Show deleted").check()
    deleted_row = page.locator(f'#runs-body tr[data-run-id="{gone}"]')
    deleted_row.wait_for()
    assert deleted_row.locator(".badge-deleted").text_content() == "deleted"


def test_runs_of_two_experiments_in_one_table(page: Any, ui_server: UiServer) -> None:
    sweep = ui_server.ids[f"experiment:{SWEEP_EXPERIMENT}"]
    other = ui_server.ids[f"experiment:{OTHER_EXPERIMENT}"]
    page.goto(f"{ui_server.url}/experiments/{sweep},{other}")
    page.wait_for_function(
        "n => document.querySelectorAll('#runs-body tr').length === n", arg=len(SWEEP_RUNS) + 1
    )
    assert page.locator("h1").text_content() == f"Runs of {SWEEP_EXPERIMENT}, {OTHER_EXPERIMENT}"
    experiment_of = {
        row.locator(".run-link").text_content(): row.locator(".experiment-cell a").text_content()
        for row in page.locator("#runs-body tr").all()
    }
    expected = {run.name: SWEEP_EXPERIMENT for run in SWEEP_RUNS} | {"baseline": OTHER_EXPERIMENT}
    assert experiment_of == expected
    page.get_by_label("Filter runs").fill("run_name = 'baseline'")
    page.get_by_label("Filter runs").press("Enter")
    _wait_for_names(page, ["baseline"])
    page.locator(".experiment-cell a", has_text=OTHER_EXPERIMENT).click()
    page.wait_for_url(f"**/experiments/{other}")
    assert page.locator("h1").text_content() == OTHER_EXPERIMENT
    assert page.locator('th[data-column="experiment"]').count() == 0
