"""``foiwatch db upgrade`` and ``foiwatch demo``."""

from __future__ import annotations

import sys

import click

from monitor.cli.common import Context
from storage.db import Database, resolve_database_url, upgrade


@click.command()
@click.pass_obj
def demo(obj: Context) -> None:
    """Crawl a bundled sample log on 127.0.0.1 twice and print the notifications a subscriber gets.

    With --data-dir (``make demo`` passes ./data/demo) what it stored is kept, to browse with
    ``foiwatch --data-dir DIR serve``; the folder is emptied first if an earlier demo made it.
    """
    from monitor.demo.run import run_demo

    sys.exit(run_demo(obj.data_dir, obj.config_dir))


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("reindex")
@click.pass_obj
def db_reindex(obj: Context) -> None:
    """Rebuild the search index from the stored responses (after a restore, or if search misses)."""
    from storage.search import rebuild_index

    app = obj.app()
    with app.database.session() as session:
        count = rebuild_index(session)
    click.echo(f"search index rebuilt: {count} responses indexed")


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Context) -> None:
    """Apply pending migrations (foiwatch also does this on start)."""
    database = Database(resolve_database_url(obj.db, obj.data_dir), migrate=False)
    upgrade(database.engine)
    click.echo("database is up to date")
