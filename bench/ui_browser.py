"""Time web UI pages in headless Chromium (Playwright): when the runs table and a chart are drawn.

A time is read in the page itself: ``performance.now()`` at the first animation frame in which a
"rendered" condition holds (Playwright polls the condition once per frame). For a page load the
clock starts at the navigation (``performance.now()`` counts from it); for a click it starts at
the click's ``pointerdown``, caught by a capture listener before the page's own handlers see it.
A condition that does not hold within the timeout gives ``None`` ("> N s" in the report).

What "rendered" means for each UI is in ``trackstone_ui`` and ``mlflow_ui``: the first row of the
table shows the expected run (and, where the UI shows metric columns by default, its metric
value); a chart is drawn when its canvas holds the series' coloured pixels (uPlot) or its SVG
line path has its points (MLflow's Plotly charts).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "VIEWPORT",
    "ChartTimes",
    "TableTimes",
    "UiPages",
    "mlflow_ui",
    "time_chart",
    "time_table",
    "trackstone_ui",
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
# How long an untimed step (opening a menu, a page to click on) may take before giving up.
_STEP_TIMEOUT_MS = 300_000

_MARK_POINTERDOWN = """() => {
    window.__benchClickAt = null;
    window.addEventListener("pointerdown", () => {
        if (window.__benchClickAt === null) window.__benchClickAt = performance.now();
    }, { capture: true, once: true });
}"""


@dataclass(frozen=True)
class UiPages:
    """How to open one UI's pages and what counts as drawn there (JavaScript predicates)."""

    name: str
    runs_url: Callable[[str, str], str]  # (base, experiment_id)
    run_url: Callable[[str, str, str], str]  # (base, experiment_id, run_id)
    charts_url: Callable[[str, str, str], str]
    # (name of the run expected first, metric key) -> true once that row is drawn
    first_row_js: str
    # (metric key) -> true once the chart of that metric is drawn with data
    chart_drawn_js: str
    # (metric key) -> {"points": n, "max": largest y drawn} of the drawn chart
    chart_data_js: str | None
    open_sort: Callable[[Any, str], Any]  # (page, metric) -> the locator whose click sorts
    charts_tab: Callable[[Any], Any]  # (page) -> the locator of the charts tab
    run_page_ready: Callable[[Any], None]  # (page) waits until the run page can be clicked


@dataclass
class TableTimes:
    """One repetition of the runs table: cold load, warm load and sort, in ms (None: timed out)."""

    cold_ms: float | None = None
    warm_ms: float | None = None
    sort_ms: float | None = None
    sort_first: str | None = None  # the run shown first after sorting


@dataclass
class ChartTimes:
    """One repetition of the long-metric chart: page load and tab click, in ms."""

    load_ms: float | None = None
    click_ms: float | None = None
    points: int | None = None  # points the chart holds
    max_value: float | None = None  # the largest value drawn (is the spike there?)


