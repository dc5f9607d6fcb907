"""Run the ``trackstone`` command in-process against a store URI; open that store for checks.

A test module imports ``sqlite_uri`` and ``store_at_uri`` to get the fixtures ``uri`` and
``store``; a module that defines its own ``uri`` (another backend) gets a ``store`` there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from trackstone.cli.main import main
from trackstone.store.sql.store import SqlStore

__all__ = ["assert_one_line_error", "cli", "cli_json", "sqlite_uri", "store_at_uri"]


@pytest.fixture(name="uri")
def sqlite_uri(tmp_path: Path) -> str:
    """The URI of a SQLite store in tmp_path (created on first use)."""
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture(name="store")
def store_at_uri(uri: str, tmp_path: Path) -> Iterator[SqlStore]:
    """The store at ``uri``, opened in-process, with artifacts in tmp_path."""
    opened = SqlStore(uri, artifact_root=str(tmp_path / "artifacts"))
    try:
        yield opened
    finally:
        opened.close()


def cli(uri: str, *args: str, stdin: str | None = None) -> Result:
    """Run ``trackstone --tracking-uri URI ARGS`` in-process, with ``stdin`` as its input."""
    return CliRunner().invoke(main, ["--tracking-uri", uri, *args], input=stdin)


def cli_json(uri: str, *args: str) -> Any:
    """Run a command with ``--json``; assert it succeeded and return what it printed."""
    result = cli(uri, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_one_line_error(result: Result, exit_code: int, fragment: str) -> None:
    """Assert the command failed with ``exit_code`` and one ``Error:`` line holding ``fragment``."""
    assert result.exit_code == exit_code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.output
