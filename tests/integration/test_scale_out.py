"""Scale-out: stateless servers sharing one database and artifact root serve one consistent view.

Real ``trackstone server`` processes on loopback: two replicas on one PostgreSQL database (migrated
once with ``trackstone db upgrade``, then started with ``--no-migrate`` as the deployment page
says) and one artifact folder; and one server with ``--workers 2`` on SQLite. Writes go through a
plain HTTP session without retries, so a "database is locked" (503) or any other refusal shows up
as an error instead of being retried away; reads go through ``RestStore``. Afterwards every point
must exist exactly once, with its value.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from support.server_process import CONSOLE_SCRIPT, ServerProcess, isolated_env, start_server
from support.tracking import all_history, search_all_runs
from trackstone.client.rest_store import RestStore
from trackstone.entities import Metric

API = "/api/2.0/mlflow"
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"
T0 = 1_700_000_000_000
REQUEST_TIMEOUT_S = 60.0
WRITERS_TIMEOUT_S = 300.0
WORKERS_UP_TIMEOUT_S = 30.0
# A full batch: with one param and one tag, MLflow's limit of 1,000 records per batch.
RETRIED_POINTS = 998


# -- plain HTTP writes ---------------------------------------------------------------------------


class Api:
    """One keep-alive session to one server; no retries; any answer but 200 raises."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.session = requests.Session()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(
            method, self.server.url + path, timeout=REQUEST_TIMEOUT_S, **kwargs
        )
        if response.status_code != 200:
            raise AssertionError(
                f"{method} {path} via :{self.server.port}: {response.status_code} {response.text}"
            )
        return response.json() if response.content else None

    def create_experiment(self, name: str) -> str:
        body = self.call("POST", f"{API}/experiments/create", json={"name": name})
        return str(body["experiment_id"])

    def create_run(self, experiment_id: str, name: str) -> str:
        body = self.call(
            "POST",
            f"{API}/runs/create",
            json={"experiment_id": experiment_id, "run_name": name, "start_time": T0},
        )
        return str(body["run"]["info"]["run_id"])

    def log_batch(self, body: dict[str, Any]) -> None:
        self.call("POST", f"{API}/runs/log-batch", json=body)

    def close(self) -> None:
        self.session.close()


def point(key: str, step: int) -> dict[str, Any]:
    """Return the wire form of the one point of ``key`` at ``step`` (its value follows the step)."""
    return {"key": key, "value": step * 0.25, "timestamp": T0 + step, "step": step}


def batch(run_id: str, key: str, steps: range, **extra: Any) -> dict[str, Any]:
    return {"run_id": run_id, "metrics": [point(key, step) for step in steps], **extra}


def expected_points(key: str, steps: list[int]) -> list[Metric]:
    return [Metric(key, step * 0.25, T0 + step, step) for step in sorted(steps)]


def stored_points(store: RestStore, run_id: str, key: str) -> list[Metric]:
    """Return every stored point of a metric, sorted by step (pages of 2,500 points)."""
    history = all_history(store, run_id, key, page_size=2_500)
    return sorted(history, key=lambda metric: (metric.step, metric.timestamp))


# -- servers -------------------------------------------------------------------------------------


def upgrade_database(uri: str, work_dir: Path) -> None:
    """Apply the migrations once, before any replica starts (the deployment recipe)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "--tracking-uri", uri, "db", "upgrade"],
        cwd=work_dir,
        env=isolated_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@dataclass
class Replicas:
    """Servers sharing one database and one artifact root (one server may appear twice)."""

    first: ServerProcess
    second: ServerProcess
    artifact_root: Path

    def stop(self) -> None:
        self.first.stop()
        self.second.stop()


@pytest.fixture
def postgres_pair(tmp_path: Path, postgres_uri: str) -> Iterator[Replicas]:
    """Two replicas on one fresh PostgreSQL database, started with ``--no-migrate``."""
    upgrade_database(postgres_uri, tmp_path / "migrate")
    artifact_root = tmp_path / "shared-artifacts"
    flags = ("--backend-store-uri", postgres_uri, "--artifacts-destination", str(artifact_root))
    first = start_server(tmp_path / "a", *flags, "--no-migrate")
    try:
        second = start_server(tmp_path / "b", *flags, "--no-migrate")
    except BaseException:
        first.stop()
        raise
    replicas = Replicas(first, second, artifact_root)
    yield replicas
    replicas.stop()


def spawned_workers(server: ServerProcess) -> int:
    """Count the uvicorn worker processes (multiprocessing children) of a server."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != server.process.pid:
                continue
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
        if b"spawn_main" in command:
            count += 1
    return count


