"""Parsing of ``trackstone gc --older-than`` durations."""

from __future__ import annotations

import pytest

from trackstone.cli.gc import parse_duration_ms


@pytest.mark.parametrize(
    ("text", "expected_ms"),
    [
        ("30d", 30 * 86_400_000),
        ("12h", 12 * 3_600_000),
        ("90m", 90 * 60_000),
        ("45s", 45_000),
        ("1d12h", 86_400_000 + 12 * 3_600_000),
        ("1d 2h 3m 4s", 86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4_000),
        ("0m", 0),
        ("2D", 2 * 86_400_000),
    ],
)
def test_parses_durations(text: str, expected_ms: int) -> None:
    assert parse_duration_ms(text) == expected_ms


@pytest.mark.parametrize("text", ["", "30", "d", "30x", "1.5h", "-3d", "1h1h", "h12", "3d!"])
def test_rejects_malformed_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration_ms(text)
