"""Run one crawl of one source in this process: the body of a crawl process.

Scrapy's Twisted reactor cannot be restarted inside a process, so foiwatch runs every crawl in a
process of its own, forked from a warm fork server (``monitor.service.launch``, ``run_forked``
here): the service stays up for months, a crawl that leaks memory or hangs is contained, and
SIGTERM to the crawl stops it cleanly. A Scrapyd node runs the same crawl (``crawler.spiders.job``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import hashlib
import json
import logging
import os
import signal
import sys
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import default_settings
from scrapy.utils.misc import load_object
from scrapy.utils.versions import get_versions
from setproctitle import setproctitle

from crawler.config import PLATFORMS, CrawlerSettings, SourceConfig

BOT_NAME = "foiwatch"
_PR_SET_PDEATHSIG = 1
SPIDER_MODULES = ["crawler.spiders"]


# Scrapy's own extensions a crawl never runs (PoliteThrottle replaces AutoThrottle).
_EXTENSIONS_OFF = frozenset(
    {
        "scrapy.extensions.telnet.TelnetConsole",
        "scrapy.extensions.remote_control.RemoteControl",
        "scrapy.extensions.throttle.AutoThrottle",
    }
)


def build_settings(
    crawler_settings: CrawlerSettings,
    data_dir: Path,
    database_url: str,
    run_id: int | None = None,
    archive: bool = True,
) -> dict[str, Any]:
    """Every Scrapy setting foiwatch relies on, from the operator's configuration.

    ``archive`` keeps the evidence archive under ``data_dir`` (``archive.enabled`` in settings.yaml).
    """
    settings: dict[str, Any] = {
        "BOT_NAME": BOT_NAME,
        "SPIDER_MODULES": SPIDER_MODULES,
        "USER_AGENT": crawler_settings.user_agent(),
        "ROBOTSTXT_OBEY": True,
        # Politeness: few requests at a time per site, spaced out (Scrapy varies the delay by ±50%
        # by default), slowed further when the site is slow.
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawler_settings.concurrent_requests_per_domain,
        "DOWNLOAD_DELAY": crawler_settings.download_delay,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": max(crawler_settings.download_delay, 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": crawler_settings.autothrottle_target_concurrency,
        "DOWNLOAD_TIMEOUT": crawler_settings.download_timeout,
        "DOWNLOAD_MAXSIZE": crawler_settings.max_download_bytes,
        "DOWNLOAD_WARNSIZE": crawler_settings.max_download_bytes // 2,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": crawler_settings.retry_times,
        "COOKIES_ENABLED": False,
        # Scrapy starts this many tasks for the output of every response, however little it is (one
        # item, or a listing's links): at its default of 100 that was about 1 ms of CPU a page.
        "CONCURRENT_ITEMS": 16,
        # Revalidate every page: servers that send ETag or Last-Modified answer 304 when nothing
        # changed. "max-age=0" stops the cache treating an old Last-Modified as "fresh for weeks".
        # The cache only ever revalidates: an error or a 5xx never brings back the cached copy.
        "HTTPCACHE_ENABLED": crawler_settings.http_cache,
        "HTTPCACHE_POLICY": "crawler.middlewares.FreshOnlyCachePolicy",
        "HTTPCACHE_STORAGE": "crawler.httpcache.OneFileCacheStorage",
        "HTTPCACHE_DIR": str(data_dir / "httpcache"),
        "FOIWATCH_ROBOTS_TXT_CACHE_SECONDS": crawler_settings.robots_txt_cache_hours * 3600,
        "DOWNLOADER_MIDDLEWARES": {
            "crawler.middlewares.SourceHostsGuard": 50,
            "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
            "crawler.middlewares.FreshOnlyHttpCacheMiddleware": 900,
        },
        # Only http(s) is ever fetched: a scraped file:// or s3:// link must not read anything.
        "DOWNLOAD_HANDLERS": {"file": None, "s3": None, "ftp": None, "data": None},
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": "en-GB,en;q=0.8",
            "Cache-Control": "max-age=0",
        },
        "ITEM_PIPELINES": {"crawler.pipelines.StorePipeline": 300},
        # Gives each item the response it was read from, for the evidence archive (off: NotConfigured).
        "SPIDER_MIDDLEWARES": {"crawler.archive.PageCapture": 950},
        "FOIWATCH_ARCHIVE": archive,
        # No consoles or remote control ports: nothing but the crawl listens or answers. Scrapy's
        # extensions foiwatch turns off are left out of the base rather than set to None: Scrapy
        # imports every class its settings name (remote control alone imports aiohttp's web server).
        "EXTENSIONS_BASE": {
            name: order
            for name, order in default_settings.EXTENSIONS_BASE.items()
            if name not in _EXTENSIONS_OFF
        },
        "EXTENSIONS": {
            "crawler.extensions.RunRecorder": 500,
            # crawls that close their own run (on Scrapyd nodes) only: NotConfigured otherwise
            "crawler.extensions.ClosedRunWatch": 510,
            "crawler.extensions.PoliteThrottle": 0,
        },
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "FOIWATCH_DATABASE_URL": database_url,
        # Where a crawl leaves what it made of its listing's links (``links/<source>.json``).
        "FOIWATCH_DATA_DIR": str(data_dir),
        "LOG_LEVEL": crawler_settings.log_level,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        # Scrapy reads each callback's source to warn of a generator that returns a value: a third of a
        # millisecond per request for a warning foiwatch's own spiders (tested) never need.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
    }
    if run_id is not None:
        settings["FOIWATCH_RUN_ID"] = run_id
    return settings


@functools.cache
def code_fingerprint() -> str:
    """A digest of the crawl's code as loaded here (``crawler`` and ``storage``, from a folder or
    from a Scrapyd egg): a node refuses a job from a service whose code differs, rather than crawl
    with other parsers or store with another schema."""
    digest = hashlib.sha256()
    for package in ("crawler", "storage"):
        for name, content in _python_files(resources.files(package)):
            digest.update(f"{package}/{name}".encode() + b"\0" + content)
    return digest.hexdigest()[:16]


def _python_files(folder: Traversable, prefix: str = "") -> list[tuple[str, bytes]]:
    found = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.is_dir() and entry.name != "__pycache__":
            found += _python_files(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".py"):
            found.append((f"{prefix}{entry.name}", entry.read_bytes()))
    return found


def spider_arguments(source: SourceConfig, mode: str) -> dict[str, Any]:
    """The arguments of a platform spider for one crawl of ``source`` (``crawler.spiders.common``)."""
    return {
        "source": source.id,
        "url": source.url,
        "authority": source.authority,
        "mode": mode,
        "max_pages": source.max_pages,
        "may_be_empty": source.may_be_empty,
        "options": json.dumps(source.options),
        "hosts": ",".join(source.allowed_hosts),
    }


def crawl(
    source: SourceConfig,
    crawler_settings: CrawlerSettings,
    data_dir: Path,
    database_url: str,
    run_id: int | None,
    mode: str,
    archive: bool = True,
) -> int:
    """Crawl one source; 0 when the spider ran to its end (the run row holds the verdict), else 3."""
    settings = build_settings(crawler_settings, data_dir, database_url, run_id, archive)
    # The spider class is named below: Scrapy need not import every platform's spider to find it.
    settings["SPIDER_MODULES"] = []
    settings["LOG_INSTALL_ROOT_HANDLER"] = True
    # Scrapy reads ten packages' metadata to log their versions on every start (10 ms of a crawl's
    # CPU); they are read once per process here, so once in the fork server for all its crawls.
    settings["LOG_VERSIONS"] = []
    process = CrawlerProcess(settings)
    logging.getLogger(__name__).info("Versions: %s", software_versions())
    crawler = process.create_crawler(load_object(PLATFORMS[source.platform].spider))
    process.crawl(crawler, **spider_arguments(source, mode))
    process.start()
    if crawler.stats is None or not crawler.stats.get_value("finish_reason"):
        # The spider never ran (bad arguments, import error): not a successful crawl.
        return 3
    return 0


@functools.cache
def software_versions() -> str:
    """What Scrapy's "Versions" line names (lxml, Twisted, Python, ...), read once per process."""
    return ", ".join(f"{name} {version}" for name, version in get_versions(default_settings.LOG_VERSIONS))


