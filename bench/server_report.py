"""Print the server benchmark side by side: Trackstone, MLflow, the ratio and the issue's target."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from report_tables import (
    comparison_table,
    met_style,
    number_cell,
    read_path,
    times_cell,
)
from rich.console import Console

MiB_PER_KiB = 1 / 1024


@dataclass(frozen=True)
class Row:
    """One figure: where it is in a server's results, its unit, which way is better, the target."""

    label: str
    unit: str
    read: Callable[[dict[str, Any]], float]
    higher_is_better: bool
    target: float | None  # the ratio (better / worse) the issue asks for, if any
    must_be_zero: bool = False  # lost points, failed requests: any is a failure
    compared: bool = True  # False for counts where "times better" means nothing


def _stat(workload: str, name: str) -> Callable[[dict[str, Any]], float]:
    def read(result: dict[str, Any]) -> float:
        figures = result["workloads"][workload]
        return float(figures.get("stats", figures)[name])

    return read


def _latency_rows(workload: str, label: str) -> list[Row]:
    return [
        Row(f"{label}: requests/s", "req/s", _stat(workload, "requests_per_s"), True, 10),
        Row(f"{label}: p50", "ms", _stat(workload, "p50_ms"), False, 10),
        Row(f"{label}: p99", "ms", _stat(workload, "p99_ms"), False, 10),
    ]


def _memory(name: str) -> Callable[[dict[str, Any]], float]:
    return lambda result: result["memory_after_load"][name] * MiB_PER_KiB


def _figure(*keys: str) -> Callable[[dict[str, Any]], float]:
    return lambda result: read_path(result["workloads"], keys)


def _lost(writers: dict[str, Any]) -> float:
    return float(writers["points_sent"] - writers["points_stored"])


ROWS: tuple[Row, ...] = (
    Row("time to healthy, fresh database", "s", lambda r: r["start"]["fresh_s"], False, 10),
    Row("time to healthy, restart", "s", lambda r: r["start"]["restart_s"], False, 10),
    *_latency_rows("log_batch", "log-batch (1,000 metrics)"),
    Row("log-batch: points/s", "pt/s", _stat("log_batch", "points_per_s"), True, 10),
    *_latency_rows("create_run", "create-run"),
    *_latency_rows("log_batch_small", "log-batch (10 params, 5 metrics, 3 tags)"),
    *_latency_rows("get_run", "get-run"),
    *_latency_rows("search_runs", "search-runs (filter + order, 100 of N runs)"),
    Row("get-history (all points): p50", "ms", _stat("get_history", "p50_ms"), False, 10),
    Row("get-history (all points): p99", "ms", _stat("get_history", "p99_ms"), False, 10),
    Row(
        "concurrent writers: points/s",
        "pt/s",
        lambda r: r["workloads"]["concurrent_writers"]["points_per_s"],
        True,
        10,
    ),
    Row(
        "concurrent writers: points lost",
        "pt",
        lambda r: _lost(r["workloads"]["concurrent_writers"]),
        False,
        None,
        must_be_zero=True,
    ),
    Row(
        "concurrent writers: failed requests",
        "req",
        lambda r: r["workloads"]["concurrent_writers"]["errors"],
        False,
        None,
        must_be_zero=True,
    ),
    Row(
        "artifact upload, one large file",
        "MiB/s",
        _figure("artifacts", "large", "upload_mib_per_s"),
        True,
        10,
    ),
    Row(
        "artifact download, one large file",
        "MiB/s",
        _figure("artifacts", "large", "download_mib_per_s"),
        True,
        10,
    ),
    Row(
        "artifact upload, 4 KiB files",
        "files/s",
        _figure("artifacts", "small", "upload_files_per_s"),
        True,
        10,
    ),
    Row(
        "artifact download, 4 KiB files",
        "files/s",
        _figure("artifacts", "small", "download_files_per_s"),
        True,
        10,
    ),
    Row(
        "server memory after load (PSS of all its processes)",
        "MiB",
        _memory("tree_pss_kib"),
        False,
        5,
    ),
    Row(
        "server memory after load (RSS of all its processes)",
        "MiB",
        _memory("tree_rss_kib"),
        False,
        None,
    ),
    Row("largest server process after load (RSS)", "MiB", _memory("largest_rss_kib"), False, None),
    Row(
        "server processes",
        "",
        lambda r: r["memory_after_load"]["processes"],
        False,
        None,
        compared=False,
    ),
)


def ratio(row: Row, trackstone: float, mlflow: float) -> float | None:
    """Return how many times better Trackstone's figure is (None when undefined)."""
    better, worse = (trackstone, mlflow) if row.higher_is_better else (mlflow, trackstone)
    if worse <= 0:
        return None
    return better / worse


def target_met(row: Row, times: float | None) -> bool | None:
    """Return whether a ratio meets its row's target (None if either is missing)."""
    if row.target is None or times is None:
        return None
    return times >= row.target


def make_verdict(
    row: Row, trackstone: float | None, mlflow: float | None, times: float | None, met: bool | None
) -> dict[str, Any]:
    """Return one row's verdict: its figures, ratio, target and whether it is met."""
    return {
        "label": row.label,
        "unit": row.unit,
        "trackstone": trackstone,
        "mlflow": mlflow,
        "times_better": times,
        "target": row.target,
        "met": met,
    }


def verdicts(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Return each row's figures, ratio and whether it meets its target."""
    rows = []
    for row in ROWS:
        trackstone = row.read(results["trackstone"])
        mlflow = row.read(results["mlflow"]) if "mlflow" in results else None
        times = None if mlflow is None or not row.compared else ratio(row, trackstone, mlflow)
        met = trackstone == 0 if row.must_be_zero else target_met(row, times)
        rows.append(make_verdict(row, trackstone, mlflow, times, met))
    return rows


def target_text(verdict: dict[str, Any]) -> str:
    """Return the target column's text of a verdict."""
    if verdict["target"] is not None:
        return f">= {verdict['target']:.0f}x"
    return "0" if verdict["met"] is not None else "-"


def verdict_cells(verdict: dict[str, Any]) -> list[str]:
    """Return the cells of a verdict: measure, unit, both figures, the ratio and the target."""
    return [
        verdict["label"],
        verdict["unit"],
        number_cell(verdict["trackstone"]),
        number_cell(verdict["mlflow"]),
        times_cell(verdict["times_better"], met_style(verdict["met"])),
        target_text(verdict),
    ]


def print_report(results: dict[str, dict[str, Any]], console: Console) -> None:
    """Print the side-by-side table of the plain-HTTP workloads and the servers themselves."""
    table = comparison_table(
        "trackstone server vs mlflow server (SQLite, loopback, one client)",
        "Trackstone",
        "MLflow",
        "x better",
        "target",
    )
    for verdict in verdicts(results):
        table.add_row(*verdict_cells(verdict))
    console.print(table)
