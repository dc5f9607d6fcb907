"""Liveness and version: ``GET /health`` answers ``OK``, ``GET /version`` the version string."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from trackstone import __version__
from trackstone.server.direct import DirectRoute, PlainCall

__all__ = ["health_routes"]


async def health(request: Request) -> PlainTextResponse:
    """Answer ``OK`` while the process serves requests (load balancers poll this)."""
    return PlainTextResponse("OK")


async def version(request: Request) -> PlainTextResponse:
    """Answer the Trackstone version, as ``mlflow server`` answers its own."""
    return PlainTextResponse(__version__)


def health_routes() -> list[Route]:
    """Return the ``/health`` and ``/version`` routes (answered directly when possible)."""
    return [
        DirectRoute("/health", health, methods=["GET"], direct=PlainCall("OK")),
        DirectRoute("/version", version, methods=["GET"], direct=PlainCall(__version__)),
    ]
