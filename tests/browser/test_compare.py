"""Journeys on the compare page: runs header, diff table, metric overlay, scatter, parallel axes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest

from browser.compare_sample_data import (
    COMPARE_EXPERIMENT,
    COMPARE_RUNS,
    CompareRun,
    fill_compare_data,
    loss_history,
)
from browser.conftest import UiServer
from trackstone.entities import Param

_BY_NAME = {run.name: run for run in COMPARE_RUNS}
_MLP = "<img src=x onerror=alert(1)> mlp"
_ALL = [run.name for run in COMPARE_RUNS]
# What the overlay asks the server for per run: longer histories come back downsampled.
_POINTS_PER_RUN = 1000


@pytest.fixture(scope="module")
def ids(ui_server: UiServer) -> dict[str, str]:
    """Add the compare experiments to the shared server once per module."""
    return fill_compare_data(ui_server.client)


def _open(page: Any, ui_server: UiServer, ids: dict[str, str], names: Sequence[str]) -> None:
    runs = ",".join(ids[name] for name in names)
    page.goto(f"{ui_server.url}/compare?runs={runs}")
    page.wait_for_selector("#main:not([aria-busy])")


def _differing_keys(page: Any, kind: str) -> set[str]:
    keys = page.eval_on_selector_all(
        f'#diff-body tr.differs[data-key^="{kind}."]', "rows => rows.map(r => r.dataset.key)"
    )
    return {key.split(".", 1)[1] for key in keys}


def test_select_two_runs_in_the_table_and_compare(
    page: Any, ui_server: UiServer, ids: dict[str, str]
) -> None:
    page.goto(f"{ui_server.url}/experiments/{ids[f'experiment:{COMPARE_EXPERIMENT}']}")
    page.get_by_label("Select cnn-small").check()
    page.get_by_label("Select cnn-large").check()
    page.get_by_role("link", name="Compare").click()
    page.wait_for_url("**/compare?runs=*")
    page.wait_for_selector("#main:not([aria-busy])")
    cards = page.locator("#compared-runs .run-card")
    assert sorted(cards.locator(".run-card-name").all_text_contents()) == ["cnn-large", "cnn-small"]
    links = page.locator("#compared-runs a.run-id")
    expected_links = {f"/runs/{ids['cnn-small']}", f"/runs/{ids['cnn-large']}"}
    assert {links.nth(i).get_attribute("href") for i in range(2)} == expected_links
    assert _differing_keys(page, "params") == {"lr", "layers"}
    assert page.locator("#overlay-chart").get_attribute("data-series") == "2"


@pytest.mark.parametrize(
    ("names", "differing_params"),
    [
        (("cnn-small", "cnn-large"), {"lr", "layers"}),
        (("cnn-small", "transformer"), {"lr", "optimizer", "batch_size", "layers"}),
        # A param only one run has differs too.
        (("cnn-small", _MLP), {"lr", "optimizer", "layers", "dropout"}),
        (("cnn-large", "baseline"), {"lr", "optimizer", "layers"}),
        (tuple(_ALL), {"lr", "optimizer", "batch_size", "layers", "dropout"}),
    ],
)
def test_diff_table_highlights_exactly_the_differing_params(
    page: Any,
    ui_server: UiServer,
    ids: dict[str, str],
    names: tuple[str, ...],
    differing_params: set[str],
) -> None:
    _open(page, ui_server, ids, names)
    all_params = {key for name in names for key in _BY_NAME[name].param_values}
    shown = page.eval_on_selector_all(
        '#diff-body tr[data-key^="params."]', "rows => rows.map(r => r.dataset.key)"
    )
    assert {key.split(".", 1)[1] for key in shown} == all_params
    assert _differing_keys(page, "params") == differing_params
    # The cells hold the logged values, in the runs' order.
    for key in all_params:
        cells = page.locator(f'#diff-body tr[data-key="params.{key}"] td').all_text_contents()
        assert cells == [_BY_NAME[name].param_values.get(key, "—") for name in names]

    page.get_by_label("Show only differences").check()
    page.wait_for_function(
        "n => document.querySelectorAll('#diff-body tr[data-key^=\"params.\"]').length === n",
        arg=len(differing_params),
    )
    page.get_by_label("Show only differences").uncheck()
    page.wait_for_function(
        "n => document.querySelectorAll('#diff-body tr[data-key^=\"params.\"]').length === n",
        arg=len(all_params),
    )


def _best(page: Any, metric: str) -> list[str]:
    best: list[str] = page.eval_on_selector_all(
        f'#diff-body tr[data-key="metrics.{metric}"] td.best',
        "cells => cells.map(c => c.dataset.runId)",
    )
    return best


@pytest.mark.parametrize(
    ("names", "metric", "best", "flipped_best"),
    [
        (("cnn-small", "cnn-large"), "loss", "cnn-large", "cnn-small"),
        (("cnn-small", "cnn-large"), "accuracy", "cnn-large", "cnn-small"),
        (("cnn-small", _MLP, "baseline"), "loss", "cnn-small", _MLP),
        (tuple(_ALL), "val_loss", "transformer", "cnn-small"),
    ],
)
def test_best_value_per_metric_is_marked_and_its_direction_flips(
    page: Any,
    ui_server: UiServer,
    ids: dict[str, str],
    names: tuple[str, ...],
    metric: str,
    best: str,
    flipped_best: str,
) -> None:
    _open(page, ui_server, ids, names)
    assert _best(page, metric) == [ids[best]]
    row = page.locator(f'#diff-body tr[data-key="metrics.{metric}"]')
    assert row.locator("td.best .best-mark").count() == 1
    row.locator("button.direction").click()
    page.wait_for_function(
        "([m, id]) => [...document.querySelectorAll("
        '`#diff-body tr[data-key="metrics.${m}"] td.best`)].map(c=>c.dataset.runId).join() == id',
        arg=[metric, ids[flipped_best]],
    )
    # The flip keeps keyboard focus on the button it replaced.
    assert page.evaluate("document.activeElement.classList.contains('direction')")


def _canvas_has_colour(page: Any, hex_colour: str) -> bool:
    """Whether the overlay's canvas holds pixels close to `hex_colour` (a drawn line)."""
    found: bool = page.evaluate(
        """hex => {
            const canvas = document.querySelector('#overlay-chart canvas');
            const [r, g, b] = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16));
            const context = canvas.getContext('2d');
            const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 0; i < data.length; i += 4) {
                const distance = Math.abs(data[i] - r) + Math.abs(data[i + 1] - g)
                    + Math.abs(data[i + 2] - b);
                if (distance < 40 && data[i + 3] > 200) return true;
            }
            return false;
        }""",
        hex_colour,
    )
    return found


