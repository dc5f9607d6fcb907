"""``GET /api/3.0/mlflow/server-info``: the server's set-up, as the MLflow 3 client asks it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from trackstone.api.server_info import ServerInfoResponse
from trackstone.config import ServerSettings
from trackstone.server.bodies import respond
from trackstone.store.base import TrackingStore

__all__ = ["get_server_info"]


async def get_server_info(request: Request, store: TrackingStore) -> Response:
    """Answer which optional features this server offers (never secrets or addresses)."""
    settings: ServerSettings = request.app.state.settings
    # The proxy offers client-driven multipart uploads only when it stores in S3.
    multipart = settings.serve_artifacts and settings.artifacts_destination.startswith("s3://")
    return respond(
        ServerInfoResponse(
            multipart_uploads_enabled=multipart,
            presigned_upload_run_id_supported=False,
            presigned_upload_model_id_supported=False,
        )
    )
