"""Connections to a server: proxies from the environment, certificate checks, CA bundles.

Servers here are loopback threads: a "proxy" that records what reaches it and answers every
request itself, and an HTTPS server with a self-signed certificate made for the test.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from trackstone.artifacts.proxied import ProxiedArtifactRepository
from trackstone.client.http import HttpClient, HttpOptions
from trackstone.errors import ServiceUnavailable
from trackstone.transport import ca_bundle, proxy_for

NO_RETRIES = HttpOptions(max_retries=0)
_PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)


@pytest.fixture(autouse=True)
def _no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test without the machine's proxy and CA settings."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


# -- which proxy a URL goes through -------------------------------------------------------

PROXY = "http://proxy.internal:3128"


@pytest.mark.parametrize(
    ("url", "proxies", "expected"),
    [
        ("http://tracking.example:5000", {}, None),
        ("http://tracking.example:5000", {"http": PROXY}, PROXY),
        ("https://tracking.example", {"http": PROXY}, None),
        ("https://tracking.example", {"https": PROXY}, PROXY),
        ("https://tracking.example", {"all": PROXY}, PROXY),
        ("http://tracking.example", {"http": PROXY, "no": "*"}, None),
        ("http://tracking.example", {"http": PROXY, "no": "other.example"}, PROXY),
        ("http://tracking.example", {"http": PROXY, "no": "tracking.example"}, None),
        ("http://tracking.example", {"http": PROXY, "no": " other , TRACKING.example "}, None),
        ("http://a.tracking.example", {"http": PROXY, "no": "tracking.example"}, None),
        ("http://a.tracking.example", {"http": PROXY, "no": ".tracking.example"}, None),
        ("http://nottracking.example", {"http": PROXY, "no": "tracking.example"}, PROXY),
        ("http://tracking.example:5000", {"http": PROXY, "no": "tracking.example:5000"}, None),
        ("http://tracking.example:5001", {"http": PROXY, "no": "tracking.example:5000"}, PROXY),
        ("http://10.1.2.3:5000", {"http": PROXY, "no": "10.0.0.0/8"}, None),
        ("http://11.1.2.3:5000", {"http": PROXY, "no": "10.0.0.0/8"}, PROXY),
        ("http://127.0.0.1:5000", {"http": PROXY, "no": "localhost,127.0.0.1"}, None),
    ],
)
def test_the_proxy_follows_scheme_and_no_proxy(
    url: str, proxies: dict[str, str], expected: str | None
) -> None:
    assert proxy_for(url, proxies) == expected


def test_proxies_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    monkeypatch.setenv("NO_PROXY", "direct.example")

    assert proxy_for("https://tracking.example") == PROXY
    assert proxy_for("https://direct.example") is None
    assert proxy_for("http://tracking.example") is None


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"REQUESTS_CA_BUNDLE": "/etc/corp-ca.pem"}, "/etc/corp-ca.pem"),
        ({"CURL_CA_BUNDLE": "/etc/curl-ca.pem"}, "/etc/curl-ca.pem"),
        ({"REQUESTS_CA_BUNDLE": "/a.pem", "CURL_CA_BUNDLE": "/b.pem"}, "/a.pem"),
    ],
)
def test_a_named_ca_bundle_wins(env: dict[str, str], expected: str) -> None:
    assert ca_bundle(env) == expected


def test_the_default_ca_bundle_is_certifis() -> None:
    certifi = pytest.importorskip("certifi")

    assert ca_bundle({}) == certifi.where()


# -- requests through a proxy -------------------------------------------------------------


class _RecordingProxy(BaseHTTPRequestHandler):
    """Answers every request itself with ``{}`` and records its request line and headers."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, str, str | None]]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.seen.append((self.command, self.path, self.headers.get("Proxy-Authorization")))
        status = 403 if self.command == "CONNECT" else 200
        body = b'{"files": []}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_CONNECT = _answer


@pytest.fixture
def proxy() -> Iterator[str]:
    """Run the recording proxy; yield its address as ``127.0.0.1:port``."""
    _RecordingProxy.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingProxy)
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_rest_calls_go_through_the_environments_proxy(
    proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://ann:p%40ss@{proxy}")
    client = HttpClient("http://tracking.invalid:5000/team", options=NO_RETRIES)
    monkeypatch.delenv("HTTP_PROXY")  # read once, when the client was built

    assert client.request("GET", "/api/2.0/mlflow/runs/get", query=[("run_id", "r")]) == (
        b'{"files": []}'
    )
    assert _RecordingProxy.seen == [
        (
            "GET",
            "http://tracking.invalid:5000/team/api/2.0/mlflow/runs/get?run_id=r",
            "Basic YW5uOnBAc3M=",  # ann:p@ss
        )
    ]


def test_https_goes_through_a_proxy_tunnel(proxy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", f"http://{proxy}")
    client = HttpClient("https://tracking.invalid", options=NO_RETRIES)

    with pytest.raises(ServiceUnavailable, match=r"tracking\.invalid unreachable"):
        client.request("GET", "/api/2.0/mlflow/experiments/get")
    assert _RecordingProxy.seen == [("CONNECT", "tracking.invalid:443", None)]


def test_no_proxy_sends_requests_straight_to_the_server(
    proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")

    # The recording "proxy" stands in for the server here: reached directly, not via a proxy.
    assert HttpClient(f"http://{proxy}", options=NO_RETRIES).request("GET", "/x") == (
        b'{"files": []}'
    )
    assert _RecordingProxy.seen == [("GET", "/x", None)]


def test_artifact_requests_go_through_the_environments_proxy(
    proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://{proxy}")
    repo = ProxiedArtifactRepository("http://tracking.invalid", "1/run/artifacts")

    assert repo.list_artifacts("data") == []
    assert _RecordingProxy.seen == [
        (
            "GET",
            "http://tracking.invalid/api/2.0/mlflow-artifacts/artifacts?path=1%2Frun%2Fartifacts%2Fdata",
            None,
        )
    ]


# -- certificate checks -------------------------------------------------------------------


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """Write a certificate for 127.0.0.1 signed by its own key; return (cert, key) files."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "trackstone test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class _JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Run an HTTPS server with a self-signed certificate; yield its URL and the cert file."""
    cert_file, key_file = _self_signed(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _JsonHandler)
    server.block_on_close = False
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", cert_file
    server.shutdown()
    server.server_close()


def test_an_untrusted_certificate_is_refused(https_server: tuple[str, Path]) -> None:
    url, _ = https_server

    with pytest.raises(ServiceUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        HttpClient(url, options=NO_RETRIES).request("GET", "/x")


def test_the_named_ca_bundle_makes_a_certificate_trusted(
    https_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert_file = https_server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))

    assert HttpClient(url, options=NO_RETRIES).request("GET", "/x") == b'{"ok": true}'
