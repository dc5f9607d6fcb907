"""Benchmark the model registry: `trackstone server` vs `mlflow server`, same REST calls, SQLite.

Usage: ``.venv/bin/python bench/registry.py [--quick] [--skip-mlflow]`` (``make bench-registry``).
Both servers start on loopback ports with fresh SQLite files in a temporary directory and run
side by side; the same plain HTTP client (``registry_workload.py``) populates each registry in
turn (100 models x 100 versions), then times create-model-version and the searches with the
servers taking turns; the table prints figures and ratios, and the raw figures go to
``bench/results/registry-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from registry_report import figures, print_report
from registry_workload import FULL, QUICK, RegistrySizes, Target, measure, prepare
from rich.console import Console
from rich.text import Text
from run import DriverFailed, ensure_mlflow_venv
from server_processes import (
    RunningServer,
    ServerFailed,
    free_port,
    mlflow_command,
    start,
    trackstone_command,
)
from server_workload import RequestFailed

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
_MLFLOW_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
_REPORT_WIDTH = 130
System = tuple[str, Path, dict[str, str]]  # name, python of its venv, extra environment


def bench_servers(
    console: Console, systems: list[System], scratch: Path, sizes: RegistrySizes
) -> dict[str, dict[str, Any]]:
    """Start every server, populate each in turn, then time them taking turns; return figures.

    The servers run side by side for the timed part so that the machine's load (a shared
    machine is rarely quiet) weighs on both alike; during each one's population the others
    are idle.
    """
    servers: list[RunningServer] = []
    targets: list[Target] = []
    results: dict[str, dict[str, Any]] = {}
    with console.status("Starting servers...") as status:

        def progress(step: str) -> None:
            status.update(f"{step}...")

        try:
            for name, python, env in systems:
                folder = scratch / name
                command = (
                    trackstone_command(folder, free_port(), 1)
                    if name == "trackstone"
                    else mlflow_command(python, folder, free_port(), 1)
                )
                progress(f"starting {name}")
                servers.append(start(name, command, folder, env))
                console.print(f"{name}: healthy after {servers[-1].seconds_to_healthy:.2f} s")
                results[name] = {"command": [Path(command[0]).name, *command[1:]]}
            for server in servers:
                target, populated = prepare(server.name, server.url, sizes, progress)
                targets.append(target)
                results[server.name]["workloads"] = {"population": populated}
                console.print(f"{server.name}: populated in {populated['wall_s']:.1f} s")
            load_at_start = os.getloadavg()
            started = time.perf_counter()
            for name, figures in measure(targets, sizes, progress).items():
                results[name]["workloads"].update(figures)
                results[name]["load_average"] = {"start": load_at_start, "end": os.getloadavg()}
            console.print(f"measured in {time.perf_counter() - started:.1f} s")
        finally:
            for target in targets:
                target.client.close()
            for server in servers:
                server.stop()
    return results


def consistency_warnings(results: dict[str, dict[str, Any]], sizes: RegistrySizes) -> list[str]:
    """Return what a server got wrong: versions not created, search answers not the expected."""
    warnings = []
    for name, result in results.items():
        work = result["workloads"]
        created = work["population"]["versions"] + work["create_version"]["requests"]
        if created != sizes.total_versions:
            warnings.append(f"{name}: created {created} versions, expected {sizes.total_versions}")
        for search in work["searches"]:
            if not search["correct"]:
                warnings.append(
                    f"{name}: search {search['label']} answered {search['results']} items "
                    f"(first {search['first']}), expected {search['expected_results']} in "
                    "the population's order"
                )
    return warnings


def write_results(
    results: dict[str, dict[str, Any]], sizes: RegistrySizes, quick: bool, folder: Path
) -> Path:
    """Write the figures, sizes and machine as JSON; return the file."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"registry-{stamp}{'-quick' if quick else ''}.json"
    document = {
        "time": stamp,
        "quick": quick,
        "sizes": sizes.as_dict(),
        "client": "one keep-alive http.client connection, the same for both servers",
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
        },
        "results": results,
        "figures": figures(results),
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--skip-mlflow", action="store_true", help="Trackstone only")
    parser.add_argument("--skip-trackstone", action="store_true", help="MLflow only")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--show", type=Path, metavar="RESULTS_JSON", help="re-print a saved run")
    return parser.parse_args(argv)


def _systems(args: argparse.Namespace, console: Console) -> list[System]:
    """Return (name, python, extra environment) of each server to run, Trackstone first."""
    systems: list[System] = []
    if not args.skip_trackstone:
        systems.append(("trackstone", Path(sys.executable), {}))
    if not args.skip_mlflow:
        systems.append(("mlflow", ensure_mlflow_venv(console), _MLFLOW_ENV))
    return systems


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    console = Console()
    if not console.is_terminal:
        console.width = _REPORT_WIDTH
    if args.show is not None:
        print_report(json.loads(args.show.read_text())["results"], console)
        return 0
    sizes = QUICK if args.quick else FULL
    results: dict[str, dict[str, Any]] = {}
    try:
        systems = _systems(args, console)
        if not systems:
            console.print("nothing to run (both servers skipped)")
            return 1
        with tempfile.TemporaryDirectory(prefix="trackstone-registry-bench-") as scratch:
            results = bench_servers(console, systems, Path(scratch), sizes)
    except (DriverFailed, ServerFailed, RequestFailed) as error:
        console.print(Text.assemble(("registry bench failed: ", "red"), str(error)))
        return 1
    print_report(results, console)
    for warning in consistency_warnings(results, sizes):
        console.print(Text.assemble(("warning: ", "yellow"), warning))
    path = write_results(results, sizes, args.quick, args.results_dir)
    console.print(f"Results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
