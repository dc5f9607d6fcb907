"""Frozen records of the tracking model: experiments, runs, metrics, params, tags, datasets.

Names match ``mlflow.entities`` so that scripts importing from there keep working.
"""

from trackstone.entities.dataset import DATASET_CONTEXT_TAG, Dataset, DatasetInput, InputTag
from trackstone.entities.experiment import DEFAULT_EXPERIMENT_ID, Experiment, ExperimentTag
from trackstone.entities.lifecycle import LifecycleStage, ViewType
from trackstone.entities.metric import Metric, Param, RunTag
from trackstone.entities.page import PagedList
from trackstone.entities.run import Run, RunData, RunInfo, RunInputs, RunStatus

__all__ = [
    "DATASET_CONTEXT_TAG",
    "DEFAULT_EXPERIMENT_ID",
    "Dataset",
    "DatasetInput",
    "Experiment",
    "ExperimentTag",
    "InputTag",
    "LifecycleStage",
    "Metric",
    "PagedList",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunStatus",
    "RunTag",
    "ViewType",
]
