"""``foiwatch crawl`` (now, in the foreground) and ``foiwatch run`` (the service)."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from typing import Any

import click
from rich.table import Table

from monitor.cli.common import Context, add_row, cell, console, id_column


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops a manual crawl as Ctrl-C does: the crawl subprocess is stopped with it."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt("SIGTERM")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.command()
@click.option(
    "--source", "source_ids", multiple=True, help="Source id (repeatable); default: every enabled source."
)
@click.option(
    "--full",
    "mode",
    flag_value="full",
    help="Follow every listing page and revalidate every response (finds edits).",
)
@click.option(
    "--incremental", "mode", flag_value="incremental", help="Read only what is new; stop at known responses."
)
@click.pass_obj
def crawl(obj: Context, source_ids: tuple[str, ...], mode: str | None) -> None:
    """Crawl now, store, diff and notify; exit status 1 if any source failed.

    Without --full or --incremental a source gets a full crawl when its last one is older than
    crawler.full_crawl_every_hours (24 by default), else an incremental one: edits to known
    responses are found within that time. SIGTERM or Ctrl-C stops the crawl in progress, records
    it as interrupted, and exits (status 130).
    """
    from monitor.classify import build_classifiers
    from monitor.notify.deliver import deliver_pending
    from monitor.service.crawls import CrawlSummary, crawl_source, next_full_crawl

    app = obj.app()
    sources = [app.config.source(i) for i in source_ids] or [s for s in app.config.sources if s.enabled]
    classifiers = build_classifiers(app.config.topics)
    summaries: list[CrawlSummary] = []
    try:
        with _sigterm_interrupts():
            for source in sources:
                summaries.append(
                    crawl_source(app.database, app.config, source, app.data_dir, mode, classifiers)
                )
            report = deliver_pending(app.database, app.config.notifications)
    except KeyboardInterrupt:
        _print_crawl_table(summaries)
        click.echo("interrupted: the crawl in progress was stopped and recorded as interrupted", err=True)
        sys.exit(130)
    _print_crawl_table(summaries)
    for s in summaries:
        if s.mode == "incremental":
            due = next_full_crawl(app.database, app.config, s.source_id)
            when = f"{due:%Y-%m-%d %H:%M} UTC" if due else "on its next crawl"
            console.print(
                cell(
                    f"{s.source_id}: incremental crawl (new responses only); edits are found by the next "
                    f"full crawl, {when}, or now with --full"
                )
            )
    console.print(f"notifications: {report.sent} sent, {report.failed} to retry, {report.dead} dead")
    if any(s.failed for s in summaries):
        sys.exit(1)


def _print_crawl_table(summaries: list[Any]) -> None:
    table = Table(
        id_column("source"),
        "mode",
        "status",
        "pages",
        "items",
        "new",
        "changed",
        "withdrawn",
        "errors",
        "problem",
    )
    for s in summaries:
        add_row(
            table,
            s.source_id,
            s.mode,
            s.status,
            s.pages,
            s.items,
            s.new,
            s.changed,
            s.withdrawn,
            s.errors,
            s.error,
        )
    console.print(table)


@click.command()
@click.pass_obj
def run(obj: Context) -> None:
    """Run the service: crawl every enabled source on its schedule until stopped (SIGTERM)."""
    from monitor.service.scheduler import serve

    sys.exit(serve(obj.config_dir, obj.db, obj.data_dir))
