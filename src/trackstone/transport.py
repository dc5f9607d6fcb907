"""Connections to one HTTP(S) server, set up once: pool, proxy, TLS, timeouts, block size.

Both clients of a tracking server build on this: the REST client (``client.http``) and the
artifact proxy repository (``artifacts.proxied``). Everything a request needs that does not
change from call to call is settled when a ``ServerConnection`` is built, so that a call pays
only for the request itself:

- the proxy, from ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` and ``NO_PROXY`` (or the
  system settings on macOS and Windows), read once; ``NO_PROXY`` may list hosts, domain
  suffixes, ``*`` and IP networks (``10.0.0.0/8``). A proxy URL may carry a user and
  password: they go out as ``Proxy-Authorization``. HTTPS goes through a proxy tunnel;
- certificates of ``https`` servers are always verified, against the CA bundle that
  ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` names (a file or a folder) if set, else
  ``certifi``'s bundle when it is installed, else the system's;
- the connection pool of the one host (its size bounds the connections kept open), the
  connect and read timeouts, and the block size in which file bodies are read and sent.

This module reads the environment (proxies, CA bundle) because those variables belong to the
HTTP stack, not to Trackstone's settings; it does so only when a connection is built.
``urllib3`` is imported here, so only code that talks HTTP loads it.
"""

from __future__ import annotations

import base64
import ipaddress
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import getproxies, proxy_bypass

import urllib3
from urllib3.util.retry import Retry

from trackstone import __version__

__all__ = [
    "USER_AGENT",
    "ServerConnection",
    "ca_bundle",
    "failure_reason",
    "proxy_for",
]

USER_AGENT = f"trackstone/{__version__}"
_DEFAULT_BLOCK_BYTES = 1024 * 1024


def proxy_for(url: str, proxies: Mapping[str, str] | None = None) -> str | None:
    """Return the proxy URL that requests to ``url`` go through, or None for a direct line.

    Args:
        url: the server's URL (``http(s)://host[:port]/...``).
        proxies: scheme -> proxy URL, plus ``"no"`` -> the ``NO_PROXY`` list, as
            ``urllib.request.getproxies()`` returns them (the default: read them now).
    """
    chosen = dict(getproxies() if proxies is None else proxies)
    parts = urlsplit(url)
    proxy = chosen.get(parts.scheme) or chosen.get("all")
    host = parts.hostname or ""
    if not proxy or _bypassed(host, parts.port, chosen.get("no", ""), from_env=proxies is None):
        return None
    return proxy


def _bypassed(host: str, port: int | None, no_proxy: str, *, from_env: bool) -> bool:
    """Whether ``NO_PROXY`` (or the system's bypass list) exempts ``host`` from the proxy."""
    entries = [entry.strip().lower() for entry in no_proxy.split(",") if entry.strip()]
    if "*" in entries:
        return True
    if _in_listed_network(host, entries):
        return True
    for entry in entries:
        name = entry.lstrip(".")
        if name in (host.lower(), f"{host.lower()}:{port}"):
            return True
        if host.lower().endswith("." + name):
            return True
    # macOS and Windows keep a bypass list in the system settings too.
    return bool(from_env and not entries and proxy_bypass(host))


