"""Base spider for "listing pages → response pages" disclosure logs.

A listing page yields requests for response pages, carrying what it knows (title, listed date)
forward in ``cb_kwargs``; a response page yields one ``ResponseItem``. In incremental mode the spider
skips responses already stored and stops paginating at the first page with nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.config import default_config_dir, load_sources
from crawler.items import ResponseItem
from crawler.pagetext import parse_page
from crawler.parsers.listing import ListedLink, canonical_url, find_links, find_next_pages
from crawler.parsers.police_soh import ParsedPage
from storage.db import Database
from storage.responses import known_urls

log = logging.getLogger(__name__)


class ListDetailSpider(scrapy.Spider):
    """Subclasses say which links are responses and how to read one response page."""

    def __init__(
        self,
        source: str,
        url: str | None = None,
        authority: str | None = None,
        mode: str = "full",
        max_pages: int | str = 200,
        may_be_empty: bool | str = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if url is None or authority is None:
            configured = {s.id: s for s in load_sources(default_config_dir())}
            if source not in configured:
                raise ValueError(
                    f"unknown source {source!r}; pass -a url=... -a authority=... or configure it"
                )
            url, authority = url or configured[source].url, authority or configured[source].authority
            max_pages, may_be_empty = configured[source].max_pages, configured[source].may_be_empty
        if mode not in ("full", "incremental"):
            raise ValueError(f"mode must be 'full' or 'incremental', not {mode!r}")
        self.source_id, self.start_url, self.authority, self.mode = source, url, authority, mode
        self.max_pages = int(max_pages)
        self.may_be_empty = may_be_empty in (True, "true", "True", "1")

    # -- what subclasses provide ------------------------------------------------------------
    def is_response_link(self, url: str) -> bool:
        raise NotImplementedError

    def read_page(self, response: Response) -> ParsedPage:
        raise NotImplementedError

    # -- crawling -----------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        known: set[str] = set()
        if self.mode == "incremental":
            known = self._known_urls()
        yield scrapy.Request(
            self.start_url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"page_number": 1, "known": known},
        )

    def _known_urls(self) -> set[str]:
        database_url = self.settings.get("FOIWATCH_DATABASE_URL")
        if not database_url:
            return set()
        database = Database(database_url, migrate=False)
        try:
            with database.session() as session:
                return known_urls(session, self.source_id)
        finally:
            database.dispose()

    def parse_listing(self, response: Response, page_number: int, known: set[str]) -> Iterator[Any]:
        stats = self.crawler.stats
        stats.inc_value("foiwatch/listing_pages")
        soup = parse_page(response.text)
        links = find_links(soup, response.url, self.is_response_link)
        stats.inc_value("foiwatch/listed", len(links))
        fresh = [link for link in links if link.url not in known]
        stats.inc_value("foiwatch/skipped_known", len(links) - len(fresh))
        for link in fresh:
            yield self._response_request(link)
        if known and links and not fresh:
            log.info("%s: page %d lists nothing new; stopping here", self.source_id, page_number)
            return
        for next_url in find_next_pages(soup, response.url):
            if page_number >= self.max_pages:
                stats.set_value("foiwatch/page_limit_reached", 1)
                log.warning("%s: page limit %d reached", self.source_id, self.max_pages)
                return
            yield scrapy.Request(
                next_url,
                callback=self.parse_listing,
                errback=self.listing_failed,
                cb_kwargs={"page_number": page_number + 1, "known": known},
            )

    def _response_request(self, link: ListedLink) -> scrapy.Request:
        return scrapy.Request(
            link.url,
            callback=self.parse_response,
            errback=self.response_failed,
            cb_kwargs={"listed": link},
        )

    def parse_response(self, response: Response, listed: ListedLink) -> Iterator[Any]:
        page = self.read_page(response)
        if page.problems:
            nested = find_links(parse_page(response.text), response.url, self.is_response_link)
            if nested:
                # An index page (a month, a year) rather than a response: read it as a listing.
                yield from self.parse_listing(response, page_number=1, known=set())
                return
            self.crawler.stats.inc_value("foiwatch/invalid_items")
            log.warning(
                "%s: not a response page (%s): %s", self.source_id, "; ".join(page.problems), response.url
            )
            return
        yield ResponseItem(
            source_id=self.source_id,
            authority=self.authority,
            url=canonical_url(response.url),
            title=page.title or listed.title,
            reference=page.reference,
            published=page.published or listed.listed_date,
            request=page.request,
            response=page.response,
            outcome=page.outcome,
            exemptions=page.exemptions,
            attachments=[{"url": url, "name": name} for url, name in page.attachments],
        )

    # -- failures: recorded, never fatal ----------------------------------------------------
    def listing_failed(self, failure: Failure) -> None:
        self.crawler.stats.inc_value("foiwatch/listing_errors")
        log.error("%s: listing page failed: %s", self.source_id, _describe(failure))

    def response_failed(self, failure: Failure) -> None:
        if failure.check(HttpError) and failure.value.response.status in (404, 410):
            self.crawler.stats.inc_value("foiwatch/gone")
        else:
            self.crawler.stats.inc_value("foiwatch/fetch_errors")
        log.error("%s: response page failed: %s", self.source_id, _describe(failure))


def _describe(failure: Failure) -> str:
    if failure.check(HttpError):
        response = failure.value.response
        return f"HTTP {response.status} at {response.url}"
    request = getattr(failure, "request", None)
    where = f" at {request.url}" if request is not None else ""
    return f"{failure.type.__name__ if failure.type else 'error'}: {failure.getErrorMessage()}{where}"
