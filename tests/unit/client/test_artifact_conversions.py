"""Objects to artifact bytes: dicts as JSON/YAML, images, figures, tables."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest
import yaml
from PIL import Image

from trackstone.client.artifact_logging import (
    Table,
    dict_bytes,
    figure_bytes,
    image_bytes,
    image_key_path,
    merge_tables,
    read_table,
    table_bytes,
    table_from,
    with_logged_artifact,
)
from trackstone.errors import InvalidParameter


@pytest.mark.parametrize(
    ("artifact_file", "parse"),
    [
        ("config.json", json.loads),
        ("config.yaml", yaml.safe_load),
        ("config.YML", yaml.safe_load),
        ("config.txt", json.loads),
    ],
)
def test_dicts_are_written_in_the_format_of_their_extension(artifact_file: str, parse: Any) -> None:
    data = {"lr": 0.1, "layers": [64, 32], "name": "net", "nested": {"a": None}}
    assert parse(dict_bytes(data, artifact_file)) == data


def test_numpy_values_in_dicts_become_plain_values() -> None:
    data = {"n": np.int64(3), "w": np.array([0.5, 1.5])}
    assert json.loads(dict_bytes(data, "d.json")) == {"n": 3, "w": [0.5, 1.5]}
    assert yaml.safe_load(dict_bytes(data, "d.yaml")) == {"n": 3, "w": [0.5, 1.5]}


def _decoded(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize(
    ("array", "mode", "pixel"),
    [
        (np.full((2, 3), 255, dtype=np.uint8), "L", 255),
        (np.full((2, 3, 1), 1.0), "L", 255),
        (np.full((2, 3, 3), 0.5, dtype=np.float32), "RGB", (128, 128, 128)),
        (np.zeros((2, 3, 4), dtype=np.int64), "RGBA", (0, 0, 0, 0)),
        (np.ones((2, 3), dtype=bool), "L", 255),
    ],
)
def test_arrays_become_images(array: Any, mode: str, pixel: Any) -> None:
    image = _decoded(image_bytes(array, "x.png"))
    assert (image.format, image.mode, image.size) == ("PNG", mode, (3, 2))
    assert image.getpixel((0, 0)) == pixel


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.full((2, 2), 1.5), r"\[0, 1\]"),
        (np.full((2, 2), 300), r"\[0, 255\]"),
        (np.full((2, 2), -1), r"\[0, 255\]"),
        (np.zeros((2, 2, 2)), "shape"),
        (np.zeros(4), "shape"),
        (np.zeros((2, 2), dtype=complex), "pixel type"),
    ],
)
def test_unusable_arrays_are_refused(array: Any, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        image_bytes(array, "x.png")


def test_pil_images_keep_their_pixels_and_take_the_files_format() -> None:
    picture = Image.new("RGB", (4, 4), (10, 20, 30))
    decoded = _decoded(image_bytes(picture, "photo.jpg"))
    assert decoded.format == "JPEG"
    assert _decoded(image_bytes(picture, "photo.png")).getpixel((1, 1)) == (10, 20, 30)


def test_non_images_are_refused() -> None:
    with pytest.raises(InvalidParameter, match="numpy array or a PIL image"):
        image_bytes([[0, 1]], "x.png")


def test_image_key_paths_are_unique_and_keep_key_step_and_time() -> None:
    first = image_key_path("val/sample", 3, 1_700_000_000_000)
    second = image_key_path("val/sample", 3, 1_700_000_000_000)
    assert first != second
    assert first.startswith("images/val/sample/step_000000000003_1700000000000_")
    assert first.endswith(".png")
    assert sorted([image_key_path("k", 10, 1), image_key_path("k", 9, 2)])[0].startswith(
        "images/k/step_000000000009_"
    )


def test_matplotlib_figures_render_in_the_files_format() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    axes.plot([0, 1], [1, 0])
    try:
        assert figure_bytes(figure, "plot.png").startswith(b"\x89PNG")
        assert figure_bytes(figure, "plot.svg").lstrip().startswith(b"<?xml")
    finally:
        plt.close(figure)


def test_other_figures_are_refused() -> None:
    with pytest.raises(InvalidParameter, match="matplotlib"):
        figure_bytes(object(), "plot.png")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"a": [1, 2], "b": ["x", "y"]}, Table(("a", "b"), ((1, "x"), (2, "y")))),
        ({"a": (1, 2)}, Table(("a",), ((1,), (2,)))),
        ({"a": 1, "b": "x"}, Table(("a", "b"), ((1, "x"),))),
    ],
)
def test_tables_from_dicts(data: Any, expected: Table) -> None:
    assert table_from(data) == expected


def test_tables_from_dataframes() -> None:
    import pandas as pd

    table = table_from(pd.DataFrame({"a": [1, 2], "b": [0.5, None]}))
    assert table.columns == ("a", "b")
    assert json.loads(table_bytes(table)) == {"columns": ["a", "b"], "data": [[1, 0.5], [2, None]]}


@pytest.mark.parametrize(
    "data",
    [{"a": [1, 2], "b": [1]}, {"a": [1, 2], "b": 3}, [1, 2, 3]],
    ids=["ragged", "mixed", "list"],
)
def test_bad_tables_are_refused(data: Any) -> None:
    with pytest.raises(InvalidParameter, match="table"):
        table_from(data)


def test_appending_a_table_unions_the_columns() -> None:
    old = Table(("a", "b"), ((1, 2),))
    new = Table(("b", "c"), ((3, 4),))
    assert merge_tables(old, new) == Table(("a", "b", "c"), ((1, 2, None), (None, 3, 4)))


def test_tables_round_trip_through_bytes() -> None:
    table = Table(("a", "b"), ((1, "x"), (2, None)))
    assert read_table(table_bytes(table)) == table


def test_reading_a_non_table_fails_clearly() -> None:
    with pytest.raises(InvalidParameter, match="not a table"):
        read_table(b'{"hello": 1}')


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (None, [{"path": "t.json", "type": "table"}]),
        (
            '[{"path": "o.json", "type": "table"}]',
            [{"path": "o.json", "type": "table"}, {"path": "t.json", "type": "table"}],
        ),
        ("not json", [{"path": "t.json", "type": "table"}]),
    ],
)
def test_logged_artifacts_tag_lists_each_table_once(current: str | None, expected: Any) -> None:
    value = with_logged_artifact(current, "t.json", "table")
    assert value is not None and json.loads(value) == expected
    assert with_logged_artifact(value, "t.json", "table") is None
