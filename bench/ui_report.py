"""Summarise and print the UI benchmark: median (min-max) per UI and how many times faster."""

from __future__ import annotations

import math
import statistics
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["MEASURES", "print_report", "summarise"]

SYSTEMS = ("trackstone", "mlflow")
# (key in a system's results, label); a table measure's key is formatted with the run count.
TABLE_MEASURES = (
    ("cold_ms", "runs table, {runs:,} runs: first rows, cold load"),
    ("warm_ms", "runs table, {runs:,} runs: first rows, cached reload"),
    ("sort_ms", "runs table, {runs:,} runs: sort by a metric (click to rows)"),
)
CHART_MEASURES = (
    ("load_ms", "{points:,}-point metric: run page charts, cold load"),
    ("click_ms", "{points:,}-point metric: click the charts tab"),
)
MEASURES = tuple(key for key, _ in TABLE_MEASURES + CHART_MEASURES)


def summarise(samples: list[float | None]) -> dict[str, Any]:
    """Return median, min and max of ``samples`` in ms; a timed-out sample (None) counts as
    infinitely slow, and a figure it decides is None with ``timed_out`` set."""
    values = sorted(math.inf if sample is None else sample for sample in samples)
    if not values:
        return {"samples": samples, "median_ms": None, "min_ms": None, "max_ms": None}

    def finite(value: float) -> float | None:
        return None if math.isinf(value) else value

    return {
        "samples": samples,
        "median_ms": finite(statistics.median(values)),
        "min_ms": finite(values[0]),
        "max_ms": finite(values[-1]),
        "timed_out": sum(sample is None for sample in samples),
    }


def _cell(figure: dict[str, Any] | None, timeout_s: float) -> str:
    if figure is None:
        return "-"
    median, low, high = figure["median_ms"], figure["min_ms"], figure["max_ms"]
    if median is None:
        return f"> {timeout_s:,.0f} s"
    top = f"> {timeout_s:,.0f} s" if high is None else f"{high:,.0f}"
    return f"{median:,.0f} ({low:,.0f}-{top})"


def _ratio(ours: dict[str, Any] | None, theirs: dict[str, Any] | None, timeout_s: float) -> str:
    if not ours or not theirs or ours["median_ms"] is None or ours["median_ms"] <= 0:
        return "-"
    if theirs["median_ms"] is None:
        return f"> {timeout_s * 1000 / ours['median_ms']:,.0f}x"
    return f"{theirs['median_ms'] / ours['median_ms']:,.1f}x"


def _rows(document: dict[str, Any]) -> list[tuple[str, dict[str, dict[str, Any]]]]:
    """Return (label, {system: figure}) for every measure, in the order printed."""
    results = document["results"]
    rows = []
    for runs in document["sizes"]["table_runs"]:
        for key, label in TABLE_MEASURES:
            figures = {
                name: results[name]["tables"][str(runs)][key]
                for name in SYSTEMS
                if name in results and str(runs) in results[name]["tables"]
            }
            rows.append((label.format(runs=runs), figures))
    for key, label in CHART_MEASURES:
        figures = {name: results[name]["chart"][key] for name in SYSTEMS if name in results}
        rows.append((label.format(points=document["sizes"]["chart_points"]), figures))
    return rows


def print_report(document: dict[str, Any], console: Console) -> None:
    """Print the side-by-side table of a results document, then what each chart drew."""
    timeout_s = float(document["timeout_s"])
    table = Table(
        title="web UI in headless Chromium: trackstone server vs mlflow server (SQLite), "
        "ms: median (min-max)"
    )
    for header, justify in (
        ("measure", "left"),
        ("Trackstone", "right"),
        ("MLflow", "right"),
        ("x faster", "right"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for label, figures in _rows(document):
        table.add_row(
            label,
            _cell(figures.get("trackstone"), timeout_s),
            _cell(figures.get("mlflow"), timeout_s),
            _ratio(figures.get("trackstone"), figures.get("mlflow"), timeout_s),
        )
    console.print(table)
    for name in SYSTEMS:
        if name not in document["results"]:
            continue
        drawn = document["results"][name]["chart"]["drawn"]
        if drawn["points"] is None:
            console.print(f"{name}: the chart was never drawn")
            continue
        spike = "kept" if drawn["max_value"] == drawn["spike_value"] else "lost"
        console.print(
            f"{name}: the chart drew {drawn['points']:,} of {document['sizes']['chart_points']:,} "
            f"points; the spike ({drawn['spike_value']:g}) was {spike} "
            f"(largest value drawn {drawn['max_value']:g})"
        )
