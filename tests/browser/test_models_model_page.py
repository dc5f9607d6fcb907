"""Journeys on a registered model's page: versions, aliases, stages, description, tags,
rename and delete. Tests that change a model make their own, so each starts from the same
state."""

from __future__ import annotations

from typing import Any

import pytest

from browser.conftest import UiServer
from browser.registry_sample_data import (
    CHURN_MODEL,
    CHURN_RUNS,
    CHURN_VERSIONS,
    create_journey_model,
)
from trackstone.errors import NotFound


def _open(page: Any, ui_server: UiServer, name: str) -> None:
    page.goto(f"{ui_server.url}/models/{name}")
    page.locator("#versions-body tr").first.wait_for()


def _journey_model(ui_server: UiServer, registry_ids: dict[str, str], name: str) -> str:
    run_ids = [registry_ids[run.name] for run in CHURN_RUNS[:2]]
    create_journey_model(ui_server.client, name, run_ids)
    return name


def _stages(page: Any) -> dict[str, str]:
    rows = page.locator("#versions-body tr")
    return {
        rows.nth(index).get_attribute("data-version"): rows.nth(index)
        .locator(".stage-cell")
        .text_content()
        for index in range(rows.count())
    }


def test_open_a_model_from_the_list(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    page.goto(f"{ui_server.url}/models?q={CHURN_MODEL}")
    page.get_by_role("link", name=CHURN_MODEL, exact=True).click()
    page.wait_for_url(f"**/models/{CHURN_MODEL}")
    page.locator("#versions-body tr").first.wait_for()
    assert page.locator("h1").text_content() == CHURN_MODEL
    assert page.locator("#versions-body .version-link").all_text_contents() == [
        "Version 3",
        "Version 2",
        "Version 1",
    ]
    assert _stages(page) == {version: row[1] for version, row in CHURN_VERSIONS.items()}
    # Source runs are shown by name once the names arrive, and link to the run pages.
    page.wait_for_function(
        "() => document.querySelector('#versions-body tr[data-version=\"2\"] .run-link')"
        ".textContent === 'churn-gbm-2'"
    )
    link = page.locator('#versions-body tr[data-version="2"] .run-link')
    assert link.get_attribute("href") == f"/runs/{registry_ids['churn-gbm-2']}"
    assert page.locator("#alias-list li").all_text_contents() == [
        "@challenger→Version 3Remove",
        "@champion→Version 2Remove",
    ]
    assert page.locator("#description .description-text").text_content() == (
        "Predicts which customers cancel within 30 days."
    )


def test_move_an_alias_to_another_version(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    name = _journey_model(ui_server, registry_ids, "alias-journey")
    _open(page, ui_server, name)
    assert page.locator('#versions-body tr[data-version="1"] .aliases-cell').text_content() == (
        "@champion"
    )
    page.get_by_label("Alias", exact=True).fill("champion")
    page.locator("#alias-form").get_by_label("Version").select_option("2")
    page.get_by_role("button", name="Set alias").click()
    page.wait_for_selector(
        "#message:has-text('Moved alias “champion” from version 1 to version 2.')"
    )
    page.wait_for_function(
        "() => document.querySelector('#versions-body tr[data-version=\"2\"] .aliases-cell')"
        ".textContent === '@champion'"
    )
    assert page.locator('#versions-body tr[data-version="1"] .aliases-cell').text_content() == "—"
    assert ui_server.client.get_model_version_by_alias(name, "champion").version == "2"


@pytest.mark.parametrize(
    ("alias", "message"),
    [
        ("v7", "alias: 'v7' is reserved ('latest' and 'v<number>' name versions)"),
        (
            "two words",
            "alias: 'two words' may only contain letters, digits, underscores and dashes",
        ),
    ],
)
def test_a_refused_alias_shows_the_servers_reason(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str], alias: str, message: str
) -> None:
    _open(page, ui_server, CHURN_MODEL)
    page.get_by_label("Alias", exact=True).fill(alias)
    page.get_by_role("button", name="Set alias").click()
    page.wait_for_selector("#alias-error:not([hidden])")
    assert page.locator("#alias-error").text_content() == message
    assert [item.alias for item in ui_server.client.get_registered_model(CHURN_MODEL).aliases] == [
        "challenger",
        "champion",
    ]


@pytest.mark.parametrize(
    ("archive", "expected_stages", "message"),
    [
        (
            True,
            {"2": "Production", "1": "Archived"},
            "Version 2 moved to Production; version 1 archived.",
        ),
        (False, {"2": "Production", "1": "Production"}, "Version 2 moved to Production."),
    ],
)
def test_transition_a_stage(
    page: Any,
    ui_server: UiServer,
    registry_ids: dict[str, str],
    archive: bool,
    expected_stages: dict[str, str],
    message: str,
) -> None:
    name = _journey_model(ui_server, registry_ids, f"stage-journey-{archive}")
    _open(page, ui_server, name)
    assert _stages(page) == {"2": "None", "1": "Production"}
    form = page.locator("#stage-form")
    form.get_by_label("Version", exact=True).select_option("2")
    form.get_by_label("Stage", exact=True).select_option("Production")
    form.get_by_label("Archive the versions now in Production").set_checked(archive)
    form.get_by_role("button", name="Move").click()
    page.wait_for_selector(f"#message:has-text('{message}')")
    assert _stages(page) == expected_stages
    stages = {
        version: ui_server.client.get_model_version(name, version).current_stage
        for version in expected_stages
    }
    assert stages == expected_stages


def test_archive_applies_only_to_staging_and_production(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    _open(page, ui_server, CHURN_MODEL)
    form = page.locator("#stage-form")
    form.get_by_label("Stage", exact=True).select_option("Archived")
    assert form.locator("#stage-archive").is_disabled()
    form.get_by_label("Stage", exact=True).select_option("Staging")
    assert form.get_by_label("Archive the versions now in Staging").is_enabled()


def test_edit_the_description_in_place(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    name = _journey_model(ui_server, registry_ids, "description-journey")
    _open(page, ui_server, name)
    page.get_by_role("button", name="Edit model description").click()
    box = page.get_by_label("model description")
    assert box.input_value() == "Made for one browser test."
    box.fill("Line one.\n<script>alert(1)</script> stays text.")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#description .description-text:has-text('stays text')")
    shown = page.locator("#description .description-text").text_content()
    assert shown == "Line one.\n<script>alert(1)</script> stays text."
    assert ui_server.client.get_registered_model(name).description == shown
    # Escape leaves the text as it was.
    page.get_by_role("button", name="Edit model description").click()
    page.get_by_label("model description").fill("discarded")
    page.keyboard.press("Escape")
    assert page.locator("#description .description-text").text_content() == shown
    page.reload()
    page.wait_for_selector("#description .description-text:has-text('stays text')")


def test_add_edit_and_delete_a_tag(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    name = _journey_model(ui_server, registry_ids, "tag-journey")
    _open(page, ui_server, name)
    tags = page.locator("#tags")
    tags.get_by_label("New tag key (Tags of the model)").fill("owner")
    tags.get_by_label("New tag value (Tags of the model)").fill("ada")
    tags.get_by_role("button", name="Add tag").click()
    page.wait_for_selector('#tags tr[data-tag-key="owner"]')
    assert ui_server.client.get_registered_model(name).tags == {"owner": "ada"}
    tags.get_by_role("button", name="Edit tag owner").click()
    tags.get_by_label("Value of tag owner").fill("grace")
    page.keyboard.press("Enter")
    page.wait_for_selector('#tags tr[data-tag-key="owner"] .tag-value:text-is("grace")')
    assert ui_server.client.get_registered_model(name).tags == {"owner": "grace"}
    tags.get_by_role("button", name="Delete tag owner").click()
    page.wait_for_selector('#tags tr[data-tag-key="owner"]', state="detached")
    assert ui_server.client.get_registered_model(name).tags == {}


def test_rename_then_delete_with_confirmation(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    name = _journey_model(ui_server, registry_ids, "rename-journey")
    _open(page, ui_server, name)
    page.get_by_role("button", name="Rename").click()
    page.get_by_label(f"New name for {name}").fill("renamed-journey")
    page.get_by_role("button", name="Save name").click()
    page.wait_for_url("**/models/renamed-journey")
    page.locator("#versions-body tr").first.wait_for()
    assert page.locator("h1").text_content() == "renamed-journey"

    page.get_by_role("button", name="Delete model").click()
    dialog = page.get_by_role("dialog")
    confirm = dialog.get_by_role("button", name="Delete model")
    assert confirm.is_disabled()  # until the name is typed
    dialog.get_by_role("button", name="Cancel").click()
    assert ui_server.client.get_registered_model("renamed-journey").name == "renamed-journey"

    page.get_by_role("button", name="Delete model").click()
    dialog.get_by_label("Type renamed-journey to confirm").fill("renamed-journey")
    confirm.click()
    page.wait_for_url("**/models")
    page.wait_for_selector("#message:has-text('Deleted model “renamed-journey”.')")
    with pytest.raises(NotFound):
        ui_server.client.get_registered_model("renamed-journey")


def test_an_unknown_model_is_a_404_page(page: Any, ui_server: UiServer) -> None:
    response = page.goto(f"{ui_server.url}/models/no-such-model")
    assert response.status == 404
    assert (
        page.locator("main p")
        .text_content()
        .startswith("There is no registered model 'no-such-model'.")
    )
