"""Dataset inputs in SQL: datasets per experiment, their uses by runs, and the tags of each use."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from trackstone.entities import DatasetInput
from trackstone.entities.validation import check_item_types
from trackstone.store.sql import schema
from trackstone.store.sql.engine import Database
from trackstone.store.sql.runs import lock_run
from trackstone.store.sql.upserts import Upserts

__all__ = ["InputWriter"]

D = schema.datasets
I = schema.inputs  # noqa: E741


class InputWriter:
    """Records which datasets runs consumed."""

    def __init__(self, db: Database, upserts: Upserts) -> None:
        self._db = db
        self._upserts = upserts

    def log_inputs(self, run_id: str, dataset_inputs: Sequence[DatasetInput]) -> None:
        """Store each dataset once per experiment and each use once per run and context."""
        check_item_types("datasets", dataset_inputs, DatasetInput)
        with self._db.write() as connection:
            run = lock_run(connection, run_id)
            run.require_active("log inputs to")
            for item in dataset_inputs:
                dataset = item.dataset
                identity = (
                    D.c.experiment_id == run.experiment_id,
                    D.c.name == dataset.name,
                    D.c.digest == dataset.digest,
                )
                connection.execute(
                    self._upserts.datasets,
                    {
                        "experiment_id": run.experiment_id,
                        "name": dataset.name,
                        "digest": dataset.digest,
                        "source_type": dataset.source_type,
                        "source": dataset.source,
                        "schema": dataset.schema,
                        "profile": dataset.profile,
                    },
                )
                dataset_pk = connection.execute(
                    select(D.c.dataset_pk).where(*identity)
                ).scalar_one()
                context = item.context or ""
                use = {"run_pk": run.run_pk, "dataset_pk": dataset_pk, "context": context}
                connection.execute(self._upserts.inputs, use)
                input_pk = connection.execute(
                    select(I.c.input_pk).where(
                        I.c.run_pk == run.run_pk,
                        I.c.dataset_pk == dataset_pk,
                        I.c.context == context,
                    )
                ).scalar_one()
                if item.tags:
                    connection.execute(
                        self._upserts.input_tags,
                        [{"input_pk": input_pk, "key": t.key, "value": t.value} for t in item.tags],
                    )
