"""Datasets for ``log_input``: build them from pandas or numpy with a content digest.

Mirrors ``mlflow.data``: ``trackstone.data.from_pandas(df, source=..., name=..., targets=...)``
and ``trackstone.data.from_numpy(features, ...)``. pandas and numpy are imported only when a
dataset is built.
"""

from trackstone.data.dataset import TrackedDataset
from trackstone.data.numpy_dataset import NumpyDataset, from_numpy
from trackstone.data.pandas_dataset import PandasDataset, from_pandas
from trackstone.data.source import DatasetSource, source_from

__all__ = [
    "DatasetSource",
    "NumpyDataset",
    "PandasDataset",
    "TrackedDataset",
    "from_numpy",
    "from_pandas",
    "source_from",
]