def test_overlay_draws_one_series_per_run_from_downsampled_history(
    page: Any, ui_server: UiServer, ids: dict[str, str]
) -> None:
    names = ["cnn-small", "cnn-large", "transformer"]
    _open(page, ui_server, ids, names)
    assert page.get_by_label("Metric", exact=True).input_value() == "loss"
    page.wait_for_selector('#overlay-chart[data-series="3"] canvas')
    legend = page.locator("#overlay-legend li")
    assert legend.count() == len(names)
    for index, name in enumerate(names):
        item = legend.nth(index)
        assert item.get_attribute("data-run-id") == ids[name]
        points = int(item.get_attribute("data-points") or "0")
        logged = len(loss_history(_BY_NAME[name]))
        assert points == min(logged, points) and 0 < points <= _POINTS_PER_RUN
        if logged <= _POINTS_PER_RUN:
            assert points == logged
        # Until the pointer is on the chart, the legend reads the latest values.
        final = _BY_NAME[name].metric_values["loss"]
        assert item.locator(".series-value").text_content() == f"{final:g}"
        swatch_colour = page.evaluate(
            "el => getComputedStyle(el).backgroundColor", item.locator(".swatch").element_handle()
        )
        card_colour = page.evaluate(
            "el => getComputedStyle(el).backgroundColor",
            page.locator(f'.run-card[data-run-id="{ids[name]}"] .swatch').element_handle(),
        )
        assert swatch_colour == card_colour
    for colour in ("#2f6fde", "#e8772e", "#2a9d5b"):  # the first three runs' colours
        assert _canvas_has_colour(page, colour)


