"""Input examples in MLflow's layout, and environment files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from trackstone.errors import InvalidParameter
from trackstone.models.environment import pinned, write_environment
from trackstone.models.input_example import load_input_example, save_input_example
from trackstone.models.signature import infer_signature

EXAMPLES = [
    # example, input_example.json body, serving body, saved_input_example_info extras
    (
        pd.DataFrame({"a": [1.5, float("nan")], "b": [1, 2], "s": ["x", None]}),
        {"columns": ["a", "b", "s"], "data": [[1.5, 1, "x"], [None, 2, None]]},
        {
            "dataframe_split": {
                "columns": ["a", "b", "s"],
                "data": [[1.5, 1, "x"], [None, 2, None]],
            }
        },
        {"type": "dataframe", "pandas_orient": "split"},
    ),
    (
        np.array([[0.5, 1.0]], dtype=np.float32),
        [[0.5, 1.0]],
        {"inputs": [[0.5, 1.0]]},
        {"type": "ndarray"},
    ),
    (
        {"x": np.array([1, 2])},
        {"x": [1, 2]},
        {"inputs": {"x": [1, 2]}},
        {"type": "ndarray"},
    ),
]


@pytest.mark.parametrize(("example", "body", "serving", "info"), EXAMPLES)
def test_examples_are_saved_in_mlflows_layout(
    tmp_path: Path, example: Any, body: Any, serving: Any, info: dict[str, Any]
) -> None:
    saved_info = save_input_example(example, tmp_path)
    assert saved_info == {
        "artifact_path": "input_example.json",
        **info,
        "serving_input_path": "serving_input_example.json",
    }
    assert json.loads((tmp_path / "input_example.json").read_text()) == body
    assert json.loads((tmp_path / "serving_input_example.json").read_text()) == serving


def test_a_dataframe_example_reads_back(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1.5, 2.5], "b": [1, 2]})
    info = save_input_example(frame, tmp_path)
    pd.testing.assert_frame_equal(load_input_example(tmp_path, info), frame)


def test_an_array_example_reads_back_with_the_signature_dtype(tmp_path: Path) -> None:
    array = np.array([[0.1, 0.2]], dtype=np.float32)
    info = save_input_example(array, tmp_path)
    loaded = load_input_example(tmp_path, info, infer_signature(array))
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, array)


def test_no_info_means_no_example(tmp_path: Path) -> None:
    assert load_input_example(tmp_path, None) is None


UNSUPPORTED = [
    ([1, 2, 3], "got list"),
    ("text", "got str"),
    (pd.DataFrame({"o": [object()]}), "cannot store a value of type object"),
]


@pytest.mark.parametrize(("example", "message"), UNSUPPORTED)
def test_unsupported_examples_are_refused(tmp_path: Path, example: Any, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        save_input_example(example, tmp_path)


PINS = [
    # distribution, import name, expected prefix
    ("numpy", None, f"numpy=={np.__version__}"),
    ("scikit-learn", "sklearn", "scikit-learn=="),
    ("no-such-package-here", None, "no-such-package-here"),
]


@pytest.mark.parametrize(("distribution", "module", "expected"), PINS)
def test_pinned(distribution: str, module: str | None, expected: str) -> None:
    assert pinned(distribution, module).startswith(expected)
    assert "+" not in pinned(distribution, module)


def test_environment_files(tmp_path: Path) -> None:
    write_environment(tmp_path, ["scikit-learn==1.5.0", "numpy==2.0.0", "numpy==2.0.0"])
    assert (tmp_path / "requirements.txt").read_text() == "scikit-learn==1.5.0\nnumpy==2.0.0\n"
    python_env = yaml.safe_load((tmp_path / "python_env.yaml").read_text())
    assert python_env["dependencies"] == ["-r requirements.txt"]
    assert python_env["python"].count(".") == 2
    conda = yaml.safe_load((tmp_path / "conda.yaml").read_text())
    assert conda["dependencies"][0] == f"python={python_env['python']}"
    assert conda["dependencies"][-1] == {"pip": ["scikit-learn==1.5.0", "numpy==2.0.0"]}
