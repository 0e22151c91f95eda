"""RSS and Atom disclosure logs: each entry is a response, read from its page or from the feed itself."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response, TextResponse

from crawler.items import ResponseItem
from crawler.platforms.feed import FeedEntry, FeedError, FeedOptions, parse_feed, read_entry, with_page
from crawler.platforms.listing import is_attachment
from crawler.platforms.page import ParsedPage, parse_detail
from crawler.spiders.common import FoiSpider

log = logging.getLogger(__name__)


class FeedSpider(FoiSpider):
    """``scrapy crawl feed -a source=<id>``: one feed, followed by RFC 5005 ``next`` links if any."""

    name = "feed"
    platform = "feed"

    @property
    def feed_options(self) -> FeedOptions:
        return cast(FeedOptions, self.options)

    async def start(self) -> AsyncIterator[Any]:
        yield self._feed_request(self.start_url, 1, self.known_urls())

    def _feed_request(self, url: str, page_number: int, known: set[str]) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_feed,
            errback=self.listing_failed,
            cb_kwargs={"page_number": page_number, "known": known},
        )

    def parse_feed(self, response: Response, page_number: int, known: set[str]) -> Iterator[Any]:
        self.count("listing_pages")
        try:
            feed = parse_feed(response.body, response.url)
        except FeedError as exc:
            if page_number == 1:
                # The whole log is unreadable: fail the run with the reason, not "nothing listed".
                raise CloseSpider(f"{response.url} is not a readable feed: {exc}") from exc
            self.count("listing_errors")
            log.error("%s: feed page %s unreadable: %s", self.source_id, response.url, exc)
            return
        self.count("listed", len(feed.entries))
        if not feed.entries and page_number > 1:
            self.empty_listing_page(response.url, page_number)
        self.listed([entry.url for entry in feed.entries if entry.link is not None])
        fresh = [entry for entry in feed.entries if entry.url not in known]
        self.count("skipped_known", len(feed.entries) - len(fresh))
        for entry in fresh:
            yield from self._read(entry)
        if known and feed.entries and not fresh:
            log.info("%s: feed page %d has nothing new; stopping here", self.source_id, page_number)
            return
        if feed.next_url and feed.next_url != response.url:
            if page_number >= self.max_pages:
                self.crawler.stats.set_value("foiwatch/page_limit_reached", 1)
                log.warning("%s: page limit %d reached", self.source_id, self.max_pages)
                return
            yield self._feed_request(feed.next_url, page_number + 1, known)

    def _read(self, entry: FeedEntry) -> Iterator[Any]:
        if self.feed_options.fetch_pages and entry.link and not is_attachment(entry.link):
            yield scrapy.Request(
                entry.link,
                callback=self.parse_entry_page,
                errback=self.response_failed,
                cb_kwargs={"entry": entry},
            )
            return
        yield from self._emit(entry, read_entry(entry, self.feed_options.reference_regex()))

    def parse_entry_page(self, response: Response, entry: FeedEntry) -> Iterator[Any]:
        if isinstance(response, TextResponse):
            page = parse_detail(response.text, response.url)
        else:
            page = ParsedPage(url=response.url, problems=["not an HTML page"])
        yield from self._emit(entry, with_page(entry, page, self.feed_options.reference_regex()))

    def _emit(self, entry: FeedEntry, parsed: ParsedPage) -> Iterator[Any]:
        if parsed.problems:
            self.invalid(entry.url, "; ".join(parsed.problems))
            return
        item = ResponseItem(
            source_id=self.source_id,
            authority=self.authority,
            url=entry.url,
            title=parsed.title,
            reference=parsed.reference,
            published=parsed.published,
            date_source="page",
            request=parsed.request,
            response=parsed.response,
            outcome=parsed.outcome,
            exemptions=parsed.exemptions,
            attachments=[{"url": url, "name": name} for url, name in parsed.attachments],
            # an entry without a link of its own shares the feed's address with its neighbours
            own_page=entry.link is not None,
        )
        yield from self.complete(item)
