"""Artifacts through the server's proxy: a file, a folder, a 20 MiB file; list and download."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from outcome import emit, error_code_of

BIG_BYTES = 20 * 1024 * 1024


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): digest(path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


client = MlflowClient()
mlflow.set_experiment("artifacts-script")
source = Path(tempfile.mkdtemp(prefix="source-"))
(source / "notes.txt").write_text("hello artifacts\n")
folder = source / "folder"
(folder / "nested").mkdir(parents=True)
(folder / "a.csv").write_text("x,y\n1,2\n")
(folder / "nested" / "b.json").write_text('{"b": 1}')
big = source / "big.bin"
big.write_bytes(os.urandom(BIG_BYTES))

with mlflow.start_run() as run:
    mlflow.log_artifact(str(source / "notes.txt"))
    mlflow.log_artifacts(str(folder), artifact_path="folder")
    mlflow.log_artifact(str(big), artifact_path="large")
    mlflow.log_text("inline text", "inline/text.txt")
    mlflow.log_dict({"k": [1, 2]}, "inline/data.json")
run_id = run.info.run_id

results: dict[str, object] = {
    "artifact_uri_scheme": client.get_run(run_id).info.artifact_uri.split(":")[0],
    "list.root": sorted((f.path, f.is_dir) for f in client.list_artifacts(run_id)),
    "list.folder": sorted(
        (f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id, "folder")
    ),
    "list.large_size": [f.file_size for f in client.list_artifacts(run_id, "large")],
}

destination = Path(tempfile.mkdtemp(prefix="download-"))
local_folder = mlflow.artifacts.download_artifacts(
    artifact_uri=f"runs:/{run_id}/folder", dst_path=str(destination / "by-uri")
)
results["download.folder_matches"] = tree(Path(local_folder)) == tree(folder)
local_big = client.download_artifacts(run_id, "large/big.bin", str(destination))
results["download.big_matches"] = digest(Path(local_big)) == digest(big)
results["download.text"] = Path(
    mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="inline/text.txt")
).read_text()
results["load_dict"] = mlflow.artifacts.load_dict(f"runs:/{run_id}/inline/data.json")
results["error.download_missing"] = error_code_of(
    lambda: mlflow.artifacts.download_artifacts(f"runs:/{run_id}/no/such/file.txt")
)
emit(results)
