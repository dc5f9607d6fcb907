"""``ModelInfo``: what ``log_model`` returns about the model it logged (MLflow's names)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trackstone.models.mlmodel import ModelMetadata
from trackstone.models.signature import ModelSignature

__all__ = ["ModelInfo"]


@dataclass(frozen=True)
class ModelInfo:
    """A logged model: where it is (``model_uri``, ``run_id``, ``artifact_path``) and its metadata.

    ``registered_model_version`` is the version number when ``registered_model_name`` was given.
    """

    model_uri: str
    run_id: str
    artifact_path: str
    flavors: Mapping[str, Mapping[str, Any]]
    model_uuid: str | None
    utc_time_created: str | None
    signature: ModelSignature | None
    saved_input_example_info: Mapping[str, Any] | None
    metadata: Mapping[str, Any] | None
    registered_model_version: int | None = None

    @property
    def signature_dict(self) -> dict[str, str | None] | None:
        """The signature in its MLmodel form (MLflow's ``ModelInfo.signature_dict``)."""
        return self.signature.to_dict() if self.signature is not None else None

    @classmethod
    def of(
        cls, metadata: ModelMetadata, model_uri: str, run_id: str, artifact_path: str
    ) -> ModelInfo:
        """Build from a saved model's metadata and where it was logged."""
        return cls(
            model_uri=model_uri,
            run_id=run_id,
            artifact_path=artifact_path,
            flavors=metadata.flavors,
            model_uuid=metadata.model_uuid,
            utc_time_created=metadata.utc_time_created,
            signature=metadata.signature,
            saved_input_example_info=metadata.saved_input_example_info,
            metadata=metadata.metadata,
        )