def _until(page: Any, predicate_js: str, arg: Any, timeout_ms: float) -> float | None:
    """Return ``performance.now()`` at the first frame where ``predicate_js(arg)`` holds."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    probe = (
        f"arg => {{ const holds = ({predicate_js}); "
        "return holds(arg) ? performance.now() : false; }"
    )
    try:
        handle = page.wait_for_function(probe, arg=arg, polling="raf", timeout=timeout_ms)
    except PlaywrightTimeout:
        return None
    return float(handle.json_value())


def _load(page: Any, url: str, predicate_js: str, arg: Any, timeout_ms: float) -> float | None:
    """Navigate to ``url`` (a new document) and time it until ``predicate_js`` holds."""
    page.goto("about:blank")
    page.goto(url, wait_until="commit", timeout=timeout_ms)
    return _until(page, predicate_js, arg, timeout_ms)


def _click(page: Any, target: Any, predicate_js: str, arg: Any, timeout_ms: float) -> float | None:
    """Click ``target`` and time from its pointerdown until ``predicate_js`` holds."""
    target.wait_for(state="visible", timeout=_STEP_TIMEOUT_MS)
    page.evaluate(_MARK_POINTERDOWN)
    target.click(timeout=_STEP_TIMEOUT_MS)
    done = _until(page, predicate_js, arg, timeout_ms)
    clicked = page.evaluate("() => window.__benchClickAt")
    if done is None or clicked is None:
        return None
    return done - float(clicked)


def time_table(
    browser: Any,
    pages: UiPages,
    url: str,
    newest: str,
    sorted_first: tuple[str, str],
    metric: str,
    timeout_ms: float,
    sort: bool = True,
) -> TableTimes:
    """Time one repetition of the runs table in a fresh browser context (empty caches).

    ``newest`` is the run the default order shows first; ``sorted_first`` the runs shown first
    when sorted by ``metric`` ascending and descending (a UI's first click picks either).
    Without ``sort`` the sort is not tried (its time stays None).
    """
    times = TableTimes()
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        times.cold_ms = _load(page, url, pages.first_row_js, [newest, metric], timeout_ms)
        if times.cold_ms is None:
            return times
        times.warm_ms = _load(page, url, pages.first_row_js, [newest, metric], timeout_ms)
        if times.warm_ms is None or not sort:
            return times
        target = pages.open_sort(page, metric)
        either = f"""([names, metric]) => {{
            const drawn = ({pages.first_row_js});
            return names.some(name => drawn([name, metric]));
        }}"""
        times.sort_ms = _click(page, target, either, [list(sorted_first), metric], timeout_ms)
        if times.sort_ms is not None:
            for name in sorted_first:
                if page.evaluate(f"arg => ({pages.first_row_js})(arg)", [name, metric]):
                    times.sort_first = name
        return times
    finally:
        context.close()


def time_chart(
    browser: Any,
    pages: UiPages,
    base: str,
    experiment_id: str,
    run_id: str,
    metric: str,
    timeout_ms: float,
) -> ChartTimes:
    """Time one repetition of the long metric's chart: open its page cold, then click its tab."""
    times = ChartTimes()
    context = browser.new_context(viewport=VIEWPORT)
    answers: list[Any] = []

    def keep_history_answer(response: Any) -> None:
        if "get-history-bulk-interval" in response.url and response.status == 200:
            answers.append(response)

    try:
        page = context.new_page()
        page.on("response", keep_history_answer)
        url = pages.charts_url(base, experiment_id, run_id)
        times.load_ms = _load(page, url, pages.chart_drawn_js, metric, timeout_ms)
        if times.load_ms is None:
            return times
        if pages.chart_data_js is not None:
            drawn = page.evaluate(pages.chart_data_js, metric)
            times.points, times.max_value = int(drawn["points"]), float(drawn["max"])
        elif answers:
            # MLflow's chart keeps no data on its element: read what the server sent it.
            values = [point["value"] for point in json.loads(answers[-1].body())["metrics"]]
            times.points, times.max_value = len(values), max(values)
        page.goto("about:blank")
        page.goto(pages.run_url(base, experiment_id, run_id), timeout=_STEP_TIMEOUT_MS)
        pages.run_page_ready(page)
        times.click_ms = _click(
            page, pages.charts_tab(page), pages.chart_drawn_js, metric, timeout_ms
        )
        return times
    finally:
        context.close()


# -- Trackstone ------------------------------------------------------------------------------

_TRACKSTONE_FIRST_ROW = """([name, metric]) => {
    const row = document.querySelector("#runs-body tr");
    if (!row || row.querySelector("a.run-link")?.textContent !== name) return false;
    const heads = [...document.querySelectorAll("#runs-head th")];
    const column = heads.findIndex(th => th.dataset.column === "metrics." + metric);
    return column >= 0 && (row.cells[column]?.textContent || "").trim() !== "";
}"""

# uPlot draws on a canvas: count pixels of a saturated colour (the series; axes and grid are
# grey), so an empty plot area or axes alone do not count as drawn.
_TRACKSTONE_CHART_DRAWN = """(metric) => {
    const figure = document.querySelector(`figure.chart[data-metric="${metric}"]`);
    if (!(figure?.uplot?.data?.[0]?.length > 0)) return false;
    const canvas = figure.querySelector("canvas");
    if (!canvas || !canvas.width) return false;
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let coloured = 0;
    for (let i = 0; i < pixels.length; i += 4) {
        const high = Math.max(pixels[i], pixels[i + 1], pixels[i + 2]);
        const low = Math.min(pixels[i], pixels[i + 1], pixels[i + 2]);
        if (pixels[i + 3] > 200 && high - low > 100 && ++coloured > 100) return true;
    }
    return false;
}"""

_TRACKSTONE_CHART_DATA = """(metric) => {
    const data = document.querySelector(`figure.chart[data-metric="${metric}"]`).uplot.data;
    return { points: data[0].length, max: Math.max(...data[1].filter(v => v !== null)) };
}"""


def _trackstone_sort(page: Any, metric: str) -> Any:
    return page.locator(f'#runs-head th[data-column="metrics.{metric}"] button.sort')


def _trackstone_run_ready(page: Any) -> None:
    page.wait_for_selector("#main:not([aria-busy])", timeout=_STEP_TIMEOUT_MS)


def trackstone_ui() -> UiPages:
    """Return Trackstone's pages: ``/experiments/<id>`` and ``/runs/<id>#charts``."""
    return UiPages(
        name="trackstone",
        runs_url=lambda base, experiment: f"{base}/experiments/{experiment}",
        run_url=lambda base, _experiment, run: f"{base}/runs/{run}",
        charts_url=lambda base, _experiment, run: f"{base}/runs/{run}#charts",
        first_row_js=_TRACKSTONE_FIRST_ROW,
        chart_drawn_js=_TRACKSTONE_CHART_DRAWN,
        chart_data_js=_TRACKSTONE_CHART_DATA,
        open_sort=_trackstone_sort,
        charts_tab=lambda page: page.locator("#tab-charts"),
        run_page_ready=_trackstone_run_ready,
    )


# -- MLflow ----------------------------------------------------------------------------------

# MLflow's runs table (ag-grid) shows no metric columns until the user picks some, so a row is
# drawn when the grid's first row (row-index 0, in either of its column containers) names the
# run; the metric argument is unused.
_MLFLOW_FIRST_ROW = """([name, _metric]) => {
    for (const row of document.querySelectorAll('.ag-row[row-index="0"]')) {
        for (const cell of row.querySelectorAll('[col-id="attributes.`Run Name`"]')) {
            if (cell.textContent.includes(name)) return true;
        }
    }
    return false;
}"""

_MLFLOW_CHART_DRAWN = """(_metric) => {
    for (const path of document.querySelectorAll(".js-plotly-plot .scatterlayer path.js-line")) {
        if ((path.getAttribute("d") || "").split("L").length > 20) return true;
    }
    return false;
}"""


def _mlflow_sort(page: Any, metric: str) -> Any:
    """Open the Sort menu (untimed) and return its entry for ``metric``."""
    page.get_by_role("button", name="Sort: Created").click(timeout=_STEP_TIMEOUT_MS)
    return page.locator(f'[data-testid="sort-select-{metric}"]')


def _mlflow_run_ready(page: Any) -> None:
    page.get_by_role("tab", name="Model metrics").wait_for(timeout=_STEP_TIMEOUT_MS)


def mlflow_ui() -> UiPages:
    """Return MLflow's pages: the experiment's runs and the run's Model metrics tab."""
    return UiPages(
        name="mlflow",
        runs_url=lambda base, experiment: f"{base}/#/experiments/{experiment}/runs",
        run_url=lambda base, experiment, run: f"{base}/#/experiments/{experiment}/runs/{run}",
        charts_url=lambda base, experiment, run: (
            f"{base}/#/experiments/{experiment}/runs/{run}/model-metrics"
        ),
        first_row_js=_MLFLOW_FIRST_ROW,
        chart_drawn_js=_MLFLOW_CHART_DRAWN,
        chart_data_js=None,
        open_sort=_mlflow_sort,
        charts_tab=lambda page: page.get_by_role("tab", name="Model metrics"),
        run_page_ready=_mlflow_run_ready,
    )
