"""Each flavor end to end: train a tiny real model, log it to an embedded store, load it back."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import trackstone
import trackstone.pyfunc
from support.fluent_tracking import fluent_tracking
from trackstone.errors import InvalidParameter, InvalidState
from trackstone.models.hashes import HASH_FILE_NAME

RNG = np.random.default_rng(7)
FEATURES = RNG.normal(size=(40, 3)).astype(np.float32)
LABELS = (FEATURES @ np.array([1.0, -2.0, 0.5], dtype=np.float32) > 0).astype(np.int64)
FRAME = pd.DataFrame({"a": FEATURES[:, 0].astype(np.float64), "b": np.arange(40), "c": LABELS})


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the fluent API at a fresh data folder in tmp_path (synchronous logging)."""
    folder = tmp_path / "data"
    with fluent_tracking(folder, tmp_path, monkeypatch, async_logging=False):
        yield folder


@dataclass(frozen=True)
class Case:
    """A trained model, the data to feed it, and how its own API predicts."""

    model: Any
    data: Any
    predict: Callable[[Any], Any]


def _sklearn() -> Case:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(FRAME, LABELS)
    return Case(model, FRAME, model.predict)


def _xgboost_booster() -> Case:
    import xgboost as xgb

    params = {"objective": "binary:logistic", "nthread": 1, "max_depth": 2}
    booster = xgb.train(params, xgb.DMatrix(FEATURES, label=LABELS), num_boost_round=5)
    return Case(booster, FEATURES, lambda data: booster.predict(xgb.DMatrix(data)))


def _xgboost_classifier() -> Case:
    import xgboost as xgb

    model = xgb.XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1).fit(FEATURES, LABELS)
    return Case(model, FEATURES, model.predict)


def _lightgbm_booster() -> Case:
    import lightgbm as lgb

    params = {"objective": "binary", "num_threads": 1, "verbose": -1, "min_data_in_leaf": 5}
    booster = lgb.train(params, lgb.Dataset(FEATURES, label=LABELS), num_boost_round=5)
    return Case(booster, FEATURES, booster.predict)


def _lightgbm_regressor() -> Case:
    import lightgbm as lgb

    model = lgb.LGBMRegressor(n_estimators=5, n_jobs=1, verbose=-1, min_child_samples=5)
    model.fit(FRAME, FEATURES[:, 1])
    return Case(model, FRAME, model.predict)


def _pytorch() -> Case:
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    net.eval()

    def predict(data: Any) -> Any:
        with torch.no_grad():
            return net(torch.from_numpy(data)).numpy()

    return Case(net, FEATURES, predict)


_FRAME_INPUTS = (
    '[{"type": "double", "name": "a", "required": true}, '
    '{"type": "long", "name": "b", "required": true}, '
    '{"type": "long", "name": "c", "required": true}]'
)
_TENSOR_INPUTS = '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]'

FLAVOR_CASES = [
    # flavor, trainer, model file, inferred input schema, inferred output schema
    (
        "sklearn",
        _sklearn,
        "model.pkl",
        _FRAME_INPUTS,
        '[{"type": "long", "required": true}]',
    ),
    (
        "xgboost",
        _xgboost_booster,
        "model.ubj",
        _TENSOR_INPUTS,
        '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]',
    ),
    (
        "xgboost",
        _xgboost_classifier,
        "model.ubj",
        _TENSOR_INPUTS,
        '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
    ),
    (
        "lightgbm",
        _lightgbm_booster,
        "model.lgb",
        _TENSOR_INPUTS,
        '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]',
    ),
    (
        "lightgbm",
        _lightgbm_regressor,
        "model.pkl",
        _FRAME_INPUTS,
        '[{"type": "double", "required": true}]',
    ),
    (
        "pytorch",
        _pytorch,
        "data/model.pth",
        _TENSOR_INPUTS,
        '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]',
    ),
]


def _same(actual: Any, expected: Any) -> None:
    np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))


