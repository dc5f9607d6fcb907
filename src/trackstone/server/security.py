"""Browser and resource protections applied to every request, as one pure ASGI middleware.

In order, for each HTTP request:

1. ``Host`` must be on the allowlist (DNS rebinding) -> else 403.
2. A state-changing method (POST, PUT, PATCH, DELETE) carrying an ``Origin`` must come from
   the server's own origin or a configured CORS origin (cross-site request forgery) -> else 403.
3. A CORS preflight from a configured origin is answered here; no CORS headers otherwise.
4. A body whose ``Content-Length`` exceeds the limit -> 413 before a byte of it is read; a body
   without one (chunked) is counted while the application reads it, and refused the same way.
   Artifact uploads (PUT under ``artifact_upload_prefixes``) have their own, larger limit.
5. Every response gets ``nosniff``, ``X-Frame-Options: DENY`` and a referrer policy; HTML and
   SVG responses also get a Content-Security-Policy unless the handler set its own.

Only header checks run per request; no request or response object is built. An accepted
request goes on through ``forward``, which the server's outer layer
(``trackstone.server.gateway``) extends.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trackstone.errors import InvalidParameter, PermissionDenied, TrackstoneError
from trackstone.server.errors import RequestTooLarge, send_error
from trackstone.server.hosts import HostPolicy

__all__ = ["CONTENT_SECURITY_POLICY", "SECURITY_HEADERS", "HeaderSend", "SecurityMiddleware"]

STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
CONTENT_SECURITY_POLICY = (
    b"default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    b"frame-ancestors 'none'"
)
_SECURITY_NAMES = frozenset([name for name, _ in SECURITY_HEADERS] + [b"content-security-policy"])
_ACTIVE_CONTENT_TYPES = (b"text/html", b"image/svg+xml", b"application/xhtml+xml")
_CORS_METHODS = b"GET, POST, PUT, PATCH, DELETE, OPTIONS"
_CORS_HEADERS = b"authorization, content-type"
_CORS_MAX_AGE_S = b"600"
_MAX_SHOWN_CHARS = 100
_MAX_CACHED_HOSTS = 256
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _shown(value: bytes) -> str:
    return repr(value[:_MAX_SHOWN_CHARS].decode("latin-1"))


def _same_origin(origin: bytes, host: bytes) -> bool:
    """Tell whether ``origin`` (``scheme://name[:port]``) names the server reached via ``host``."""
    scheme, separator, netloc = origin.decode("latin-1").lower().partition("://")
    default_port = _DEFAULT_PORTS.get(scheme)
    if not separator or default_port is None:
        return False  # "null", file://, chrome-extension://...: never our own pages
    host_text = host.decode("latin-1").lower()
    netloc = netloc.removesuffix(":" + default_port)
    return host_text in (netloc, f"{netloc}:{default_port}")


class SecurityMiddleware:
    """Refuse foreign hosts, cross-site writes and oversized bodies; add security headers.

    Args:
        app: the application to protect.
        hosts: which ``Host`` headers name this server.
        cors_allowed_origins: origins given CORS headers (``*`` for any); none by default.
        max_request_bytes: the largest request body accepted.
        max_artifact_bytes: the largest body of a PUT under ``artifact_upload_prefixes``
            (streamed artifact uploads); ``max_request_bytes`` when None.
        artifact_upload_prefixes: path prefixes of the artifact upload routes.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        hosts: HostPolicy,
        cors_allowed_origins: Iterable[str] = (),
        max_request_bytes: int,
        max_artifact_bytes: int | None = None,
        artifact_upload_prefixes: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.hosts = hosts
        origins = {origin.strip().rstrip("/").lower() for origin in cors_allowed_origins}
        self.cors_any = "*" in origins
        self.cors_origins = frozenset(origin.encode("latin-1") for origin in origins - {"*"})
        self.max_request_bytes = max_request_bytes
        self.max_artifact_bytes = max_artifact_bytes or max_request_bytes
        self.artifact_upload_prefixes = tuple(artifact_upload_prefixes)
        # Clients send few distinct Host values; remembering the verdicts saves parsing each.
        self._host_verdicts: dict[bytes, bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = origin = content_length = None
        preflight = False
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"origin":
                origin = value
            elif name == b"content-length":
                content_length = value
            elif name == b"access-control-request-method":
                preflight = True
        cors = origin is not None and (self.cors_any or origin.lower() in self.cors_origins)
        extra = _cors_headers(origin) if cors and origin is not None else ()
        error = self._refusal(scope, host, origin, content_length, cors)
        if error is not None:
            await _refuse(scope, HeaderSend(send, extra), error)
        elif cors and preflight and scope.get("method") == "OPTIONS":
            await _answer_preflight(HeaderSend(send, extra))
        else:
            if scope["type"] == "http" and content_length is None:
                # A body of unknown length (chunked): counted while the application reads it.
                receive = _LimitedReceive(receive, self._limit_for(scope))
            await self.forward(scope, receive, send, extra)

    async def forward(
        self, scope: Scope, receive: Receive, send: Send, extra: tuple[tuple[bytes, bytes], ...]
    ) -> None:
        """Pass an accepted request to the application; its response gets the security
        headers and ``extra`` (CORS) headers.

        The application normally answers the ``RequestTooLarge`` raised while it reads a
        chunked body (Trackstone's handlers do); one that lets it escape before responding
        gets the 413 from here.
        """
        headers_send = HeaderSend(send, extra)
        try:
            await self.app(scope, receive, headers_send)
        except RequestTooLarge as error:
            if headers_send.started:
                raise
            await send_error(headers_send, error)

    def _refusal(
        self,
        scope: Scope,
        host: bytes | None,
        origin: bytes | None,
        content_length: bytes | None,
        cors: bool,
    ) -> TrackstoneError | None:
        """Return why the request must be refused before the application sees it, if it must."""
        if host is None or not self._allows(host):
            shown = "no Host header" if host is None else f"Host {_shown(host)}"
            return PermissionDenied(
                f"{shown} is not allowed: the server answers only the names it is "
                "configured for (start it with --allowed-hosts to add one)"
            )
        method = scope.get("method", "GET")
        if (
            origin is not None
            and method in STATE_CHANGING_METHODS
            and not cors
            and not _same_origin(origin, host)
        ):
            return PermissionDenied(
                f"cross-origin {method} from {_shown(origin)} refused: "
                "the origin is not this server's (see --cors-allowed-origins)"
            )
        if content_length is not None and scope["type"] == "http":
            return self._check_length(content_length, self._limit_for(scope))
        return None

    def _limit_for(self, scope: Scope) -> int:
        """Return the body limit of a request: artifact uploads have their own."""
        if (
            self.artifact_upload_prefixes
            and scope.get("method") == "PUT"
            and scope["path"].startswith(self.artifact_upload_prefixes)
        ):
            return self.max_artifact_bytes
        return self.max_request_bytes

    def _allows(self, host: bytes) -> bool:
        verdict = self._host_verdicts.get(host)
        if verdict is None:
            verdict = self.hosts.allows(host.decode("latin-1"))
            if len(self._host_verdicts) < _MAX_CACHED_HOSTS:
                self._host_verdicts[host] = verdict
        return verdict

    def _check_length(self, content_length: bytes, limit: int) -> InvalidParameter | None:
        if not content_length.isdigit():
            return InvalidParameter(
                f"Content-Length: must be a number, got {_shown(content_length)}"
            )
        if int(content_length) > limit:
            return _too_large(limit)
        return None


def _too_large(limit: int) -> RequestTooLarge:
    return RequestTooLarge(f"request body: larger than the server's limit of {limit} bytes")


async def _refuse(scope: Scope, send: Send, error: TrackstoneError) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    await send_error(send, error)


async def _answer_preflight(send: Send) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _cors_headers(origin: bytes) -> tuple[tuple[bytes, bytes], ...]:
    return (
        (b"access-control-allow-origin", origin),
        (b"access-control-allow-methods", _CORS_METHODS),
        (b"access-control-allow-headers", _CORS_HEADERS),
        (b"access-control-max-age", _CORS_MAX_AGE_S),
        (b"vary", b"Origin"),
    )


class HeaderSend:
    """Add the security headers (and ``extra`` headers) to the response start; tell whether
    the response has started and whether it is complete."""

    __slots__ = ("_send", "complete", "extra", "started")

    def __init__(self, send: Send, extra: tuple[tuple[bytes, bytes], ...] = ()) -> None:
        self._send = send
        self.extra = extra
        self.started = False
        self.complete = False

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.started = True
            message["headers"] = _with_security_headers(message.get("headers", ()), self.extra)
        elif kind == "http.response.body" and not message.get("more_body", False):
            self.complete = True
        await self._send(message)


def _with_security_headers(
    headers: Iterable[tuple[bytes, bytes]], extra: tuple[tuple[bytes, bytes], ...]
) -> list[tuple[bytes, bytes]]:
    result = list(headers)
    content_type = b""
    own: set[bytes] = set()
    for name, value in result:
        name = name.lower()
        if name == b"content-type":
            content_type = value
        elif name in _SECURITY_NAMES:
            own.add(name)
    result.extend(item for item in SECURITY_HEADERS if item[0] not in own)
    result.extend(extra)
    if b"content-security-policy" not in own and content_type.lower().startswith(
        _ACTIVE_CONTENT_TYPES
    ):
        result.append((b"content-security-policy", CONTENT_SECURITY_POLICY))
    return result


class _LimitedReceive:
    """Count body bytes as the application reads them; past the limit, raise RequestTooLarge."""

    __slots__ = ("_limit", "_receive", "_received")

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self._limit = limit
        self._received = 0

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self._received += len(message.get("body", b""))
            if self._received > self._limit:
                raise _too_large(self._limit)
        return message
