"""What every foiwatch spider shares: the source it crawls, its options, counters, failures, attachments.

Counters the run verdict relies on (``crawler.extensions.verdict``):
``foiwatch/listing_pages`` (index pages, feeds or API pages read), ``foiwatch/listed`` (responses they
named), ``foiwatch/skipped_known`` (named but already stored, in incremental mode),
``foiwatch/listing_errors``, ``foiwatch/fetch_errors``, ``foiwatch/gone``, ``foiwatch/refused_pages``
and ``foiwatch/invalid_items``. Every failure is also reported in words (``crawler.problems``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import scrapy
from pydantic import BaseModel
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.archive import ARCHIVED_FETCH, archiving, fetched_copy
from crawler.attachments import EXTRACTABLE, MAX_ATTACHMENT_BYTES, extract_text
from crawler.config import PLATFORMS, default_config_dir, load_sources, options_model
from crawler.items import ResponseItem
from crawler.middlewares import allowed_hosts
from crawler.normalise import classify_outcome, parse_exemptions
from crawler.pipelines import MIN_RESPONSE_CHARS, responses_listed
from crawler.platforms.listing import (
    ATTACHMENT_EXTENSIONS,
    document_type,
    download_filename,
    is_attachment,
    is_document_link,
    media_type,
    uninformative_type,
)
from crawler.problems import OffsiteRefused, describe_failure, report_problem
from storage.db import shared_database
from storage.responses import known_urls

log = logging.getLogger(__name__)


class FoiSpider(scrapy.Spider):
    """Base of every platform spider. Subclasses set ``platform`` and implement ``start``."""

    platform: str = ""

    def __init__(
        self,
        source: str,
        url: str | None = None,
        authority: str | None = None,
        mode: str = "full",
        max_pages: int | str = 200,
        may_be_empty: bool | str = False,
        options: str | dict[str, Any] | None = None,
        hosts: str | list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if url is None or authority is None:
            configured = {s.id: s for s in load_sources(default_config_dir())}
            if source not in configured:
                raise ValueError(
                    f"unknown source {source!r}; pass -a url=... -a authority=... or configure it"
                )
            found = configured[source]
            url, authority = url or found.url, authority or found.authority
            max_pages, may_be_empty, options = found.max_pages, found.may_be_empty, found.options
            hosts = hosts or found.allowed_hosts
        if mode not in ("full", "incremental"):
            raise ValueError(f"mode must be 'full' or 'incremental', not {mode!r}")
        self.source_id, self.start_url, self.authority, self.mode = source, url, authority, mode
        self.max_pages = int(max_pages)
        self.may_be_empty = may_be_empty in (True, "true", "True", "1")
        raw = json.loads(options) if isinstance(options, str) else (options or {})
        self.options: BaseModel = options_model(self.platform).model_validate(raw)
        listed_hosts = [h for h in hosts.split(",") if h] if isinstance(hosts, str) else list(hosts or [])
        # Read by crawler.middlewares.SourceHostsGuard: nothing else is ever requested.
        self.allowed_hosts = allowed_hosts(url, [*listed_hosts, *PLATFORMS[self.platform].hosts])

    # -- counters ---------------------------------------------------------------------------
    def count(self, key: str, amount: int = 1) -> None:
        self.crawler.stats.inc_value(f"foiwatch/{key}", amount)

    def known_urls(self) -> set[str]:
        """URLs already stored for this source (empty in full mode)."""
        database_url = self.settings.get("FOIWATCH_DATABASE_URL")
        if self.mode != "incremental" or not database_url:
            return set()
        with shared_database(database_url).session() as session:
            return known_urls(session, self.source_id)

    def listed(self, urls: list[str]) -> None:
        """Tell the store which responses a listing names, read or not: none of them is withdrawn."""
        if urls:
            self.crawler.signals.send_catch_log(signal=responses_listed, urls=list(urls))

    def empty_listing_page(self, url: str, page_number: int) -> None:
        """A later listing page naming no response: an error page served as 200, or a redesign
        below the first page. The responses it should have listed were not seen, not withdrawn."""
        self.crawler.stats.inc_value("foiwatch/listing_partial")
        report_problem(
            self.crawler,
            "listing",
            url,
            f"listing page {page_number} names no responses (an error page, or its layout changed)",
        )
        log.warning("%s: listing page %s names no responses", self.source_id, url)

    def invalid(self, url: str, reason: str) -> None:
        self.count("invalid_items")
        report_problem(self.crawler, "item", url, f"not read as a response: {reason}")
        log.warning("%s: not a response (%s): %s", self.source_id, reason, url)

    def not_a_response(self, url: str, reason: str) -> None:
        """A listed link that is not a response at all (an external page): skipped, not a fault."""
        self.count("not_responses")
        log.info("%s: skipped %s (%s)", self.source_id, url, reason)

    # -- failures: recorded, never fatal ----------------------------------------------------
    def describe(self, failure: Failure) -> str:
        return describe_failure(
            failure, self.settings.getfloat("DOWNLOAD_TIMEOUT"), self.settings.getint("DOWNLOAD_MAXSIZE")
        )

    def listing_failed(self, failure: Failure) -> None:
        self.count("listing_errors")
        cause = self.describe(failure)
        report_problem(self.crawler, "listing", _request_url(failure), cause)
        log.error("%s: listing page failed: %s", self.source_id, cause)

    def response_failed(self, failure: Failure) -> None:
        if isinstance(failure.value, HttpError) and failure.value.response.status in (404, 410):
            self.count("gone")
        elif failure.check(OffsiteRefused):
            self.count("refused_pages")
        else:
            self.count("fetch_errors")
        cause = self.describe(failure)
        report_problem(self.crawler, "page", _request_url(failure), cause)
        log.error("%s: response page failed: %s", self.source_id, cause)

    # -- attachments ------------------------------------------------------------------------
    def complete(self, item: ResponseItem) -> Iterator[Any]:
        """Yield the item, first fetching its attachments' text when the source asks for it."""
        wanted = [i for i, a in enumerate(item.attachments) if readable(a)]
        if not getattr(self.options, "fetch_attachments", False) or not wanted:
            yield item
            return
        yield self._attachment_request(item, wanted)

    def _attachment_request(self, item: ResponseItem, pending: list[int]) -> scrapy.Request:
        index = pending[0]
        return scrapy.Request(
            item.attachments[index]["url"],
            callback=self._attachment_fetched,
            errback=self._attachment_failed,
            cb_kwargs={"item": item, "pending": pending},
            # An attachment shared by two responses must be fetched for each, or one item is lost.
            dont_filter=True,
            meta={"download_maxsize": MAX_ATTACHMENT_BYTES},
            priority=10,
        )

    def _attachment_fetched(
        self, response: Response, item: ResponseItem, pending: list[int]
    ) -> Iterator[Any]:
        attachment = item.attachments[pending[0]]
        header = (response.headers.get("Content-Type") or b"").decode("latin-1")
        disposition = (response.headers.get("Content-Disposition") or b"").decode("latin-1")
        declared = str(attachment.get("content_type") or "")
        # The log's own word on the type stands where the server says only "some bytes".
        told_by_log = uninformative_type(header) and document_type(declared, "") is not None
        if not told_by_log and not is_attachment(response.url, header, disposition):
            # "Download" answered with a page (a login form, a landing page): not a document at all.
            attachment[_NOT_A_DOCUMENT] = True
            self.count("not_documents")
            log.info("%s: %s is a page (%s), not a document", self.source_id, response.url, header)
            yield from self._next_attachment(item, pending[1:])
            return
        content_type = document_type(header, disposition) or media_type(header)
        if content_type in ("", "application/octet-stream") and attachment.get("content_type"):
            content_type = str(attachment["content_type"])  # the log said what it is; the server did not
        filename = download_filename(disposition)
        if filename and (not attachment.get("name") or _GENERIC_NAME.match(str(attachment["name"]))):
            attachment["name"] = filename
        text, error = extract_text(response.body, filename or response.url, content_type)
        attachment.update({"content_type": content_type, "size": len(response.body)})
        if archiving(self.crawler):
            attachment[ARCHIVED_FETCH] = fetched_copy(response)
        if text is not None:
            attachment["text"] = text
        if error:
            attachment["error"] = error
            self.count("attachment_errors")
            report_problem(self.crawler, "attachment", response.url, error)
        yield from self._next_attachment(item, pending[1:])

    def _attachment_failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        item, pending = request.cb_kwargs["item"], request.cb_kwargs["pending"]
        cause = self.describe(failure)
        item.attachments[pending[0]]["error"] = cause
        self.count("attachment_errors")
        report_problem(self.crawler, "attachment", request.url, cause)
        log.warning("%s: attachment not read: %s", self.source_id, cause)
        yield from self._next_attachment(item, pending[1:])

    def _next_attachment(self, item: ResponseItem, pending: list[int]) -> Iterator[Any]:
        if pending:
            yield self._attachment_request(item, pending)
            return
        item.attachments = [a for a in item.attachments if not a.pop(_NOT_A_DOCUMENT, False)]
        if len(item.response.strip()) < MIN_RESPONSE_CHARS:
            # A log entry that is only a link to the letter: the letter is the response.
            letters = [str(a["text"]) for a in item.attachments if a.get("text")]
            if letters:
                item.response = "\n\n".join(letters)
                item.outcome = item.outcome or classify_outcome(item.response)
                item.exemptions = item.exemptions or parse_exemptions(item.response)
        yield item


_READABLE_TYPES = ("pdf", "wordprocessingml", "text/")
_NOT_A_DOCUMENT = "_not_a_document"
# Names that say nothing of the file: the server's download filename is a better one.
_GENERIC_NAME = re.compile(r"^(?:download|view|open|pdf|docx?|file|document|attachment)\b", re.I)


def readable(attachment: dict[str, Any]) -> bool:
    """An http(s) attachment whose text can be extracted, by its URL's extension or declared type,
    or a "Download" link without extension, which the server is asked about.

    Other schemes (``file:``, ``javascript:``, ``data:``) are kept as scraped but never fetched.
    """
    url = str(attachment["url"])
    if not url.lower().startswith(("http://", "https://")):
        return False
    path = url.lower().split("?")[0]
    declared = str(attachment.get("content_type") or "").lower()
    if path.endswith(EXTRACTABLE) or any(kind in declared for kind in _READABLE_TYPES):
        return True
    name = str(attachment.get("name") or "")
    return not path.endswith(ATTACHMENT_EXTENSIONS) and is_document_link(url, name)


def _request_url(failure: Failure) -> str | None:
    request = getattr(failure, "request", None)
    return request.url if request is not None else None
