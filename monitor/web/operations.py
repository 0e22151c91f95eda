"""/healthz and /metrics: for the people and the monitoring that keep foiwatch running."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from monitor.query.operations import Figures, figures, stuck_crawls

from .context import WebContext, context_of

# A crawl is stopped at its timeout; one still running a while after that is stuck.
STUCK_GRACE_SECONDS = 300


def healthz(request: Request) -> JSONResponse:
    """200 with ``{"status": "ok"}`` only when the database answers and, under ``foiwatch run``,
    the scheduler is alive and no crawl is stuck; otherwise 503 with the reasons in words."""
    context = context_of(request)
    problems: list[str] = []
    problem = context.app.database.problem()
    if problem:
        problems.append(problem)
    elif context.liveness is not None:
        timeout = context.app.config.service.crawl_timeout_seconds
        with context.app.database.session() as session:
            problems += stuck_crawls(session, timeout, STUCK_GRACE_SECONDS)
    if context.liveness is not None:
        problems += context.liveness()
    body = {
        "status": "ok" if not problems else "unhealthy",
        "problems": problems,
        "scheduler": "not running here (foiwatch serve)" if context.liveness is None else "checked",
    }
    return JSONResponse(body, status_code=200 if not problems else 503)


class FiguresCollector(Collector):
    """Prometheus figures counted from the database at each scrape."""

    def __init__(self, context: WebContext) -> None:
        self.context = context

    def collect(self) -> Iterator[Any]:
        with self.context.app.database.session() as session:
            data: Figures = figures(session)
        runs = CounterMetricFamily(
            "foiwatch_runs", "Crawl runs recorded, by source and result", labels=["source", "result"]
        )
        items = CounterMetricFamily("foiwatch_items", "Responses read by crawls", labels=["source"])
        changes = CounterMetricFamily(
            "foiwatch_changes", "New, changed and withdrawn responses found", labels=["source", "kind"]
        )
        errors = CounterMetricFamily("foiwatch_crawl_errors", "Errors recorded by crawls", labels=["source"])
        stored = GaugeMetricFamily("foiwatch_responses", "Responses stored", labels=["source"])
        duration = GaugeMetricFamily(
            "foiwatch_last_crawl_duration_seconds", "Duration of the last finished crawl", labels=["source"]
        )
        success = GaugeMetricFamily(
            "foiwatch_last_success_timestamp_seconds",
            "When the last successful crawl finished",
            labels=["source"],
        )
        for source, f in data.sources.items():
            for result, count in f.runs.items():
                runs.add_metric([source, result], count)
            items.add_metric([source], f.items)
            for kind in ("new", "changed", "withdrawn"):
                changes.add_metric([source, kind], getattr(f, kind))
            errors.add_metric([source], f.errors)
            stored.add_metric([source], f.responses)
            if f.last_duration_seconds is not None:
                duration.add_metric([source], f.last_duration_seconds)
            if f.last_success is not None:
                success.add_metric([source], f.last_success.timestamp())
        notifications = GaugeMetricFamily(
            "foiwatch_notifications", "Notifications by state", labels=["state"]
        )
        for state in ("pending", "sending", "sent", "failed", "dead"):
            notifications.add_metric([state], data.notifications.get(state, 0))
        oldest = GaugeMetricFamily(
            "foiwatch_oldest_pending_notification_age_seconds",
            "Age of the oldest notification still to be delivered: pending, sending or failed (0 when none)",
        )
        oldest.add_metric([], data.oldest_pending_age_seconds or 0.0)
        yield from (runs, items, changes, errors, stored, duration, success, notifications, oldest)


def metrics(request: Request) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FiguresCollector(context_of(request)))
    return Response(generate_latest(registry), media_type="text/plain; version=0.0.4; charset=utf-8")
