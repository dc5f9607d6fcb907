"""Which ``Host`` headers and ``Origin``s the server answers: the DNS-rebinding allowlist.

A browser tricked by DNS rebinding sends the attacker's domain name in ``Host``; refusing every
name not on the list defeats it. Entries are ``name`` (any port), ``name:port``, ``*.domain``
(subdomains of ``domain``) or ``*`` (anything). Names compare case-insensitively; IPv6
addresses are written in brackets (``[::1]``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "LOOPBACK_NAMES",
    "HostPolicy",
    "default_allowed_hosts",
    "is_loopback",
    "split_host",
]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
_WILDCARD_BINDS = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    """Tell whether binding to ``host`` keeps the server reachable from this machine only."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _bracketed(address: str) -> str:
    return f"[{address}]" if ":" in address and not address.startswith("[") else address


def default_allowed_hosts(bind_host: str) -> tuple[str, ...]:
    """Return the hosts allowed when none are configured: loopback names and the bound address."""
    hosts = list(LOOPBACK_NAMES)
    bound = _bracketed(bind_host.lower())
    if bind_host not in _WILDCARD_BINDS and bound not in hosts:
        hosts.append(bound)
    return tuple(hosts)


def split_host(value: str) -> tuple[str, str]:
    """Split ``name:port`` (or ``[v6]:port``) into a lower-case name and port ("" if none)."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value.partition("]")
        return name + "]", rest.removeprefix(":")
    name, _, port = value.partition(":")
    return name, port


@dataclass(frozen=True)
class _Entry:
    name: str
    port: str
    subdomains: bool

    def matches(self, name: str, port: str) -> bool:
        if self.port and port != self.port:
            return False
        if self.subdomains:
            return name.endswith("." + self.name)
        return name == self.name


class HostPolicy:
    """Decide whether a ``Host`` header names this server.

    Example:
        >>> policy = HostPolicy(["localhost", "*.example.org"])
        >>> policy.allows("localhost:5000"), policy.allows("evil.test")
        (True, False)
    """

    def __init__(self, allowed: Iterable[str]) -> None:
        entries: list[_Entry] = []
        self.allow_any = False
        for item in allowed:
            item = item.strip()
            if item == "*":
                self.allow_any = True
                continue
            subdomains = item.startswith("*.")
            name, port = split_host(item.removeprefix("*."))
            entries.append(_Entry(name, port, subdomains))
        self._entries = tuple(entries)

    def allows(self, host: str | None) -> bool:
        """Tell whether a request whose ``Host`` header is ``host`` may be served."""
        if self.allow_any:
            return True
        if not host:
            return False
        name, port = split_host(host)
        return any(entry.matches(name, port) for entry in self._entries)
