"""A page of results with the token that fetches the next one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

__all__ = ["PagedList"]

T = TypeVar("T")


class PagedList(list[T]):
    """A list of results plus ``token``: pass it back to get the next page; None at the end."""

    def __init__(self, items: Iterable[T] = (), token: str | None = None) -> None:
        super().__init__(items)
        self.token = token
