"""Translate botocore and s3transfer errors into Trackstone errors.

S3 names its errors with codes (``NoSuchKey``, ``AccessDenied``, ``SlowDown``...); HEAD
requests carry only the HTTP status, which stands in as the code (``404``). Missing objects
and buckets are ``NotFound``, refused credentials ``PermissionDenied``, throttling, 5xx and
connection failures ``ServiceUnavailable``, keys S3 refuses ``InvalidParameter``; anything
else is an ``InternalError`` naming the code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore import exceptions as boto_errors  # type: ignore[import-untyped]
from s3transfer.exceptions import RetriesExceededError  # type: ignore[import-untyped]

from trackstone.errors import (
    InternalError,
    InvalidParameter,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    TrackstoneError,
)

__all__ = ["error_for_code", "translate_s3_error", "translated"]

_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NotFound", "404", "NoSuchUpload"})
_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "403",
        "AllAccessDisabled",
        "AccountProblem",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
    }
)
_UNAVAILABLE_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestTimeout",
        "ServiceUnavailable",
        "InternalError",
        "503",
        "500",
    }
)
_INVALID_CODES = frozenset({"KeyTooLongError", "InvalidObjectName", "InvalidBucketName"})


def _client_error_details(error: Any) -> tuple[str, int, str]:
    """Return the error code, HTTP status and message of a botocore ``ClientError``."""
    response = getattr(error, "response", None) or {}
    details = response.get("Error", {})
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    code = str(details.get("Code") or status or "Unknown")
    return code, int(status or 0), str(details.get("Message") or code)


def error_for_code(code: str, status: int, message: str, subject: str) -> TrackstoneError:
    """Pick the Trackstone error for an S3 error code (falling back on the HTTP status; 0 if
    unknown). ``subject`` says what was being done, for the message.
    """
    if code == "NoSuchBucket":
        return NotFound(f"{subject}: the bucket does not exist")
    if code in _NOT_FOUND_CODES or (status == 404 and code not in _DENIED_CODES):
        return NotFound(f"{subject} does not exist")
    if code in _DENIED_CODES or status in (401, 403):
        return PermissionDenied(f"{subject}: access denied by the object store ({code})")
    if code in _UNAVAILABLE_CODES or status == 429 or status >= 500:
        return ServiceUnavailable(f"{subject}: the object store is unavailable ({code})")
    if code in _INVALID_CODES:
        return InvalidParameter(f"{subject}: refused by the object store ({code}: {message})")
    return InternalError(f"{subject}: object store error {code}: {message}")


def translate_s3_error(error: BaseException, subject: str) -> TrackstoneError | None:
    """Return the Trackstone error for a botocore/s3transfer error, or None if not one.

    Args:
        error: the exception raised by boto3, botocore or s3transfer.
        subject: what was being done, for the message (e.g. ``"artifact 'a.txt'"``).
    """
    if isinstance(error, boto_errors.ClientError):
        return error_for_code(*_client_error_details(error), subject)
    if isinstance(error, (boto_errors.NoCredentialsError, boto_errors.PartialCredentialsError)):
        return PermissionDenied(
            f"{subject}: no usable S3 credentials; set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or use an instance or pod role"
        )
    if isinstance(error, boto_errors.ParamValidationError):
        return InvalidParameter(f"{subject}: {error}")
    if isinstance(
        error, (boto_errors.ConnectionError, boto_errors.HTTPClientError, RetriesExceededError)
    ):
        return ServiceUnavailable(f"{subject}: cannot reach the object store ({error})")
    if isinstance(error, boto_errors.BotoCoreError):
        return InternalError(f"{subject}: object store client error: {error}")
    return None


@contextmanager
def translated(subject: str) -> Iterator[None]:
    """Re-raise botocore errors met while working on ``subject`` as Trackstone errors."""
    try:
        yield
    except (boto_errors.ClientError, boto_errors.BotoCoreError, RetriesExceededError) as error:
        ours = translate_s3_error(error, subject)
        if ours is None:  # pragma: no cover - every type caught here is translated
            raise
        raise ours from error
