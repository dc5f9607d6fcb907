"""Artifact listings on the wire: ``artifacts/list`` and its file entries."""

from __future__ import annotations

import msgspec

from trackstone.api.messages import Response, RunRequest
from trackstone.api.scalars import Int64

__all__ = ["ListArtifacts", "ListArtifactsResponse", "WireFileInfo"]


class ListArtifacts(RunRequest, kw_only=True, frozen=True):
    """GET artifacts/list: the direct children of a folder of a run's artifacts."""

    path: str | None = None
    page_token: str | None = None


class WireFileInfo(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A file or folder: path relative to the run's artifact root; no size for folders."""

    path: str
    is_dir: bool = False
    file_size: Int64 | None = None


class ListArtifactsResponse(Response, kw_only=True):
    """The run's artifact root URI, one page of entries, and the next page's token."""

    root_uri: str | None = None
    files: list[WireFileInfo] = msgspec.field(default_factory=list)
    next_page_token: str | None = None
