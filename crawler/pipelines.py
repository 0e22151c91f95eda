"""Item pipelines: validate and normalise an item, then store it.

Items are stored in batches, one transaction for up to ``BATCH_ITEMS`` of them, written at the
latest ``BATCH_SECONDS`` after the first of them came and when the spider closes (a transaction per
item cost as much as storing it). A thread of their own writes them, one batch at a time, while the
crawl goes on; figures and problems are counted back in the crawl's thread. A batch the database
refuses is stored again item by item, each in a transaction of its own, so only an item that cannot
be stored is lost (counted, and the run fails). A crawl killed outright loses its unwritten batch,
which its source's next crawl reads again (nothing of it was stored, so nothing of it is known). A
batch is not written into a run closed under the crawl (its Scrapyd node cut off from the service).

A response stored as a new version is archived in the same transaction when the evidence archive
is on (``crawler.archive``): the page it was read from and the attachments downloaded for it. An
archive that cannot be written is a problem of the run, never a reason to lose the response.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from sqlalchemy.orm import Session
from twisted.internet import threads
from twisted.internet.defer import Deferred, DeferredLock, succeed
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from crawler.archive import ARCHIVED_FETCH, archiving
from crawler.authorities import canonical_authority
from crawler.items import ResponseItem
from crawler.normalise import OUTCOMES, normalise_reference
from crawler.platforms.listing import canonical_url
from crawler.problems import report_problem
from storage.archive import ArchiveError, FetchedCopy, archive_copy
from storage.db import Database, shared_database
from storage.models import ResponseVersion
from storage.records import DATE_SOURCES, AttachmentRecord, ResponseRecord
from storage.responses import StoreOutcome, mark_listed, store_versions
from storage.runs import is_running, start_run

log = logging.getLogger(__name__)
MIN_RESPONSE_CHARS = 40
# Scrapy signal sent by spiders with ``urls``: responses a listing names (see ``mark_listed``).
responses_listed = object()
# Fields whose disappearance from a source's items suggests its pages changed shape.
HEALTH_FIELDS = ("reference", "published", "request", "outcome")
# Items stored in one transaction, and how long the first of them may wait for the others.
BATCH_ITEMS = 20
BATCH_SECONDS = 1.0


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


@dataclass(frozen=True)
class _Stored:
    """What storing one item did: its outcome, and the copies that could not be archived (address, why)."""

    outcome: StoreOutcome
    unarchived: list[tuple[str, str]]


# What writing one item gave: what it stored, or why it could not be stored.
_Written = _Stored | Exception


class StorePipeline:
    """Stores each valid item; opens its own crawl run when none was handed over (plain ``scrapy crawl``)."""

    def __init__(self, crawler: Crawler, database_url: str) -> None:
        self.crawler = crawler
        self.database_url = database_url
        self.database: Database | None = None
        self.run_id: int | None = None
        self.pending: list[tuple[ResponseItem, ResponseRecord]] = []
        self.first_pending_at = 0.0
        self.timer = LoopingCall(self._flush_if_due)
        self.writing = DeferredLock()

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
        self.database = shared_database(self.database_url, migrate=not run_id)
        if not run_id:
            with self.database.session() as session:
                run_id = start_run(session, _source_id(spider), getattr(spider, "mode", "full")).id
            self.crawler.stats.set_value("foiwatch/own_run", True)
        self.run_id = run_id
        self.crawler.stats.set_value("foiwatch/run_id", run_id)
        self.timer.start(BATCH_SECONDS / 4, now=False)

    def close_spider(self, spider: Spider | None = None) -> Deferred[None]:
        """Store what waits (Scrapy waits for it), then let the database go."""
        if self.timer.running:
            self.timer.stop()
        return self.flush().addBoth(self._dispose)

    def _dispose(self, _: object) -> None:
        if self.database is not None:
            self.database.dispose()

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, ResponseItem):
            return item
        try:
            record = to_record(item)
        except InvalidItem as exc:
            self.crawler.stats.inc_value("foiwatch/invalid_items")
            log.warning("invalid item skipped: %s", exc)
            raise
        if not self.pending:
            self.first_pending_at = time.monotonic()
        self.pending.append((item, record))
        if len(self.pending) >= BATCH_ITEMS:
            # The item that fills a batch waits for it to be written: a crawl never outruns its
            # database by more than a batch or two.
            return self.flush().addCallback(lambda _: item)
        return item

    def _flush_if_due(self) -> None:
        if self.pending and time.monotonic() - self.first_pending_at >= BATCH_SECONDS:
            self.flush()

    def flush(self) -> Deferred[None]:
        """Store the waiting items in a thread of their own while the crawl goes on (a batch written
        in the crawl's thread held up its downloads); one batch at a time, in the order they came."""
        batch, self.pending = self.pending, []
        written: Deferred[None] = self.writing.run(self._write_in_thread, batch)
        return written.addErrback(self._unexpected)

    def _write_in_thread(self, batch: list[tuple[ResponseItem, ResponseRecord]]) -> Deferred[None]:
        if not batch:
            return succeed(None)
        stored: Deferred[list[_Written] | None] = threads.deferToThread(self._write, batch)
        return stored.addCallback(self._written, batch)

    def _write(self, batch: list[tuple[ResponseItem, ResponseRecord]]) -> list[_Written] | None:
        """(In the writing thread.) Each item's result: all in one transaction or, should that fail,
        each in one of its own. None: the run was closed under the crawl, nothing is written."""
        assert self.database is not None and self.run_id is not None
        try:
            with self.database.session() as session:
                if not is_running(session, self.run_id):
                    return None
                return list(self._store(session, batch))
        except Exception as exc:  # noqa: BLE001 (whatever the database said, each is tried alone)
            log.warning(
                "a batch of %d responses could not be stored (%s); storing them one by one", len(batch), exc
            )
        return [self._store_alone(item, record) for item, record in batch]

    def _store_alone(self, item: ResponseItem, record: ResponseRecord) -> _Written:
        assert self.database is not None
        try:
            with self.database.session() as session:
                return self._store(session, [(item, record)])[0]
        except Exception as exc:  # the database is down or refused the row: counted, the crawl goes on
            return exc

    def _written(
        self, results: list[_Written] | None, batch: list[tuple[ResponseItem, ResponseRecord]]
    ) -> None:
        """(In the crawl's thread.) Count what a batch stored, and report what it could not."""
        if results is None:
            log.warning("run %s was closed under this crawl: %d responses not kept", self.run_id, len(batch))
            return
        for (_, record), done in zip(batch, results, strict=True):
            if isinstance(done, Exception):
                self.crawler.stats.inc_value("foiwatch/store_errors")
                log.error("could not store %s: %s", record.url, done)
                report_problem(self.crawler, "store", record.url, f"not stored: {done}")
            else:
                self._count(record, done)

    def _unexpected(self, failure: Failure) -> None:
        """A fault in the writing itself (never a database refusal, which ``_write`` handles)."""
        self.crawler.stats.inc_value("foiwatch/store_errors")
        log.error("storing a batch of responses failed: %s", failure.getTraceback())

    def _store(self, session: Session, batch: list[tuple[ResponseItem, ResponseRecord]]) -> list[_Stored]:
        """Store a batch's records and archive the copies of their new versions, flushed once."""
        versions = store_versions(session, self.run_id, [record for _, record in batch])
        stored: list[_Stored] = []
        for (item, _), (outcome, version) in zip(batch, versions, strict=True):
            unarchived: list[tuple[str, str]] = []
            if outcome is not StoreOutcome.UNCHANGED and version is not None:
                unarchived = self.archive(session, item, version)
            stored.append(_Stored(outcome, unarchived))
        session.flush()
        return stored

    def _count(self, record: ResponseRecord, done: _Stored) -> None:
        """A stored item's figures and problems, counted once its transaction has committed."""
        stats = self.crawler.stats
        stats.inc_value(f"foiwatch/stored/{done.outcome.value}")
        for name in HEALTH_FIELDS:
            if getattr(record, name):
                stats.inc_value(f"foiwatch/filled/{name}")
        for url, cause in done.unarchived:
            stats.inc_value("foiwatch/archive_errors")
            report_problem(self.crawler, "archive", url, cause)
            log.warning("%s: %s", url, cause)

    def archive(
        self, session: Session, item: ResponseItem, version: ResponseVersion
    ) -> list[tuple[str, str]]:
        """Keep the page and attachment bytes a new version was read from, where the crawl has them.

        The version's attachments are the item's, in order (``to_record``). A copy that cannot be
        kept is skipped, the version stored all the same; returns each such copy's address and why.
        """
        if not archiving(self.crawler):
            return []
        problems: list[tuple[str, str]] = []
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
                archive_copy(
                    session, data_dir, copy, item.source_id, version.id, attachment_id, max_bytes, flush=False
                )
            except (ArchiveError, OSError) as exc:
                problems.append(
                    (copy.url, str(exc) if isinstance(exc, ArchiveError) else _write_failure(exc))
                )
        return problems
