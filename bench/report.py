"""Turn the drivers' JSON results into the side-by-side table, ratios and target verdicts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

Results = dict[str, dict[str, Any]]  # system name -> that driver's JSON


@dataclass(frozen=True)
class Measure:
    """One row of the report: where the figure lives in each driver's JSON and how to judge it."""

    label: str
    unit: str
    path: tuple[str, ...]
    higher_is_better: bool
    target_vs_mlflow: float | None = None  # Trackstone must be at least this many times better
    target_vs_floor: float | None = None  # Trackstone throughput as a fraction of the floor


MEASURES = (
    Measure("log_metric call, median", "µs", ("log_metric", "median_us"), False, 500.0),
    Measure("log_metric call, p99", "µs", ("log_metric", "p99_us"), False),
    Measure("sustained ingest (until stored)", "points/s", ("ingest", "points_per_s"), True,
            target_vs_floor=0.5),
    Measure("log_batch", "points/s", ("log_batch", "points_per_s"), True),
    Measure("runs created", "runs/s", ("create_runs", "runs_per_s"), True),
    Measure("search: metric+param filter, top 100", "ms", ("search", "filter_order", "ms"),
            False, 10.0),
    Measure("search: tags.t0 LIKE, all pages", "ms", ("search", "tag_like", "ms"), False, 10.0),
    Measure("search: all runs, 1,000 per page", "ms", ("search", "all_paginated", "ms"), False,
            10.0),
    Measure("search as DataFrame", "ms", ("search", "dataframe", "ms"), False, 10.0),
    Measure("metric history read", "ms", ("history", "ms"), False, 10.0),
    Measure("bytes on disk per metric point", "B", ("history", "bytes_per_point"), False),
)  # fmt: skip


def figure(results: Results, system: str, path: tuple[str, ...]) -> float | None:
    """Return the number at ``path`` in a system's results, or None when not measured."""
    node: Any = results.get(system)
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return float(node) if isinstance(node, (int, float)) else None


def advantage(ours: float | None, theirs: float | None, higher_is_better: bool) -> float | None:
    """Return how many times better ``ours`` is than ``theirs`` (>1 means we win)."""
    if ours is None or theirs is None or ours <= 0 or theirs <= 0:
        return None
    return ours / theirs if higher_is_better else theirs / ours


@dataclass(frozen=True)
class Verdict:
    """A target, the measured value against it, and whether it was met."""

    label: str
    target: str
    measured: str
    met: bool | None  # None: could not be measured (e.g. --skip-mlflow)


def verdicts(results: Results) -> list[Verdict]:
    """Check every target the issue sets against the measured figures."""
    checks = []
    for m in MEASURES:
        ours = figure(results, "trackstone", m.path)
        if m.target_vs_mlflow is not None:
            ratio = advantage(ours, figure(results, "mlflow", m.path), m.higher_is_better)
            checks.append(
                Verdict(
                    m.label,
                    f">= {m.target_vs_mlflow:g}x better than MLflow",
                    "n/a" if ratio is None else f"{ratio:,.2f}x",
                    None if ratio is None else ratio >= m.target_vs_mlflow,
                )
            )
        if m.target_vs_floor is not None:
            ratio = advantage(ours, figure(results, "floor", m.path), True)
            checks.append(
                Verdict(
                    m.label,
                    f">= {m.target_vs_floor:.0%} of the raw sqlite3 floor",
                    "n/a" if ratio is None else f"{ratio:.0%}",
                    None if ratio is None else ratio >= m.target_vs_floor,
                )
            )
    return checks


def consistency_problems(results: Results) -> list[str]:
    """Return disagreements that would make a comparison meaningless (counts, ordering)."""
    problems = []
    for system in ("trackstone", "mlflow"):
        ingest = results.get(system, {}).get("ingest", {})
        if ingest and ingest.get("stored") != ingest.get("points"):
            problems.append(
                f"{system}: ingest stored {ingest.get('stored')} of {ingest.get('points')} points"
            )
    if "trackstone" in results and "mlflow" in results:
        ours = results["trackstone"].get("search", {})
        theirs = results["mlflow"].get("search", {})
        for name in sorted(set(ours) & set(theirs)):
            for key in ("count", "first_names"):
                if ours[name].get(key) != theirs[name].get(key):
                    problems.append(
                        f"search {name}: {key} differs: trackstone {ours[name].get(key)} "
                        f"vs mlflow {theirs[name].get(key)}"
                    )
    return problems


def _format(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _ratio(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}x" if value < 10 else f"{value:,.0f}x"


def print_report(results: Results, console: Console) -> None:
    """Print the comparison table, the target verdicts and any consistency problems."""
    table = Table(title="Trackstone vs MLflow vs raw sqlite3", header_style="bold")
    for column in ("Measure", "Unit", "Trackstone", "MLflow", "Floor", "vs MLflow", "vs floor"):
        table.add_column(column, justify="left" if column in ("Measure", "Unit") else "right")
    for m in MEASURES:
        ours = figure(results, "trackstone", m.path)
        theirs = figure(results, "mlflow", m.path)
        floor = figure(results, "floor", m.path)
        table.add_row(
            m.label,
            m.unit,
            _format(ours),
            _format(theirs),
            _format(floor),
            _ratio(advantage(ours, theirs, m.higher_is_better)),
            _ratio(advantage(ours, floor, m.higher_is_better)),
        )
    console.print(table)
    console.print("Ratios: how many times better Trackstone is (>1x: Trackstone wins).")
    ingest = results.get("trackstone", {}).get("ingest", {})
    if ingest.get("ratios_vs_floor"):
        per_round = ", ".join(f"{ratio:.2f}x" for ratio in ingest["ratios_vs_floor"])
        console.print(
            f"Sustained ingest: the median of {len(ingest['rounds'])} runs each, the floor and "
            f"Trackstone taking turns; Trackstone vs the floor run before it: {per_round}."
        )
    targets = Table(title="Targets", header_style="bold")
    for column in ("Measure", "Target", "Measured", "Met"):
        targets.add_column(column)
    for verdict in verdicts(results):
        met = {True: "[green]yes[/]", False: "[red]NO[/]", None: "n/a"}[verdict.met]
        targets.add_row(verdict.label, verdict.target, verdict.measured, met)
    console.print(targets)
    for problem in consistency_problems(results):
        console.print(Text.assemble(("warning: ", "yellow"), problem))
