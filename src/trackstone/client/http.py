"""The HTTP layer of RestStore: pooled connections, retries with backoff, timeouts, auth headers.

Requests go through ``urllib3``; ``trackstone.transport`` holds the pool, the proxy (from
``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY``, read once), certificate checks and timeouts.
Everything that is the same for every call (headers, the two retry policies) is built with
the client, so a call only encodes its query string and sends. This module is loaded on
demand (when a client first talks to an ``http(s)://`` tracking URI), so ``import trackstone``
stays light.

Which failures are retried, and by whom::

    call kind        connection refused   read error / 502 / 504   429 / 503
    safe (default)   retried              retried                  retried
    unsafe           retried              raised                   retried

A *safe* call may be repeated without changing its outcome: reads, and writes whose repeat is
a no-op (a ``log_batch`` the server already stored, a tag set to the value it has). An
*unsafe* call (``create_run`` would make a second run, ``delete_tag`` would fail on the gone
tag) is retried only when the request cannot have been acted on: the connection was never
made, or the server answered 429/503 (it refused before doing anything). Retries
back off exponentially (with jitter) and honour ``Retry-After``. When retries run out a
connection failure raises ``ServiceUnavailable`` and an error response the exception its body
names (``trackstone.api.errors.error_from_response``).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

import urllib3
from urllib3.util.retry import Retry

from trackstone.api.errors import error_from_response
from trackstone.errors import InvalidParameter, ServiceUnavailable
from trackstone.transport import USER_AGENT, ServerConnection, failure_reason

if TYPE_CHECKING:
    from trackstone.config import Settings

__all__ = ["Credentials", "HttpClient", "HttpOptions"]

logger = logging.getLogger(__name__)

_RETRIED_STATUSES = frozenset({429, 502, 503, 504})
# Statuses that say the server refused the request before acting on it.
_REFUSED_STATUSES = frozenset({429, 503})
_JSON = "application/json"


@dataclass(frozen=True)
class HttpOptions:
    """Timeouts, retries and pooling of the connection to a tracking server.

    Attributes:
        connect_timeout_s: how long to wait for a connection to open.
        read_timeout_s: how long to wait for the server to answer once the request is sent.
        max_retries: retries after the first attempt (0: fail on the first error).
        backoff_factor_s: the wait before the n-th retry is about ``factor * 2**(n-1)``.
        backoff_max_s: no single wait is longer than this.
        backoff_jitter_s: a random extra wait of up to this, so clients do not retry in step.
        pool_size: connections kept open per host (the sender thread and callers share them).
    """

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 120.0
    max_retries: int = 6
    backoff_factor_s: float = 0.25
    backoff_max_s: float = 10.0
    backoff_jitter_s: float = 0.1
    pool_size: int = 10


@dataclass(frozen=True)
class Credentials:
    """What a client presents to the server: a bearer token, or a username and password.

    When both are set, the username and password win (as they do for the ``mlflow`` client).
    """

    token: str | None = None
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Credentials:
        """Return the credentials ``settings`` hold (from ``TRACKSTONE_TRACKING_*`` etc.)."""
        return cls(settings.tracking_token, settings.tracking_username, settings.tracking_password)

    def __repr__(self) -> str:
        # Never show secrets in logs or tracebacks.
        kinds = [name for name in ("token", "username", "password") if getattr(self, name)]
        return f"Credentials({', '.join(kinds) or 'none'})"

    def authorization(self) -> str | None:
        """Return the ``Authorization`` header value, or None when no credentials are set."""
        if self.username and self.password is not None:
            pair = f"{self.username}:{self.password}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        if self.token:
            return f"Bearer {self.token}"
        return None


def _retry(options: HttpOptions, *, safe: bool) -> Retry:
    statuses = _RETRIED_STATUSES if safe else _REFUSED_STATUSES
    return Retry(
        total=options.max_retries,
        connect=options.max_retries,
        read=options.max_retries if safe else 0,
        status=options.max_retries,
        other=0,
        redirect=0,
        # Every method: whether a call may be repeated is decided per call (safe or not).
        allowed_methods=None,
        status_forcelist=statuses,
        backoff_factor=options.backoff_factor_s,
        backoff_max=options.backoff_max_s,
        backoff_jitter=options.backoff_jitter_s,
        respect_retry_after_header=True,
        # Answer the last response (its error body says what went wrong) instead of raising.
        raise_on_status=False,
        raise_on_redirect=False,
    )


def _check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if "@" in parts.netloc:
        # Never echo the URL here: the part before "@" is usually a password.
        raise InvalidParameter(
            "tracking URI: must not hold credentials; set TRACKSTONE_TRACKING_USERNAME and"
            " TRACKSTONE_TRACKING_PASSWORD (or TRACKSTONE_TRACKING_TOKEN) instead"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidParameter(
            f"tracking URI: expected http(s)://host[:port][/path], got {base_url!r}"
        )
    if parts.query or parts.fragment:
        raise InvalidParameter(f"tracking URI: must not have a query or fragment, got {base_url!r}")
    return base_url.rstrip("/")


class HttpClient:
    """Sends JSON requests to one tracking server and returns the bodies of its answers.

    Thread-safe: the background sender and the caller's threads share the connection pool.

    Example:
        >>> client = HttpClient("http://127.0.0.1:5000", Credentials(token="t"))
        >>> body = client.request("GET", "/api/2.0/mlflow/runs/get", query=[("run_id", "abc")])
        ... # doctest: +SKIP
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None = None,
        options: HttpOptions | None = None,
    ) -> None:
        self.base_url = _check_base_url(base_url)
        self.options = options = options or HttpOptions()
        self._connection = ServerConnection(
            self.base_url,
            pool_size=options.pool_size,
            connect_timeout_s=options.connect_timeout_s,
            read_timeout_s=options.read_timeout_s,
        )
        self._send = self._connection.urlopen
        self._safe_retries = _retry(options, safe=True)
        self._unsafe_retries = _retry(options, safe=False)
        headers = {"User-Agent": USER_AGENT, "Accept": _JSON, "Accept-Encoding": "gzip, deflate"}
        authorization = (credentials or Credentials()).authorization()
        if authorization is not None:
            headers["Authorization"] = authorization
        self._headers = headers
        self._body_headers = {**headers, "Content-Type": _JSON}

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        query: Iterable[tuple[str, str]] = (),
        safe: bool = True,
    ) -> bytes:
        """Send one request (retrying as the module docstring says); return the 2xx body.

        Args:
            method: the HTTP method.
            path: the path after the base URL, e.g. ``/api/2.0/mlflow/runs/get``.
            body: a JSON body, if any.
            query: query-string pairs; a key may repeat; values are URL-encoded.
            safe: whether repeating the call cannot change its outcome (see the module doc).

        Raises:
            ServiceUnavailable: the server could not be reached, or kept answering 429/5xx.
            TrackstoneError: the subclass the server's error answer names.
        """
        if query:
            encoded = urlencode(query if isinstance(query, (list, tuple)) else list(query))
            if encoded:
                path = f"{path}?{encoded}"
        try:
            response = self._send(
                method,
                path,
                body=body,
                headers=self._headers if body is None else self._body_headers,
                retries=self._safe_retries if safe else self._unsafe_retries,
            )
        except urllib3.exceptions.HTTPError as error:
            raise ServiceUnavailable(
                f"tracking server {self.base_url} unreachable: {failure_reason(error)}"
            ) from None
        status = response.status
        if 200 <= status < 300:
            return response.data
        raise error_from_response(status, response.data)

    def close(self) -> None:
        """Close the pooled connections."""
        self._connection.close()
