"""What every command shares: the context holding the open application, and verbatim table cells."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import click
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from monitor.app import App, open_app
from monitor.logs import apply_settings
from monitor.lookup import UnknownName, resolve_name
from storage.runs import any_runs

CONFIG_ERROR_EXIT = 2
ELSEWHERE = "run `foiwatch crawl`, or pass --data-dir (or FOIWATCH_DATA_DIR) if the data is elsewhere"
# Scripts read these tables too: never truncate cells when output is not a terminal (unless COLUMNS
# says how wide it is). What is printed is data (scraped titles, stored errors), never Rich markup or
# :emoji: codes: "[/b]" must not crash.
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 240
console = Console(width=_WIDTH, markup=False, emoji=False)


# C0 and C1 control characters but tab and newline: scraped text must not steer the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def cell(value: object) -> Text:
    """A table cell showing ``value`` as stored (None as empty), whatever brackets it holds; control
    characters (an escape sequence in a scraped title) are shown as ``?``, never sent to the terminal."""
    return Text(_CONTROL.sub("?", "" if value is None else str(value)))


def id_column(header: str) -> Column:
    """A column of ids or names people type into other commands: never wrapped or cut short, so
    on a narrow terminal the other columns give way."""
    return Column(header, no_wrap=True, overflow="fold")


def resolved(kind: str, given: str | None, known: Iterable[str], option: str) -> str | None:
    """The known name an option's value stands for, or a usage error suggesting the closest."""
    if given is None:
        return None
    try:
        return resolve_name(kind, given, known)
    except UnknownName as exc:
        raise click.BadParameter(str(exc), param_hint=option) from exc


def add_row(table: Table, *values: object) -> None:
    """Add one row to ``table``, each value a verbatim cell."""
    table.add_row(*(cell(value) for value in values))


class ConfigValueRefused(click.ClickException):
    """An option value refused like a configuration error: exit status ``CONFIG_ERROR_EXIT``."""

    exit_code = CONFIG_ERROR_EXIT


class Context:
    """The global options, and the application opened from them on first use."""

    def __init__(self, config: Path | None, db: str | None, data_dir: Path | None) -> None:
        self.config_dir, self.db, self.data_dir = config, db, data_dir
        self._app: App | None = None

    def app(self, reads: bool = False) -> App:
        """The open application. A command that only ``reads`` creates no database: where there is
        none it stops with ``NoDatabaseYet``, and where one holds no crawls it says so on stderr."""
        if self._app is None:
            self._app = open_app(self.config_dir, self.db, self.data_dir, create=not reads)
            apply_settings(self._app.config.logging.format)
            if reads:
                with self._app.database.session() as session:
                    crawled = any_runs(session)
                if not crawled:
                    where = self._app.database.location
                    click.echo(f"note: the database at {where} holds no crawls yet: {ELSEWHERE}", err=True)
        return self._app
