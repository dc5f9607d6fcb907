"""Keyset positions: shape checks of positions carried by page tokens."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import column

from trackstone.store.sql.keyset import SortTerm, check_position

TERMS: list[SortTerm] = [(column("f0"), column("v0"), True), (column("f1"), column("v1"), False)]


@pytest.mark.parametrize(
    ("position", "valid"),
    [
        ([0, 1.5, 0, "run"], True),
        ([1, None, 0, "run"], True),
        ([0, 1.5], False),
        ([2, 1.5, 0, "run"], False),
        ([True, 1.5, 0, "run"], False),
        ([0, None, 0, "run"], False),
        ([0, [1], 0, "run"], False),
    ],
)
def test_check_position(position: list[Any], valid: bool) -> None:
    assert check_position(position, TERMS) is valid