@pytest.mark.parametrize(
    ("metric", "with_data"),
    [("val_loss", ["cnn-small", "cnn-large"]), ("accuracy", ["cnn-small", "cnn-large", _MLP])],
)
def test_overlay_switches_metric_and_marks_runs_without_it(
    page: Any, ui_server: UiServer, ids: dict[str, str], metric: str, with_data: list[str]
) -> None:
    names = ["cnn-small", "cnn-large", _MLP]
    _open(page, ui_server, ids, names)
    page.get_by_label("Metric", exact=True).select_option(metric)
    page.wait_for_selector(f'#overlay-chart[data-series="{len(with_data)}"]')
    no_data = page.eval_on_selector_all(
        "#overlay-legend li.no-data", "items => items.map(i => i.dataset.runId)"
    )
    assert set(no_data) == {ids[name] for name in names if name not in with_data}
    page.get_by_label("X axis", exact=True).select_option("relative")
    page.get_by_label("Log scale", exact=True).check()
    page.wait_for_selector(f'#overlay-chart[data-series="{len(with_data)}"] canvas')


def _points(page: Any) -> dict[str, dict[str, Any]]:
    points: list[dict[str, Any]] = page.eval_on_selector_all(
        "#scatter-chart circle.point",
        """circles => circles.map(c => ({run: c.dataset.runId, x: c.dataset.x, y: c.dataset.y,
            cx: Number(c.getAttribute('cx')), cy: Number(c.getAttribute('cy'))}))""",
    )
    return {point["run"]: point for point in points}


def _ranks(values: dict[str, float]) -> list[str]:
    return sorted(values, key=lambda key: values[key])


@pytest.mark.parametrize(
    ("x_key", "y_key", "x_kind", "y_kind", "log_x"),
    [
        ("params.lr", "metrics.accuracy", "numeric", "numeric", True),
        ("params.layers", "metrics.loss", "numeric", "numeric", False),
        ("params.optimizer", "metrics.accuracy", "category", "numeric", False),
        ("metrics.loss", "params.batch_size", "numeric", "numeric", False),
    ],
)
def test_scatter_puts_one_point_per_run_at_its_values(
    page: Any,
    ui_server: UiServer,
    ids: dict[str, str],
    x_key: str,
    y_key: str,
    x_kind: str,
    y_kind: str,
    log_x: bool,
) -> None:
    _open(page, ui_server, ids, _ALL)
    page.get_by_label("X", exact=True).select_option(x_key)
    page.get_by_label("Y", exact=True).select_option(y_key)
    chart = page.locator("#scatter-chart svg")
    page.wait_for_selector(f'#scatter-chart svg[data-x-kind="{x_kind}"][data-y-kind="{y_kind}"]')
    assert page.get_by_label("Log X").is_checked() == log_x
    assert chart.locator("g.x-axis").get_attribute("data-scale") == ("log" if log_x else x_kind)

    def value(run: CompareRun, key: str) -> str:
        kind, name = key.split(".", 1)
        if kind == "params":
            return run.param_values[name]
        return f"{run.metric_values[name]:g}"

    points = _points(page)
    assert set(points) == {ids[name] for name in _ALL}
    for name in _ALL:
        run = _BY_NAME[name]
        point = points[ids[name]]
        assert point["x"] == value(run, x_key)
        assert point["y"] == value(run, y_key)
    # Positions follow the values: x grows rightwards, y upwards; equal categories share an x.
    if x_kind == "numeric":
        xs = {name: float(value(_BY_NAME[name], x_key)) for name in _ALL}
        assert _ranks({n: points[ids[n]]["cx"] for n in _ALL}) == _ranks(xs)
        if log_x:  # equal ratios make equal distances on a log axis
            lo, hi = min(xs, key=xs.__getitem__), max(xs, key=xs.__getitem__)
            mid = "cnn-small"  # lr 0.01
            ratio = math.log10(xs[mid] / xs[lo]) / math.log10(xs[hi] / xs[lo])
            span = points[ids[hi]]["cx"] - points[ids[lo]]["cx"]
            assert points[ids[mid]]["cx"] - points[ids[lo]]["cx"] == pytest.approx(
                ratio * span, abs=1
            )
    else:
        category_x: dict[str, float] = {}
        for name in _ALL:
            category = value(_BY_NAME[name], x_key)
            cx = points[ids[name]]["cx"]
            assert category_x.setdefault(category, cx) == cx
        assert sorted(category_x, key=category_x.__getitem__) == sorted(category_x)
    ys = {name: float(value(_BY_NAME[name], y_key)) for name in _ALL}
    distinct_y = len(set(ys.values())) == len(ys)
    if distinct_y:
        assert _ranks({n: -points[ids[n]]["cy"] for n in _ALL}) == _ranks(ys)


