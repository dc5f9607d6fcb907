"""A moto S3 server on loopback for tests: one per test process, a fresh bucket per test.

Tests get credentials through the client's parameters; the environment is never changed.
"""

from __future__ import annotations

import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

# Dummy credentials: moto accepts any, and they keep boto3 from looking for real ones.
ACCESS_KEY_ID = "trackstone-test"
SECRET_ACCESS_KEY = "trackstone-test-secret"
REGION = "us-east-1"


def _client(endpoint_url: str, **config: Any) -> Any:
    """Build a boto3 S3 client for ``endpoint_url`` with the dummy credentials."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        region_name=REGION,
        config=Config(s3={"addressing_style": "path"}, **config),
    )


@dataclass(frozen=True)
class S3Server:
    """A running moto server, how to reach it, and a client shared by the session's tests."""

    endpoint_url: str
    client: Any

    def new_client(self, **config: Any) -> Any:
        """Return a new boto3 S3 client for this server (``config``: botocore Config options).

        Building a client takes about 0.3 s, so tests share ``client`` unless they need their own
        (for example to watch its requests).
        """
        return _client(self.endpoint_url, **config)

    def reset(self) -> None:
        """Drop every bucket and object the server holds."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


@dataclass(frozen=True)
class S3Bucket:
    """An empty bucket of its own for one test, with a client that can reach it."""

    server: S3Server
    name: str
    client: Any

    def uri(self, prefix: str = "") -> str:
        """Return ``s3://<bucket>/<prefix>``."""
        return f"s3://{self.name}/{prefix}" if prefix else f"s3://{self.name}"

    def keys(self) -> list[str]:
        """Return every key in the bucket, sorted."""
        paginator = self.client.get_paginator("list_objects_v2")
        return sorted(
            entry["Key"]
            for page in paginator.paginate(Bucket=self.name)
            for entry in page.get("Contents", ())
        )


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """Start moto's S3 server on 127.0.0.1 on a free port; stop it at the end of the session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint_url = f"http://{host}:{port}"
    try:
        yield S3Server(endpoint_url=endpoint_url, client=_client(endpoint_url))
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> Iterator[S3Bucket]:
    """Create an empty bucket for one test; wipe the server afterwards to free its memory."""
    name = f"trackstone-{uuid.uuid4().hex[:16]}"
    s3_server.client.create_bucket(Bucket=name)
    try:
        yield S3Bucket(server=s3_server, name=name, client=s3_server.client)
    finally:
        s3_server.reset()
