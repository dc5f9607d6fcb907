"""Error bodies on the wire: ``{"error_code": ..., "message": ...}`` and back to exceptions."""

from __future__ import annotations

import msgspec

from trackstone.errors import (
    InternalError,
    InvalidParameter,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    TrackstoneError,
    Unauthenticated,
    error_for_code,
)

__all__ = ["ErrorBody", "error_body", "error_from_response"]

_MAX_QUOTED_BODY_CHARS = 200
_BY_STATUS: dict[int, type[TrackstoneError]] = {
    400: InvalidParameter,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    429: ServiceUnavailable,
    500: InternalError,
    502: ServiceUnavailable,
    503: ServiceUnavailable,
    504: ServiceUnavailable,
}


class ErrorBody(msgspec.Struct, kw_only=True):
    """The body of every error response; ``error_code`` is an MLflow ErrorCode name."""

    error_code: str = "INTERNAL_ERROR"
    message: str = ""


_DECODER = msgspec.json.Decoder(ErrorBody)
_ENCODER = msgspec.json.Encoder()


def error_body(error: TrackstoneError) -> bytes:
    """Return the JSON body that reports ``error`` (send it with ``error.http_status``)."""
    return _ENCODER.encode(ErrorBody(error_code=error.code, message=error.message))


def error_from_response(http_status: int, body: bytes) -> TrackstoneError:
    """Return the exception an error response stands for (a client-side read).

    A body with an ``error_code`` maps by code; anything else (a proxy's HTML page, an empty
    body) maps by HTTP status.
    """
    try:
        decoded = _DECODER.decode(body)
    except (msgspec.MsgspecError, RecursionError):
        decoded = None
    if decoded is not None and decoded.error_code and decoded.message:
        return error_for_code(decoded.error_code, decoded.message)
    text = body[:_MAX_QUOTED_BODY_CHARS].decode("utf-8", errors="replace").strip()
    message = f"HTTP {http_status}" + (f": {text}" if text else "")
    kind = _BY_STATUS.get(http_status)
    if kind is None:
        kind = ServiceUnavailable if http_status >= 500 else InternalError
    return kind(message)