def _in_listed_network(host: str, entries: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    for entry in entries:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def ca_bundle(env: Mapping[str, str] | None = None) -> str | None:
    """Return the CA bundle (file or folder) that server certificates are checked against.

    None means the system's default certificates.
    """
    chosen = os.environ if env is None else env
    named = chosen.get("REQUESTS_CA_BUNDLE") or chosen.get("CURL_CA_BUNDLE")
    if named:
        return named
    try:
        import certifi
    except ImportError:
        return None
    return str(certifi.where())


def failure_reason(error: BaseException) -> str:
    """Return the root cause of a ``urllib3`` error, e.g. ``[Errno 111] Connection refused``.

    ``urllib3`` wraps the last failure in ``MaxRetryError`` and the socket's error in its own;
    the innermost one says what happened.
    """
    cause: BaseException = getattr(error, "reason", None) or error
    seen = {id(cause)}
    while True:
        inner = cause.__cause__
        if inner is None and isinstance(cause, urllib3.exceptions.ProtocolError):
            # ProtocolError("Connection aborted.", RemoteDisconnected(...)) names its cause.
            inner = next((a for a in cause.args if isinstance(a, BaseException)), None)
        if inner is None or id(inner) in seen:
            break
        seen.add(id(inner))
        cause = inner
    return str(cause) or type(cause).__name__


def _proxy_manager(proxy: str, pool_options: dict[str, Any]) -> urllib3.ProxyManager:
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    headers: dict[str, str] = {}
    netloc = parts.netloc
    if "@" in netloc:
        credentials, _, netloc = netloc.rpartition("@")
        user, _, password = credentials.partition(":")
        pair = f"{unquote(user)}:{unquote(password)}".encode()
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    return urllib3.ProxyManager(
        f"{parts.scheme}://{netloc}", num_pools=2, proxy_headers=headers, **pool_options
    )


class ServerConnection:
    """The connections to one server (scheme, host and port of ``base_url``).

    ``base_url`` may have a path (a server behind a path prefix): ``urlopen`` puts it before
    the path of each request. Thread-safe: threads share the pool.

    Args:
        base_url: ``http(s)://host[:port][/prefix]``, without credentials, query or fragment.
        pool_size: connections kept open (more are opened when threads need them, then
            closed).
        connect_timeout_s: how long to wait for a connection to open.
        read_timeout_s: how long to wait for each read of the answer.
        block_bytes: file bodies are read and sent in blocks of this size.
        proxies: the proxy settings to use instead of the environment's (see ``proxy_for``).
        ca_certs: the CA bundle instead of the environment's (see ``ca_bundle``).

    Example:
        >>> connection = ServerConnection("http://127.0.0.1:5000")
        >>> response = connection.urlopen("GET", "/health")  # doctest: +SKIP
    """

    def __init__(
        self,
        base_url: str,
        *,
        pool_size: int = 10,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 120.0,
        block_bytes: int = _DEFAULT_BLOCK_BYTES,
        proxies: Mapping[str, str] | None = None,
        ca_certs: str | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        self.proxy = proxy_for(base_url, proxies)
        options: dict[str, Any] = {
            "maxsize": pool_size,
            "block": False,
            "timeout": urllib3.Timeout(connect=connect_timeout_s, read=read_timeout_s),
            "retries": False,
            "blocksize": block_bytes,
        }
        if parts.scheme == "https":
            bundle = ca_certs if ca_certs is not None else ca_bundle()
            options["cert_reqs"] = "CERT_REQUIRED"
            if bundle is not None and os.path.isdir(bundle):
                options["ca_cert_dir"] = bundle
            elif bundle is not None:
                options["ca_certs"] = bundle
        origin = f"{parts.scheme}://{parts.netloc}"
        prefix = parts.path.rstrip("/")
        self._manager: urllib3.PoolManager
        if self.proxy is None:
            self._manager = urllib3.PoolManager(num_pools=1, **options)
            # Straight to the host's pool: a request names only its path.
            self._urlopen: Any = self._manager.connection_from_url(origin).urlopen
            self._head = prefix
        else:
            self._manager = _proxy_manager(self.proxy, options)
            self._urlopen = self._manager.urlopen
            self._head = origin + prefix

    def urlopen(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: Mapping[str, str],
        retries: Retry,
        preload_content: bool = True,
    ) -> urllib3.BaseHTTPResponse:
        """Send one request (redirects are not followed) and return the answer.

        Args:
            method: the HTTP method.
            path: the path (and query string) after the base URL's own path.
            body: bytes, a binary file (sent in blocks; give its ``Content-Length`` in
                ``headers``) or an iterable of bytes (sent chunked).
            headers: every header to send (the pool adds none but ``Host``).
            retries: which failures to retry and how long to wait (``urllib3.Retry``).
            preload_content: read the whole body now (then the connection goes back to the
                pool at once); False to stream it (close the response when done).

        Raises:
            urllib3.exceptions.HTTPError: the request failed and retries ran out.
        """
        response: urllib3.BaseHTTPResponse = self._urlopen(
            method,
            self._head + path,
            body=body,
            headers=headers,
            retries=retries,
            redirect=False,
            preload_content=preload_content,
        )
        return response

    def close(self) -> None:
        """Close the pooled connections."""
        self._manager.clear()
