"""Render a page template into an HTML response carrying the UI's Content-Security-Policy."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from starlette.responses import HTMLResponse

from trackstone import __version__
from trackstone.server.ui.assets import TEMPLATES_DIR, vendor_ready
from trackstone.server.ui.module_graph import module_preloads

__all__ = ["UI_CONTENT_SECURITY_POLICY", "render_page"]

# Our pages load only our own scripts, styles and images: no inline code, no third party.
UI_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


@lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["module_preloads"] = module_preloads
    return environment


def render_page(
    template: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Return ``template`` rendered with ``context`` (every value escaped) as an HTML page.

    Every template sees ``version`` (for cache-busting asset URLs) and ``vendor_ready``.
    """
    values = {"version": __version__, "vendor_ready": vendor_ready(), "nav": "", **(context or {})}
    body = _environment().get_template(template).render(values)
    return HTMLResponse(
        body,
        status_code=status_code,
        headers={
            "content-security-policy": UI_CONTENT_SECURITY_POLICY,
            "cache-control": "no-store",
        },
    )
