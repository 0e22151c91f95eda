"""``foiwatch status``: each source's schedule, last and next run and health; what is crawling
now; the outbox. Everything comes from ``monitor.service.status.service_status``."""

from __future__ import annotations

import json
from datetime import datetime

import click
from rich.table import Table

from monitor.cli.common import Context, add_row, cell, console, id_column
from monitor.service.status import ServiceStatus, SourceStatus, service_status


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "-"


def _span(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3 h 5 min``, ``2 d 4 h``: how long, to the unit that matters."""
    minutes, hours = int(seconds // 60), int(seconds // 3600)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{minutes} min"
    if seconds < 86400:
        return f"{hours} h {minutes % 60} min"
    return f"{hours // 24} d {hours % 24} h"


def next_run_words(source: SourceStatus, at: datetime) -> str:
    """When the source runs next, in words: a time, overdue, or why there is none."""
    if not source.enabled:
        return "disabled"
    if source.next_run is None:
        return "soon after the service starts"
    if source.next_run <= at:
        return f"overdue since {_when(source.next_run)} (is `foiwatch run` running?)"
    return _when(source.next_run)


def last_run_words(source: SourceStatus) -> str:
    run = source.last_run
    if run is None:
        return "never"
    took = f" in {_span(run.duration_seconds)}" if run.duration_seconds is not None else ""
    counts = f", {run.items} items, {run.new} new, {run.changed} changed, {run.withdrawn} withdrawn"
    said = f": {run.cause}" if run.cause else ""
    where = f" on {run.node}" if run.node else ""
    outcome = f"{run.status}{said}{counts if not run.cause else ''}{took}"
    return f"{_when(run.started_at)} {run.mode}{where}: {outcome}"


def status_lines(status: ServiceStatus) -> list[str]:
    """The lines around the sources table: the service, the data, crawls now, notifications."""
    service = status.service
    if service is None:
        running = "not running (no `foiwatch run` holds this database)"
    elif service.alive:
        running = (
            f"running: process {service.pid} on {service.host} since {_when(service.started_at)}, "
            f"last heartbeat {_span((status.at - service.heartbeat_at).total_seconds())} ago"
        )
    else:
        running = f"not running (process {service.pid} on {service.host} stopped without releasing the lock)"
    lines = [f"service: {running}", f"data: {status.data_dir} (database {status.database})"]
    crawls = [
        f"{c.source_id} ({c.mode}, run {c.run_id}, for {_span(c.running_seconds)}, process {c.owner}"
        + (f", on Scrapyd node {c.node})" if c.node else ")")
        for c in status.crawling
    ]
    lines.append("crawling now: " + ("; ".join(crawls) or "nothing"))
    n = status.notifications
    oldest = (
        f"; the oldest waiting was queued {_span(n.oldest_waiting_seconds)} ago"
        if n.oldest_waiting_seconds is not None
        else ""
    )
    lines.append(
        f"notifications: {n.pending} pending, {n.sending} sending, {n.failed} failed (to retry), "
        f"{n.dead} dead, {n.held} held for digests{oldest}"
    )
    return lines


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object (times in ISO 8601, UTC).")
@click.pass_obj
def status(obj: Context, as_json: bool) -> None:
    """Each source's schedule, next run and its mode, last run (result, cause in words) and health;
    what is crawling now; notifications pending, failed and dead."""
    app = obj.app(reads=True)
    found = service_status(app)
    if as_json:
        click.echo(json.dumps(found.as_dict(), indent=2, ensure_ascii=False))
        return
    lines = status_lines(found)
    for line in lines[:2]:
        console.print(cell(line))
    table = Table(id_column("source"), "schedule", "next run", "mode", "last run", "health")
    for source in found.sources:
        health = source.health + (f": {source.health_problem}" if source.health_problem else "")
        add_row(
            table,
            source.id,
            source.schedule,
            next_run_words(source, found.at),
            source.next_mode,
            last_run_words(source),
            health,
        )
    console.print(table)
    for line in lines[2:]:
        console.print(cell(line))
