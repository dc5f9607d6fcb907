"""Journeys on the models list: search, what a row shows, create, order and paging."""

from __future__ import annotations

from typing import Any

import pytest

from browser.conftest import UiServer
from browser.registry_sample_data import CHURN_MODEL, ESCAPED_MODEL

_BULK_PREFIX = "bulk-model-"
_BULK_COUNT = 105  # more than one page of 100


def _open(page: Any, ui_server: UiServer, query: str = "") -> None:
    page.goto(f"{ui_server.url}/models{query}")
    page.locator("#models-body tr").first.wait_for()
    page.wait_for_selector("#models-body:not([aria-busy])")


def _shown_names(page: Any) -> list[str]:
    names: list[str] = page.locator("#models-body .model-link").all_text_contents()
    return names


def _wait_for_names(page: Any, expected: list[str]) -> None:
    page.wait_for_function(
        "names => JSON.stringify([...document.querySelectorAll('#models-body .model-link')]"
        ".map(a => a.textContent)) === JSON.stringify(names)",
        arg=expected,
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("chu", [CHURN_MODEL]),
        ("CHURN", [CHURN_MODEL]),  # case does not matter
        ("detect", ["fraud-detector"]),
        ("onerror", [ESCAPED_MODEL]),
    ],
)
def test_search_by_name(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str], typed: str, expected: list[str]
) -> None:
    _open(page, ui_server)
    page.get_by_label("Search by name").fill(typed)
    _wait_for_names(page, expected)
    assert page.url.endswith(f"?q={typed}")


def test_search_without_match_says_so(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    _open(page, ui_server)
    page.get_by_label("Search by name").fill("no-such-model-anywhere")
    page.wait_for_selector("#empty:not([hidden])")
    assert page.locator("#empty").text_content() == "No models match."
    assert page.locator("#models-body tr").count() == 0


def test_a_row_shows_latest_version_aliases_and_stages(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    _open(page, ui_server, "?q=churn")
    _wait_for_names(page, [CHURN_MODEL])
    row = page.locator(f'#models-body tr[data-model-name="{CHURN_MODEL}"]')
    assert row.locator(".latest-cell").text_content() == "Version 3"
    assert row.locator(".aliases-cell .alias-chip").all_text_contents() == [
        "@challenger v3",
        "@champion v2",
    ]
    assert row.locator(".stages-cell").text_content() == "Production v2Staging v3"
    assert row.locator(".description-cell").text_content().startswith("Predicts which customers")
    row.locator(".latest-cell a").click()
    page.wait_for_url(f"**/models/{CHURN_MODEL}/versions/3")


def test_names_and_descriptions_are_text_never_html(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    _open(page, ui_server, "?q=onerror")
    _wait_for_names(page, [ESCAPED_MODEL])
    assert page.locator("#models-body img, #models-body b").count() == 0
    row = page.locator("#models-body tr").first
    assert row.locator(".description-cell").text_content() == "<b>not bold</b>"


def test_create_a_model_then_refuse_the_same_name(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    _open(page, ui_server)
    page.get_by_label("New model").fill("created-in-browser")
    page.get_by_role("button", name="Create").click()
    page.wait_for_selector("#message:has-text('Created model “created-in-browser”')")
    assert ui_server.client.get_registered_model("created-in-browser").name == "created-in-browser"
    assert page.get_by_role("link", name="Open it").get_attribute("href") == (
        "/models/created-in-browser"
    )
    page.get_by_label("New model").fill(CHURN_MODEL)
    page.get_by_role("button", name="Create").click()
    page.wait_for_selector("#message.message-error")
    assert (
        page.locator("#message").text_content()
        == f"registered model '{CHURN_MODEL}' already exists"
    )
    assert page.get_by_label("New model").get_attribute("aria-invalid") == "true"


@pytest.fixture(scope="module")
def bulk_models(ui_server: UiServer) -> list[str]:
    """Register more models than one page holds."""
    names = [f"{_BULK_PREFIX}{index:03d}" for index in range(_BULK_COUNT)]
    for name in names:
        ui_server.client.create_registered_model(name)
    return names


def test_load_more_follows_the_page_token(
    page: Any, ui_server: UiServer, bulk_models: list[str]
) -> None:
    _open(page, ui_server, f"?q={_BULK_PREFIX}")
    _wait_for_names(page, bulk_models[:100])
    assert page.locator("#count").text_content() == "100+ models"
    page.get_by_role("button", name="Load more").click()
    _wait_for_names(page, bulk_models)
    assert page.locator("#count").text_content() == f"{_BULK_COUNT} models"
    assert page.locator("#load-more").is_hidden()


def _bulk_order(ui_server: UiServer, key: str, descending: bool) -> list[str]:
    """The bulk models in the server's order: by ``key``, ties by name A-Z."""
    models = ui_server.client.search_registered_models(
        f"name LIKE '{_BULK_PREFIX}%'", max_results=1000
    )
    sign = -1 if descending else 1
    if key == "name":
        return sorted((model.name for model in models), reverse=descending)
    ordered = sorted(models, key=lambda model: (sign * model.last_updated_timestamp, model.name))
    return [model.name for model in ordered]


@pytest.mark.parametrize(
    ("header", "clicks", "key", "descending"),
    [
        ("Name", 1, "name", True),  # A-Z is the default, so one click gives Z-A
        ("Last updated", 1, "last_updated_timestamp", True),  # newest first
        ("Last updated", 2, "last_updated_timestamp", False),
    ],
)
def test_order_by_a_header_is_done_by_the_server(
    page: Any,
    ui_server: UiServer,
    bulk_models: list[str],
    header: str,
    clicks: int,
    key: str,
    descending: bool,
) -> None:
    _open(page, ui_server, f"?q={_BULK_PREFIX}")
    for _ in range(clicks):
        page.get_by_role("button", name=header, exact=True).click()
    expected = _bulk_order(ui_server, key, descending)
    # The first page of a server-side order holds models a client-side sort of page one
    # (names 000-099) could not show.
    _wait_for_names(page, expected[:100])
    page.reload()
    _wait_for_names(page, expected[:100])
