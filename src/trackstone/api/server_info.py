"""``GET /api/3.0/mlflow/server-info``: what the MLflow 3 client asks a server about itself."""

from __future__ import annotations

import msgspec

from trackstone.api.messages import Request, Response

__all__ = ["GetServerInfo", "ServerInfoResponse"]


class GetServerInfo(Request, kw_only=True, frozen=True):
    """GET server-info: no fields."""


class ServerInfoResponse(Response, kw_only=True, omit_defaults=False):
    """The server's set-up; every field is always sent (clients read them with defaults)."""

    store_type: str | None = "SqlStore"
    workspaces_enabled: bool = False
    trace_archival_enabled: bool = False
    multipart_uploads_enabled: bool = False
    multipart_downloads_enabled: bool = False
    presigned_upload_run_id_supported: bool = False
    presigned_upload_model_id_supported: bool = False
    features_enabled: dict[str, bool] = msgspec.field(default_factory=lambda: {"gateway": False})
