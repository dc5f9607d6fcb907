"""Load a model folder Trackstone saved with MLflow's loaders; print predictions and metadata.

Usage: model_format_load.py <model folder> <data.json with "columns" and "data">
"""

from __future__ import annotations

import json
import logging
import sys
import warnings

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
import pandas as pd
from outcome import emit

model_dir, data_path = sys.argv[1], sys.argv[2]
with open(data_path) as stream:
    body = json.load(stream)
frame = pd.DataFrame(body["data"], columns=body["columns"])


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage().split("\n")[0])


logged = _Collect()
logging.getLogger("mlflow").addHandler(logged)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    pyfunc_model = mlflow.pyfunc.load_model(model_dir)
    predictions = pyfunc_model.predict(frame)
estimator = mlflow.sklearn.load_model(model_dir)
metadata = pyfunc_model.metadata
example = metadata.load_input_example(model_dir)

emit(
    {
        "pyfunc.predictions": [int(value) for value in predictions],
        "sklearn.predictions": [int(value) for value in estimator.predict(frame)],
        "sklearn.class": type(estimator).__name__,
        "signature.inputs": metadata.signature.inputs.to_json(),
        "signature.outputs": metadata.signature.outputs.to_json(),
        "input_example.columns": list(example.columns),
        "input_example.rows": len(example),
        "loader_module": metadata.flavors["python_function"]["loader_module"],
        "warnings": sorted({str(w.message).split("\n")[0] for w in caught} | set(logged.messages)),
    }
)