@pytest.fixture
def sqlite_workers(tmp_path: Path) -> Iterator[ServerProcess]:
    """One server with two worker processes on one SQLite file, both workers up."""
    server = start_server(tmp_path / "workers", "--workers", "2")
    try:
        deadline = time.monotonic() + WORKERS_UP_TIMEOUT_S
        while spawned_workers(server) < 2:
            assert time.monotonic() < deadline, f"workers did not start:\n{server.log()}"
            time.sleep(0.05)  # a subprocess's readiness cannot come from our clock
        yield server
    finally:
        server.stop()


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"])
def replicas(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Replicas]:
    """Two PostgreSQL replicas, or one SQLite server standing for both."""
    if request.param == "postgres":
        yield request.getfixturevalue("postgres_pair")
        return
    server = start_server(tmp_path / "single")
    try:
        yield Replicas(server, server, tmp_path / "single" / "artifacts")
    finally:
        server.stop()


# -- one consistent view -------------------------------------------------------------------------


@pytest.mark.postgres
def test_writes_through_one_replica_are_read_through_the_other(postgres_pair: Replicas) -> None:
    a, b = Api(postgres_pair.first), Api(postgres_pair.second)
    reader_a, reader_b = RestStore(a.server.url), RestStore(b.server.url)
    try:
        experiment_id = a.create_experiment("shared-view")
        assert (
            b.call(
                "GET", f"{API}/experiments/get-by-name", params={"experiment_name": "shared-view"}
            )["experiment"]["experiment_id"]
            == experiment_id
        )

        run_id = a.create_run(experiment_id, "through-a")
        a.log_batch(
            batch(
                run_id,
                "loss",
                range(10),
                params=[{"key": "lr", "value": "0.01"}],
                tags=[{"key": "team", "value": "vision"}],
            )
        )
        seen = reader_b.get_run(run_id)
        assert seen.info.run_name == "through-a"
        assert seen.data.params == {"lr": "0.01"}
        assert seen.data.tags["team"] == "vision"
        assert seen.data.metrics == {"loss": 9 * 0.25}
        assert stored_points(reader_b, run_id, "loss") == expected_points("loss", list(range(10)))

        b.call(
            "POST", f"{API}/runs/set-tag", json={"run_id": run_id, "key": "team", "value": "nlp"}
        )
        b.call(
            "POST",
            f"{API}/runs/update",
            json={"run_id": run_id, "status": "FINISHED", "end_time": T0 + 60_000},
        )
        seen = reader_a.get_run(run_id)
        assert seen.data.tags["team"] == "nlp"
        assert (seen.info.status.name, seen.info.end_time) == ("FINISHED", T0 + 60_000)

        b.call(
            "POST",
            f"{API}/experiments/update",
            json={"experiment_id": experiment_id, "new_name": "renamed"},
        )
        assert reader_a.get_experiment(experiment_id).name == "renamed"
        runs = search_all_runs(reader_a, [experiment_id], filter_string="tags.team = 'nlp'")
        assert [run.info.run_id for run in runs] == [run_id]
    finally:
        for closeable in (a, b, reader_a, reader_b):
            closeable.close()


