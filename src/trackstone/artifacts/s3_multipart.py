"""Client-driven S3 multipart uploads: presigned part URLs, completion and abort.

The server starts an upload, hands the client one presigned ``UploadPart`` URL per part, and
completes (or aborts) it with the ETags the client collected, so large files go straight to
the bucket in parallel parts. Object keys come from ``S3ArtifactRepository``'s root and a path
that ``safe_relative_path`` accepted, so no key outside the root is ever named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trackstone.artifacts.paths import safe_relative_path
from trackstone.artifacts.s3 import S3ArtifactRepository, parse_s3_uri
from trackstone.artifacts.s3_errors import translated
from trackstone.errors import InvalidParameter

__all__ = ["MAX_PARTS", "PartUrl", "abort_upload", "complete_upload", "create_upload"]

MAX_PARTS = 10_000
DEFAULT_EXPIRES_S = 3600


@dataclass(frozen=True)
class PartUrl:
    """Where the client PUTs part ``part_number`` (1-based)."""

    part_number: int
    url: str


def _key(repo: S3ArtifactRepository, artifact_path: str) -> str:
    relative = safe_relative_path(artifact_path)
    if not relative:
        raise InvalidParameter("artifact path '': must name a file, not the root")
    _, prefix = parse_s3_uri(repo.root_uri)
    return f"{prefix}/{relative}" if prefix else relative


def create_upload(
    repo: S3ArtifactRepository,
    artifact_path: str,
    num_parts: int,
    *,
    expires_s: int = DEFAULT_EXPIRES_S,
) -> tuple[str, list[PartUrl]]:
    """Start a multipart upload of ``artifact_path``; return its id and one URL per part.

    Raises:
        InvalidParameter: the path is unsafe or ``num_parts`` is not within 1..10,000.
    """
    if not 1 <= num_parts <= MAX_PARTS:
        raise InvalidParameter(f"num_parts: must be between 1 and {MAX_PARTS}, got {num_parts}")
    key = _key(repo, artifact_path)
    client = repo.client
    with translated(f"artifact {artifact_path!r}"):
        upload_id = str(client.create_multipart_upload(Bucket=repo.bucket, Key=key)["UploadId"])
        urls = [
            PartUrl(
                number,
                client.generate_presigned_url(
                    "upload_part",
                    Params={
                        "Bucket": repo.bucket,
                        "Key": key,
                        "UploadId": upload_id,
                        "PartNumber": number,
                    },
                    ExpiresIn=expires_s,
                ),
            )
            for number in range(1, num_parts + 1)
        ]
    return upload_id, urls


def complete_upload(
    repo: S3ArtifactRepository,
    artifact_path: str,
    upload_id: str,
    parts: Sequence[tuple[int, str]],
) -> None:
    """Assemble the uploaded ``(part_number, etag)`` parts into the object ``artifact_path``.

    Raises:
        InvalidParameter: no parts, or the store refused the parts.
    """
    if not parts:
        raise InvalidParameter("parts: at least one uploaded part is required")
    key = _key(repo, artifact_path)
    ordered = sorted(parts)
    with translated(f"artifact {artifact_path!r}"):
        repo.client.complete_multipart_upload(
            Bucket=repo.bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={
                "Parts": [{"PartNumber": number, "ETag": etag} for number, etag in ordered]
            },
        )


def abort_upload(repo: S3ArtifactRepository, artifact_path: str, upload_id: str) -> None:
    """Abort a multipart upload, dropping the parts uploaded so far."""
    key = _key(repo, artifact_path)
    with translated(f"artifact {artifact_path!r}"):
        repo.client.abort_multipart_upload(Bucket=repo.bucket, Key=key, UploadId=upload_id)
