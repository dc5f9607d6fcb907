"""The static import graph of the UI's ES modules, for each page's ``modulepreload`` links."""

from __future__ import annotations

import re
from functools import cache

from trackstone.server.ui.assets import STATIC_DIR

__all__ = ["JS_PREFIX", "module_preloads", "static_imports"]

JS_PREFIX = "/static/js/"
_JS_DIR = STATIC_DIR / "js"
# `import ... from "./x.js"` (possibly over several lines) and `import "./x.js"`; a dynamic
# `import("./x.js")` is deliberately not matched: it loads on demand, not with the page.
_STATIC_IMPORT = re.compile(
    r"^[ \t]*import\s+(?:[^;\"'()]*?\s*from\s*)?[\"']\./([\w.-]+\.js)[\"']", re.MULTILINE
)


@cache
def static_imports(module: str) -> tuple[str, ...]:
    """Return the modules that ``static/js/<module>`` imports statically, in source order.

    Read once per module for the server's lifetime: the files ship with the package.
    """
    text = (_JS_DIR / module).read_text(encoding="utf-8")
    return tuple(dict.fromkeys(_STATIC_IMPORT.findall(text)))


def module_preloads(entry: str, *extra: str) -> list[str]:
    """Return the URLs a page should preload: every module ``entry`` (and ``extra``) imports.

    Without them the browser discovers one level of imports per round trip. The entry
    itself is left out (its ``<script>`` tag loads it); each ``extra`` module (one the page
    imports dynamically at once, like the run page's charts) is listed with its imports.
    """
    seen: dict[str, None] = {}
    pending = [entry, *extra]
    while pending:
        module = pending.pop(0)
        if module in seen:
            continue
        seen[module] = None
        pending.extend(static_imports(module))
    # The URLs must equal what the imports resolve to (no ?v=), or the browser fetches twice.
    return [JS_PREFIX + module for module in seen if module != entry]
