"""Start-up shared by the CLI, the service and the demo: configuration, database, registration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from monitor.config import Config, check_executor, load_config
from monitor.service.crawls import register_sources
from storage.db import (
    Database,
    NoDatabaseYet,
    choose_database_url,
    default_data_dir,
    make_folder,
    missing_database,
    resolve_database_url,
)
from storage.outbox import SubscriberRow, sync_subscribers


@dataclass
class App:
    config: Config
    database: Database
    data_dir: Path


def open_app(
    config_dir: Path | None = None,
    database_url: str | None = None,
    data_dir: Path | None = None,
    create: bool = True,
) -> App:
    """Load and validate the configuration, open (and migrate) the database, register sources.

    With ``create=False`` (commands that only read) a SQLite database that does not exist yet is not
    created: ``NoDatabaseYet`` says where it was looked for. Raises ``ConfigError`` or
    ``DatabaseUnavailable``, each with a message fit to show as is.
    """
    config = load_config(config_dir)
    directory = (data_dir or default_data_dir()).resolve()
    if not create:
        missing = missing_database(choose_database_url(database_url, directory))
        if missing:
            raise NoDatabaseYet(
                f"no database at {missing} yet: run `foiwatch crawl` (or `foiwatch run`) to fill it, "
                "or pass --data-dir (or FOIWATCH_DATA_DIR) if the data is elsewhere"
            )
    make_folder(directory, f"the data folder {directory}")
    url = resolve_database_url(database_url, directory)
    check_executor(config, url)
    database = Database(url)
    sync_config(database, config)
    return App(config=config, database=database, data_dir=directory)


def sync_config(database: Database, config: Config) -> None:
    """Make the sources and subscribers tables match the configuration (history is kept)."""
    register_sources(database, config)
    rows = [
        SubscriberRow(
            s.name,
            tuple(s.urls),
            tuple(s.topics),
            tuple(s.authorities),
            s.enabled,
            s.admin,
            tuple(s.sources),
            tuple(s.terms),
            s.cadence,
            s.updates,
            "config",
            str((config.directory / s.apprise_config).resolve()) if s.apprise_config else None,
            tuple(s.tags),
        )
        for s in config.subscribers
    ]
    with database.session() as session:
        sync_subscribers(session, rows)
