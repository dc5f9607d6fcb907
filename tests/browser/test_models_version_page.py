"""Journeys on a model version's page: lineage and its links, the production-metrics chart,
checks against the baseline, and changes to the version (alias, stage, description, delete)."""

from __future__ import annotations

from typing import Any

import pytest

from browser.conftest import UiServer
from browser.registry_sample_data import (
    CHURN_MODEL,
    CHURN_RUNS,
    PRODUCTION_ACCURACY,
    PRODUCTION_START_MS,
    TRAINING_DATASET,
    TRAINING_EXPERIMENT,
    create_journey_model,
)
from trackstone.entities.registry import ProductionMetric
from trackstone.errors import NotFound
from trackstone.store.registry import (
    PRODUCTION_METRICS_MAX_RESULTS_DEFAULT,
    PRODUCTION_METRICS_PER_CALL,
    registry_of,
)

_SERIES_RGB = (47, 91, 234)  # the observed series' stroke colour in model_monitoring.js


def _open(page: Any, ui_server: UiServer, name: str, version: str) -> None:
    page.goto(f"{ui_server.url}/models/{name}/versions/{version}")
    page.locator("#facts dt").first.wait_for()


def _table(page: Any, body: str) -> dict[str, str]:
    rows = page.locator(f"#{body} tr")
    return {
        rows.nth(i).locator("th").text_content(): rows.nth(i).locator("td").first.text_content()
        for i in range(rows.count())
    }


def _fact(page: Any, term: str) -> Any:
    return page.locator(f"#facts dt:text-is('{term}') + dd")


