"""Schemathesis fuzzes every operation of the served OpenAPI document on a real server process.

The operations come from the document the server serves (built in-process here, so pytest can
collect one test per operation; a test checks that the served one is identical). Each operation
gets a bounded number of generated requests, valid and invalid ones; every response must be a
non-5xx answer whose status, content type and body conform to the document. The ``/ajax-api``
aliases are skipped: they route to the same handlers as ``/api``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from support.server_process import ServerProcess, running_server  # noqa: E402
from trackstone import __version__  # noqa: E402
from trackstone.api.openapi import openapi_document  # noqa: E402
from trackstone.server.routing import OPENAPI_PATH  # noqa: E402

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Run one server (SQLite, proxied artifacts) for the whole module."""
    with running_server(tmp_path_factory.mktemp("fuzz")) as server:
        yield server


schema = schemathesis.openapi.from_dict(openapi_document(__version__)).include(path_regex=r"^/api/")


def test_served_document_is_the_fuzzed_one(fuzzed_server: ServerProcess) -> None:
    connection = fuzzed_server.connection()
    try:
        connection.request("GET", OPENAPI_PATH)
        served = json.loads(connection.getresponse().read())
    finally:
        connection.close()
    assert served == openapi_document(__version__)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_operation_never_fails_and_conforms(case: Any, fuzzed_server: ServerProcess) -> None:
    case.call_and_validate(base_url=fuzzed_server.url, checks=CHECKS)
