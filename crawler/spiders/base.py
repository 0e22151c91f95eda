"""Base spider for "listing pages → response pages" disclosure logs.

A listing page yields requests for response pages, carrying what it knows (title, listed date)
forward in ``cb_kwargs``; a response page yields one ``ResponseItem``. In incremental mode the spider
skips responses already stored and stops paginating at the first page with nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.items import ResponseItem
from crawler.normalise import url_month
from crawler.pagetext import parse_page
from crawler.platforms.listing import ListedLink, canonical_url, find_links, find_next_pages
from crawler.platforms.page import ParsedPage
from crawler.spiders.common import FoiSpider

log = logging.getLogger(__name__)
MAX_INDEX_DEPTH = 3


class ListDetailSpider(FoiSpider):
    """Subclasses say which links are responses and how to read one response page."""

    # -- what subclasses provide ------------------------------------------------------------
    def is_response_link(self, url: str) -> bool:
        raise NotImplementedError

    def read_page(self, response: Response) -> ParsedPage:
        raise NotImplementedError

    def next_pages(self, response: Response) -> list[str]:
        return find_next_pages(parse_page(response.text), response.url)

    def listing_links(self, response: Response) -> list[ListedLink]:
        """The links a listing page names, in the order they are to be followed."""
        return find_links(parse_page(response.text), response.url, self.is_response_link)

    # -- crawling -----------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        yield scrapy.Request(
            self.start_url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"page_number": 1, "known": self.known_urls()},
        )

    def parse_listing(
        self, response: Response, page_number: int, known: set[str], depth: int = 0
    ) -> Iterator[Any]:
        self.count("listing_pages")
        links = self.listing_links(response)
        self.count("listed", len(links))
        self.listed([link.url for link in links])
        if not links and page_number > 1:
            self.empty_listing_page(response.url, page_number)
        fresh = [link for link in links if link.url not in known]
        self.count("skipped_known", len(links) - len(fresh))
        for link in fresh:
            yield self._response_request(link, known, depth)
        if known and links and not fresh:
            log.info("%s: page %d lists nothing new; stopping here", self.source_id, page_number)
            return
        for next_url in self.next_pages(response):
            if page_number >= self.max_pages:
                self.crawler.stats.set_value("foiwatch/page_limit_reached", 1)
                log.warning("%s: page limit %d reached", self.source_id, self.max_pages)
                return
            yield scrapy.Request(
                next_url,
                callback=self.parse_listing,
                errback=self.listing_failed,
                cb_kwargs={"page_number": page_number + 1, "known": known, "depth": depth},
            )

    def _response_request(self, link: ListedLink, known: set[str], depth: int) -> scrapy.Request:
        return scrapy.Request(
            link.url,
            callback=self.parse_response,
            errback=self.response_failed,
            cb_kwargs={"listed": link, "known": known, "depth": depth},
        )

    def parse_response(
        self, response: Response, listed: ListedLink, known: set[str] | None = None, depth: int = 0
    ) -> Iterator[Any]:
        page = self.read_page(response)
        nested = find_links(parse_page(response.text), response.url, self.is_response_link)
        # A page that reads as no response, or names no request but links to several responses, is an
        # index (a month, a year); its link texts ("foi-7126-...") must not pass for a reference.
        if page.problems or (not page.request and len(nested) >= 2):
            if nested and depth < MAX_INDEX_DEPTH:
                # At most a few levels deep, so a wide link pattern cannot wander the whole site.
                yield from self.parse_listing(response, page_number=1, known=known or set(), depth=depth + 1)
                return
            self.invalid(response.url, "; ".join(page.problems) or "an index page too deep to follow")
            return
        yield from self.complete(self.response_item(page, listed, response.url))

    def response_item(self, page: ParsedPage, listed: ListedLink, url: str) -> ResponseItem:
        """The item for a parsed response, the listing's title and date filling what the page lacks."""
        published, date_source = _best_date(page, listed, url)
        return ResponseItem(
            source_id=self.source_id,
            authority=self.authority,
            url=canonical_url(url),
            title=page.title or listed.title,
            reference=page.reference,
            published=published,
            date_source=date_source,
            request=page.request,
            response=page.response,
            outcome=page.outcome,
            exemptions=page.exemptions,
            attachments=[{"url": link, "name": name} for link, name in page.attachments],
        )


def _best_date(page: ParsedPage, listed: ListedLink, url: str) -> tuple[date | None, str | None]:
    """The best date there is and where it came from: the page, the listing, then the address's month.

    Without any of these the response stays undated here; storage dates it by first sighting.
    """
    if page.published:
        return page.published, "page"
    if listed.listed_date:
        return listed.listed_date, "listing"
    month = url_month(url)
    return (month, "url-month") if month else (None, None)
