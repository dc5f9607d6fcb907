"""LoggedModelStatus spellings and the model id rule of LoggedModel."""

from __future__ import annotations

import pytest

from trackstone.entities.logged_model import LoggedModel, LoggedModelStatus
from trackstone.errors import InvalidParameter


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("READY", LoggedModelStatus.READY),
        ("ready", LoggedModelStatus.READY),
        ("LOGGED_MODEL_READY", LoggedModelStatus.READY),
        ("LOGGED_MODEL_UPLOAD_FAILED", LoggedModelStatus.FAILED),
        ("LOGGED_MODEL_STATUS_UNSPECIFIED", LoggedModelStatus.UNSPECIFIED),
        ("LOGGED_MODEL_PENDING", LoggedModelStatus.PENDING),
        (0, LoggedModelStatus.UNSPECIFIED),
        (1, LoggedModelStatus.PENDING),
        (3, LoggedModelStatus.FAILED),
        (LoggedModelStatus.READY, LoggedModelStatus.READY),
    ],
)
def test_status_parses_names_and_numbers(value: object, expected: LoggedModelStatus) -> None:
    assert LoggedModelStatus.parse(value) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["DONE", 4, -1, True, ""])
def test_status_refuses_other_values(value: object) -> None:
    with pytest.raises(InvalidParameter, match="status"):
        LoggedModelStatus.parse(value)  # type: ignore[arg-type]


def test_model_ids_carry_the_m_prefix() -> None:
    with pytest.raises(InvalidParameter, match="model_id"):
        LoggedModel("abc", "0", "name", "artifacts/models", 0, 0)