def test_scatter_hover_names_the_run(page: Any, ui_server: UiServer, ids: dict[str, str]) -> None:
    _open(page, ui_server, ids, ["cnn-small", _MLP])
    page.locator(f'#scatter-chart circle[data-run-id="{ids[_MLP]}"]').hover()
    tooltip = page.locator("#chart-tooltip")
    tooltip.wait_for(state="visible")
    assert tooltip.locator(".tooltip-title").text_content() == _MLP
    assert page.locator("#chart-tooltip img").count() == 0


def _axes(page: Any) -> list[str]:
    axes: list[str] = page.eval_on_selector_all(
        "#parallel-chart g.axis", "axes => axes.map(a => a.dataset.column)"
    )
    return axes


def test_parallel_coordinates_draw_an_axis_per_chosen_column(
    page: Any, ui_server: UiServer, ids: dict[str, str]
) -> None:
    _open(page, ui_server, ids, _ALL)
    params = sorted({key for run in COMPARE_RUNS for key in run.param_values})
    metrics = sorted({key for run in COMPARE_RUNS for key in run.metric_values})
    expected = [f"params.{key}" for key in params] + [f"metrics.{key}" for key in metrics]
    assert _axes(page) == expected
    scales = page.eval_on_selector_all(
        "#parallel-chart g.axis",
        "axes => Object.fromEntries(axes.map(a => [a.dataset.column, a.dataset.scale]))",
    )
    assert scales["params.optimizer"] == "category"
    assert scales["params.lr"] == "log"  # 0.0003 to 0.1: more than two decades
    assert scales["metrics.accuracy"] == "numeric"
    lines = page.eval_on_selector_all(
        "#parallel-chart g.run-line", "lines => lines.map(l => l.dataset.runId)"
    )
    assert lines == [ids[name] for name in _ALL]

    page.get_by_role("button", name="Axes (8)").click()
    page.locator('#parallel-column-options input[data-column="params.dropout"]').uncheck()
    page.locator('#parallel-column-options input[data-column="metrics.val_loss"]').uncheck()
    page.keyboard.press("Escape")
    expected = [
        column for column in expected if column not in {"params.dropout", "metrics.val_loss"}
    ]
    page.wait_for_function(
        "n => document.querySelectorAll('#parallel-chart g.axis').length === n", arg=len(expected)
    )
    assert _axes(page) == expected
    assert page.locator("#parallel-columns-panel").is_hidden()

    # A line reached by keyboard names its run.
    line = page.locator(f'#parallel-chart g.run-line[data-run-id="{ids["transformer"]}"]')
    line.focus()
    tooltip = page.locator("#chart-tooltip")
    tooltip.wait_for(state="visible")
    assert tooltip.locator(".tooltip-title").text_content() == "transformer"
    assert "adamw" in (tooltip.text_content() or "")


@pytest.mark.parametrize(
    ("query", "message_parts", "cards"),
    [
        ("nope,{cnn-small}", ['No run with id "nope"', "at least two runs"], 1),
        ("{cnn-small},{cnn-small}", ["at least two runs"], 1),
        ("ghost-1,ghost-2", ['"ghost-1", "ghost-2"', "none was found"], 0),
        ("ghost,{cnn-small},{cnn-large}", ['No run with id "ghost"'], 2),
    ],
)
def test_unknown_runs_and_too_few_runs_are_explained(
    page: Any,
    ui_server: UiServer,
    ids: dict[str, str],
    query: str,
    message_parts: list[str],
    cards: int,
) -> None:
    page.goto(f"{ui_server.url}/compare?runs={query.format_map(ids)}")
    page.wait_for_selector("#main:not([aria-busy])")
    message = page.locator("#message")
    assert message.is_visible()
    for part in message_parts:
        assert part in (message.text_content() or "")
    assert page.locator("#compared-runs .run-card").count() == cards
    assert page.locator("#compare-views").is_visible() == (cards >= 2)


def test_no_runs_chosen_says_how_to_choose(page: Any, ui_server: UiServer) -> None:
    page.goto(f"{ui_server.url}/compare")
    assert "tick two or more runs" in (page.locator(".empty-state").text_content() or "")


