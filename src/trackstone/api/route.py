"""One row of the endpoint table: a handler name, its HTTP methods, path and messages."""

from __future__ import annotations

from dataclasses import dataclass

from trackstone.api.messages import Request, Response

__all__ = ["Route"]


@dataclass(frozen=True)
class Route:
    """One endpoint: ``name`` is the handler's name (and the RestStore method's)."""

    name: str
    methods: tuple[str, ...]
    path: str
    request: type[Request]
    response: type[Response]
    summary: str
    api_version: str = "2.0"

    @property
    def paths(self) -> tuple[str, str]:
        """The full paths: the ``/api/...`` one first, then the ``/ajax-api/...`` alias."""
        return (self.api_path, f"/ajax-api/{self.api_version}{self.path}")

    @property
    def api_path(self) -> str:
        """The ``/api/<version>/...`` path clients call."""
        return f"/api/{self.api_version}{self.path}"
