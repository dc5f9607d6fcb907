"""Base classes of the request and response messages, and the run_id / run_uuid rule.

Every message ignores fields it does not know, as protobuf JSON does. Requests are keyword-only
and omit defaults when encoded, so clients send small bodies; responses omit unset fields the
way protobuf JSON leaves out fields that were never set.
"""

from __future__ import annotations

import msgspec

__all__ = ["EmptyResponse", "Request", "Response", "RunRequest"]


class Request(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """A request body (POST) or query (GET) of one endpoint."""


class Response(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A response body of one endpoint."""


class EmptyResponse(Response, kw_only=True):
    """The ``{}`` that write endpoints answer with."""


class RunRequest(Request, kw_only=True, frozen=True):
    """A request naming a run by ``run_id`` or by its deprecated alias ``run_uuid``.

    After construction ``run_id`` always holds the id; a request with neither is refused.
    """

    run_id: str = ""
    run_uuid: str = ""

    def __post_init__(self) -> None:
        if not self.run_id:
            if not self.run_uuid:
                raise ValueError("run_id: this field is required")
            msgspec.structs.force_setattr(self, "run_id", self.run_uuid)
