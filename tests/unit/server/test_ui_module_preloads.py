"""Each UI page preloads every module its entry module imports, so they load in one round."""

from __future__ import annotations

import re

import pytest

from support.asgi_client import TestClient
from trackstone.server.ui.assets import STATIC_DIR, TEMPLATES_DIR
from trackstone.server.ui.module_graph import module_preloads

# A plainer reading of the imports than the server's: any `from "./x.js"` or `import "./x.js"`.
_IMPORTED = re.compile(r"(?:\bfrom|^import)\s*\"\./([\w.-]+\.js)\"", re.MULTILINE)
_PAGE_MODULES = re.compile(r"{% set page_modules = \[([^\]]*)\] %}")


def _closure(modules: list[str]) -> set[str]:
    seen: set[str] = set()
    pending = list(modules)
    while pending:
        module = pending.pop()
        if module not in seen:
            seen.add(module)
            text = (STATIC_DIR / "js" / module).read_text(encoding="utf-8")
            pending.extend(_IMPORTED.findall(text))
    return seen


def _page_modules(template: str) -> list[str]:
    found = _PAGE_MODULES.search((TEMPLATES_DIR / template).read_text(encoding="utf-8"))
    assert found, f"{template} sets no page_modules"
    return [name.strip().strip('"') for name in found.group(1).split(",")]


@pytest.mark.parametrize(
    ("template", "modules"),
    [
        ("experiments.html", ["experiments.js"]),
        ("runs.html", ["runs.js"]),
        ("run.html", ["run.js"]),
        ("compare.html", ["compare.js"]),
        ("models.html", ["models.js"]),
        ("model.html", ["model.js"]),
        ("model_version.html", ["model_version.js"]),
    ],
)
def test_each_page_preloads_its_whole_import_graph(template: str, modules: list[str]) -> None:
    assert _page_modules(template) == modules
    entry = modules[0]
    text = (TEMPLATES_DIR / template).read_text(encoding="utf-8")
    assert f'src="/static/js/{entry}?v={{{{ version }}}}"' in text
    preloaded = module_preloads(*modules)
    wanted = _closure(modules) - {entry}
    assert set(preloaded) == {f"/static/js/{module}" for module in wanted}
    assert len(preloaded) == len(set(preloaded))


def test_modules_imported_only_on_demand_are_not_preloaded() -> None:
    # run.js imports artifacts.js when the Artifacts tab opens; it must not load with the page.
    preloaded = module_preloads("run.js")
    assert "/static/js/charts.js" in preloaded
    assert "/static/js/artifacts.js" not in preloaded
    assert "/static/js/artifact_previews.js" not in preloaded


@pytest.mark.parametrize(
    ("path", "link"),
    [
        ("/", '<link rel="modulepreload" href="/static/js/filters.js">'),
        ("/experiments/0", '<link rel="modulepreload" href="/static/js/columns.js">'),
        ("/models", '<link rel="modulepreload" href="/static/js/model_widgets.js">'),
    ],
)
def test_pages_carry_the_preload_links(client: TestClient, path: str, link: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert link in response.text