def test_names_are_shown_as_text_everywhere(
    page: Any, ui_server: UiServer, ids: dict[str, str]
) -> None:
    _open(page, ui_server, ids, ["cnn-small", _MLP])
    card = page.locator(f'.run-card[data-run-id="{ids[_MLP]}"] .run-card-name')
    assert card.text_content() == _MLP
    header = page.locator(f'#diff-head th[data-run-id="{ids[_MLP]}"]')
    assert header.text_content() == _MLP
    assert page.locator("#main img").count() == 0


def test_controls_have_labels_and_are_reachable_by_keyboard(
    page: Any, ui_server: UiServer, ids: dict[str, str]
) -> None:
    _open(page, ui_server, ids, ["cnn-small", "cnn-large"])
    wanted = {"diff-only", "overlay-metric", "overlay-x", "overlay-log", "scatter-x", "scatter-y"}
    reached: set[str] = set()
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.id"))
        if wanted <= reached:
            break
    assert wanted <= reached
    for label in ("Show only differences", "Metric", "X axis", "Log scale", "Log X", "Log Y"):
        assert page.get_by_label(label, exact=True).count() == 1
    page.locator("#diff-only").focus()
    page.keyboard.press("Space")
    assert page.locator("#diff-only").is_checked()


@pytest.mark.parametrize("width", [800, 1280])
def test_page_fits_the_window(
    page: Any, ui_server: UiServer, ids: dict[str, str], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    _open(page, ui_server, ids, _ALL)
    page.wait_for_selector("#overlay-chart canvas")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for selector in ("#overlay-chart canvas", "#scatter-chart svg", "#parallel-chart svg"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["width"] >= 300
        assert box["x"] >= 0
    assert page.locator("#scatter-chart circle.point").count() == len(_ALL)


def test_many_runs_fold_their_cards_and_keep_distinct_colours(
    page: Any, ui_server: UiServer
) -> None:
    client = ui_server.client
    experiment_id = client.create_experiment("compare-many")
    run_ids = []
    for index in range(14):
        run = client.create_run(experiment_id, run_name=f"trial-{index:02d}")
        client.log_batch(run.info.run_id, params=[Param("seed", str(index))])
        run_ids.append(run.info.run_id)
    client.flush()
    page.goto(f"{ui_server.url}/compare?runs={','.join(run_ids)}")
    page.wait_for_selector("#main:not([aria-busy])")
    cards = page.locator("#compared-runs .run-card")
    assert cards.count() == 14
    assert page.locator("#compared-runs .run-card:visible").count() == 10
    page.get_by_role("button", name="Show all 14 runs").click()
    assert page.locator("#compared-runs .run-card:visible").count() == 14
    colours = page.eval_on_selector_all(
        "#compared-runs .swatch",
        "swatches => swatches.map(s => getComputedStyle(s).backgroundColor)",
    )
    assert len(set(colours)) == 14
    page.get_by_role("button", name="Show fewer").click()
    assert page.locator("#compared-runs .run-card:visible").count() == 10
    # Runs without metrics still compare their params; the overlay says there is nothing to draw.
    assert _differing_keys(page, "params") == {"seed"}
    assert "no metrics" in (page.locator("#overlay-chart").text_content() or "")


def test_overlay_hover_reads_each_runs_value_at_the_cursor(
    page: Any, ui_server: UiServer, ids: dict[str, str]
) -> None:
    names = ["cnn-small", "transformer"]
    _open(page, ui_server, ids, names)
    page.wait_for_selector('#overlay-chart[data-series="2"] canvas')
    over = page.locator("#overlay-chart .u-over")
    over.scroll_into_view_if_needed()
    box = over.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    # Past cnn-small's last step (299) but within transformer's 800 steps.
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2, steps=4)
    position = page.locator("#overlay-position")
    page.wait_for_function(
        "() => /^step \\d+$/.test(document.getElementById('overlay-position').textContent)"
    )
    step = int((position.text_content() or "").split()[1])
    assert 299 < step < 800
    values = {
        name: page.locator(
            f'#overlay-legend li[data-run-id="{ids[name]}"] .series-value'
        ).text_content()
        for name in names
    }
    expected = dict(loss_history(_BY_NAME["transformer"]))[step]
    assert values == {"cnn-small": "–", "transformer": f"{expected:.6g}"}
    page.mouse.move(0, 0)
    page.wait_for_function(
        "() => document.getElementById('overlay-position').textContent === 'Latest values'"
    )