@pytest.mark.postgres
def test_artifacts_uploaded_through_one_replica_are_served_by_the_other(
    postgres_pair: Replicas,
) -> None:
    a, b = Api(postgres_pair.first), Api(postgres_pair.second)
    try:
        experiment_id = a.create_experiment("shared-artifacts")
        run_id = a.create_run(experiment_id, "files")
        info = b.call("GET", f"{API}/runs/get", params={"run_id": run_id})["run"]["info"]
        prefix = info["artifact_uri"].removeprefix("mlflow-artifacts:/").strip("/")
        payload = bytes(range(256)) * 4096
        a.call("PUT", f"{ARTIFACTS_API}/{prefix}/model/weights.bin", data=payload)

        download = b.session.get(
            f"{b.server.url}{ARTIFACTS_API}/{prefix}/model/weights.bin", timeout=REQUEST_TIMEOUT_S
        )
        assert (download.status_code, download.content) == (200, payload)
        listing = b.call("GET", f"{API}/artifacts/list", params={"run_id": run_id, "path": "model"})
        assert listing["files"] == [
            {"path": "model/weights.bin", "is_dir": False, "file_size": len(payload)}
        ]
        stored = postgres_pair.artifact_root / prefix / "model" / "weights.bin"
        assert stored.read_bytes() == payload

        b.call("DELETE", f"{ARTIFACTS_API}/{prefix}/model/weights.bin")
        gone = a.session.get(
            f"{a.server.url}{ARTIFACTS_API}/{prefix}/model/weights.bin", timeout=REQUEST_TIMEOUT_S
        )
        assert gone.status_code == 404
    finally:
        a.close()
        b.close()


# -- concurrent writers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """What each writer thread does."""

    batches: int
    points_per_batch: int
    runs_created: int

    @property
    def points(self) -> int:
        return self.batches * self.points_per_batch

    def steps(self, writer: int) -> list[int]:
        """The steps writer ``writer`` logs: disjoint from every other writer's."""
        return list(range(writer * self.points, (writer + 1) * self.points))


def write(
    api: Api, writer: int, load: Load, experiment_id: str, shared_run: str, start: threading.Barrier
) -> str:
    """Log ``load`` through ``api``: to the shared run, to an own run, and create runs."""
    own_run = api.create_run(experiment_id, f"own-{writer}")
    api.log_batch(
        {"run_id": shared_run, "params": [{"key": f"writer-{writer}", "value": str(writer)}]}
    )
    start.wait(timeout=REQUEST_TIMEOUT_S)
    first = writer * load.points
    for index in range(load.batches):
        steps = range(
            first + index * load.points_per_batch, first + (index + 1) * load.points_per_batch
        )
        api.log_batch(batch(shared_run, "shared", steps))
        api.log_batch(batch(own_run, "own", steps, tags=[{"key": "batch", "value": str(index)}]))
        if index < load.runs_created:
            api.create_run(experiment_id, f"extra-{writer}-{index}")
    return own_run


def run_writers(
    servers: list[ServerProcess], load: Load, experiment: str
) -> tuple[str, str, dict[int, str]]:
    """Run a writer thread per entry of ``servers``; return the experiment, shared and own runs."""
    setup = Api(servers[0])
    try:
        experiment_id = setup.create_experiment(experiment)
        shared_run = setup.create_run(experiment_id, "shared")
    finally:
        setup.close()
    start = threading.Barrier(len(servers))
    apis = [Api(server) for server in servers]
    try:
        with ThreadPoolExecutor(max_workers=len(servers)) as pool:
            futures = [
                pool.submit(write, api, writer, load, experiment_id, shared_run, start)
                for writer, api in enumerate(apis)
            ]
            own_runs = {
                writer: future.result(timeout=WRITERS_TIMEOUT_S)
                for writer, future in enumerate(futures)
            }
    finally:
        for api in apis:
            api.close()
    return experiment_id, shared_run, own_runs


