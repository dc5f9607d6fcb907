"""Read a request into its message struct and write a response message as JSON."""

from __future__ import annotations

from typing import TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from trackstone.api.decoding import decode_request
from trackstone.api.encoding import encode

__all__ = ["JSON_MEDIA_TYPE", "parse", "respond"]

T = TypeVar("T")

JSON_MEDIA_TYPE = "application/json"


async def parse(request: Request, struct_type: type[T]) -> T:
    """Return the message a request carries: its JSON body, or its query string if no body.

    Raises:
        InvalidParameter: the request does not describe a valid ``struct_type``.
        RequestTooLarge: the body is over the server's limit (raised while reading it).
    """
    body = await request.body()
    query: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        query.setdefault(key, []).append(value)
    return decode_request(struct_type, body, query)


def respond(message: msgspec.Struct) -> Response:
    """Return a 200 JSON response holding ``message``."""
    return Response(encode(message), media_type=JSON_MEDIA_TYPE)
