"""The wire contract: request/response messages and the ROUTES table, shared by server and client.

Modules: ``experiments``, ``runs``, ``records`` (metrics/params/tags and log requests),
``inputs``, ``metrics`` (history), ``artifacts``; ``decoding`` turns bytes into requests,
``encoding`` messages into bytes, ``errors`` error bodies; ``routes`` and ``openapi`` describe
every endpoint. Depends only on ``trackstone.entities`` and ``trackstone.errors``.
"""

from trackstone.api.decoding import decode_request, decode_response
from trackstone.api.encoding import encode
from trackstone.api.errors import error_body, error_from_response
from trackstone.api.routes import ROUTES, Route, route_named

__all__ = [
    "ROUTES",
    "Route",
    "decode_request",
    "decode_response",
    "encode",
    "error_body",
    "error_from_response",
    "route_named",
]