def check_every_point_once(
    server: ServerProcess, load: Load, experiment_id: str, shared_run: str, own_runs: dict[int, str]
) -> None:
    writers = len(own_runs)
    store = RestStore(server.url)
    try:
        all_steps = [step for writer in range(writers) for step in load.steps(writer)]
        assert stored_points(store, shared_run, "shared") == expected_points("shared", all_steps)
        for writer, run_id in own_runs.items():
            assert stored_points(store, run_id, "own") == expected_points("own", load.steps(writer))
            assert store.get_run(run_id).data.tags["batch"] == str(load.batches - 1)
        shared = store.get_run(shared_run)
        assert shared.data.metrics == {"shared": (writers * load.points - 1) * 0.25}
        assert shared.data.params == {f"writer-{w}": str(w) for w in range(writers)}
        runs = search_all_runs(store, [experiment_id])
        assert len(runs) == 1 + writers + writers * load.runs_created
        assert len({run.info.run_id for run in runs}) == len(runs)
    finally:
        store.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_concurrent_writers_through_two_replicas_lose_and_duplicate_nothing(
    postgres_pair: Replicas,
) -> None:
    load = Load(batches=10, points_per_batch=500, runs_created=5)
    servers = [postgres_pair.first, postgres_pair.second] * 4
    experiment_id, shared_run, own_runs = run_writers(servers, load, "replicas")
    for server in (postgres_pair.first, postgres_pair.second):
        check_every_point_once(server, load, experiment_id, shared_run, own_runs)


@pytest.mark.slow
def test_eight_writers_on_sqlite_with_two_workers_are_never_locked_out(
    sqlite_workers: ServerProcess,
) -> None:
    load = Load(batches=10, points_per_batch=500, runs_created=5)
    experiment_id, shared_run, own_runs = run_writers([sqlite_workers] * 8, load, "workers")
    check_every_point_once(sqlite_workers, load, experiment_id, shared_run, own_runs)
    assert "database is locked" not in sqlite_workers.log()


# -- retries -------------------------------------------------------------------------------------


def retried_body(run_id: str) -> dict[str, Any]:
    return batch(
        run_id,
        "loss",
        range(RETRIED_POINTS),
        params=[{"key": "lr", "value": "0.01"}],
        tags=[{"key": "stage", "value": "train"}],
    )


def test_a_retried_log_batch_stores_each_point_once(replicas: Replicas) -> None:
    """The same body again, as a client sends it after losing the answer, via either replica."""
    first, second = Api(replicas.first), Api(replicas.second)
    store = RestStore(replicas.second.url)
    try:
        run_id = first.create_run(first.create_experiment("retries"), "retried")
        first.log_batch(retried_body(run_id))
        second.log_batch(retried_body(run_id))
        first.log_batch(retried_body(run_id))
        assert stored_points(store, run_id, "loss") == expected_points(
            "loss", list(range(RETRIED_POINTS))
        )
        run = store.get_run(run_id)
        assert (run.data.params, run.data.tags["stage"]) == ({"lr": "0.01"}, "train")
        assert run.data.metrics == {"loss": (RETRIED_POINTS - 1) * 0.25}
    finally:
        for closeable in (first, second, store):
            closeable.close()


def test_overlapping_retries_of_one_batch_store_each_point_once(replicas: Replicas) -> None:
    """A retry that arrives while the first attempt is still being written (one per replica)."""
    apis = [Api(replicas.first), Api(replicas.second)] * 2
    store = RestStore(replicas.first.url)
    try:
        run_id = apis[0].create_run(apis[0].create_experiment("overlapping"), "overlapping")
        body = retried_body(run_id)
        start = threading.Barrier(len(apis))

        def send(api: Api) -> None:
            start.wait(timeout=REQUEST_TIMEOUT_S)
            api.log_batch(body)

        with ThreadPoolExecutor(max_workers=len(apis)) as pool:
            for future in [pool.submit(send, api) for api in apis]:
                future.result(timeout=WRITERS_TIMEOUT_S)
        assert stored_points(store, run_id, "loss") == expected_points(
            "loss", list(range(RETRIED_POINTS))
        )
        assert store.get_run(run_id).data.metrics == {"loss": (RETRIED_POINTS - 1) * 0.25}
    finally:
        for api in apis:
            api.close()
        store.close()
