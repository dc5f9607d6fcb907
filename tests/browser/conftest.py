"""Browser test fixtures: a real ``trackstone server`` with sample data and Debian's Chromium.

Chromium is the Debian package (``make test`` installs it), driven by Playwright for Python;
``playwright install`` is never run. Each test gets a fresh browser context (its own cookies
and localStorage) at 1280x800; a failing test leaves a screenshot in ``tests/browser/failures/``.
Every page's console errors (CSP violations included) and uncaught exceptions fail the test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from browser.registry_sample_data import fill_registry_data
from browser.sample_data import fill_sample_data
from support.server_process import ServerProcess, start_server
from trackstone import TrackstoneClient
from trackstone.config import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
FAILURES_DIR = Path(__file__).parent / "failures"
VIEWPORT = {"width": 1280, "height": 800}
# Condition waits, not sleeps: how long a UI change may take to show up before the test fails.
WAIT_MS = 10_000
_CLIENT_ERROR_LOG = re.compile(r"Failed to load resource: the server responded with a status of 4")


def _unavailable(reason: str) -> None:
    """Skip locally, but fail under CI: CI must run the browser tests."""
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"browser tests need {reason}")


@dataclass
class UiServer:
    """The running server, a client of it and the ids of the sample data."""

    process: ServerProcess
    client: TrackstoneClient
    ids: dict[str, str]

    @property
    def url(self) -> str:
        return self.process.url


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """Start one server per test process and fill it with the sample data."""
    data_dir = tmp_path_factory.mktemp("ui-server")
    process = start_server(data_dir / "server")
    settings = Settings(tracking_uri=process.url, spool_dir=data_dir / "spool", async_logging=False)
    client = TrackstoneClient(settings=settings)
    try:
        ids = fill_sample_data(client)
        yield UiServer(process, client, ids)
    finally:
        client.close()
        process.stop()


@pytest.fixture(scope="session")
def registry_ids(ui_server: UiServer) -> dict[str, str]:
    """Register the sample models (once per test process); return their runs' ids by name."""
    return fill_registry_data(ui_server.client)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Launch headless Debian Chromium once per test process (a fresh profile of its own)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} (apt-get install chromium, or run make test)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's report on the item, so the page fixture can see a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Return a page in a fresh context; fail on console errors; screenshot on failure."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    problems: list[str] = []

    def on_console(message: Any) -> None:
        # A 4xx answer is logged by Chromium too; the UI shows those itself (bad filters).
        # Messages of sandboxed artifact previews (srcdoc frames) are theirs, not the page's:
        # "Blocked script execution" there is the sandbox doing its job.
        if message.location.get("url") == "about:srcdoc":
            return
        if message.type == "error" and not _CLIENT_ERROR_LOG.match(message.text):
            problems.append(f"console {message.type}: {message.text}")

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    try:
        yield opened
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            FAILURES_DIR.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
            opened.screenshot(path=str(FAILURES_DIR / f"{name}.png"), full_page=True)
        assert not problems, "the page reported errors:\n" + "\n".join(problems)
    finally:
        context.close()
