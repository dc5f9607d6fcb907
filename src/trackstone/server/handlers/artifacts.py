"""Run artifact endpoints of the tracking API: ``artifacts/list``."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from trackstone.api.artifacts import ListArtifacts, ListArtifactsResponse, WireFileInfo
from trackstone.artifacts.base import FileInfo
from trackstone.server.artifact_roots import roots_of
from trackstone.server.bodies import parse, respond
from trackstone.store.base import TrackingStore

__all__ = ["list_artifacts"]


def wire_file_info(info: FileInfo, path: str | None = None) -> WireFileInfo:
    """Return the wire form of a listing entry, named ``path`` (default: its own path)."""
    return WireFileInfo(
        path=info.path if path is None else path, is_dir=info.is_dir, file_size=info.file_size
    )


async def list_artifacts(request: Request, store: TrackingStore) -> Response:
    """Answer the direct children of a folder of a run's artifacts (paths from the run's root)."""
    message = await parse(request, ListArtifacts)
    run = await run_in_threadpool(store.get_run, message.run_id)
    artifact_uri = run.info.artifact_uri
    roots = roots_of(request.app.state)

    def listing() -> list[FileInfo]:
        return roots.repository_for_run(artifact_uri).list_artifacts(message.path)

    infos = await run_in_threadpool(listing)
    return respond(
        ListArtifactsResponse(root_uri=artifact_uri, files=[wire_file_info(info) for info in infos])
    )
