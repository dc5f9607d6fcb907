"""Journeys in a run's artifacts browser: the folder tree and each kind of preview."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser.conftest import UiServer
from browser.run_sample import CSV_ROWS, IMAGE_SIZE, RunSample, fill_run_sample


@pytest.fixture(scope="module")
def sample(ui_server: UiServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunSample]:
    """The run-page sample (filled once per server)."""
    folder = tmp_path_factory.mktemp("run-artifacts")
    database = Path(ui_server.process.log_path).parent / "trackstone.db"
    yield fill_run_sample(ui_server.client, folder, database)


def _preview(page: Any, ui_server: UiServer, run_id: str, path: str) -> Any:
    """Open the artifacts tab, unfold the folders of `path`, select it; return the body."""
    page.goto(f"{ui_server.url}/runs/{run_id}#artifacts")
    page.wait_for_selector("#main:not([aria-busy])")
    parts = path.split("/")
    for depth in range(1, len(parts)):
        page.locator(f"button.tree-dir[data-path='{'/'.join(parts[:depth])}']").click()
    page.locator(f"button.tree-file[data-path='{path}']").click()
    page.wait_for_selector(f".preview-head .wrap:text-is('{path}')")
    page.wait_for_selector(".preview-body:not([aria-busy])")
    return page.locator(".preview-body")


def test_tree_lists_folders_first_and_loads_them_lazily(
    page: Any, ui_server: UiServer, sample: RunSample
) -> None:
    page.goto(f"{ui_server.url}/runs/{sample.full}#artifacts")
    page.locator("#artifact-tree > li").first.wait_for()
    top = page.locator("#artifact-tree > li > button").evaluate_all(
        "buttons => buttons.map(b => b.dataset.path)"
    )
    assert top == [
        "logs",
        "model",
        "plots",
        "README.md",
        "config.json",
        "metrics.csv",
        "params.yaml",
        "report.html",
    ]
    assert page.locator("button.tree-file[data-path='logs/train.log']").count() == 0
    page.locator("button.tree-dir[data-path='logs']").press("Enter")
    page.locator("button.tree-file[data-path='logs/train.log']").wait_for()
    assert (
        page.locator("button.tree-dir[data-path='logs']").get_attribute("aria-expanded") == "true"
    )


def test_text_preview_is_text(page: Any, ui_server: UiServer, sample: RunSample) -> None:
    body = _preview(page, ui_server, sample.full, "logs/train.log")
    text = body.locator("pre").inner_text()
    assert text.startswith("epoch 0: loss=1.0000 <b>not bold</b>")
    assert body.locator("pre b").count() == 0
    download = page.locator("a[data-role='download']")
    assert download.get_attribute("href").endswith("/artifacts/logs/train.log")


def test_image_preview_loads(page: Any, ui_server: UiServer, sample: RunSample) -> None:
    body = _preview(page, ui_server, sample.full, "plots/confusion.png")
    image = body.locator("img.preview-image")
    page.wait_for_function("() => document.querySelector('img.preview-image')?.complete")
    assert image.evaluate("i => [i.naturalWidth, i.naturalHeight]") == list(IMAGE_SIZE)


def test_csv_preview_is_a_table(page: Any, ui_server: UiServer, sample: RunSample) -> None:
    body = _preview(page, ui_server, sample.full, "metrics.csv")
    headers = body.locator("thead th").all_text_contents()
    rows = body.locator("tbody tr")
    assert headers == list(CSV_ROWS[0])
    assert rows.count() == len(CSV_ROWS) - 1
    assert rows.nth(3).locator("td").all_text_contents() == list(CSV_ROWS[4])


@pytest.mark.parametrize(
    ("path", "key_texts"),
    [
        ("config.json", ['"model"', '"layers"', '"dropout"']),
        ("params.yaml", ["optimizer", "schedule", "warmup", "kind"]),
    ],
)
def test_structured_previews_are_pretty(
    page: Any, ui_server: UiServer, sample: RunSample, path: str, key_texts: list[str]
) -> None:
    body = _preview(page, ui_server, sample.full, path)
    assert body.locator(".json-key").all_text_contents() == key_texts
    if path.endswith(".json"):
        shown = body.locator("pre").inner_text()
        assert json.loads(shown) == {"model": "vit", "layers": [4, 8], "dropout": 0.1}
        assert "\n  " in shown  # indented, not the file's one line


def test_markdown_preview_is_safe(page: Any, ui_server: UiServer, sample: RunSample) -> None:
    body = _preview(page, ui_server, sample.full, "README.md")
    assert body.locator("h1").inner_text() == "Notes"
    links = body.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert links == ["https://example.org/docs"]  # the javascript: link is text only
    assert "and bad." in body.inner_text()  # the whole target was consumed, then dropped
    assert body.locator("img").count() == 0
    assert "<img src=x onerror=alert(1)>" in body.inner_text()
    assert body.locator("table td").all_text_contents() == ["1", "2"]


def test_mlmodel_preview_shows_flavors_and_signature(
    page: Any, ui_server: UiServer, sample: RunSample
) -> None:
    body = _preview(page, ui_server, sample.full, "model/MLmodel")
    flavors = body.locator(".flavor > h4").all_text_contents()
    inputs = body.locator(".signature .spec").first.locator("tbody tr td:first-child")
    assert flavors == ["python_function", "sklearn"]
    assert inputs.all_text_contents() == ["sepal_length", "sepal_width"]


@pytest.mark.parametrize("path", ["report.html", "plots/curve.svg"])
def test_active_content_stays_in_a_sandbox(
    page: Any, ui_server: UiServer, sample: RunSample, path: str
) -> None:
    body = _preview(page, ui_server, sample.full, path)
    frame_element = body.locator("iframe")
    assert frame_element.get_attribute("sandbox") == ""
    frame = frame_element.element_handle().content_frame()
    frame.wait_for_load_state()
    if path.endswith(".html"):
        assert frame.locator("#report-title").inner_text() == "Evaluation report"
        assert frame.evaluate("() => document.body.dataset.ran") is None
    else:
        page.wait_for_function(
            "() => document.querySelector('.preview-frame').contentDocument === null"
        )
        frame.wait_for_function("() => document.querySelector('img')?.complete")
        assert frame.evaluate("() => document.querySelector('img').naturalWidth") == 120
    assert page.title() != "PWNED"


def test_a_linked_artifact_opens_in_its_folder(
    page: Any, ui_server: UiServer, sample: RunSample
) -> None:
    page.goto(f"{ui_server.url}/runs/{sample.full}#artifacts&artifact=model/MLmodel")
    page.locator(".preview-body[data-kind='mlmodel']").wait_for()
    current = page.locator("button.tree-file[aria-current='true']")
    assert current.get_attribute("data-path") == "model/MLmodel"
    assert page.locator("#tab-artifacts").get_attribute("aria-selected") == "true"
