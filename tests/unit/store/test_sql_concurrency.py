"""Concurrent writers on one SQLite file queue on the write lock instead of failing."""

from __future__ import annotations

import threading
from pathlib import Path

from trackstone.entities import Metric, Param
from trackstone.store.sql.store import SqlStore

THREADS = 4
BATCHES = 8
POINTS = 50


def test_concurrent_writers_all_succeed(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 't.db'}"
    store = SqlStore(uri, str(tmp_path / "artifacts"))
    other = SqlStore(uri, str(tmp_path / "artifacts"))  # a second engine, like a second process
    run_ids = [store.create_run("0").info.run_id for _ in range(THREADS)]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        target = store if index % 2 else other
        try:
            for batch in range(BATCHES):
                points = [Metric("m", float(i), batch, batch * POINTS + i) for i in range(POINTS)]
                target.log_batch(run_ids[index], metrics=points, params=[Param(f"p{batch}", "x")])
                target.create_experiment(f"e-{index}-{batch}")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        for run_id in run_ids:
            assert len(store.get_metric_history(run_id, "m")) == BATCHES * POINTS
            assert len(store.get_run(run_id).data.params) == BATCHES
        assert len(store.search_experiments(max_results=1000)) == 1 + THREADS * BATCHES
    finally:
        store.close()
        other.close()