@pytest.mark.parametrize(
    ("flavor", "train", "model_file", "inputs", "outputs"),
    FLAVOR_CASES,
    ids=[case[1].__name__.strip("_") for case in FLAVOR_CASES],
)
def test_a_logged_model_loads_back_and_predicts_the_same(
    data_dir: Path,
    flavor: str,
    train: Callable[[], Case],
    model_file: str,
    inputs: str,
    outputs: str,
) -> None:
    module = importlib.import_module(f"trackstone.{flavor}")
    case = train()
    expected = case.predict(case.data)
    with trackstone.start_run() as run:
        info = module.log_model(case.model, name="model", input_example=case.data[:5])
    run_id = run.info.run_id
    assert (info.model_uri, info.run_id, info.artifact_path) == (
        f"runs:/{run_id}/model",
        run_id,
        "model",
    )
    assert info.flavors["python_function"]["loader_module"] == f"mlflow.{flavor}"
    assert info.signature is not None and info.signature.inputs is not None
    assert info.signature.inputs.to_json() == inputs
    assert info.signature.outputs is not None and info.signature.outputs.to_json() == outputs

    reloaded = module.load_model(info.model_uri)
    assert type(reloaded) is type(case.model)
    _same(_native_predict(flavor, reloaded)(case.data), expected)
    pyfunc_model = trackstone.pyfunc.load_model(info.model_uri)
    _same(pyfunc_model.predict(case.data), expected)
    assert pyfunc_model.metadata.run_id == run_id

    files = {f.path for f in trackstone.MlflowClient(data_dir).list_artifacts(run_id, "model")}
    assert {"model/MLmodel", f"model/{HASH_FILE_NAME}", "model/requirements.txt"} <= files
    assert f"model/{model_file.split('/')[0]}" in files
    history = json.loads(trackstone.get_run(run_id).data.tags["mlflow.log-model.history"])
    assert [(entry["artifact_path"], entry["run_id"]) for entry in history] == [("model", run_id)]


def _native_predict(flavor: str, model: Any) -> Callable[[Any], Any]:
    """How each framework's own loaded object predicts (what load_model promises)."""
    if flavor == "pytorch":
        import torch

        def run(data: Any) -> Any:
            with torch.no_grad():
                return model(torch.from_numpy(data)).numpy()

        return run
    if flavor == "xgboost" and type(model).__name__ == "Booster":
        import xgboost as xgb

        return lambda data: model.predict(xgb.DMatrix(data))
    return model.predict  # type: ignore[no-any-return]


def test_log_model_starts_a_run_when_none_is_active(data_dir: Path) -> None:
    import trackstone.sklearn

    case = _sklearn()
    assert trackstone.active_run() is None
    info = trackstone.sklearn.log_model(case.model, name="clf")
    active = trackstone.active_run()
    assert active is not None and active.info.run_id == info.run_id
    trackstone.end_run()
    assert info.signature is None  # no example, no signature
    _same(trackstone.sklearn.load_model(info.model_uri).predict(FRAME), case.predict(FRAME))


def test_a_logged_model_changed_in_the_store_is_refused(data_dir: Path) -> None:
    import trackstone.sklearn

    case = _sklearn()
    with trackstone.start_run():
        info = trackstone.sklearn.log_model(case.model, name="model")
    stored = Path(trackstone.MlflowClient(data_dir).get_artifact_uri(info.run_id)) / "model"
    (stored / "requirements.txt").write_text("evil-package\n")
    with pytest.raises(InvalidState, match=r"'requirements\.txt' changed"):
        trackstone.pyfunc.load_model(info.model_uri)
    with pytest.raises(InvalidState, match=r"'requirements\.txt' changed"):
        trackstone.sklearn.load_model(info.model_uri)


def test_registered_model_name_registers_a_version_loadable_by_models_uri(
    data_dir: Path,
) -> None:
    import trackstone.sklearn

    case = _sklearn()
    with trackstone.start_run():
        first = trackstone.sklearn.log_model(case.model, name="m", registered_model_name="churn")
    with trackstone.start_run():
        second = trackstone.sklearn.log_model(
            case.model, name="m", input_example=FRAME[:2], registered_model_name="churn"
        )
    assert (first.registered_model_version, second.registered_model_version) == (1, 2)
    trackstone.MlflowClient(data_dir).set_registered_model_alias("churn", "champion", "1")
    expected = case.predict(FRAME)
    for uri, run_id in [
        ("models:/churn/1", first.run_id),
        ("models:/churn/2", second.run_id),
        ("models:/churn@champion", first.run_id),
    ]:
        model = trackstone.pyfunc.load_model(uri)
        assert model.metadata.run_id == run_id, uri
        _same(model.predict(FRAME), expected)
    _same(trackstone.sklearn.load_model("models:/churn/2").predict(FRAME), expected)


@pytest.mark.parametrize(
    ("flavor", "train"),
    [case[:2] for case in FLAVOR_CASES],
    ids=[case[1].__name__.strip("_") for case in FLAVOR_CASES],
)
def test_an_empty_path_is_refused_and_nothing_is_written(
    flavor: str, train: Callable[[], Case], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = train().model
    monkeypatch.chdir(tmp_path)  # "" must not mean the (empty) current folder
    with pytest.raises(InvalidParameter, match="path: must not be empty"):
        importlib.import_module(f"trackstone.{flavor}").save_model(model, "")
    assert list(tmp_path.iterdir()) == []
