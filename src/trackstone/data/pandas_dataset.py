"""Datasets built from a pandas DataFrame: ``from_pandas``."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trackstone.data.dataset import DIGEST_LENGTH, TrackedDataset
from trackstone.data.source import DatasetSource, source_from
from trackstone.errors import InvalidParameter

if TYPE_CHECKING:
    import pandas

__all__ = ["PandasDataset", "from_pandas", "pandas_digest"]

DEFAULT_NAME = "dataset"


def pandas_digest(df: pandas.DataFrame) -> str:
    """Hash a DataFrame's column names, dtypes, index and values into a short hex digest.

    Example:
        >>> import pandas as pd
        >>> pandas_digest(pd.DataFrame({"a": [1]})) == pandas_digest(pd.DataFrame({"a": [1]}))
        True
    """
    import pandas

    hasher = hashlib.sha256()
    for column, dtype in df.dtypes.items():
        hasher.update(f"{column!r}:{dtype}\x00".encode())
    try:
        row_hashes = pandas.util.hash_pandas_object(df, index=True)
    except TypeError:
        # Cells holding lists or dicts cannot be hashed by pandas; their text can.
        row_hashes = pandas.util.hash_pandas_object(df.astype(str), index=True)
    hasher.update(row_hashes.to_numpy().tobytes())
    return hasher.hexdigest()[:DIGEST_LENGTH]


def _column_type(dtype: Any) -> str:
    kind = getattr(dtype, "kind", "O")
    if kind == "b":
        return "boolean"
    if kind in "iu":
        return "integer" if dtype.itemsize <= 4 else "long"
    if kind == "f":
        return "float" if dtype.itemsize <= 4 else "double"
    if kind == "M":
        return "datetime"
    if kind == "S":
        return "binary"
    return "string"


class PandasDataset(TrackedDataset):
    """A DataFrame with its digest, source, column schema and size profile."""

    def __init__(
        self,
        df: pandas.DataFrame,
        source: DatasetSource,
        name: str | None = None,
        targets: str | None = None,
    ) -> None:
        if targets is not None and targets not in df.columns:
            raise InvalidParameter(f"targets: column {targets!r} is not in the DataFrame")
        super().__init__(name or DEFAULT_NAME, pandas_digest(df), source)
        self._df = df
        self._targets = targets

    @property
    def df(self) -> pandas.DataFrame:
        """The data."""
        return self._df

    @property
    def targets(self) -> str | None:
        """The name of the column holding the labels, if any."""
        return self._targets

    @property
    def schema(self) -> dict[str, Any]:
        """Each column's name and type, in MLflow's ``mlflow_colspec`` layout."""
        columns = [
            {"type": _column_type(dtype), "name": str(column), "required": True}
            for column, dtype in self._df.dtypes.items()
        ]
        return {"mlflow_colspec": columns}

    @property
    def profile(self) -> dict[str, Any]:
        """Rows, columns and cells of the data."""
        rows, columns = self._df.shape
        return {"num_rows": rows, "num_columns": columns, "num_elements": rows * columns}


def from_pandas(
    df: pandas.DataFrame,
    source: DatasetSource | str | Path | None = None,
    name: str | None = None,
    targets: str | None = None,
) -> PandasDataset:
    """Wrap a DataFrame as a dataset to record with ``log_input``.

    Args:
        df: the data.
        source: where it came from: a URI, a local path, or None for data built in code.
        name: a name for the dataset (``"dataset"`` by default).
        targets: the label column, if any.

    Example:
        >>> dataset = from_pandas(df, source="data/train.csv", targets="label")  # doctest: +SKIP
        >>> trackstone.log_input(dataset, context="training")  # doctest: +SKIP
    """
    if not (hasattr(df, "dtypes") and hasattr(df, "columns")):
        raise InvalidParameter(f"df: expected a pandas DataFrame, got {type(df).__name__}")
    return PandasDataset(df, source_from(source), name=name, targets=targets)
