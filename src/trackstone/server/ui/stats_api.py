"""``GET /api/2.0/trackstone/ui/experiment-stats``: run counts and last activity, for the list."""

from __future__ import annotations

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from trackstone.store.experiment_stats import experiment_stats_of

__all__ = ["EXPERIMENT_STATS_PATH", "experiment_stats"]

EXPERIMENT_STATS_PATH = "/api/2.0/trackstone/ui/experiment-stats"


class _WireStats(msgspec.Struct, kw_only=True):
    experiment_id: str
    active_runs: int
    deleted_runs: int
    last_run_time_ms: int | None


class _WireStatsResponse(msgspec.Struct, kw_only=True):
    experiments: list[_WireStats]


async def experiment_stats(request: Request) -> Response:
    """Answer the stats of each existing experiment named by ``experiment_ids`` (repeatable)."""
    reader = experiment_stats_of(request.app.state.store)
    ids = request.query_params.getlist("experiment_ids")
    stats = await run_in_threadpool(reader.experiment_stats, ids)
    body = _WireStatsResponse(
        experiments=[
            _WireStats(
                experiment_id=item.experiment_id,
                active_runs=item.active_runs,
                deleted_runs=item.deleted_runs,
                last_run_time_ms=item.last_run_time_ms,
            )
            for item in stats
        ]
    )
    return Response(msgspec.json.encode(body), media_type="application/json")
