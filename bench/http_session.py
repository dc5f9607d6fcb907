"""The server benchmark's plain HTTP client: one keep-alive ``http.client`` connection.

The same client drives both servers, so it must cost as little as it can: a call through
``requests`` measured about 1 ms of the client's own time on this machine (header merging,
environment and ``.netrc`` look-ups on every call), more than Trackstone's server needs to
answer a get-run, while ``http.client`` costs about 0.1 ms. Standard library only.
"""

from __future__ import annotations

import http.client
import select
from collections.abc import Iterator, Mapping
from typing import BinaryIO
from urllib.parse import urlencode, urlsplit

TIMEOUT_S = 600.0
BLOCK_BYTES = 1 << 20  # how much of a file body is sent, or of an answer read, at a time


class HttpSession:
    """One keep-alive connection to ``base_url`` (``http://host:port``).

    A connection the server closed while it was idle is replaced before the next request, as
    urllib3 does; a request that fails on the way is not retried.
    """

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        # Opened at the first request, and again after ``close`` (``http.client`` does that).
        self._connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1",
            parts.port or 80,
            timeout=TIMEOUT_S,
            blocksize=BLOCK_BYTES,
        )

    def send(
        self,
        method: str,
        path: str,
        body: bytes | BinaryIO | None = None,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> http.client.HTTPResponse:
        """Send one request and return its answer, whose body the caller must read whole.

        A list in ``params`` is sent as the key repeated, as ``requests`` does.
        """
        target = f"{path}?{urlencode(params, doseq=True)}" if params else path
        self._drop_if_closed()
        try:
            self._connection.request(method, target, body=body, headers=dict(headers or {}))
            return self._connection.getresponse()
        except (ConnectionError, http.client.HTTPException):
            self._connection.close()
            raise

    def _drop_if_closed(self) -> None:
        """Close the connection if the server closed its end (an idle keep-alive timed out):
        readable while idle means end of file. ``http.client`` then opens a new one."""
        sock = self._connection.sock
        if sock is not None and select.select([sock], [], [], 0)[0]:
            self._connection.close()

    @staticmethod
    def blocks(response: http.client.HTTPResponse) -> Iterator[bytes]:
        """Yield an answer's body in blocks of up to ``BLOCK_BYTES``."""
        while block := response.read(BLOCK_BYTES):
            yield block

    def close(self) -> None:
        self._connection.close()
