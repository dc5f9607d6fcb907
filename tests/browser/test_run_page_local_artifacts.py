"""A server without the proxy (--no-serve-artifacts): run artifacts previewed via get-artifact."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.server_process import ServerProcess, start_server
from trackstone import TrackstoneClient
from trackstone.config import Settings

LOG_TEXT = "epoch 0: loss=1.0\nepoch 1: loss=0.5\n"
SVG = (
    "<svg xmlns='http://www.w3.org/2000/svg' width='30' height='10' "
    "onload='document.title=\"PWNED\"'><rect width='30' height='10'/></svg>"
)


@dataclass(frozen=True)
class LocalRun:
    """A server started with --no-serve-artifacts and a run whose files sit in a local folder."""

    process: ServerProcess
    run_id: str
    artifact_uri: str


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRun]:
    base = tmp_path_factory.mktemp("no-proxy")
    process = start_server(base / "server", "--no-serve-artifacts")
    client = TrackstoneClient(
        settings=Settings(tracking_uri=process.url, spool_dir=base / "spool", async_logging=False)
    )
    try:
        experiment_id = client.create_experiment("local files")
        run = client.create_run(experiment_id, run_name="no-proxy")
        files = base / "files"
        (files / "logs").mkdir(parents=True)
        (files / "logs" / "train.log").write_text(LOG_TEXT)
        (files / "curve.svg").write_text(SVG)
        client.log_artifacts(run.info.run_id, str(files))
        yield LocalRun(process, run.info.run_id, run.info.artifact_uri)
    finally:
        client.close()
        process.stop()


def _select(page: Any, local_run: LocalRun, path: str) -> Any:
    page.goto(f"{local_run.process.url}/runs/{local_run.run_id}#artifacts")
    parts = path.split("/")
    for depth in range(1, len(parts)):
        page.locator(f"button.tree-dir[data-path='{'/'.join(parts[:depth])}']").click()
    page.locator(f"button.tree-file[data-path='{path}']").click()
    page.wait_for_selector(".preview-body:not([aria-busy])")
    return page.locator(".preview-body")


def test_the_runs_files_are_not_behind_the_proxy(local_run: LocalRun) -> None:
    assert not local_run.artifact_uri.startswith("mlflow-artifacts:")
    assert Path(local_run.artifact_uri, "logs", "train.log").read_text() == LOG_TEXT


def test_a_text_file_previews_and_downloads(page: Any, local_run: LocalRun) -> None:
    body = _select(page, local_run, "logs/train.log")
    assert body.locator("pre").inner_text() == LOG_TEXT
    link = page.locator("a[data-role='download']")
    assert "/ajax-api/2.0/mlflow/get-artifact?" in link.get_attribute("href")
    with page.expect_download() as started:
        link.click()
    download = started.value
    assert download.suggested_filename == "train.log"
    assert Path(download.path()).read_text() == LOG_TEXT


def test_an_svg_stays_in_the_sandbox(page: Any, local_run: LocalRun) -> None:
    body = _select(page, local_run, "curve.svg")
    frame = body.locator("iframe").element_handle().content_frame()
    frame.wait_for_function("() => document.querySelector('img')?.complete")
    assert frame.evaluate("() => document.querySelector('img').naturalWidth") == 30
    assert page.title() != "PWNED"
