"""The server's one outer ASGI layer: security checks, direct answers, and every error.

``Gateway`` is ``SecurityMiddleware`` (hosts, origins, body limits, security headers) that then
either answers a request itself, by the ``DirectCall`` registered for its exact path and method
(``trackstone.server.direct``), or passes it to Starlette's router. Either way an exception
raised before the response started is answered here as JSON (``send_exception``: a Trackstone
error with its status and code, a routing error as 404/405, anything else as a generic 500
whose traceback goes only to the log), so no traceback reaches a client and no request goes
unanswered. It stands in for Starlette's own error and exception middlewares, which the app
does not build (``TrackstoneApp``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from trackstone.errors import TrackstoneError
from trackstone.server.direct import DirectCall
from trackstone.server.errors import send_exception
from trackstone.server.hosts import HostPolicy
from trackstone.server.security import SECURITY_HEADERS, HeaderSend, SecurityMiddleware

__all__ = ["Gateway"]

logger = logging.getLogger(__name__)


class Gateway(SecurityMiddleware):
    """Protect, answer directly where possible, and turn every failure into a JSON answer.

    Args:
        app: the application behind (Starlette's router).
        direct: the direct calls, by (path, method).
        hosts, cors_allowed_origins, max_request_bytes, max_artifact_bytes,
        artifact_upload_prefixes: as for ``SecurityMiddleware``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        direct: Mapping[tuple[str, str], DirectCall] | None = None,
        hosts: HostPolicy,
        cors_allowed_origins: Iterable[str] = (),
        max_request_bytes: int,
        max_artifact_bytes: int | None = None,
        artifact_upload_prefixes: Iterable[str] = (),
    ) -> None:
        super().__init__(
            app,
            hosts=hosts,
            cors_allowed_origins=cors_allowed_origins,
            max_request_bytes=max_request_bytes,
            max_artifact_bytes=max_artifact_bytes,
            artifact_upload_prefixes=artifact_upload_prefixes,
        )
        self.direct = dict(direct or {})

    async def forward(
        self, scope: Scope, receive: Receive, send: Send, extra: tuple[tuple[bytes, bytes], ...]
    ) -> None:
        if scope["type"] != "http":
            await super().forward(scope, receive, send, extra)
            return
        if not scope.get("root_path"):
            call = self.direct.get((scope["path"], scope["method"]))
            if call is not None:
                await _answer_directly(call, scope, receive, send, extra)
                return
        headers_send = HeaderSend(send, extra)
        try:
            await self.app(scope, receive, headers_send)
        except Exception as error:
            if headers_send.complete:
                if not isinstance(error, (TrackstoneError, ClientDisconnect)):
                    logger.error(
                        "error after answering %s %s",
                        scope["method"],
                        scope["path"],
                        exc_info=error,
                    )
                return
            if headers_send.started:
                raise  # a half-sent response: let the server abort the connection
            if isinstance(error, ClientDisconnect):
                return  # nobody to answer
            await send_exception(headers_send, scope, error)


async def _answer_directly(
    call: DirectCall,
    scope: Scope,
    receive: Receive,
    send: Send,
    extra: tuple[tuple[bytes, bytes], ...],
) -> None:
    """Send the 200 answer of ``call``, or the JSON error for what it raised."""
    try:
        body = await call(scope, receive)
    except Exception as error:
        await send_exception(HeaderSend(send, extra), scope, error)
        return
    if body is None:
        return  # the client went away while sending the request
    headers = [
        (b"content-type", call.content_type),
        (b"content-length", str(len(body)).encode()),
        *SECURITY_HEADERS,
        *extra,
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
