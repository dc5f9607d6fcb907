"""Journeys on a run's page: overview, tags, description, rename, charts and live refresh."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser.conftest import UiServer
from browser.run_sample import (
    BIG_POINTS,
    BIG_SPIKE,
    BIG_SPIKE_STEP,
    GIT_COMMIT,
    RunSample,
    fill_run_sample,
)
from trackstone.entities import Metric

# The chart series colour of the first metric (charts.js PALETTE[0]) as RGB.
_SERIES_RGB = (47, 91, 234)
_MAX_DRAWN_POINTS = 2500  # the server's cap per request


@pytest.fixture(scope="module")
def sample(ui_server: UiServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunSample]:
    """Fill the run-page sample once for this module."""
    folder = tmp_path_factory.mktemp("run-artifacts")
    database = Path(ui_server.process.log_path).parent / "trackstone.db"
    yield fill_run_sample(ui_server.client, folder, database)


def _open(page: Any, ui_server: UiServer, run_id: str, tab: str = "") -> None:
    page.goto(f"{ui_server.url}/runs/{run_id}{'#' + tab if tab else ''}")
    page.wait_for_selector("#main:not([aria-busy])")


def _chart_data(page: Any, metric: str) -> Any:
    """The columns the chart of `metric` holds ([xs, ys, smoothed]) once it has points."""
    selector = f'figure.chart[data-metric="{metric}"]'
    page.wait_for_function(
        "s => document.querySelector(s)?.uplot?.data?.[0]?.length > 0", arg=selector
    )
    return page.evaluate("s => document.querySelector(s).uplot.data", selector)


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("#run-name", "vit-finetune"),
        ("#run-status", "FINISHED"),
        ("#run-user", "grace"),
        ("#run-duration", "3m 20s"),
        ("#git-commit", GIT_COMMIT[:12]),
        ("#git-dirty", "dirty"),
        ("#parent-run", "hp-search"),
        ("#children-list", "eval-child"),
        ("#description-view h1", "Baseline"),
        ("#params-body tr[data-key='optimizer'] td", "adamw"),
        ("#metrics-body tr[data-key='loss'] td.num >> nth=1", "199"),
        ("#datasets .dataset-name", "cifar10-train"),
        ("#tags-body tr[data-key='note'] td.value", "<script>alert(1)</script>"),
    ],
)
def test_overview_shows_the_run(
    page: Any, ui_server: UiServer, sample: RunSample, selector: str, expected: str
) -> None:
    _open(page, ui_server, sample.full)
    page.wait_for_selector("#children-list li")
    assert expected in page.locator(selector).first.inner_text()


def test_source_and_system_tags_are_apart(
    page: Any, ui_server: UiServer, sample: RunSample
) -> None:
    _open(page, ui_server, sample.full)
    user_keys = page.locator("#tags-body tr").evaluate_all("rows => rows.map(r => r.dataset.key)")
    system_keys = page.locator("#system-tags-body tr").evaluate_all(
        "rows => rows.map(r => r.dataset.key)"
    )
    assert user_keys == ["note", "team"]
    assert "mlflow.source.git.commit" in system_keys
    assert "trackstone.source.git.dirty" in system_keys
    assert page.title() != "PWNED"


def test_add_edit_and_delete_a_tag(page: Any, ui_server: UiServer, sample: RunSample) -> None:
    _open(page, ui_server, sample.full)
    page.get_by_label("New tag name").fill("stage")
    page.get_by_label("Value", exact=True).fill("candidate")
    page.get_by_role("button", name="Add tag").click()
    row = page.locator("#tags-body tr[data-key='stage']")
    row.locator("td.value", has_text="candidate").wait_for()

    page.get_by_role("button", name="Edit tag stage").click()
    page.get_by_label("Value of tag stage").fill("release")
    page.get_by_label("Value of tag stage").press("Enter")
    row.locator("td.value", has_text="release").wait_for()
    assert ui_server.client.get_run(sample.full).data.tags["stage"] == "release"

    page.get_by_role("button", name="Delete tag stage").click()
    row.wait_for(state="detached")
    assert "stage" not in ui_server.client.get_run(sample.full).data.tags


def test_edit_description_and_rename(page: Any, ui_server: UiServer, sample: RunSample) -> None:
    run_id = sample.child
    _open(page, ui_server, run_id)
    page.get_by_role("button", name="Edit", exact=True).click()
    page.get_by_label("Run description (Markdown)").fill("Checked **by hand** <b>raw</b>")
    page.locator("#description-form").get_by_role("button", name="Save").click()
    page.locator("#description-view strong", has_text="by hand").wait_for()
    assert page.locator("#description-view b").count() == 0
    assert "<b>raw</b>" in page.locator("#description-view").inner_text()

    page.get_by_role("button", name="Rename").click()
    page.get_by_label("New run name").fill("eval-child-renamed")
    page.get_by_label("New run name").press("Enter")
    page.locator("#run-name", has_text="eval-child-renamed").wait_for()
    run = ui_server.client.get_run(run_id)
    assert run.info.run_name == "eval-child-renamed"
    assert run.data.tags["mlflow.note.content"] == "Checked **by hand** <b>raw</b>"


def test_chart_is_drawn_with_data(page: Any, ui_server: UiServer, sample: RunSample) -> None:
    _open(page, ui_server, sample.full, "charts")
    xs, ys, _ = _chart_data(page, "accuracy")
    assert xs[:3] == [0, 1, 2]
    assert ys[0] == pytest.approx(0.5)
    colored = page.evaluate(
        """([selector, rgb]) => {
            const canvas = document.querySelector(selector);
            const context = canvas.getContext("2d");
            const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
            let count = 0;
            for (let i = 0; i < pixels.length; i += 4) {
                if (Math.abs(pixels[i] - rgb[0]) < 30 && Math.abs(pixels[i + 1] - rgb[1]) < 30
                    && Math.abs(pixels[i + 2] - rgb[2]) < 30 && pixels[i + 3] > 200) count++;
            }
            return count;
        }""",
        ['figure.chart[data-metric="accuracy"] canvas', list(_SERIES_RGB)],
    )
    assert colored > 100  # a drawn line, not an empty plot area


@pytest.mark.parametrize(
    ("x_axis", "first_x"),
    [
        ("step", 0),
        ("wall", 1_714_100_000_000 / 1000),
        ("relative", 0.0),
    ],
)
def test_switch_the_x_axis(
    page: Any, ui_server: UiServer, sample: RunSample, x_axis: str, first_x: float
) -> None:
    _open(page, ui_server, sample.full, "charts")
    _chart_data(page, "loss")
    page.get_by_label("X axis").select_option(x_axis)
    page.wait_for_function(
        "([s, x]) => document.querySelector(s).uplot?.data[0][1] !== undefined"
        " && Math.abs(document.querySelector(s).uplot.data[0][0] - x) < 1e-6",
        arg=['figure.chart[data-metric="loss"]', first_x],
    )
    xs = _chart_data(page, "loss")[0]
    step_gap_s = 1.0  # the sample logs one step per second
    expected_second = first_x + (1 if x_axis == "step" else step_gap_s)
    assert xs[1] == pytest.approx(expected_second)


def test_log_scale_and_smoothing(page: Any, ui_server: UiServer, sample: RunSample) -> None:
    _open(page, ui_server, sample.full, "charts")
    _chart_data(page, "loss")
    page.get_by_label("Log scale").check()
    page.wait_for_function(
        "s => document.querySelector(s).uplot?.scales.y.distr === 3",
        arg='figure.chart[data-metric="loss"]',
    )
    page.get_by_label("Smoothing").fill("0.9")
    page.wait_for_function(
        "s => { const u = document.querySelector(s).uplot; return u && u.series[2].show"
        " && u.data[2][50] !== u.data[1][50]; }",
        arg='figure.chart[data-metric="loss"]',
    )
    raw, smoothed = page.evaluate(
        "s => { const u = document.querySelector(s).uplot; return [u.data[1], u.data[2]]; }",
        'figure.chart[data-metric="loss"]',
    )
    # The EMA is debiased: it starts at the first value and stays within the raw range.
    assert smoothed[0] == pytest.approx(raw[0])
    assert min(raw) <= min(smoothed) and max(smoothed) <= max(raw)


def test_million_point_metric_is_downsampled_with_its_spike(
    page: Any, ui_server: UiServer, sample: RunSample
) -> None:
    _open(page, ui_server, sample.big, "charts")
    xs, ys, _ = _chart_data(page, "grad_norm")
    assert len(xs) <= _MAX_DRAWN_POINTS < BIG_POINTS
    assert max(ys) == BIG_SPIKE
    assert xs[ys.index(BIG_SPIKE)] == BIG_SPIKE_STEP
    assert xs[0] == 0 and xs[-1] == BIG_POINTS - 1


def test_zoom_fetches_the_range_in_detail(
    page: Any, ui_server: UiServer, sample: RunSample
) -> None:
    _open(page, ui_server, sample.big, "charts")
    overview = _chart_data(page, "grad_norm")[0]
    page.evaluate(
        "s => document.querySelector(s).uplot.setScale('x', {min: 1000, max: 1100})",
        'figure.chart[data-metric="grad_norm"]',
    )
    page.wait_for_function(
        "s => document.querySelector(s + ' .chart-status').textContent.includes('zoomed')",
        arg='figure.chart[data-metric="grad_norm"]',
    )
    xs = _chart_data(page, "grad_norm")[0]
    inside = [x for x in xs if 1000 <= x <= 1100]
    assert len(inside) == 101  # every step of the zoomed range, not the overview's sample
    assert len([x for x in overview if 1000 <= x <= 1100]) < 101


def test_live_refresh_picks_up_a_new_point(
    page: Any, ui_server: UiServer, sample: RunSample
) -> None:
    _open(page, ui_server, sample.running, "charts")
    xs = _chart_data(page, "loss")[0]
    assert xs[-1] == 4
    assert page.locator("#live-indicator").is_visible()
    ui_server.client.log_batch(sample.running, [Metric("loss", 0.05, 1_714_100_000_500, 500)])
    ui_server.client.flush(sample.running)
    page.wait_for_function(
        "s => document.querySelector(s).uplot.data[0].at(-1) === 500",
        arg='figure.chart[data-metric="loss"]',
    )
    # Ending the run stops the polling: the page says so and shows the final status.
    ui_server.client.set_terminated(sample.running, "FINISHED")
    page.locator("#run-status", has_text="FINISHED").wait_for()
    page.locator("#live-indicator").wait_for(state="hidden")
