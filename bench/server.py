"""Benchmark the servers: ``trackstone server`` vs ``mlflow server``, same REST workload, SQLite.

Usage: ``.venv/bin/python bench/server.py [--quick] [--workers N] [--skip-mlflow]``
(``make bench-server``). Each server starts on a loopback port with a fresh SQLite file and
artifact folder in a temporary directory, one server at a time; the same plain HTTP client
(``server_workload.py``) drives both, then each client library (``server_client_driver.py``)
drives its own server, and MLflow's drives Trackstone's too. Last, the floor server
(``floor_server.py``: the least any server could do for those requests) is timed with the
same clients, which shows the ceiling of this machine. Three tables print figures, ratios, the
issue's targets and the floor; the raw figures go to ``bench/results/server-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text
from run import DriverFailed, ensure_mlflow_venv
from server_artifacts import ArtifactFailed, measure_artifacts
from server_client_report import client_verdicts, print_client_report
from server_floor_report import FLOOR, floor_verdicts, print_floor_report
from server_processes import (
    RunningServer,
    ServerFailed,
    floor_command,
    free_port,
    mlflow_command,
    restart,
    run_client_driver,
    run_driver_script,
    start,
    trackstone_command,
)
from server_report import print_report, verdicts
from server_workload import FULL, QUICK, RequestFailed, ServerSizes, run_all
from workload import BATCH_SIZE

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
_MLFLOW_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
_REPORT_WIDTH = 130


# A client library to drive a server with: the workload key of its figures, python, module.
ClientLibrary = tuple[str, Path, str]


def bench_server(
    console: Console,
    name: str,
    command: list[str],
    folder: Path,
    env: dict[str, str],
    sizes: ServerSizes,
    clients: list[ClientLibrary],
) -> dict[str, Any]:
    """Start one server fresh, run the workloads, read its memory, restart it; return figures.

    ``clients`` are the client libraries also timed against the server, after the plain-HTTP
    workloads (whose search population and long metric they read), each under its own key.
    """
    load_at_start = os.getloadavg()
    with console.status(f"Starting {name}...") as status:
        server: RunningServer = start(name, command, folder, env)
        try:
            fresh_s = server.seconds_to_healthy
            console.print(f"{name}: healthy after {fresh_s:.2f} s (fresh database)")

            def progress(step: str) -> None:
                status.update(f"{name}: {step}...")

            started = time.perf_counter()
            workloads = run_all(server.url, sizes, progress)
            progress(f"artifacts ({sizes.artifact_mib} MiB, {sizes.small_files} small files)")
            workloads["artifacts"] = measure_artifacts(
                server.url, folder / "scratch", sizes.artifact_mib, sizes.small_files
            )
            for key, python, module in clients:
                progress(f"{module} client library")
                options = {
                    **sizes.client_options(module),
                    "search_experiment_id": workloads["search_runs"]["experiment_id"],
                    "history_run_id": workloads["get_history"]["run_id"],
                }
                client_env = {**env, **_MLFLOW_ENV}  # no telemetry from MLflow's client either
                workloads[key] = run_client_driver(
                    python, module, server.url, folder / key, client_env, options
                )
            memory = server.memory_kib()
            console.print(f"{name}: workload done in {time.perf_counter() - started:.1f} s")
            status.update(f"Restarting {name}...")
            server = restart(server, env)
            restart_s = server.seconds_to_healthy
        finally:
            server.stop()
    return {
        "command": [Path(command[0]).name, *command[1:]],
        "load_average_at_start": load_at_start,
        "start": {"fresh_s": fresh_s, "restart_s": restart_s},
        "memory_after_load": memory,
        "workloads": workloads,
    }


def bench_floor(
    console: Console, folder: Path, sizes: ServerSizes, mlflow_python: Path | None
) -> dict[str, Any]:
    """Time the floor server with the plain client's artifact workload and, if MLflow is
    installed, MLflow's client's per-call workload (``floor_client_driver.py``)."""
    with console.status("Timing the floor server..."):
        server = start(FLOOR, floor_command(folder, free_port()), folder, {})
        try:
            workloads = {
                "artifacts": measure_artifacts(
                    server.url, folder / "scratch", sizes.artifact_mib, sizes.small_files
                )
            }
            if mlflow_python is not None:
                options = json.dumps(sizes.client_options("mlflow"))
                workloads["mlflow_client"] = run_driver_script(
                    mlflow_python,
                    "floor_client_driver.py",
                    [options],
                    server.url,
                    folder / "mlflow_client",
                    _MLFLOW_ENV,
                )
        finally:
            server.stop()
    return {"load_average_at_start": os.getloadavg(), "workloads": workloads}


def consistency_warnings(results: dict[str, dict[str, Any]], sizes: ServerSizes) -> list[str]:
    """Return what the servers disagree on, or got wrong, in what they answered."""
    warnings = []
    expected_history = sizes.log_batches * BATCH_SIZE
    servers = {name: result for name, result in results.items() if name != FLOOR}
    for name, result in servers.items():
        work = result["workloads"]
        if work["get_history"]["points"] != expected_history:
            warnings.append(
                f"{name}: history returned {work['get_history']['points']} points, "
                f"expected {expected_history}"
            )
        writers = work["concurrent_writers"]
        if writers["points_stored"] != writers["points_sent"] or writers["errors"]:
            warnings.append(
                f"{name}: concurrent writers stored {writers['points_stored']} of "
                f"{writers['points_sent']} points, {writers['errors']} failed requests "
                f"{writers['first_errors']}"
            )
        for key in ("client", "mlflow_client"):
            driver = work.get(key)
            if driver is None:
                continue
            who = f"{name} server, {key.replace('_', ' ')}"
            for workload in ("ingest", "log_batch"):
                figures = driver[workload]
                if figures["stored"] != figures["points"]:
                    warnings.append(
                        f"{who}: {workload} stored {figures['stored']} of "
                        f"{figures['points']} points"
                    )
            warnings += [f"{who}: {problem}" for problem in driver["problems"]]
    searches = {name: r["workloads"]["search_runs"] for name, r in servers.items()}
    answers = {(s["results"], tuple(s["first_names"])) for s in searches.values()}
    if len(answers) > 1:
        warnings.append(f"search results differ: {searches}")
    return warnings


def write_results(
    results: dict[str, dict[str, Any]], sizes: ServerSizes, quick: bool, workers: int, folder: Path
) -> Path:
    """Write the figures, sizes, machine and verdicts as JSON; return the file."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"server-{stamp}{'-quick' if quick else ''}.json"
    document = {
        "time": stamp,
        "quick": quick,
        "workers": workers,
        "sizes": sizes.as_dict(),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
        },
        "results": results,
        "targets": verdicts(results),
        "client_targets": client_verdicts(results),
        "floor": floor_verdicts(results),
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes of each server")
    parser.add_argument("--skip-mlflow", action="store_true", help="Trackstone only")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--show", type=Path, metavar="RESULTS_JSON", help="re-print a saved run")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    console = Console()
    if not console.is_terminal:
        console.width = _REPORT_WIDTH
    if args.show is not None:
        saved = json.loads(args.show.read_text())["results"]
        print_report(saved, console)
        print_client_report(saved, console)
        print_floor_report(saved, console)
        return 0
    sizes = QUICK if args.quick else FULL
    results: dict[str, dict[str, Any]] = {}
    try:
        mlflow_python = None if args.skip_mlflow else ensure_mlflow_venv(console)
        with tempfile.TemporaryDirectory(prefix="trackstone-server-bench-") as scratch:
            trackstone_clients: list[ClientLibrary] = [
                ("client", Path(sys.executable), "trackstone")
            ]
            systems: list[
                tuple[str, Callable[[Path], list[str]], dict[str, str], list[ClientLibrary]]
            ] = [
                (
                    "trackstone",
                    lambda f: trackstone_command(f, free_port(), args.workers),
                    {},
                    trackstone_clients,
                )
            ]
            if mlflow_python is not None:
                python = mlflow_python
                # The compatibility view: MLflow's client against Trackstone's server.
                trackstone_clients.append(("mlflow_client", python, "mlflow"))
                systems.append(
                    (
                        "mlflow",
                        lambda f: mlflow_command(python, f, free_port(), args.workers),
                        _MLFLOW_ENV,
                        [("client", python, "mlflow")],
                    )
                )
            for name, command_for, env, clients in systems:
                folder = Path(scratch) / name
                results[name] = bench_server(
                    console, name, command_for(folder), folder, env, sizes, clients
                )
            results[FLOOR] = bench_floor(console, Path(scratch) / FLOOR, sizes, mlflow_python)
    except (DriverFailed, ServerFailed, RequestFailed, ArtifactFailed) as error:
        console.print(Text.assemble(("server bench failed: ", "red"), str(error)))
        return 1
    print_report(results, console)
    print_client_report(results, console)
    print_floor_report(results, console)
    for warning in consistency_warnings(results, sizes):
        console.print(Text.assemble(("warning: ", "yellow"), warning))
    path = write_results(results, sizes, args.quick, args.workers, args.results_dir)
    console.print(f"Results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
