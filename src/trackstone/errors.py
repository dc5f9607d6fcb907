"""The error tree: every failure a caller can act on, with a stable code and HTTP status.

Codes are MLflow's ``ErrorCode`` names so that the ``mlflow`` client, which branches on them,
behaves the same against Trackstone. The server maps these to ``{"error_code", "message"}``
bodies and the REST store maps the bodies back, so callers catch the same type locally and
remotely.
"""

from __future__ import annotations

__all__ = [
    "AlreadyExists",
    "InternalError",
    "InvalidParameter",
    "InvalidState",
    "NotFound",
    "PermissionDenied",
    "ServiceUnavailable",
    "TrackstoneError",
    "Unauthenticated",
    "error_for_code",
]


class TrackstoneError(Exception):
    """Base of every error Trackstone raises on purpose."""

    code: str = "INTERNAL_ERROR"
    http_status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def error_code(self) -> str:
        """The code under MLflow's attribute name, for ``except MlflowException`` handlers."""
        return self.code


class InvalidParameter(TrackstoneError):
    """A value the caller supplied breaks a rule (bad key, too long, wrong type...)."""

    code = "INVALID_PARAMETER_VALUE"
    http_status = 400


class Unauthenticated(TrackstoneError):
    """The request carries no valid credentials."""

    code = "UNAUTHENTICATED"
    http_status = 401


class PermissionDenied(TrackstoneError):
    """The caller is known but may not do this."""

    code = "PERMISSION_DENIED"
    http_status = 403


class NotFound(TrackstoneError):
    """The experiment, run, metric or artifact named does not exist."""

    code = "RESOURCE_DOES_NOT_EXIST"
    http_status = 404


class AlreadyExists(TrackstoneError):
    """A name that must be unique is taken."""

    code = "RESOURCE_ALREADY_EXISTS"
    http_status = 400


class InvalidState(TrackstoneError):
    """The target exists but its state forbids the change (e.g. logging to a deleted run)."""

    code = "INVALID_STATE"
    http_status = 400


class ServiceUnavailable(TrackstoneError):
    """The store cannot answer right now (database locked, server down); retrying may work."""

    code = "TEMPORARILY_UNAVAILABLE"
    http_status = 503


class InternalError(TrackstoneError):
    """A bug or an unexpected failure on our side."""

    code = "INTERNAL_ERROR"
    http_status = 500


_BY_CODE: dict[str, type[TrackstoneError]] = {
    cls.code: cls
    for cls in (
        InvalidParameter,
        Unauthenticated,
        PermissionDenied,
        NotFound,
        AlreadyExists,
        InvalidState,
        ServiceUnavailable,
        InternalError,
    )
}
# Codes MLflow uses that mean the same thing as one of ours.
_BY_CODE.update(
    {
        "BAD_REQUEST": InvalidParameter,
        "MALFORMED_REQUEST": InvalidParameter,
        "INVALID_REQUEST": InvalidParameter,
        "ENDPOINT_NOT_FOUND": NotFound,
        "NOT_FOUND": NotFound,
        "RESOURCE_CONFLICT": AlreadyExists,
        "REQUEST_LIMIT_EXCEEDED": ServiceUnavailable,
    }
)


def error_for_code(code: str, message: str) -> TrackstoneError:
    """Build the error whose ``code`` matches, falling back to ``InternalError``."""
    return _BY_CODE.get(code, InternalError)(message)
