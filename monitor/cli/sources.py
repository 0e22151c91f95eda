"""``foiwatch sources``: list, discover and check the configured disclosure logs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click
from rich.table import Table

from monitor.cli.common import Context, add_row, console, id_column
from monitor.config import load_config

if TYPE_CHECKING:
    from monitor.service.crawls import CheckReport


@click.group()
def sources() -> None:
    """Configured sources."""


@sources.command("list")
@click.pass_obj
def sources_list(obj: Context) -> None:
    """List sources: platform, schedule, last run, when edits are found, and health."""
    from monitor.service.status import service_status

    app = obj.app(reads=True)
    every = app.config.crawler.full_crawl_every_hours
    table = Table(
        id_column("id"),
        "platform",
        "authority",
        "schedule",
        "enabled",
        "last run",
        "edits found",
        "health",
        "url",
    )
    for source in service_status(app).sources:
        run = source.last_run
        when = "never"
        if run:
            when = f"{run.started_at:%Y-%m-%d %H:%M} {run.mode} {run.status}"
            if run.cause or run.problems:
                when += f": {run.cause or run.problems}"
        due = source.next_full_crawl
        edits = (
            f"within {every:g} h (next full crawl {due:%Y-%m-%d %H:%M})"
            if every > 0 and due
            else ("next crawl (full)" if every > 0 else "every crawl (always full)")
        )
        address = source.url
        if run and run.start_address and run.start_address != source.url:
            address += f" (log read at {run.start_address})"  # found from a landing page
        add_row(
            table,
            source.id,
            source.platform,
            source.authority,
            source.schedule,
            "yes" if source.enabled else "no",
            when,
            edits,
            f"{source.health}: {source.health_problem}" if source.health != "healthy" else "ok",
            address,
        )
    console.print(table)


@sources.command("discover")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--output", type=click.File("w", encoding="utf-8"), default="-", help="YAML file (default: stdout)."
)
def sources_discover(csv_file: Path, output: TextIO) -> None:
    """Candidate sources (YAML) from WhatDoTheyKnow's all-authorities.csv "Disclosure log" column."""
    from monitor.sources.discover import discover, read_authorities, render_yaml

    try:
        rows = read_authorities(csv_file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    found = discover(rows)
    output.write(render_yaml(found))
    click.echo(
        f"{len(found.candidates)} candidate sources, {len(found.unplaced)} URLs not placed, "
        f"{found.rows_without_log} authorities without a disclosure log",
        err=True,
    )


@sources.command("check")
@click.argument("source_ids", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Check every enabled source, one line each.")
@click.pass_obj
def sources_check(obj: Context, source_ids: tuple[str, ...], every: bool) -> None:
    """Fetch sources once (first listing page) without storing, and report what was found.

    Named sources get the detailed view: every link seen on the listing page, which were taken as
    responses, attachments or next pages, and which were rejected and why. ``--all`` (or no names)
    prints one line per enabled source: address, status, responses listed, fields filled, what to fix.
    """
    from monitor.service.crawls import check_source

    config = load_config(obj.config_dir)
    if source_ids and every:
        raise click.UsageError("name sources or pass --all, not both")
    chosen = [config.source(i) for i in source_ids] or [s for s in config.sources if s.enabled]
    failed = False
    for source in chosen:
        report = check_source(config, source)
        failed |= report.status != "succeeded"
        if source_ids:
            for line in check_details(report):
                click.echo(line)
        else:
            click.echo(check_line(report))
    if failed:
        sys.exit(1)


def check_line(report: CheckReport) -> str:
    """One source in one line: id, address, status, responses listed, fields filled, what to fix."""
    percent = report.filled_percent
    filled = "-" if percent is None else f"{percent}%"
    return (
        f"{report.source_id}  {report.address}  {report.status}  listed {report.listed}"
        f"  filled {filled}  fix: {report.what_to_fix}"
    )


def check_details(report: CheckReport) -> list[str]:
    """The detailed check of one source, links included, as lines of text."""
    filled = ", ".join(f"{k} {v}/{report.items}" for k, v in sorted(report.fields_filled.items()))
    lines = [
        check_line(report),
        f"  listed {report.listed}, read {report.items}, invalid {report.invalid}, errors {report.errors}"
        + (f"; fields: {filled}" if filled else ""),
    ]
    if report.problem:
        lines.append(f"  problem: {report.problem}")
    links = report.links
    if links:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(links.get("kinds", {}).items()) if n)
        lines.append(
            f"  links seen {links.get('seen', 0)}; accepted: {kinds or 'none'};"
            f" rejected {links.get('rejected_total', 0)}"
        )
        lines += [f"    + {a['kind']}: {a['url']}  {a['text']!r}" for a in links.get("accepted", [])]
        lines += [f"    - {r['reason']}: {r['url']}  {r['text']!r}" for r in links.get("rejected", [])]
        hidden = int(links.get("rejected_total", 0)) - len(links.get("rejected", []))
        if hidden > 0:
            lines.append(f"    ({hidden} more rejected links not shown)")
    else:
        lines.append("  links: not recorded for this platform")
    lines += [f"  sample: {ref or '-'}: {title[:80]}" for ref, title in report.samples[:3]]
    return lines
