"""Production monitoring for ``TrackstoneClient``: observed metrics checked against baselines.

A serving process logs what it observes (``log_production_metrics``); a cron job or CI step
checks the recent observations against the version's baseline (``check_against_baseline``),
which is either set explicitly (``set_baseline``) or the source run's latest metrics. The
work is done by the tracking store's ``RegistryStore`` (the same locally and over REST) and
the pure ``trackstone.monitoring.check``. A version is named by number or by alias.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from trackstone.entities import PagedList
from trackstone.entities.registry import Baseline, ProductionMetric
from trackstone.entities.validation import check_int64, check_key, check_metric_value
from trackstone.errors import InvalidParameter
from trackstone.monitoring.check import check_against_baseline, observation_span
from trackstone.monitoring.report import BaselineReport, Rule
from trackstone.monitoring.rules import parse_rules

if TYPE_CHECKING:
    from trackstone.clock import Clock
    from trackstone.store.base import TrackingStore
    from trackstone.store.registry import RegistryStore

__all__ = ["MonitoringMethods", "check_model_version", "resolve_version"]


class _Client(Protocol):
    """What the monitoring mixin needs from the client it is part of."""

    @property
    def store(self) -> TrackingStore: ...

    @property
    def clock(self) -> Clock: ...


def resolve_version(
    registry: RegistryStore, name: str, version_or_alias: str | int, field: str = "version"
) -> str:
    """Return the version number named by a number (``3``, ``"3"``) or an alias (``"champion"``).

    Raises:
        InvalidParameter: ``version_or_alias`` is empty or not a string or int.
        InvalidParameter: the model has no such alias (MLflow's code for it).
        NotFound: the model does not exist.
    """
    if isinstance(version_or_alias, int) and not isinstance(version_or_alias, bool):
        return str(version_or_alias)
    if not isinstance(version_or_alias, str) or not version_or_alias.strip():
        raise InvalidParameter(
            f"{field}: must be a version number or an alias, got {version_or_alias!r}"
        )
    if version_or_alias.isdigit():
        return version_or_alias
    return registry.get_model_version_by_alias(name, version_or_alias).version


def check_model_version(
    registry: RegistryStore,
    name: str,
    version: str,
    rules: Sequence[str | Rule | Mapping[str, Any]],
    *,
    now_ms: int,
    window_s: float | None = None,
) -> BaselineReport:
    """Fetch a version's baseline and the observations the rules need, and judge them.

    Rules are parsed before anything is read, so a typo costs no round trip.
    """
    parsed = parse_rules(rules)
    if window_s is not None and (
        isinstance(window_s, bool) or not isinstance(window_s, (int, float)) or window_s <= 0
    ):
        raise InvalidParameter(f"window_s: must be a number of seconds above 0, got {window_s!r}")
    baseline = registry.get_model_version_baseline(name, version)
    start_ms, end_ms = observation_span(parsed, now_ms, window_s)
    observations: list[ProductionMetric] = []
    for key in dict.fromkeys(rule.metric for rule in parsed):
        observations += registry.get_production_metrics(
            name, version, key=key, start_timestamp=start_ms, end_timestamp=end_ms
        )
    return check_against_baseline(
        name, version, baseline, observations, parsed, now_ms=now_ms, default_window_s=window_s
    )


class MonitoringMethods:
    """Log a version's production metrics and check them against its baseline."""

    def log_production_metrics(
        self: _Client,
        name: str,
        version_or_alias: str | int,
        metrics: Mapping[str, float],
        timestamp: int | None = None,
    ) -> None:
        """Record metric values a model version showed in production, all at one instant.

        Args:
            name: the registered model.
            version_or_alias: a version number (``3`` or ``"3"``) or an alias (``"champion"``),
                resolved now.
            metrics: key -> value; NaN and infinities are stored (and fail later checks). An
                empty mapping logs nothing.
            timestamp: ms since the epoch; the client's clock when None.

        Raises:
            InvalidParameter: a bad key, value or timestamp (nothing is stored).
            NotFound: the model, version or alias does not exist.

        Example:
            >>> client.log_production_metrics(  # doctest: +SKIP
            ...     "churn", "champion", {"accuracy": 0.91, "latency_ms": 42.0}
            ... )
        """
        if not isinstance(metrics, Mapping):
            raise InvalidParameter(f"metrics: must be a mapping of key to value, got {metrics!r}")
        at = self.clock.now_ms() if timestamp is None else check_int64("timestamp", timestamp)
        if at < 0:
            raise InvalidParameter(f"timestamp: must not be negative, got {at}")
        points = [
            ProductionMetric(
                check_key(f"metrics[{key!r}]", key),
                check_metric_value(f"metrics[{key!r}]", value),
                at,
            )
            for key, value in metrics.items()
        ]
        if not points:
            return
        registry = _registry(self)
        version = resolve_version(registry, name, version_or_alias, "version_or_alias")
        registry.log_production_metrics(name, version, points)

    def get_production_metrics(
        self: _Client,
        name: str,
        version_or_alias: str | int,
        key: str | None = None,
        start_timestamp: int | None = None,
        end_timestamp: int | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[ProductionMetric]:
        """Return a version's production observations, oldest first.

        Args:
            key: only this metric (every metric when None).
            start_timestamp: only points at or after this instant (ms).
            end_timestamp: only points at or before this instant (ms).
            max_results: return one page of at most this many points (up to
                ``PRODUCTION_METRICS_MAX_RESULTS_LIMIT``), its ``token`` naming the next;
                every point when None.
            page_token: the ``token`` of the previous page.

        Example:
            >>> [p.value for p in client.get_production_metrics(  # doctest: +SKIP
            ...     "churn", 3, key="accuracy")]
            [0.91, 0.9]
        """
        registry = _registry(self)
        version = resolve_version(registry, name, version_or_alias, "version_or_alias")
        return registry.get_production_metrics(
            name, version, key, start_timestamp, end_timestamp, max_results, page_token
        )

    def set_baseline(
        self: _Client, name: str, version_or_alias: str | int, metrics: Mapping[str, float]
    ) -> None:
        """Set the values a version is expected to keep, replacing its explicit baseline.

        Without one, the baseline is the latest metrics of the version's source run. An empty
        mapping clears the explicit baseline (back to the run's metrics).

        Example:
            >>> client.set_baseline("churn", "champion", {"accuracy": 0.92})  # doctest: +SKIP
        """
        if not isinstance(metrics, Mapping):
            raise InvalidParameter(f"metrics: must be a mapping of key to value, got {metrics!r}")
        checked = {
            check_key(f"metrics[{key!r}]", key): check_metric_value(f"metrics[{key!r}]", value)
            for key, value in metrics.items()
        }
        registry = _registry(self)
        version = resolve_version(registry, name, version_or_alias, "version_or_alias")
        registry.set_model_version_baseline(name, version, checked)

    def get_baseline(self: _Client, name: str, version_or_alias: str | int) -> Baseline:
        """Return a version's baseline and where it comes from (explicit, source run, none).

        Example:
            >>> client.get_baseline("churn", 3).metrics["accuracy"]  # doctest: +SKIP
            0.92
        """
        registry = _registry(self)
        version = resolve_version(registry, name, version_or_alias, "version_or_alias")
        return registry.get_model_version_baseline(name, version)

    def check_against_baseline(
        self: _Client,
        name: str,
        version_or_alias: str | int,
        rules: Sequence[str | Rule | Mapping[str, Any]],
        window_s: float | None = None,
        now: int | None = None,
    ) -> BaselineReport:
        """Judge the version's recent production metrics against its baseline.

        Args:
            rules: rule texts (``"accuracy>=-0.02rel@24h"``, grammar in
                ``trackstone.monitoring.rules``), mappings or ``Rule`` objects.
            window_s: the window of rules that name none (None: every observation).
            now: the instant to check "as of", ms since the epoch (the client's clock when
                None).

        Returns:
            A ``BaselineReport``; ``report.passed`` is False when any rule failed, including
            for missing baseline values, missing observations or NaN observations.

        Raises:
            InvalidParameter: a bad rule (named ``rules[i]``) or window.
            NotFound: the model, version or alias does not exist.

        Example:
            >>> report = client.check_against_baseline(  # doctest: +SKIP
            ...     "churn", "champion", ["accuracy>=-0.02rel@24h", "latency_ms<=5"]
            ... )
            >>> report.passed  # doctest: +SKIP
            True
        """
        parsed = parse_rules(rules)
        at = self.clock.now_ms() if now is None else check_int64("now", now)
        registry = _registry(self)
        version = resolve_version(registry, name, version_or_alias, "version_or_alias")
        return check_model_version(registry, name, version, parsed, now_ms=at, window_s=window_s)


def _registry(client: _Client) -> RegistryStore:
    from trackstone.store.registry import registry_of

    return registry_of(client.store)
