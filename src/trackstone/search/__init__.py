"""The filter and order-by language of run, experiment and model searches (no SQL, no I/O)."""

from trackstone.search.evaluate import (
    experiment_matches,
    run_matches,
    sort_experiments,
    sort_runs,
)
from trackstone.search.format import format_filter, format_order_by
from trackstone.search.parser import (
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
    parse_run_filter,
    parse_run_order_by,
)
from trackstone.search.schema import EXPERIMENT_SCHEMA, RUN_SCHEMA, SearchSchema

__all__ = [
    "EXPERIMENT_SCHEMA",
    "RUN_SCHEMA",
    "SearchSchema",
    "experiment_matches",
    "format_filter",
    "format_order_by",
    "parse_experiment_filter",
    "parse_experiment_order_by",
    "parse_filter",
    "parse_order_by",
    "parse_run_filter",
    "parse_run_order_by",
    "run_matches",
    "sort_experiments",
    "sort_runs",
]
