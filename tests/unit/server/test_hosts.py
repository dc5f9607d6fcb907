"""The Host allowlist: entry forms, defaults per bind address, loopback detection."""

from __future__ import annotations

import pytest

from trackstone.server.hosts import HostPolicy, default_allowed_hosts, is_loopback, split_host


@pytest.mark.parametrize(
    ("allowed", "host", "expected"),
    [
        (["localhost"], "localhost", True),
        (["localhost"], "localhost:5000", True),
        (["localhost"], "LOCALHOST:5000", True),
        (["localhost"], "localhost.evil.test", False),
        (["localhost"], "evil.test", False),
        (["localhost:5000"], "localhost:5000", True),
        (["localhost:5000"], "localhost:5001", False),
        (["localhost:5000"], "localhost", False),
        (["*.example.org"], "a.example.org", True),
        (["*.example.org"], "a.b.example.org:8080", True),
        (["*.example.org"], "example.org", False),
        (["*.example.org"], "evilexample.org", False),
        (["[::1]"], "[::1]:5000", True),
        (["[::1]"], "[::2]:5000", False),
        (["*"], "anything.test", True),
        (["localhost"], "", False),
        (["localhost"], None, False),
        ([], "localhost", False),
    ],
)
def test_host_policy(allowed: list[str], host: str | None, expected: bool) -> None:
    assert HostPolicy(allowed).allows(host) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Example.ORG:80", ("example.org", "80")),
        ("example.org", ("example.org", "")),
        ("[::1]:5000", ("[::1]", "5000")),
        ("[::1]", ("[::1]", "")),
    ],
)
def test_split_host(value: str, expected: tuple[str, str]) -> None:
    assert split_host(value) == expected


@pytest.mark.parametrize(
    ("bind", "expected"),
    [
        ("127.0.0.1", ("localhost", "127.0.0.1", "[::1]")),
        ("::1", ("localhost", "127.0.0.1", "[::1]")),
        ("127.0.0.2", ("localhost", "127.0.0.1", "[::1]", "127.0.0.2")),
        ("0.0.0.0", ("localhost", "127.0.0.1", "[::1]")),
        ("::", ("localhost", "127.0.0.1", "[::1]")),
        ("10.1.2.3", ("localhost", "127.0.0.1", "[::1]", "10.1.2.3")),
        ("fd00::5", ("localhost", "127.0.0.1", "[::1]", "[fd00::5]")),
        ("Tracking.Example", ("localhost", "127.0.0.1", "[::1]", "tracking.example")),
    ],
)
def test_default_allowed_hosts(bind: str, expected: tuple[str, ...]) -> None:
    assert default_allowed_hosts(bind) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("app.localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected
