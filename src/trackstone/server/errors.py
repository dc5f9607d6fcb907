"""Map every failure to an ``{"error_code", "message"}`` JSON response; never leak a traceback.

``TrackstoneError`` -> its ``http_status`` and ``code``; Starlette's routing errors -> 404
``ENDPOINT_NOT_FOUND`` / 405; anything else -> 500 ``INTERNAL_ERROR`` with a generic message
while the traceback goes to the server log only. ``send_exception`` is the one place that
answers an exception; the server's outer layer (``trackstone.server.gateway``) calls it.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.types import Scope, Send

from trackstone.api.encoding import encode
from trackstone.api.errors import ErrorBody, error_body
from trackstone.errors import InternalError, InvalidParameter, TrackstoneError

__all__ = [
    "GENERIC_INTERNAL_MESSAGE",
    "RequestTooLarge",
    "send_error",
    "send_exception",
]

logger = logging.getLogger(__name__)

GENERIC_INTERNAL_MESSAGE = "internal server error (details are in the server log)"
_JSON_CONTENT_TYPE = b"application/json"
_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "ENDPOINT_NOT_FOUND",
    405: "ENDPOINT_NOT_FOUND",
    413: "INVALID_PARAMETER_VALUE",
}


class RequestTooLarge(InvalidParameter):
    """The request body exceeds the server's ``max_request_bytes``."""

    http_status = 413


def _public(error: TrackstoneError) -> TrackstoneError:
    """Return the error as clients may see it: internal failures lose their details."""
    if error.http_status >= 500 and error.code == InternalError.code:
        logger.error("internal error: %s", error.message, exc_info=error)
        return InternalError(GENERIC_INTERNAL_MESSAGE)
    return error


async def _send_json(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", _JSON_CONTENT_TYPE),
                (b"content-length", str(len(body)).encode()),
                *(headers or ()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, error: TrackstoneError) -> None:
    """Send ``error`` as a complete JSON response from raw ASGI code."""
    error = _public(error)
    await _send_json(send, error.http_status, error_body(error))


async def send_exception(send: Send, scope: Scope, error: Exception) -> None:
    """Answer any exception raised while serving ``scope`` (before a response started).

    Unexpected exceptions are logged with their traceback and answered with a generic 500.
    """
    if isinstance(error, TrackstoneError):
        await send_error(send, error)
        return
    if isinstance(error, HTTPException):
        status = error.status_code
        if status in (404, 405):
            message = f"no endpoint {scope['method']} {scope['path']}"
        else:
            message = str(error.detail)
        code = _STATUS_CODES.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")
        headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in (error.headers or {}).items()
        ]
        await _send_json(send, status, encode(ErrorBody(error_code=code, message=message)), headers)
        return
    logger.error("unhandled error on %s %s", scope["method"], scope["path"], exc_info=error)
    await _send_json(send, 500, error_body(InternalError(GENERIC_INTERNAL_MESSAGE)))
