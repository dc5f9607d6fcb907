"""Artifact messages on the wire: ``artifacts/list`` and the ``mlflow-artifacts`` proxy.

The proxy's paths (MLflow's ``mlflow_artifacts.proto``), under ``/api/2.0``:

- ``GET|PUT|DELETE /mlflow-artifacts/artifacts/<path>``: download, upload (raw body), delete;
- ``GET /mlflow-artifacts/artifacts?path=``: list a folder (entries named relative to it);
- ``POST /mlflow-artifacts/mpu/{create,complete,abort}/<folder>``: multipart uploads, where
  the body's ``path`` is the client's local file whose base name is uploaded into ``<folder>``.

Trackstone's own extension (``trackstone.server.artifact_batches``), under ``/api/2.0``:

- ``GET|PUT /trackstone-artifacts/tar/<folder>``: a whole folder as one uncompressed tar stream
  (``application/x-tar``), downloaded or uploaded (all or nothing) in one request.
"""

from __future__ import annotations

import msgspec

from trackstone.api.messages import Request, Response, RunRequest
from trackstone.api.scalars import Int64

__all__ = [
    "BATCH_TAR_PATH",
    "PROXY_ARTIFACTS_PATH",
    "PROXY_MPU_PATH",
    "PROXY_PREFIX",
    "AbortMultipartUpload",
    "CompleteMultipartUpload",
    "CreateMultipartUpload",
    "CreateMultipartUploadResponse",
    "ListArtifacts",
    "ListArtifactsResponse",
    "ListProxiedArtifacts",
    "ListProxiedArtifactsResponse",
    "MultipartUploadCredential",
    "MultipartUploadPart",
    "WireFileInfo",
]

PROXY_PREFIX = "/mlflow-artifacts"
PROXY_ARTIFACTS_PATH = f"{PROXY_PREFIX}/artifacts"
PROXY_MPU_PATH = f"{PROXY_PREFIX}/mpu"
BATCH_TAR_PATH = "/trackstone-artifacts/tar"


class ListArtifacts(RunRequest, kw_only=True, frozen=True):
    """GET artifacts/list: the direct children of a folder of a run's artifacts."""

    path: str | None = None
    page_token: str | None = None


class WireFileInfo(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A file or folder; ``is_dir`` is always sent (MLflow's clients index it), no size for
    folders."""

    path: str
    is_dir: bool
    file_size: Int64 | None = None


class ListArtifactsResponse(Response, kw_only=True):
    """The run's artifact root URI, one page of entries, and the next page's token."""

    root_uri: str | None = None
    files: list[WireFileInfo] = msgspec.field(default_factory=list)
    next_page_token: str | None = None


class ListProxiedArtifacts(Request, kw_only=True, frozen=True):
    """GET mlflow-artifacts/artifacts: a folder relative to the artifacts destination."""

    path: str | None = None


class ListProxiedArtifactsResponse(Response, kw_only=True):
    """The folder's direct children, each ``path`` being a name relative to the folder."""

    files: list[WireFileInfo] = msgspec.field(default_factory=list)


class CreateMultipartUpload(Request, kw_only=True, frozen=True):
    """POST mpu/create/<folder>: start uploading the file ``path`` (its base name) in parts."""

    path: str
    num_parts: Int64 | None = None


class MultipartUploadCredential(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Where to PUT one part: a presigned URL and the headers to send with it."""

    url: str
    part_number: Int64
    headers: dict[str, str] = msgspec.field(default_factory=dict)


class CreateMultipartUploadResponse(Response, kw_only=True):
    """The upload's id and one credential per part."""

    upload_id: str | None = None
    credentials: list[MultipartUploadCredential] = msgspec.field(default_factory=list)


class MultipartUploadPart(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """An uploaded part: its number and the ETag the object store answered."""

    part_number: Int64
    etag: str = ""
    url: str | None = None


class CompleteMultipartUpload(Request, kw_only=True, frozen=True):
    """POST mpu/complete/<folder>: assemble the uploaded parts into the file."""

    path: str
    upload_id: str | None = None
    parts: list[MultipartUploadPart] = msgspec.field(default_factory=list)


class AbortMultipartUpload(Request, kw_only=True, frozen=True):
    """POST mpu/abort/<folder>: drop the parts uploaded so far."""

    path: str
    upload_id: str | None = None
