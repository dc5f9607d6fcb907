"""Error bodies: exceptions to ``{"error_code", "message"}`` and back, by code or by status."""

from __future__ import annotations

import msgspec
import pytest

from trackstone.api.errors import error_body, error_from_response
from trackstone.errors import (
    AlreadyExists,
    InternalError,
    InvalidParameter,
    InvalidState,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    TrackstoneError,
    Unauthenticated,
)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidParameter("bad"), "INVALID_PARAMETER_VALUE"),
        (NotFound("gone"), "RESOURCE_DOES_NOT_EXIST"),
        (AlreadyExists("taken"), "RESOURCE_ALREADY_EXISTS"),
        (InvalidState("deleted"), "INVALID_STATE"),
        (ServiceUnavailable("busy"), "TEMPORARILY_UNAVAILABLE"),
    ],
)
def test_error_body_round_trips(error: TrackstoneError, code: str) -> None:
    body = error_body(error)
    assert msgspec.json.decode(body) == {"error_code": code, "message": error.message}
    back = error_from_response(error.http_status, body)
    assert (type(back), back.message) == (type(error), error.message)


@pytest.mark.parametrize(
    ("status", "body", "kind", "message"),
    [
        (
            400,
            b'{"error_code": "MALFORMED_REQUEST", "message": "no"}',
            InvalidParameter,
            "no",
        ),
        (404, b"", NotFound, "HTTP 404"),
        (401, b"<html>login</html>", Unauthenticated, "HTTP 401: <html>login</html>"),
        (403, b"[]", PermissionDenied, "HTTP 403: []"),
        (429, b"slow down", ServiceUnavailable, "HTTP 429: slow down"),
        (500, b"", InternalError, "HTTP 500"),
        (502, b"bad gateway", ServiceUnavailable, "HTTP 502: bad gateway"),
        (507, b"", ServiceUnavailable, "HTTP 507"),
        (418, b"{}", InternalError, "HTTP 418: {}"),
        (400, b"\xff" * 500, InvalidParameter, "HTTP 400: " + "\ufffd" * 200),
    ],
)
def test_error_from_response_without_a_usable_body_maps_by_status(
    status: int, body: bytes, kind: type[TrackstoneError], message: str
) -> None:
    error = error_from_response(status, body)
    assert (type(error), error.message) == (kind, message)
