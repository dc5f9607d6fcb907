"""One REST call: a ``ROUTES`` row's request sent through ``HttpClient``, its answer decoded.

``RestStore``, ``RestRegistry`` and ``RestLoggedModels`` all send their calls this way: a
route with POST among its methods is sent as POST, GET requests go as query strings, every
other method carries a JSON body, and ``{name}`` path parameters are filled in quoted.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from typing import TypeVar
from urllib.parse import quote

import msgspec

from trackstone.api.decoding import decode_response
from trackstone.api.encoding import encode
from trackstone.api.messages import Request, Response
from trackstone.api.routes import route_named
from trackstone.client.http import HttpClient

__all__ = ["call_route", "query_pairs"]

R = TypeVar("R", bound=Response)


def call_route(
    http: HttpClient,
    name: str,
    request: Request,
    response_type: type[R],
    *,
    safe: bool,
    path_params: Mapping[str, str] | None = None,
) -> R:
    """Send ``request`` to the route called ``name``; return its decoded response.

    ``safe`` says whether a retry can never repeat an effect (see ``HttpClient.request``).
    """
    route = route_named(name)
    path = route.api_path
    if path_params:
        path = path.format(**{key: quote(value, safe="") for key, value in path_params.items()})
    method = "POST" if "POST" in route.methods else route.methods[0]
    if method == "GET":
        query = query_pairs(request, exclude=path_params or ())
        body = http.request(method, path, query=query, safe=safe)
    else:
        body = http.request(method, path, body=encode(request), safe=safe)
    return decode_response(response_type, body)


def query_pairs(request: Request, exclude: Container[str] = ()) -> list[tuple[str, str]]:
    """Return a GET request's set fields as query pairs; a list field repeats its key.

    Fields named in ``exclude`` (those already in the path) are left out.
    """
    pairs: list[tuple[str, str]] = []
    for name, value in msgspec.to_builtins(request).items():
        if name in exclude:
            continue
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item is None:
                continue
            text = ("true" if item else "false") if isinstance(item, bool) else str(item)
            pairs.append((name, text))
    return pairs
