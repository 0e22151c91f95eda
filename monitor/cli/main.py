"""The ``foiwatch`` command. Thin: it parses arguments and calls functions the tests also call.

Each command group lives in its own module of this package and is registered below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from crawler.yamlconf import ConfigError
from monitor.cli.archive import archive
from monitor.cli.classify import classify, facts, reclassify
from monitor.cli.common import CONFIG_ERROR_EXIT, Context
from monitor.cli.crawl import crawl, run
from monitor.cli.export import export
from monitor.cli.maintenance import db, demo
from monitor.cli.notifications import notifications, notify
from monitor.cli.responses import responses
from monitor.cli.scrapyd import scrapyd
from monitor.cli.serve import serve
from monitor.cli.sources import sources
from monitor.cli.status import status
from monitor.cli.subscribers import subscribers
from monitor.logs import configure_logging
from storage.db import DatabaseUnavailable, NoDatabaseYet


class FoiwatchGroup(click.Group):
    """Turns configuration and database errors into a clear message and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"configuration error: {exc}", err=True)
            ctx.exit(CONFIG_ERROR_EXIT)
        except DatabaseUnavailable as exc:
            # Like a bad configuration, the setup must be fixed before anything can run.
            click.echo(f"database error: {exc}", err=True)
            ctx.exit(CONFIG_ERROR_EXIT)
        except NoDatabaseYet as exc:
            click.echo(str(exc), err=True)
            ctx.exit(1)


@click.group(cls=FoiwatchGroup)
@click.option(
    "--config",
    "config_dir",
    type=click.Path(path_type=Path),
    envvar="FOIWATCH_CONFIG",
    help="Configuration folder (sources.yaml, topics.yaml, subscribers.yaml, settings.yaml).",
)
@click.option(
    "--db", envvar="FOIWATCH_DATABASE_URL", help="SQLAlchemy database URL (default: SQLite in the data dir)."
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    envvar="FOIWATCH_DATA_DIR",
    help="Where the SQLite database, HTTP cache and crawl logs live (default: the user's data folder, "
    "e.g. ~/.local/share/foiwatch; `foiwatch status` shows it).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    envvar="FOIWATCH_LOG_FORMAT",
    help="Log lines as text, or one JSON object per line (default: settings.yaml logging.format, text).",
)
@click.pass_context
def main(
    ctx: click.Context,
    config_dir: Path | None,
    db: str | None,
    data_dir: Path | None,
    verbose: bool,
    log_format: str | None,
) -> None:
    """foiwatch: watch UK FOI disclosure logs and tell subscribers about new CCTV responses."""
    configure_logging(log_format, verbose)
    ctx.obj = Context(config_dir, db, data_dir)


for command in (
    crawl,
    run,
    status,
    sources,
    subscribers,
    responses,
    export,
    classify,
    facts,
    reclassify,
    demo,
    db,
    notifications,
    notify,
    serve,
    archive,
    scrapyd,
):
    main.add_command(command)


if __name__ == "__main__":
    main()
