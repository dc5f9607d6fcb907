"""The HTTP layer of RestStore: pooled sessions, retries with backoff, timeouts, auth headers.

Only this module imports ``requests`` and ``urllib3``, and it is loaded on demand (when a
client first talks to an ``http(s)://`` tracking URI), so ``import trackstone`` stays light.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from trackstone import __version__
from trackstone.api.errors import error_from_response
from trackstone.errors import InvalidParameter, ServiceUnavailable

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


def _session(options: HttpOptions, *, safe: bool, authorization: str | None) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(
        max_retries=_retry(options, safe=safe),
        pool_connections=1,
        pool_maxsize=options.pool_size,
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"User-Agent": f"trackstone/{__version__}", "Accept": _JSON})
    if authorization is not None:
        session.headers["Authorization"] = authorization
    return session


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

    Thread-safe: the background sender and the caller's threads share the connection pools.

    Example:
        >>> client = HttpClient("http://127.0.0.1:5000", Credentials(token="t"))
        >>> body = client.request("GET", "/api/2.0/mlflow/runs/get", query=[("run_id", "abc")])
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None = None,
        options: HttpOptions | None = None,
    ) -> None:
        self.base_url = _check_base_url(base_url)
        self.options = options or HttpOptions()
        authorization = (credentials or Credentials()).authorization()
        self._safe = _session(self.options, safe=True, authorization=authorization)
        self._unsafe = _session(self.options, safe=False, authorization=authorization)
        self._timeout = (self.options.connect_timeout_s, self.options.read_timeout_s)

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
            query: query-string pairs; a key may repeat.
            safe: whether repeating the call cannot change its outcome (see the module doc).

        Raises:
            ServiceUnavailable: the server could not be reached, or kept answering 429/5xx.
            TrackstoneError: the subclass the server's error answer names.
        """
        session = self._safe if safe else self._unsafe
        url = self.base_url + path
        headers: Mapping[str, str] = {"Content-Type": _JSON} if body is not None else {}
        try:
            response = session.request(
                method,
                url,
                params=list(query) or None,
                data=body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            )
            content = response.content
        except requests.RequestException as error:
            raise ServiceUnavailable(
                f"tracking server {self.base_url} unreachable: {_reason(error)}"
            ) from None
        if 200 <= response.status_code < 300:
            return content
        raise error_from_response(response.status_code, content)

    def close(self) -> None:
        """Close the pooled connections."""
        self._safe.close()
        self._unsafe.close()


def _reason(error: requests.RequestException) -> str:
    """Return the root cause of a requests error (urllib3 wraps it in MaxRetryError)."""
    cause: object = error.args[0] if error.args else error
    cause = getattr(cause, "reason", None) or cause
    return str(cause) or type(cause).__name__