def test_lineage_from_the_model_page_to_the_run(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    run = CHURN_RUNS[1]
    run_id = registry_ids[run.name]
    page.goto(f"{ui_server.url}/models/{CHURN_MODEL}")
    page.get_by_role("link", name="Version 2", exact=True).first.click()
    page.wait_for_url(f"**/models/{CHURN_MODEL}/versions/2")
    page.locator("#params-body tr").first.wait_for()
    assert _fact(page, "Source").text_content() == f"runs:/{run_id}/model"
    assert _fact(page, "Storage location").text_content().endswith(f"/{run_id}/artifacts/model")
    assert _fact(page, "Experiment").text_content() == TRAINING_EXPERIMENT
    assert _table(page, "params-body") == {
        "learning_rate": run.learning_rate,
        "max_depth": run.max_depth,
    }
    assert _table(page, "metrics-body") == {
        "accuracy": str(run.accuracy),
        "auc": str(run.auc),
        "latency_ms": str(int(run.latency_ms)),
    }
    dataset_row = page.locator("#datasets-body tr").first
    assert dataset_row.locator("th").text_content() == TRAINING_DATASET
    assert dataset_row.locator("td").first.text_content() == "training"
    assert page.locator("#head-stage").text_content() == "Production"
    assert page.locator("#head-aliases").text_content() == "@champion"
    page.locator("#run-link").click()
    page.wait_for_url(f"**/runs/{run_id}")
    page.locator("h1:has-text('churn-gbm-2')").wait_for()


def test_production_metrics_are_charted_against_the_baseline(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    _open(page, ui_server, CHURN_MODEL, "2")
    summary = page.locator("#chart-summary")
    page.wait_for_selector("#chart canvas")
    mean = sum(PRODUCTION_ACCURACY) / len(PRODUCTION_ACCURACY)
    assert summary.text_content().startswith(f"{len(PRODUCTION_ACCURACY)} observations of accuracy")
    assert f"mean {round(mean, 6):g}" in summary.text_content()
    assert summary.text_content().endswith("baseline 0.92.")
    assert page.locator("#baseline-origin").text_content().startswith("The source run's")
    assert _table(page, "baseline-body") == {"accuracy": "0.92", "auc": "0.94", "latency_ms": "41"}
    # The series is drawn: the canvas holds many pixels of its stroke colour.
    drawn = page.evaluate(
        """([r, g, b]) => {
            const canvas = document.querySelector("#chart canvas");
            const context = canvas.getContext("2d");
            const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
            let count = 0;
            for (let i = 0; i < data.length; i += 4) {
                if (Math.abs(data[i] - r) < 12 && Math.abs(data[i + 1] - g) < 12
                    && Math.abs(data[i + 2] - b) < 12 && data[i + 3] > 200) count += 1;
            }
            return count;
        }""",
        list(_SERIES_RGB),
    )
    assert drawn > 200
    page.get_by_label("Metric", exact=True).select_option("latency_ms")
    page.wait_for_selector("#chart-summary:has-text('observations of latency_ms')")
    assert "mean 41" in summary.text_content()


@pytest.mark.parametrize(
    ("rules", "window", "verdicts", "summary"),
    [
        ("accuracy>=-0.02rel", "", {"accuracy": "FAIL"}, "Failed — 1 rule: 0 passed, 1 failed."),
        (
            "accuracy>=-0.1rel\nlatency_ms<=5abs",
            "",
            {"accuracy": "pass", "latency_ms": "pass"},
            "Passed — 2 rules: 2 passed, 0 failed.",
        ),
        (
            "accuracy >= -2%\nlatency_ms<=5",
            "",
            {"accuracy": "FAIL", "latency_ms": "pass"},
            "Failed — 2 rules: 1 passed, 1 failed.",
        ),
        # The values were logged in 2024: nothing falls in the last hour.
        ("latency_ms<=5abs", "1h", {"latency_ms": "FAIL"}, "Failed — 1 rule: 0 passed, 1 failed."),
    ],
)
def test_check_against_the_baseline(
    page: Any,
    ui_server: UiServer,
    registry_ids: dict[str, str],
    rules: str,
    window: str,
    verdicts: dict[str, str],
    summary: str,
) -> None:
    _open(page, ui_server, CHURN_MODEL, "2")
    page.get_by_label("Rules, one per line").fill(rules)
    page.get_by_label("Window for rules without one").fill(window)
    page.get_by_role("button", name="Run check").click()
    page.wait_for_selector("#check-report:not([hidden])")
    assert page.locator("#check-summary").text_content().startswith(summary)
    rows = page.locator("#report-body tr")
    shown = {
        rows.nth(i).get_attribute("data-metric"): rows.nth(i).locator(".verdict").text_content()
        for i in range(rows.count())
    }
    assert shown == verdicts


def test_a_failing_row_shows_its_numbers_and_reason(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    _open(page, ui_server, CHURN_MODEL, "2")
    box = page.get_by_label("Rules, one per line")
    box.fill("accuracy>=-2%")
    box.press("Control+Enter")  # the keyboard runs the check too
    row = page.locator('#report-body tr[data-metric="accuracy"]')
    row.wait_for()
    cells = row.locator("td").all_text_contents()
    assert cells[:5] == ["accuracy>=-0.02rel", "0.92", "0.8755", "24", "-4.84%"]
    assert cells[5] == "FAILrelative deviation -4.837% is below the threshold -2%"
    assert "fail" in (row.get_attribute("class") or "")


@pytest.mark.parametrize(
    ("rules", "window", "message"),
    [
        (
            "accuracy=>0.9",
            "",
            "rules[0]: expected an operator (>=, <= or ~=), got '=>' at position 8 "
            "in rule 'accuracy=>0.9'",
        ),
        (
            "accuracy>=-2%",
            "24 hours",
            "window: expected a positive number with a unit s, m, h or d (e.g. 24h), "
            "got '24 hours'",
        ),
    ],
)
def test_a_bad_rule_or_window_is_shown_inline(
    page: Any,
    ui_server: UiServer,
    registry_ids: dict[str, str],
    rules: str,
    window: str,
    message: str,
) -> None:
    _open(page, ui_server, CHURN_MODEL, "2")
    page.get_by_label("Rules, one per line").fill(rules)
    page.get_by_label("Window for rules without one").fill(window)
    page.get_by_role("button", name="Run check").click()
    page.wait_for_selector("#check-error:not([hidden])")
    assert page.locator("#check-error").text_content() == message
    assert page.locator("#check-report").is_hidden()


def _journey(ui_server: UiServer, registry_ids: dict[str, str], name: str) -> str:
    create_journey_model(ui_server.client, name, [registry_ids[run.name] for run in CHURN_RUNS[:2]])
    return name


def test_point_an_alias_here_and_move_the_stage(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    name = _journey(ui_server, registry_ids, "version-page-journey")
    _open(page, ui_server, name, "2")
    page.get_by_label("Point an alias here").fill("champion")
    page.get_by_role("button", name="Set", exact=True).click()
    page.wait_for_selector("#message:has-text('Moved alias “champion” here from version 1.')")
    assert page.locator("#head-aliases").text_content() == "@champion"
    assert ui_server.client.get_model_version_by_alias(name, "champion").version == "2"

    page.get_by_label("Move to").select_option("Production")
    page.get_by_label("Archive the versions now in Production").check()
    page.get_by_role("button", name="Move", exact=True).click()
    page.wait_for_selector("#current-stage:has-text('Production')")
    assert ui_server.client.get_model_version(name, "2").current_stage == "Production"
    assert ui_server.client.get_model_version(name, "1").current_stage == "Archived"

    page.get_by_role("button", name="Edit version description").click()
    page.get_by_label("version description").fill("Promoted after the shadow test.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("#description .description-text:has-text('Promoted')")
    assert ui_server.client.get_model_version(name, "2").description == (
        "Promoted after the shadow test."
    )


def test_delete_a_version_with_confirmation(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    name = _journey(ui_server, registry_ids, "delete-version-journey")
    _open(page, ui_server, name, "2")
    page.get_by_role("button", name="Delete version").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete version").click()
    page.wait_for_url(f"**/models/{name}")
    page.locator("#versions-body tr").first.wait_for()
    assert page.locator("#versions-body .version-link").all_text_contents() == ["Version 1"]
    with pytest.raises(NotFound):
        ui_server.client.get_model_version(name, "2")


def test_usable_at_800_pixels(page: Any, ui_server: UiServer, registry_ids: dict[str, str]) -> None:
    page.set_viewport_size({"width": 800, "height": 800})
    _open(page, ui_server, CHURN_MODEL, "2")
    page.wait_for_selector("#chart canvas")
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    # One column, with the stage and aliases above the long lineage and monitoring panels.
    stage_top = page.locator("#stage-form").bounding_box()["y"]
    lineage_top = page.locator("#lineage-title").bounding_box()["y"]
    chart_width = page.locator("#chart canvas").first.bounding_box()["width"]
    assert stage_top < lineage_top
    assert 600 < chart_width <= 800


def test_the_chart_reads_every_page_of_observations(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    name = _journey(ui_server, registry_ids, "paged-observations")
    registry = registry_of(ui_server.client.store)
    total = PRODUCTION_METRICS_MAX_RESULTS_DEFAULT + 5  # one more page than the default
    for first in range(0, total, PRODUCTION_METRICS_PER_CALL):
        registry.log_production_metrics(
            name,
            "1",
            [
                ProductionMetric("accuracy", 0.9, PRODUCTION_START_MS + t)
                for t in range(first, min(total, first + PRODUCTION_METRICS_PER_CALL))
            ],
        )
    _open(page, ui_server, name, "1")
    summary = page.locator("#chart-summary")
    page.wait_for_selector("#chart-summary:has-text('observations of accuracy')")
    assert summary.text_content().startswith(f"{total} observations of accuracy")
    assert "Only the first" not in summary.text_content()
    capped = page.evaluate(
        """async ([name, cap]) => {
            const { fetchObservations } = await import("/static/js/model_monitoring.js");
            const { points, more } = await fetchObservations(name, "1", cap);
            return [points.length, more, points[cap - 1].timestamp];
        }""",
        [name, 3],
    )
    assert capped == [3, True, PRODUCTION_START_MS + 2]


def test_set_and_clear_the_baseline_from_the_page(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str]
) -> None:
    name = _journey(ui_server, registry_ids, "baseline-journey")
    client = ui_server.client
    _open(page, ui_server, name, "1")
    page.wait_for_selector("#baseline-origin[data-origin='source_run']")
    page.get_by_text("Set the baseline").click()
    assert page.get_by_role("button", name="Clear").is_disabled()
    box = page.get_by_label("Metrics, one key=value per line")
    # Opening the form starts from the baseline shown (the source run's metrics).
    assert box.input_value() == "accuracy=0.9\nauc=0.91\nlatency_ms=38"

    box.fill("accuracy = 0.95\n\nlatency_ms=35.5\ndrift=-Infinity")
    page.get_by_role("button", name="Save baseline").click()
    page.wait_for_selector("#baseline-origin[data-origin='explicit']")
    assert _table(page, "baseline-body") == {
        "accuracy": "0.95",
        "drift": "-Infinity",
        "latency_ms": "35.5",
    }
    assert page.locator("#message").text_content() == "Baseline set: 3 metrics."
    stored = client.get_baseline(name, "1")
    assert dict(stored.metrics) == {"accuracy": 0.95, "latency_ms": 35.5, "drift": float("-inf")}

    page.get_by_role("button", name="Clear").click()
    page.wait_for_selector("#baseline-origin[data-origin='source_run']")
    assert _table(page, "baseline-body") == {"accuracy": "0.9", "auc": "0.91", "latency_ms": "38"}
    assert page.locator("#message").text_content() == "Explicit baseline cleared."
    assert client.get_baseline(name, "1").origin.value == "source_run"
    assert page.get_by_role("button", name="Clear").is_disabled()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("accuracy", "line 1: expected key=value, e.g. accuracy=0.92, got 'accuracy'"),
        ("accuracy=0.9\nauc=high", "line 2: the value of auc must be a number, got 'high'"),
        ("   \n", "metrics: write at least one key=value line, or use Clear to drop the baseline"),
        ("a=1\na=2", "metrics[1].key: 'a' is given twice"),
    ],
)
def test_a_bad_baseline_is_shown_inline_and_nothing_changes(
    page: Any, ui_server: UiServer, registry_ids: dict[str, str], text: str, message: str
) -> None:
    _open(page, ui_server, CHURN_MODEL, "3")
    page.wait_for_selector("#baseline-origin[data-origin='source_run']")
    page.get_by_text("Set the baseline").click()
    page.get_by_label("Metrics, one key=value per line").fill(text)
    page.get_by_role("button", name="Save baseline").click()
    page.wait_for_selector("#baseline-error:not([hidden])")
    assert page.locator("#baseline-error").text_content() == message
    assert ui_server.client.get_baseline(CHURN_MODEL, "3").origin.value == "source_run"
