"""Scrapy extensions: the one that closes the crawl run with its statistics, its problems and a
verdict, the one that stops a crawl whose run was closed under it, and AutoThrottle held to each
host's robots.txt Crawl-delay."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

from scrapy import Request, Spider, signals
from scrapy.core.downloader import Slot
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.task import LoopingCall

from crawler.problems import problem_found
from storage.db import shared_database
from storage.problems import ProblemRecord, record_problems
from storage.runs import RunStats, finish_run, is_running, record_stats

log = logging.getLogger(__name__)
# Problems stored per run; the rest are only counted (a site returning 500 on 5,000 pages
# needs the first few causes, not 5,000 rows).
MAX_PROBLEMS_STORED = 200
# True: the crawl closes its own run at the end (no parent process waits on it to do so).
CLOSE_RUN_SETTING = "FOIWATCH_CLOSE_RUN"
# Seconds a crawl whose run was closed under it gets to stop gracefully before it exits.
STOP_GRACE_SECONDS = 3.0
# Counters that mean a listed response, or part of the listing, was not read fresh.
UNREAD = (
    "foiwatch/listing_errors",
    "foiwatch/fetch_errors",
    "foiwatch/gone",
    "foiwatch/refused_pages",
    "foiwatch/invalid_items",
    "foiwatch/store_errors",
    "foiwatch/page_limit_reached",
    "foiwatch/listing_partial",
    "foiwatch/redirect_dropped",
)


def _count(stats: dict[str, object], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, int | float) else 0


def verdict(
    stats: dict[str, object], reason: str, may_be_empty: bool, listing_cause: str | None = None
) -> str | None:
    """Why this crawl failed, or None if it succeeded.

    A redesign must not look like "no new responses": a log that lists nothing where it should is a
    failure unless the source says it may be empty. ``listing_cause`` is the first listing failure
    in words, so the run says *why* the start page could not be read.
    """
    if reason != "finished":
        return f"crawl stopped early ({reason})"
    if _count(stats, "foiwatch/store_errors"):
        return f"{_count(stats, 'foiwatch/store_errors')} responses could not be stored"
    if _count(stats, "foiwatch/listing_pages") == 0:
        return "the start page could not be fetched" + (f": {listing_cause}" if listing_cause else "")
    if _count(stats, "foiwatch/listed") == 0 and not may_be_empty:
        reason = "no responses listed on the start page: the page layout may have changed"
        return reason + (f" ({listing_cause})" if listing_cause else "")
    # Responses skipped as already stored, or listed but not answered yet, are not a broken page.
    accounted = _count(stats, "foiwatch/skipped_known") + _count(stats, "foiwatch/awaiting_response")
    if _count(stats, "foiwatch/listed") and _count(stats, "item_scraped_count") == 0 and accounted == 0:
        return "responses were listed but none could be read: the page layout may have changed"
    return None


def is_complete(stats: dict[str, object], failure: str | None, mode: str) -> bool:
    """A full crawl that read its whole listing fresh and every response it named.

    Only such a run may say that a response it did not see has been withdrawn; an error, a 404 on
    a listed page or an unreadable page leaves the question open.
    """
    return failure is None and mode == "full" and not any(_count(stats, key) for key in UNREAD)


@dataclass
class _Problems:
    kept: list[ProblemRecord]
    total: int = 0


class RunRecorder:
    """At spider close, writes pages, items, errors, problems and completeness to the crawl run."""

    def __init__(self, crawler: Crawler, database_url: str) -> None:
        self.crawler = crawler
        self.database_url = database_url
        self.problems = _Problems(kept=[])

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        url = crawler.settings.get("FOIWATCH_DATABASE_URL")
        if not url:
            raise NotConfigured("FOIWATCH_DATABASE_URL is not set")
        recorder = cls(crawler, url)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(recorder.problem_found, signal=problem_found)
        crawler.signals.connect(recorder.request_dropped, signal=signals.request_dropped)
        return recorder

    def request_dropped(self, request: Request, spider: Spider | None = None) -> None:
        """A redirect to an address this crawl already asked for is dropped by Scrapy's duplicate
        filter without a word: a redirect loop, or a listed page sent elsewhere. Not read, so say so."""
        came_from = request.meta.get("redirect_urls")
        if not came_from:
            return
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("foiwatch/redirect_dropped")
        self.problem_found(
            "page",
            str(came_from[0]),
            f"redirect loop (or a redirect to an address already fetched): {came_from[0]} -> {request.url}",
        )

    def problem_found(self, stage: str, url: str | None, cause: str) -> None:
        self.problems.total += 1
        if len(self.problems.kept) < MAX_PROBLEMS_STORED:
            self.problems.kept.append(ProblemRecord(stage, url, cause))

    def _first_cause(self, stage: str) -> str | None:
        return next((p.cause for p in self.problems.kept if p.stage == stage), None)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        run_id = stats.get("foiwatch/run_id")
        if not run_id:
            return
        may_be_empty = bool(getattr(spider, "may_be_empty", False))
        failure = verdict(stats, reason, may_be_empty, self._first_cause("listing"))
        # Pages that should have been read and were not; a listed page answering 404 is the
        # site's own stale link, recorded as a problem but not counted against the source.
        errors = sum(
            _count(stats, key)
            for key in (
                "foiwatch/listing_errors",
                "foiwatch/fetch_errors",
                "foiwatch/refused_pages",
                "foiwatch/store_errors",
                "foiwatch/redirect_dropped",
            )
        )
        run_stats = RunStats(
            pages_fetched=_count(stats, "downloader/response_count"),
            items=_count(stats, "item_scraped_count"),
            invalid_items=_count(stats, "foiwatch/invalid_items"),
            errors=errors,
            complete=is_complete(stats, failure, str(getattr(spider, "mode", "full"))),
            error_summary=failure,
            listed=_count(stats, "foiwatch/listed"),
            # The log's address as the spider read it (found from a landing page, or the start URL).
            start_address=getattr(spider, "address_used", None) or getattr(spider, "start_url", None),
            fields_filled={
                key.removeprefix("foiwatch/filled/"): int(value)
                for key, value in stats.items()
                if key.startswith("foiwatch/filled/") and isinstance(value, int)
            },
        )
        # A crawl nobody waits on (a Scrapyd job) closes its run itself, succeeded or failed.
        closes_run = bool(stats.get("foiwatch/own_run")) or self.crawler.settings.getbool(CLOSE_RUN_SETTING)
        database = shared_database(self.database_url)
        try:
            with database.session() as session:
                if not is_running(session, int(str(run_id))):
                    # Closed under it: the service gave up on this crawl (its node stopped answering).
                    log.warning("run %s was closed before this crawl ended; its figures are not kept", run_id)
                    return
                record_stats(session, int(str(run_id)), run_stats)
                record_problems(session, int(str(run_id)), self.problems.kept)
                if closes_run or failure:
                    finish_run(session, int(str(run_id)), "failed" if failure else "succeeded")
        finally:
            database.dispose()
        if self.problems.total > len(self.problems.kept):
            log.warning(
                "%d problems in this run; the first %d are stored", self.problems.total, MAX_PROBLEMS_STORED
            )
        if failure:
            log.error("crawl of %s failed: %s", getattr(spider, "source_id", "?"), failure)


class ClosedRunWatch:
    """Stops a crawl whose run was closed under it, for crawls nobody on their machine waits on.

    The service closes a Scrapyd crawl's run as failed when the node stops answering; a node that
    was only cut off goes on crawling. This looks every ``FOIWATCH_RUN_CHECK_SECONDS`` and stops the
    crawl (the recorder then keeps nothing), so a source is never crawled twice at once.
    """

    def __init__(self, crawler: Crawler, database_url: str, run_id: int, every: float) -> None:
        self.crawler, self.run_id, self.every = crawler, run_id, every
        self.database = shared_database(database_url)
        self.task: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClosedRunWatch:
        settings = crawler.settings
        if not settings.getbool(CLOSE_RUN_SETTING) or not settings.getint("FOIWATCH_RUN_ID"):
            raise NotConfigured("only crawls that close their own run are watched")
        watch = cls(
            crawler,
            settings["FOIWATCH_DATABASE_URL"],
            settings.getint("FOIWATCH_RUN_ID"),
            settings.getfloat("FOIWATCH_RUN_CHECK_SECONDS", 5.0),
        )
        crawler.signals.connect(watch.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(watch.spider_closed, signal=signals.spider_closed)
        return watch

    def spider_opened(self, spider: Spider) -> None:
        self.task = LoopingCall(self.check)
        self.task.start(self.every, now=False)

    def check(self) -> None:
        try:
            with self.database.session() as session:
                still_open = is_running(session, self.run_id)
        except Exception:
            log.exception("could not see whether run %s is still open; crawling on", self.run_id)
            return
        if not still_open:
            log.error("run %s was closed by the service: stopping this crawl", self.run_id)
            self.spider_closed()
            stop_async = getattr(self.crawler, "stop_async", None)  # Scrapy 2.14; stop() before
            if stop_async is not None:
                deferred_from_coro(stop_async())
            else:
                self.crawler.stop()
            # A graceful stop still fetches every request already queued in the downloader (a
            # minute at polite delays): as a local crawl is killed after its grace, so is this one.
            # Its run is closed already: what it had not stored is not kept (crawler.pipelines).
            exit_later = threading.Timer(STOP_GRACE_SECONDS, os._exit, args=(1,))
            exit_later.daemon = True
            exit_later.start()

    def spider_closed(self, spider: Spider | None = None) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        self.database.dispose()


# The longest Crawl-delay obeyed: a site asking for more gets this (and the run says so).
MAX_CRAWL_DELAY = 120.0


class PoliteThrottle(AutoThrottle):
    """Scrapy's AutoThrottle, with a site's robots.txt ``Crawl-delay`` as the floor of its delay,
    and a 304 taken as the healthy answer it is.

    AutoThrottle lowers a slot's delay only on a 200, so a revalidating crawl (mostly 304s) kept
    the start delay for every request. A ``Crawl-delay`` (not in RFC 9309, widely used) is read
    when Scrapy parses the host's robots.txt and holds for every later request to that host.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.floors: dict[str, float] = {}
        crawler.signals.connect(self._robots_parsed, signal=signals.robots_parsed)

    def _robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        crawl_delay = getattr(robotparser, "crawl_delay", None)
        agent = self.crawler.settings.get("ROBOTSTXT_USER_AGENT") or self.crawler.settings["USER_AGENT"]
        asked = crawl_delay(agent) if crawl_delay is not None else None
        if not asked or asked <= 0:
            return
        assert self.crawler.engine is not None and self.crawler.stats is not None
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        floor = min(float(asked), MAX_CRAWL_DELAY)
        self.floors[key] = floor
        self.crawler.stats.set_value("foiwatch/crawl_delay", floor)
        if asked > MAX_CRAWL_DELAY:
            log.warning("%s: robots.txt asks for a crawl-delay of %ss; waiting %ss", key, asked, floor)
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, floor)
            # Scrapy randomises a slot's delay by 0.5x-1.5x: a floor must not be undercut.
            slot.randomize_delay = False

    def _response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        super()._response_downloaded(response, request, spider)
        key, slot = self._get_slot(request, spider)
        floor = self.floors.get(key or "")
        if slot is not None and floor is not None:
            slot.delay = max(slot.delay, floor)
            slot.randomize_delay = False

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        # Only a 200 may lower the delay (error pages are small and quick); a 304 is no error.
        super()._adjust_delay(
            slot, latency, response.replace(status=200) if response.status == 304 else response
        )
