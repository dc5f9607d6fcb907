"""Answer hot calls straight from ASGI messages, with no Starlette Request or Response.

A ``DirectRoute`` is an ordinary Starlette route that also carries a ``DirectCall``: the
server's outer layer (``trackstone.server.gateway``) finds it by exact path and method, awaits
it for the response body, and sends that body with prebuilt headers. Building a Request, its
query parameters, a Response and its headers, and passing the messages through Starlette's
layers cost more than a small call's own work. Everything else, and the same paths reached
another way (``HEAD``, a ``root_path``), goes through the Starlette route as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol
from urllib.parse import parse_qsl

from starlette.routing import Route
from starlette.types import Receive, Scope

from trackstone.api.decoding import decode_request
from trackstone.api.encoding import encode
from trackstone.server.handlers import MessageHandler
from trackstone.store.base import TrackingStore

__all__ = [
    "JSON_CONTENT_TYPE",
    "DirectCall",
    "DirectRoute",
    "JsonCall",
    "PlainCall",
    "query_values",
    "read_body",
]

JSON_CONTENT_TYPE = b"application/json"
_TEXT_CONTENT_TYPE = b"text/plain; charset=utf-8"


class DirectCall(Protocol):
    """Answer one request with a 200 body of ``content_type`` (None: the client has gone)."""

    content_type: bytes

    async def __call__(self, scope: Scope, receive: Receive) -> bytes | None: ...


class DirectRoute(Route):
    """A Starlette route whose requests the outer layer may answer with ``direct`` instead."""

    def __init__(
        self, path: str, endpoint: Callable[..., Any], *, methods: list[str], direct: DirectCall
    ) -> None:
        super().__init__(path, endpoint, methods=methods)
        self.direct = direct


async def read_body(receive: Receive) -> bytes | None:
    """Return the whole request body, or None if the client disconnected first."""
    message = await receive()
    if message["type"] != "http.request":
        return None
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        return body
    chunks = [body]
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def query_values(query_string: bytes) -> dict[str, list[str]]:
    """Return each query key's values, decoded as Starlette's ``QueryParams`` decodes them.

    Text with nothing to unquote (no ``%``, no ``+``: ``run_id=...&metric_key=loss``) is split
    here, several times faster than ``parse_qsl``, which does the rest.
    """
    text = query_string.decode("latin-1")
    pairs: Iterable[tuple[str, str]]
    if "%" in text or "+" in text:
        pairs = parse_qsl(text, keep_blank_values=True)
    else:
        pairs = [_split_field(field) for field in text.split("&") if field]
    query: dict[str, list[str]] = {}
    for key, value in pairs:
        values = query.get(key)
        if values is None:
            query[key] = [value]
        else:
            values.append(value)
    return query


def _split_field(field: str) -> tuple[str, str]:
    key, _, value = field.partition("=")
    return key, value


class JsonCall:
    """Decode a route's request message, run its message handler, encode the answer.

    The message comes from the JSON body, or from the query string when the body is empty,
    exactly as ``trackstone.server.bodies.parse`` reads it.
    """

    __slots__ = ("_function", "_store", "_struct_type")

    content_type = JSON_CONTENT_TYPE

    def __init__(
        self, struct_type: type[Any], handler: MessageHandler, store: TrackingStore
    ) -> None:
        self._struct_type = struct_type
        self._function = handler.function
        self._store = store

    async def __call__(self, scope: Scope, receive: Receive) -> bytes | None:
        body = await read_body(receive)
        if body is None:
            return None
        query = (
            None if body and not body.isspace() else query_values(scope.get("query_string", b""))
        )
        message = decode_request(self._struct_type, body, query)
        return encode(await self._function(message, self._store))


class PlainCall:
    """Answer a constant text (``/health``, ``/version``)."""

    __slots__ = ("_body",)

    content_type = _TEXT_CONTENT_TYPE

    def __init__(self, text: str) -> None:
        self._body = text.encode()

    async def __call__(self, scope: Scope, receive: Receive) -> bytes | None:
        return self._body
