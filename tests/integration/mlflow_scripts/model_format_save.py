"""Train a scikit-learn model and save it with ``mlflow.sklearn.save_model``; print predictions.

Usage: model_format_save.py <model folder> <data.json> <serialization format>
"""

from __future__ import annotations

import json
import sys

import mlflow.sklearn
import pandas as pd
from outcome import emit
from sklearn.linear_model import LogisticRegression

model_dir, data_path, serialization_format = sys.argv[1], sys.argv[2], sys.argv[3]
with open(data_path) as stream:
    body = json.load(stream)
frame = pd.DataFrame(body["data"], columns=body["columns"])
labels = body["labels"]

model = LogisticRegression().fit(frame, labels)
mlflow.sklearn.save_model(
    model, model_dir, serialization_format=serialization_format, input_example=frame.head(3)
)
emit({"predictions": [int(value) for value in model.predict(frame)]})
