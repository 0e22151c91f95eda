"""Everything a crawl process imports, imported once by the crawl fork server.

``monitor.service.launch`` forks each crawl from a server that has imported this module: Scrapy,
Twisted, SQLAlchemy, every platform's spider and every Scrapy component foiwatch's settings name.
A fresh interpreter spends about a second of CPU on these imports; a fork shares them.

Importing is all this does. Nothing here opens a connection, starts a thread or installs Twisted's
reactor (``CrawlerProcess`` installs it in each child), so the server stays safe to fork.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
from multiprocessing import process, spawn
from pathlib import Path

from scrapy.settings import Settings
from sqlalchemy.orm import configure_mappers

from crawler.config import PLATFORMS, CrawlerSettings
from crawler.run import DATABASE_VARIABLE, MAIN_PATH_VARIABLE, build_settings, software_versions

# Scrapy's settings that name components (module.Class) foiwatch's crawls load.
_COMPONENT_SETTINGS = (
    "DOWNLOADER_MIDDLEWARES",
    "SPIDER_MIDDLEWARES",
    "EXTENSIONS",
    "ITEM_PIPELINES",
    "DOWNLOAD_HANDLERS",
)
_CLASS_SETTINGS = (
    "SCHEDULER",
    "DUPEFILTER_CLASS",
    "STATS_CLASS",
    "LOG_FORMATTER",
    "ROBOTSTXT_PARSER",
    "HTTPCACHE_STORAGE",
    "HTTPCACHE_POLICY",
    "DOWNLOADER",
    "SCHEDULER_PRIORITY_QUEUE",
    "SCHEDULER_MEMORY_QUEUE",
    "REQUEST_FINGERPRINTER_CLASS",
    "TWISTED_DNS_RESOLVER",
)


def component_modules() -> list[str]:
    """The modules of every component a crawl with foiwatch's settings loads.

    Disabled components count: Scrapy loads every class its component settings name to compare
    them (``get_component_priority_dict_with_base``), so the remote-control extension foiwatch turns
    off still imports aiohttp's web server into each crawl unless the fork server has.
    """
    settings = Settings(build_settings(CrawlerSettings(), Path("."), "sqlite://"))
    modules = {path.rsplit(".", 1)[0] for spec in PLATFORMS.values() for path in (spec.spider, spec.options)}
    for name in _COMPONENT_SETTINGS:
        merged = {**settings.getdict(f"{name}_BASE"), **settings.getdict(name)}
        # Handlers map a scheme to a class (None: off); the others map a class to an order (None: off).
        chosen = merged.values() if name == "DOWNLOAD_HANDLERS" else merged.keys()
        modules.update(path.rsplit(".", 1)[0] for path in chosen if isinstance(path, str) and "." in path)
    for name in _CLASS_SETTINGS:
        path = settings.get(name)
        if isinstance(path, str) and "." in path:
            modules.add(path.rsplit(".", 1)[0])
    return sorted(modules)


# What pypdf imports on a letter's first page (its filters, the CJK codecs of its fonts' encodings),
# and the database drivers SQLAlchemy would import on a crawl's first connection.
_ON_FIRST_USE = ("pypdf.filters", "pypdf._codecs._codecs", "sqlalchemy.dialects.sqlite.pysqlite")
_POSTGRESQL_DRIVERS = ("sqlalchemy.dialects.postgresql.psycopg", "psycopg")


def first_use_modules(database: str | None) -> list[str]:
    """What a crawl imports on first use, for crawls into ``database`` (a URL or its scheme):
    PostgreSQL's driver (a tenth of a second of CPU, and its memory) only when that is PostgreSQL
    or not known."""
    postgresql = database is None or database.startswith("postgresql")
    return [*_ON_FIRST_USE, *(_POSTGRESQL_DRIVERS if postgresql else ())]


def import_main_script() -> None:
    """Run the parent's main script as "__mp_main__", as multiprocessing would in every child,
    once here: each child forked from this server then finds it and skips it."""
    main_path = os.environ.get(MAIN_PATH_VARIABLE)
    if not main_path or not os.path.isfile(main_path):
        return
    process.current_process()._inheriting = True  # type: ignore[attr-defined]
    try:
        spawn.import_main_path(main_path)
    finally:
        del process.current_process()._inheriting  # type: ignore[attr-defined]


def warm() -> None:
    """Import every module a crawl needs; one that fails is left for the crawl itself to report.

    SQLAlchemy's mappers are configured here too (SQLAlchemy does it on a process's first query: 14
    ms a crawl), and the versions each crawl logs are read. The imported objects are then frozen
    out of the garbage collector's reach: a collection in a child would otherwise write to every one
    of them and copy the memory the fork shares.
    """
    for module in [*component_modules(), *first_use_modules(os.environ.get(DATABASE_VARIABLE))]:
        with contextlib.suppress(Exception):
            importlib.import_module(module)
    with contextlib.suppress(Exception):  # a mapping that fails fails each crawl's first query, as before
        configure_mappers()
    with contextlib.suppress(Exception):
        software_versions()
    with contextlib.suppress(Exception, SystemExit):  # a failing script fails each child as before
        import_main_script()
    gc.freeze()


warm()
