"""Datasets from pandas and numpy: stable content digests, sources, schema and profile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from trackstone.data import DatasetSource, from_numpy, from_pandas, source_from
from trackstone.errors import InvalidParameter


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": [0, 1, 0], "name": ["a", "b", "c"]})


def test_same_dataframe_content_gives_the_same_digest() -> None:
    assert from_pandas(_frame()).digest == from_pandas(_frame().copy()).digest


@pytest.mark.parametrize(
    "change",
    [
        lambda df: df.assign(x=[1.0, 2.0, 3.5]),
        lambda df: df.rename(columns={"x": "y"}),
        lambda df: df.astype({"label": "int32"}),
        lambda df: df.iloc[::-1],
        lambda df: df.iloc[:2],
        lambda df: df.set_axis([10, 11, 12]),
    ],
    ids=["value", "column-name", "dtype", "row-order", "fewer-rows", "index"],
)
def test_any_content_change_changes_the_digest(change: Any) -> None:
    assert from_pandas(change(_frame())).digest != from_pandas(_frame()).digest


def test_digest_is_a_short_hex_string() -> None:
    digest = from_pandas(_frame()).digest
    assert len(digest) == 16
    int(digest, 16)


def test_digest_of_unhashable_cells_is_still_stable() -> None:
    frame = pd.DataFrame({"tokens": [["a", "b"], ["c"]]})
    assert from_pandas(frame).digest == from_pandas(frame.copy()).digest


def test_pandas_dataset_entity() -> None:
    dataset = from_pandas(_frame(), source="s3://bucket/train.csv", name="train", targets="label")
    entity = dataset.to_dataset_entity()
    assert (entity.name, entity.digest, entity.source_type) == ("train", dataset.digest, "s3")
    assert json.loads(entity.source) == {"uri": "s3://bucket/train.csv"}
    assert json.loads(entity.schema or "") == {
        "mlflow_colspec": [
            {"type": "double", "name": "x", "required": True},
            {"type": "long", "name": "label", "required": True},
            {"type": "string", "name": "name", "required": True},
        ]
    }
    assert json.loads(entity.profile or "") == {"num_rows": 3, "num_columns": 3, "num_elements": 9}
    assert dataset.targets == "label"


def test_unknown_target_column_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="'price'"):
        from_pandas(_frame(), targets="price")


def test_from_pandas_refuses_other_objects() -> None:
    with pytest.raises(InvalidParameter, match="DataFrame"):
        from_pandas([1, 2, 3])  # type: ignore[arg-type]


def test_same_arrays_give_the_same_digest() -> None:
    features = np.arange(12, dtype=np.float64).reshape(4, 3)
    assert (
        from_numpy(features, targets=np.array([0, 1, 0, 1])).digest
        == from_numpy(features.copy(), targets=np.array([0, 1, 0, 1])).digest
    )


@pytest.mark.parametrize(
    ("other_features", "other_targets"),
    [
        (np.arange(12, dtype=np.float32).reshape(4, 3), np.array([0, 1, 0, 1])),
        (np.arange(12, dtype=np.float64).reshape(3, 4), np.array([0, 1, 0, 1])),
        (np.arange(12, dtype=np.float64).reshape(4, 3) + 1, np.array([0, 1, 0, 1])),
        (np.arange(12, dtype=np.float64).reshape(4, 3), np.array([1, 1, 0, 1])),
        (np.arange(12, dtype=np.float64).reshape(4, 3), None),
    ],
    ids=["dtype", "shape", "values", "targets", "no-targets"],
)
def test_array_changes_change_the_digest(other_features: Any, other_targets: Any) -> None:
    base = from_numpy(np.arange(12, dtype=np.float64).reshape(4, 3), targets=np.array([0, 1, 0, 1]))
    assert from_numpy(other_features, targets=other_targets).digest != base.digest


def test_non_contiguous_views_hash_like_their_copies() -> None:
    grid = np.arange(20).reshape(4, 5)
    view = grid[:, ::2]
    assert from_numpy(view).digest == from_numpy(np.ascontiguousarray(view)).digest


def test_object_arrays_hash_their_contents() -> None:
    first = np.array(["a", None, 3], dtype=object)
    second = np.array(["a", None, 3], dtype=object)
    assert from_numpy(first).digest == from_numpy(second).digest
    assert from_numpy(first).digest != from_numpy(np.array(["b", None, 3], dtype=object)).digest


def test_numpy_dataset_entity() -> None:
    dataset = from_numpy(np.zeros((5, 3)), targets=np.zeros(5, dtype=np.int64), name="grid")
    entity = dataset.to_dataset_entity()
    assert (entity.name, entity.source_type) == ("grid", "code")
    spec = json.loads(entity.schema or "")["mlflow_tensorspec"]
    assert json.loads(spec["features"]) == [
        {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}
    ]
    assert json.loads(spec["targets"]) == [
        {"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}
    ]
    assert json.loads(entity.profile or "") == {
        "features_shape": [5, 3],
        "features_size": 15,
        "features_nbytes": 120,
        "targets_shape": [5],
        "targets_size": 5,
        "targets_nbytes": 40,
    }


def test_dict_of_arrays_is_named_in_the_schema() -> None:
    dataset = from_numpy({"image": np.zeros((2, 4, 4)), "meta": np.ones((2, 3))})
    features = json.loads(json.loads(dataset.to_dict()["schema"])["mlflow_tensorspec"]["features"])
    assert [spec["name"] for spec in features] == ["image", "meta"]


def test_default_name() -> None:
    assert from_numpy(np.zeros(3)).name == "dataset"


@pytest.mark.parametrize(
    ("given", "source_type", "uri"),
    [
        (None, "code", None),
        ("s3://bucket/data.parquet", "s3", "s3://bucket/data.parquet"),
        ("https://example.com/d.csv", "http", "https://example.com/d.csv"),
        ("gs://bucket/d.csv", "gcs", "gs://bucket/d.csv"),
        ("custom://thing", "custom", "custom://thing"),
        (DatasetSource("delta_table", "main.db.table"), "delta_table", "main.db.table"),
    ],
)
def test_sources(given: Any, source_type: str, uri: str | None) -> None:
    source = source_from(given)
    assert (source.source_type, source.uri) == (source_type, uri)


def test_relative_paths_become_absolute_local_sources(tmp_path: Path) -> None:
    source = source_from(tmp_path / "data.csv")
    assert (source.source_type, source.uri) == ("local", str((tmp_path / "data.csv").resolve()))
    assert source_from("data.csv").uri == str(Path("data.csv").resolve())
