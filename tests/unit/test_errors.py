"""The error tree keeps MLflow's codes and maps codes back to types."""

from __future__ import annotations

import pytest

from trackstone import errors


@pytest.mark.parametrize(
    ("cls", "code", "status"),
    [
        (errors.InvalidParameter, "INVALID_PARAMETER_VALUE", 400),
        (errors.Unauthenticated, "UNAUTHENTICATED", 401),
        (errors.PermissionDenied, "PERMISSION_DENIED", 403),
        (errors.NotFound, "RESOURCE_DOES_NOT_EXIST", 404),
        (errors.AlreadyExists, "RESOURCE_ALREADY_EXISTS", 400),
        (errors.InvalidState, "INVALID_STATE", 400),
        (errors.ServiceUnavailable, "TEMPORARILY_UNAVAILABLE", 503),
    ],
)
def test_codes_round_trip(cls: type[errors.TrackstoneError], code: str, status: int) -> None:
    assert (cls.code, cls.http_status) == (code, status)
    rebuilt = errors.error_for_code(code, "boom")
    assert type(rebuilt) is cls
    assert rebuilt.message == "boom"


@pytest.mark.parametrize(
    ("code", "cls"),
    [("BAD_REQUEST", errors.InvalidParameter), ("SOMETHING_NEW", errors.InternalError)],
)
def test_foreign_codes_map_to_the_nearest_type(code: str, cls: type) -> None:
    assert type(errors.error_for_code(code, "m")) is cls
