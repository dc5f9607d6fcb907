"""Time every server's pages side by side: repetitions, turns and timeouts.

The servers take turns repetition by repetition (A, B, then B, A...), so a shared machine's
load falls on both alike. A page that times out leaves its query running in the server, where
it would slow the next figures of both servers: the server is restarted on the same database
before the next measurement. A sort that timed out is not tried again for that table: the
remaining repetitions would time out too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from server_processes import RunningServer, restart
from ui_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ChartTimes,
    TableTimes,
    UiPages,
    time_chart,
    time_table,
)
from ui_data import CHART_METRIC, CHART_SPIKE, SORT_METRIC, UiRun, expected_first
from ui_report import summarise

__all__ = ["Target", "measure"]


@dataclass
class Target:
    """A started, populated server: its pages and where the data is."""

    name: str
    pages: UiPages
    server: RunningServer
    tables: dict[int, str]  # run count -> experiment id
    chart_experiment: str
    chart_run: str
    env: dict[str, str] = field(default_factory=dict)  # the server's extra environment
    populate_s: dict[str, float] = field(default_factory=dict)
    restarts_s: list[float] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url


def recover(target: Target) -> None:
    """Restart the server after a timed-out page, on the same database and port.

    The timed-out query would otherwise keep running for minutes and slow every later figure
    of both servers; restarting is quicker than waiting for it.
    """
    began = time.perf_counter()
    target.server = restart(target.server, target.env)
    target.restarts_s.append(time.perf_counter() - began)


def _turns(targets: list[Target], rep: int) -> list[Target]:
    return targets if rep % 2 == 0 else targets[::-1]


def _table_reps(
    browser: Any,
    targets: list[Target],
    count: int,
    runs: list[UiRun],
    repeats: int,
    timeout_ms: float,
    progress: Callable[[str], None],
) -> dict[str, dict[str, Any]]:
    """Time the runs table of ``count`` runs on every server, the servers taking turns."""
    lowest = expected_first(runs, SORT_METRIC, True).name
    highest = expected_first(runs, SORT_METRIC, False).name
    reps: dict[str, list[TableTimes]] = {target.name: [] for target in targets}
    sort_gave_up: set[str] = set()
    for rep in range(repeats):
        for target in _turns(targets, rep):
            progress(f"{target.name}: runs table of {count:,} runs, {rep + 1}")
            times = time_table(
                browser,
                target.pages,
                target.pages.runs_url(target.url, target.tables[count]),
                runs[-1].name,
                (lowest, highest),
                SORT_METRIC,
                timeout_ms,
                sort=target.name not in sort_gave_up,
            )
            reps[target.name].append(times)
            tried_sort = target.name not in sort_gave_up
            if times.sort_ms is None:
                sort_gave_up.add(target.name)
            if None in (times.cold_ms, times.warm_ms) or (tried_sort and times.sort_ms is None):
                recover(target)
    return {
        name: {
            "cold_ms": summarise([r.cold_ms for r in times_list]),
            "warm_ms": summarise([r.warm_ms for r in times_list]),
            "sort_ms": summarise([r.sort_ms for r in times_list]),
            "sort_first": [r.sort_first for r in times_list],
            "expected_first": {"ascending": lowest, "descending": highest},
        }
        for name, times_list in reps.items()
    }


def _chart_reps(
    browser: Any,
    targets: list[Target],
    points: int,
    repeats: int,
    timeout_ms: float,
    progress: Callable[[str], None],
) -> dict[str, dict[str, Any]]:
    """Time the long metric's chart on every server, the servers taking turns."""
    reps: dict[str, list[ChartTimes]] = {target.name: [] for target in targets}
    for rep in range(repeats):
        for target in _turns(targets, rep):
            progress(f"{target.name}: chart of {points:,} points, {rep + 1}")
            times = time_chart(
                browser,
                target.pages,
                target.url,
                target.chart_experiment,
                target.chart_run,
                CHART_METRIC,
                timeout_ms,
            )
            reps[target.name].append(times)
            if None in (times.load_ms, times.click_ms):
                recover(target)
    results = {}
    for name, charts in reps.items():
        drawn = next((c for c in charts if c.points is not None), ChartTimes())
        results[name] = {
            "load_ms": summarise([c.load_ms for c in charts]),
            "click_ms": summarise([c.click_ms for c in charts]),
            "drawn": {
                "points": drawn.points,
                "max_value": drawn.max_value,
                "spike_value": CHART_SPIKE,
            },
        }
    return results


def measure(
    status: Any,
    targets: list[Target],
    tables: dict[int, list[UiRun]],
    points: int,
    repeats: int,
    timeout_s: float,
) -> dict[str, dict[str, Any]]:
    """Time every server's pages in one headless Chromium; return each server's figures.

    ``status`` is a rich status line to show progress on.
    """
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, Any]] = {target.name: {"tables": {}} for target in targets}
    loads: list[float] = []

    def progress(step: str) -> None:
        loads.append(os.getloadavg()[0])
        status.update(f"{step}...")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            for count, runs in tables.items():
                by_name = _table_reps(
                    browser, targets, count, runs, repeats, timeout_s * 1000, progress
                )
                for name, figures in by_name.items():
                    results[name]["tables"][str(count)] = figures
            by_name = _chart_reps(browser, targets, points, repeats, timeout_s * 1000, progress)
            for name, figures in by_name.items():
                results[name]["chart"] = figures
            chromium = browser.version
        finally:
            browser.close()
    for target in targets:
        results[target.name].update(
            {
                "chromium": chromium,
                "load_average_1min": loads,
            }
        )
    return results