def die_with_parent(parent_pid: int) -> None:
    """Linux: be killed when the process that started this crawl dies.

    A crawl orphaned by a crash of foiwatch would go on storing into a run the restarted service has
    already closed as abandoned, beside that service's own new crawl of the source. A crawl forked by
    the fork server (``monitor.service.launch``) names the fork server, which exits with foiwatch.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(4)


def run_job(job: dict[str, Any]) -> int:
    """One crawl as described by the job foiwatch sends (``monitor.service.crawls``)."""
    return crawl(
        SourceConfig.model_validate(job["source"]),
        CrawlerSettings.model_validate(job["crawler"]),
        Path(job["data_dir"]),
        job["database_url"],
        job.get("run_id"),
        job.get("mode", "full"),
        bool(job.get("archive", True)),
    )


# The parent's main script, which the fork server imports once for its children
# (``monitor.service.launch`` says why; ``crawler.warm`` imports it).
MAIN_PATH_VARIABLE = "FOIWATCH_FORK_SERVER_MAIN"
# The database URL scheme of the crawl that started the fork server: it imports only that driver.
DATABASE_VARIABLE = "FOIWATCH_FORK_SERVER_DATABASE"


def run_forked(job: dict[str, Any], log_file: str) -> None:
    """The body of a crawl forked from the fork server: never returns.

    The crawl gets a session of its own (a stop signals its whole process group), writes its output
    to the source's log, and dies with the fork server, which dies with foiwatch.
    """
    die_with_parent(os.getppid())
    os.setsid()
    output = os.open(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    os.close(nothing)
    # What ps shows (a fork would show the fork server's command line): never the job itself.
    setproctitle(f"foiwatch crawl {job['source_id']} (crawler.run)")
    status = 3
    try:
        status = run_job(job)
    except BaseException:
        logging.getLogger(__name__).exception("the crawl of %s failed", job.get("source_id"))
    finally:
        _exit(status)


def _exit(status: int) -> None:
    # Everything is committed and the spider closed: skip the interpreter's slow teardown.
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(status)
