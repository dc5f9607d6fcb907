"""Journeys on the experiments list: see counts, search, create, rename, delete and restore."""

from __future__ import annotations

from typing import Any

import pytest

from browser.conftest import UiServer
from browser.sample_data import (
    ESCAPED_EXPERIMENT,
    OTHER_EXPERIMENT,
    SWEEP_EXPERIMENT,
    SWEEP_RUNS,
)
from trackstone.entities import LifecycleStage


def _row(page: Any, experiment_id: str) -> Any:
    return page.locator(f'#experiments-body tr[data-experiment-id="{experiment_id}"]')


@pytest.mark.parametrize(
    ("name", "runs"),
    [(SWEEP_EXPERIMENT, str(len(SWEEP_RUNS))), (OTHER_EXPERIMENT, "1"), (ESCAPED_EXPERIMENT, "0")],
)
def test_list_shows_each_experiment_with_its_run_count(
    page: Any, ui_server: UiServer, name: str, runs: str
) -> None:
    page.goto(ui_server.url + "/")
    row = _row(page, ui_server.ids[f"experiment:{name}"])
    row.locator(".runs-cell", has_text=runs).wait_for()
    assert row.locator(".name-cell a").text_content() == name
    # a name holding markup is shown as text, never parsed
    assert page.locator("#experiments-body img").count() == 0


def test_search_box_filters_by_name(page: Any, ui_server: UiServer) -> None:
    page.goto(ui_server.url + "/")
    _row(page, ui_server.ids[f"experiment:{OTHER_EXPERIMENT}"]).wait_for()
    page.get_by_label("Search by name").fill("SWEEP")
    _row(page, ui_server.ids[f"experiment:{OTHER_EXPERIMENT}"]).wait_for(state="detached")
    names = page.locator("#experiments-body .name-cell a").all_text_contents()
    assert names == [SWEEP_EXPERIMENT]


def test_create_an_experiment(page: Any, ui_server: UiServer) -> None:
    page.goto(ui_server.url + "/")
    page.get_by_label("New experiment").fill("created-in-browser")
    page.get_by_role("button", name="Create", exact=True).click()
    page.locator("#experiments-body a", has_text="created-in-browser").wait_for()
    created = ui_server.client.get_experiment_by_name("created-in-browser")
    assert created is not None
    assert _row(page, created.experiment_id).locator(".runs-cell").text_content() == "0"
    page.locator("#message").get_by_role("link", name="Open it").click()
    page.wait_for_url(f"**/experiments/{created.experiment_id}")
    assert page.locator("h1").text_content() == "created-in-browser"


def test_creating_a_taken_name_shows_the_servers_message(page: Any, ui_server: UiServer) -> None:
    page.goto(ui_server.url + "/")
    page.get_by_label("New experiment").fill(SWEEP_EXPERIMENT)
    page.get_by_role("button", name="Create", exact=True).click()
    message = page.locator("#message.message-error")
    message.wait_for()
    assert SWEEP_EXPERIMENT in (message.text_content() or "")


def test_rename_delete_and_restore(page: Any, ui_server: UiServer) -> None:
    experiment_id = ui_server.client.create_experiment("to-be-renamed")
    page.goto(ui_server.url + "/")
    row = _row(page, experiment_id)
    row.get_by_role("button", name="Rename to-be-renamed").click()
    field = row.get_by_label("New name for to-be-renamed")
    field.fill("renamed-in-browser")
    field.press("Enter")
    row.locator(".name-cell a", has_text="renamed-in-browser").wait_for()
    assert ui_server.client.get_experiment(experiment_id).name == "renamed-in-browser"

    row.get_by_role("button", name="Delete renamed-in-browser").click()
    row.wait_for(state="detached")
    stage = ui_server.client.get_experiment(experiment_id).lifecycle_stage
    assert stage == LifecycleStage.DELETED

    page.get_by_label("Show deleted").check()
    row.get_by_role("button", name="Restore renamed-in-browser").click()
    row.get_by_role("button", name="Delete renamed-in-browser").wait_for()
    stage = ui_server.client.get_experiment(experiment_id).lifecycle_stage
    assert stage == LifecycleStage.ACTIVE


def test_open_an_experiment_from_the_list(page: Any, ui_server: UiServer) -> None:
    page.goto(ui_server.url + "/")
    page.get_by_role("link", name=SWEEP_EXPERIMENT).click()
    page.wait_for_url(f"**/experiments/{ui_server.ids[f'experiment:{SWEEP_EXPERIMENT}']}")
    assert page.locator("h1").text_content() == SWEEP_EXPERIMENT
    page.locator("#runs-body tr").nth(len(SWEEP_RUNS) - 1).wait_for()
    assert page.locator("#runs-body tr").count() == len(SWEEP_RUNS)


def test_open_the_runs_of_two_checked_experiments(page: Any, ui_server: UiServer) -> None:
    sweep = ui_server.ids[f"experiment:{SWEEP_EXPERIMENT}"]
    other = ui_server.ids[f"experiment:{OTHER_EXPERIMENT}"]
    page.goto(ui_server.url + "/")
    button = page.get_by_role("button", name="Runs of selected")
    page.get_by_label(f"Select {SWEEP_EXPERIMENT}").check()
    assert button.is_disabled()
    page.get_by_label(f"Select {OTHER_EXPERIMENT}").focus()
    page.keyboard.press("Space")
    page.wait_for_selector("#open-selected:not([disabled])")
    button.click()
    page.wait_for_url(f"**/experiments/{sweep},{other}")
    page.locator("#runs-body tr").nth(len(SWEEP_RUNS)).wait_for()
    names = set(page.locator("#runs-body .experiment-cell a").all_text_contents())
    assert names == {SWEEP_EXPERIMENT, OTHER_EXPERIMENT}
