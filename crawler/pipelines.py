"""Item pipelines: validate and normalise an item, then store it in one transaction.

A response stored as a new version is archived in the same transaction when the evidence archive
is on (``crawler.archive``): the page it was read from and the attachments downloaded for it. An
archive that cannot be written is a problem of the run, never a reason to lose the response.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from sqlalchemy.orm import Session

from crawler.archive import ARCHIVED_FETCH, archiving
from crawler.authorities import canonical_authority
from crawler.items import ResponseItem
from crawler.normalise import OUTCOMES, normalise_reference
from crawler.platforms.listing import canonical_url
from crawler.problems import report_problem
from storage.archive import ArchiveError, FetchedCopy, archive_copy
from storage.db import Database
from storage.models import ResponseVersion
from storage.records import DATE_SOURCES, AttachmentRecord, ResponseRecord
from storage.responses import StoreOutcome, mark_listed, store_version
from storage.runs import start_run

log = logging.getLogger(__name__)
MIN_RESPONSE_CHARS = 40
# Scrapy signal sent by spiders with ``urls``: responses a listing names (see ``mark_listed``).
responses_listed = object()
# Fields whose disappearance from a source's items suggests its pages changed shape.
HEALTH_FIELDS = ("reference", "published", "request", "outcome")


@runtime_checkable
class SourceSpider(Protocol):
    """The part of ``FoiSpider`` the pipeline uses (crawler.spiders imports this module, not the reverse)."""

    source_id: str


def _source_id(spider: Spider | None) -> str:
    assert isinstance(spider, SourceSpider), f"not a foiwatch spider: {spider!r}"
    return spider.source_id


class InvalidItem(DropItem):
    """An item that cannot be stored; the reason is logged and counted, the crawl goes on."""


def to_record(item: ResponseItem) -> ResponseRecord:
    """Validate an item and build the record to store; raises ``InvalidItem`` with the reason."""
    title = " ".join((item.title or "").split())
    if not title:
        raise InvalidItem(f"{item.url}: no title")
    if not item.source_id or not item.authority:
        raise InvalidItem(f"{item.url}: no source or authority")
    if len((item.response or "").strip()) < MIN_RESPONSE_CHARS:
        raise InvalidItem(
            f"{item.url}: response text missing or shorter than {MIN_RESPONSE_CHARS} characters"
        )
    if item.date_source is not None and item.date_source not in DATE_SOURCES:
        raise InvalidItem(f"{item.url}: unknown date source {item.date_source!r}")
    if item.outcome is not None and item.outcome not in OUTCOMES:
        raise InvalidItem(f"{item.url}: unknown outcome {item.outcome!r}")
    url = canonical_url(item.url)
    reference = item.reference.strip() if item.reference else None
    key = normalise_reference(reference) if reference else (item.key or url)
    attachments = tuple(
        AttachmentRecord(
            url=canonical_url(a["url"]),
            name=" ".join(str(a.get("name") or "").split()),
            content_type=a.get("content_type") or None,
            size=int(a["size"]) if a.get("size") is not None else None,
            text=a.get("text"),
            error=a.get("error"),
        )
        for a in item.attachments
    )
    return ResponseRecord(
        source_id=item.source_id,
        key=key,
        authority=canonical_authority(item.authority),
        title=title,
        url=url,
        reference=reference,
        published=item.published,
        # a spider that gives a date without saying where it came from read it from the publisher
        date_source=(item.date_source or "page") if item.published else None,
        request=item.request.strip(),
        response=item.response.strip(),
        read_response=item.read_response.strip() if item.read_response is not None else None,
        outcome=item.outcome,
        exemptions=tuple(dict.fromkeys(item.exemptions)),
        attachments=attachments,
        own_page=item.own_page,
    )


def _write_failure(exc: OSError) -> str:
    where = f" ({exc.filename})" if exc.filename else ""
    return f"not archived: the archive folder cannot be written: {exc.strerror or exc}{where}"


class StorePipeline:
    """Stores each valid item; opens its own crawl run when none was handed over (plain ``scrapy crawl``)."""

    def __init__(self, crawler: Crawler, database_url: str) -> None:
        self.crawler = crawler
        self.database_url = database_url
        self.database: Database | None = None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        url = crawler.settings.get("FOIWATCH_DATABASE_URL")
        if not url:
            raise NotConfigured("FOIWATCH_DATABASE_URL is not set")
        pipeline = cls(crawler, url)
        crawler.signals.connect(pipeline.mark_listed, signal=responses_listed)
        return pipeline

    def mark_listed(self, urls: list[str]) -> None:
        """Record that this run's listing names these responses (so none of them is withdrawn)."""
        if self.database is None or self.run_id is None:
            return
        spider = self.crawler.spider
        try:
            with self.database.session() as session:
                mark_listed(session, _source_id(spider), self.run_id, [canonical_url(u) for u in urls])
        except Exception as exc:  # without the marks no withdrawal may be inferred: fail the run
            self.crawler.stats.inc_value("foiwatch/store_errors")
            log.error("could not record the listed responses: %s", exc)

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        run_id = self.crawler.settings.getint("FOIWATCH_RUN_ID", 0)
        # foiwatch migrated the database before handing over a run; a plain `scrapy crawl` did not.
        self.database = Database(self.database_url, migrate=not run_id)
        if not run_id:
            with self.database.session() as session:
                run_id = start_run(session, _source_id(spider), getattr(spider, "mode", "full")).id
            self.crawler.stats.set_value("foiwatch/own_run", True)
        self.run_id = run_id
        self.crawler.stats.set_value("foiwatch/run_id", run_id)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.database is not None:
            self.database.dispose()

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, ResponseItem):
            return item
        stats = self.crawler.stats
        try:
            record = to_record(item)
        except InvalidItem as exc:
            stats.inc_value("foiwatch/invalid_items")
            log.warning("invalid item skipped: %s", exc)
            raise
        assert self.database is not None
        try:
            with self.database.session() as session:
                outcome, version = store_version(session, self.run_id, record)
                if outcome is not StoreOutcome.UNCHANGED and version is not None:
                    self.archive(session, item, version)
        except Exception as exc:  # the database is down or refused the row: count it, keep crawling
            stats.inc_value("foiwatch/store_errors")
            log.error("could not store %s: %s", record.url, exc)
            raise DropItem(f"store failed: {exc}") from exc
        stats.inc_value(f"foiwatch/stored/{outcome.value}")
        for name in HEALTH_FIELDS:
            if getattr(record, name):
                stats.inc_value(f"foiwatch/filled/{name}")
        return item

    def archive(self, session: Session, item: ResponseItem, version: ResponseVersion) -> None:
        """Keep the page and attachment bytes a new version was read from, where the crawl has them.

        The version's attachments are the item's, in order (``to_record``). A copy that cannot be
        kept is reported and skipped; the version is stored all the same.
        """
        if not archiving(self.crawler):
            return
        copies: list[tuple[FetchedCopy | None, int | None]] = [(item.page, None)]
        copies += [
            (fetched.get(ARCHIVED_FETCH), stored.id)
            for fetched, stored in zip(item.attachments, version.attachments, strict=False)
        ]
        data_dir = Path(self.crawler.settings["FOIWATCH_DATA_DIR"])
        max_bytes = self.crawler.settings.getint("DOWNLOAD_MAXSIZE") or None
        for copy, attachment_id in copies:
            if copy is None:
                continue
            try:
                archive_copy(session, data_dir, copy, item.source_id, version.id, attachment_id, max_bytes)
            except (ArchiveError, OSError) as exc:
                self.crawler.stats.inc_value("foiwatch/archive_errors")
                cause = str(exc) if isinstance(exc, ArchiveError) else _write_failure(exc)
                report_problem(self.crawler, "archive", copy.url, cause)
                log.warning("%s: %s", copy.url, cause)
