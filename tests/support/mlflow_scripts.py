"""Run each script of ``tests/integration/mlflow_scripts`` once, in MLflow's virtualenv.

Each script runs against a fresh ``trackstone server`` of its own and prints a JSON object of
named results; the test modules compare them with their tables. A test module imports
``mlflow_script_results`` (and ``mlflow_env``, which it needs) to get the fixture
``script_results``. The error codes are those
MLflow's client reports for our answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.mlflow_env import MlflowEnv
from support.server_process import ServerProcess, start_server

__all__ = ["DOES_NOT_EXIST", "INVALID", "SCRIPTS", "TAKEN", "mlflow_script_results"]

SCRIPTS = Path(__file__).resolve().parents[1] / "integration" / "mlflow_scripts"
DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
INVALID = "INVALID_PARAMETER_VALUE"
TAKEN = "RESOURCE_ALREADY_EXISTS"


@pytest.fixture(scope="module", name="script_results")
def mlflow_script_results(
    mlflow_env: MlflowEnv, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Any]]:
    """Return ``results(script_name)``: the script's JSON, run once against its own server."""
    cache: dict[str, Any] = {}
    servers: list[ServerProcess] = []

    def results(name: str) -> Any:
        if name not in cache:
            root = tmp_path_factory.mktemp(name.removesuffix(".py"))
            server = start_server(root / "server")
            servers.append(server)
            try:
                cache[name] = mlflow_env.run_script(SCRIPTS / name, server.url, root / "work")
            except AssertionError as error:
                raise AssertionError(f"{error}\n--- server log ---\n{server.log()}") from None
        return cache[name]

    try:
        yield results
    finally:
        for server in servers:
            server.stop()
