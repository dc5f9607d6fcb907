"""Map every failure to an ``{"error_code", "message"}`` JSON response; never leak a traceback.

``TrackstoneError`` -> its ``http_status`` and ``code``; Starlette's routing errors -> 404
``ENDPOINT_NOT_FOUND`` / 405; anything else -> 500 ``INTERNAL_ERROR`` with a generic message
while the traceback goes to the server log only.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trackstone.api.encoding import encode
from trackstone.api.errors import ErrorBody, error_body
from trackstone.errors import InternalError, InvalidParameter, TrackstoneError

__all__ = [
    "EXCEPTION_HANDLERS",
    "GENERIC_INTERNAL_MESSAGE",
    "ErrorGuard",
    "RequestTooLarge",
    "error_response",
    "send_error",
]

logger = logging.getLogger(__name__)

GENERIC_INTERNAL_MESSAGE = "internal server error (details are in the server log)"
JSON_CONTENT_TYPE = "application/json"
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


def error_response(error: TrackstoneError) -> Response:
    """Return the JSON response that reports ``error``."""
    error = _public(error)
    return Response(error_body(error), status_code=error.http_status, media_type=JSON_CONTENT_TYPE)


async def send_error(send: Send, error: TrackstoneError) -> None:
    """Send ``error`` as a complete JSON response from raw ASGI code (middleware)."""
    body = error_body(_public(error))
    await send(
        {
            "type": "http.response.start",
            "status": error.http_status,
            "headers": [
                (b"content-type", JSON_CONTENT_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _on_trackstone_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, TrackstoneError)
    return error_response(error)


async def _on_http_exception(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    status = error.status_code
    if status in (404, 405):
        message = f"no endpoint {request.method} {request.url.path}"
    else:
        message = str(error.detail)
    code = _STATUS_CODES.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")
    body = encode(ErrorBody(error_code=code, message=message))
    return Response(body, status_code=status, headers=error.headers, media_type=JSON_CONTENT_TYPE)


async def _on_unexpected_error(request: Request, error: Exception) -> Response:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return Response(
        error_body(InternalError(GENERIC_INTERNAL_MESSAGE)),
        status_code=500,
        media_type=JSON_CONTENT_TYPE,
    )


Handler = Callable[[Request, Exception], Awaitable[Response]]

EXCEPTION_HANDLERS: Mapping[type[Exception], Handler] = {
    TrackstoneError: _on_trackstone_error,
    HTTPException: _on_http_exception,
    Exception: _on_unexpected_error,
}


class ErrorGuard:
    """The layer around Starlette: no exception reaches the ASGI server unanswered.

    Starlette answers an unexpected exception with the 500 handler above and then re-raises it;
    once that response is complete the exception is dropped here (the handler logged it).
    An exception before any response (a bug in a middleware) is logged and answered with 500.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        progress = _Progress(send)
        try:
            await self.app(scope, receive, progress.send)
        except Exception as error:
            if progress.complete:
                return
            if progress.started:
                raise  # a half-sent response: let the server abort the connection
            logger.error("unhandled error on %s %s", scope["method"], scope["path"], exc_info=error)
            await send_error(send, InternalError(GENERIC_INTERNAL_MESSAGE))


class _Progress:
    """Watch a response go out: started, and complete."""

    __slots__ = ("_send", "complete", "started")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False
        self.complete = False

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.started = True
        elif kind == "http.response.body" and not message.get("more_body", False):
            self.complete = True
        await self._send(message)
