"""Scrapy extension that closes the crawl run with its statistics and a verdict."""

from __future__ import annotations

import logging

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from storage.db import Database
from storage.runs import RunStats, finish_run, record_stats

log = logging.getLogger(__name__)


def verdict(stats: dict[str, object], reason: str, may_be_empty: bool) -> str | None:
    """Why this crawl failed, or None if it succeeded.

    A redesign must not look like "no new responses": a log that lists nothing where it should is a
    failure unless the source says it may be empty.
    """

    def count(key: str) -> int:
        value = stats.get(key, 0)
        return int(value) if isinstance(value, int | float) else 0

    if reason != "finished":
        return f"crawl stopped early ({reason})"
    if count("foiwatch/store_errors"):
        return f"{count('foiwatch/store_errors')} responses could not be stored"
    if count("foiwatch/listing_pages") == 0:
        return "the start page could not be fetched"
    if count("foiwatch/listed") == 0 and not may_be_empty:
        return "no responses listed on the start page: the page layout may have changed"
    # Responses skipped as already stored, or listed but not answered yet, are not a broken page.
    accounted = count("foiwatch/skipped_known") + count("foiwatch/awaiting_response")
    if count("foiwatch/listed") and count("item_scraped_count") == 0 and accounted == 0:
        return "responses were listed but none could be read: the page layout may have changed"
    return None


class RunRecorder:
    """At spider close, writes pages, items, errors and completeness to the crawl run."""

    def __init__(self, crawler: Crawler, database_url: str) -> None:
        self.crawler = crawler
        self.database_url = database_url

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        url = crawler.settings.get("FOIWATCH_DATABASE_URL")
        if not url:
            raise NotConfigured("FOIWATCH_DATABASE_URL is not set")
        recorder = cls(crawler, url)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        run_id = stats.get("foiwatch/run_id")
        if not run_id:
            return
        failure = verdict(stats, reason, bool(getattr(spider, "may_be_empty", False)))
        errors = sum(
            int(stats.get(key, 0))
            for key in (
                "foiwatch/listing_errors",
                "foiwatch/fetch_errors",
                "foiwatch/gone",
                "foiwatch/store_errors",
            )
        )
        complete = (
            failure is None
            and getattr(spider, "mode", "full") == "full"
            and not stats.get("foiwatch/listing_errors")
            and not stats.get("foiwatch/fetch_errors")
            and not stats.get("foiwatch/page_limit_reached")
            and not stats.get("foiwatch/listing_partial")
        )
        run_stats = RunStats(
            pages_fetched=int(stats.get("downloader/response_count", 0)),
            items=int(stats.get("item_scraped_count", 0)),
            invalid_items=int(stats.get("foiwatch/invalid_items", 0)),
            errors=errors,
            complete=bool(complete),
            error_summary=failure,
            listed=int(stats.get("foiwatch/listed", 0)),
            fields_filled={
                key.removeprefix("foiwatch/filled/"): int(value)
                for key, value in stats.items()
                if key.startswith("foiwatch/filled/")
            },
        )
        database = Database(self.database_url, migrate=False)
        try:
            with database.session() as session:
                record_stats(session, int(run_id), run_stats)
                if stats.get("foiwatch/own_run") or failure:
                    finish_run(session, int(run_id), "failed" if failure else "succeeded")
        finally:
            database.dispose()
        if failure:
            log.error("crawl of %s failed: %s", getattr(spider, "source_id", "?"), failure)
