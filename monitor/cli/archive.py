"""``foiwatch archive``: list, export (WARC) and prune the evidence archive. Parses and prints only."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.archive_export import export_warc_file
from storage.archive import list_copies, prune_archive
from storage.clock import utcnow

if TYPE_CHECKING:
    from monitor.cli.common import Context

# C0 and C1 control characters: stored headers and addresses come from servers.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SINCE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def _shown(value: object) -> str:
    return _CONTROL.sub("?", "-" if value is None else str(value))


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


@click.group()
def archive() -> None:
    """The evidence archive: original bytes of the pages and attachments behind each version."""


@archive.command("list")
@click.option("--response", "response_id", type=int, help="Only the copies of this response.")
@click.pass_obj
def archive_list(obj: Context, response_id: int | None) -> None:
    """List archived copies, oldest first: id, fetch time (UTC), status, size, type, SHA-256, version,
    attachment and address."""
    app = obj.app(reads=True)
    with app.database.session() as session:
        copies = list_copies(session, response_id)
    if not copies:
        click.echo("no archived copies" + (f" of response {response_id}" if response_id else ""))
        return
    click.echo("id\tfetched (UTC)\tstatus\tbytes\ttype\tsha256\tversion\tattachment\turl")
    for copy in copies:
        fields = (
            copy.id,
            f"{copy.fetched_at:%Y-%m-%d %H:%M:%S}",
            copy.status,
            copy.size,
            copy.content_type,
            copy.sha256[:16],
            copy.version_id,
            copy.attachment_id,
            copy.url,
        )
        click.echo("\t".join(_shown(value) for value in fields))


@archive.command("export")
@click.option("--format", "fmt", type=click.Choice(["warc"]), default="warc", show_default=True)
@click.option(
    "--since",
    type=click.DateTime(_SINCE_FORMATS),
    help="Only copies fetched at or after this UTC date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .warc.gz file to write (default: foiwatch-archive-<UTC time>.warc.gz here).",
)
@click.pass_obj
def archive_export(obj: Context, fmt: str, since: datetime | None, output: Path | None) -> None:
    """Write archived copies as a WARC 1.1 file (gzip per record) for ReplayWeb.page, pywb and the
    Internet Archive's tools. Exit status 1 when a copy's bytes are missing or damaged."""
    app = obj.app(reads=True)
    path = output or Path(f"foiwatch-archive-{utcnow():%Y%m%dT%H%M%SZ}.warc.gz")
    report = export_warc_file(app.database, app.data_dir, path, since.replace(tzinfo=UTC) if since else None)
    click.echo(f"{report.records} response records written to {path}")
    for problem in report.missing:
        click.echo(f"left out: {_shown(problem)}", err=True)
    if report.missing:
        sys.exit(1)


@archive.command("prune")
@click.option(
    "--retention-days",
    type=click.IntRange(min=0),
    help="Forget copies fetched longer ago than this (default: archive.retention_days; 0 keeps all).",
)
@click.pass_obj
def archive_prune(obj: Context, retention_days: int | None) -> None:
    """Apply retention now: forget old copies, and remove bytes no copy needs any more."""
    app = obj.app()
    days = app.config.archive.retention_days if retention_days is None else retention_days
    report = prune_archive(app.database, app.data_dir, days)
    retention = f"retention {days} days" if days else "retention 0 (every copy is kept)"
    click.echo(
        f"{retention}: forgot {report.copies} copies, removed {report.blobs} files "
        f"({_megabytes(report.bytes)})"
    )
