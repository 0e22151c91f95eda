"""Alaveteli sites (WhatDoTheyKnow and others): feeds → request JSON → request page.

Each feed names request events; the spider reads each distinct request's ``.json`` (its state, its
public body) and then its page (the correspondence). A request with no reply from the authority is
not a response yet and is skipped. A feed holding ``FEED_WINDOW`` events may have dropped older
requests, so such a crawl never counts as complete: a request missing from it is not withdrawn.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from crawler.items import ResponseItem
from crawler.platforms.alaveteli import (
    FEED_WINDOW,
    AlaveteliOptions,
    AlaveteliResponse,
    FeedError,
    RequestData,
    RequestDataError,
    body_feed_names,
    feed_targets,
    feed_url,
    page_request_url,
    parse_feed,
    parse_request_json,
    parse_request_page,
    read_request,
    site_root,
)
from crawler.platforms.listing import canonical_url
from crawler.spiders.common import FoiSpider

log = logging.getLogger(__name__)

_FEED_ACCEPT = {"Accept": "application/atom+xml,application/xml;q=0.9,*/*;q=0.1"}
_JSON_ACCEPT = {"Accept": "application/json,*/*;q=0.1"}


class AlaveteliSpider(FoiSpider):
    """``scrapy crawl alaveteli -a source=<id>``, or ``-a url=<site root> -a authority=.. -a options=..``."""

    name = "alaveteli"
    platform = "alaveteli"

    def _options(self) -> AlaveteliOptions:
        assert isinstance(self.options, AlaveteliOptions)
        return self.options

    async def start(self) -> AsyncIterator[Any]:
        known = self.known_urls()
        for path in self._options().feeds:
            yield scrapy.Request(
                feed_url(self.start_url, path),
                callback=self.parse_feed,
                errback=self.listing_failed,
                headers=_FEED_ACCEPT,
                cb_kwargs={"known": known},
            )

    def parse_feed(self, response: Response, known: set[str]) -> Iterator[Any]:
        self.count("listing_pages")
        try:
            entries = parse_feed(response.body, response.url)
        except FeedError as exc:
            # A feed that is not one (an error page, a redesign, an attack) must not pass for "nothing new".
            raise CloseSpider(f"unreadable feed {response.url}: {exc}") from exc
        if len(entries) >= FEED_WINDOW:
            # Older requests have scrolled out of the feed: their absence says nothing.
            self.crawler.stats.set_value("foiwatch/page_limit_reached", 1)
            log.info("%s: %s holds its last %d events only", self.source_id, response.url, FEED_WINDOW)
        for entry in entries:
            if entry.target is None:
                self.invalid(
                    response.url, f"feed entry {entry.event_id or entry.title!r} links to no request"
                )
        targets = feed_targets(entries)
        self.count("listed", len(targets))
        self.listed(list(targets))
        fresh = [url for url in targets if url not in known]
        self.count("skipped_known", len(targets) - len(fresh))
        for url in fresh:
            if "/request_event/" in url:
                yield scrapy.Request(
                    url, callback=self.parse_event, errback=self.response_failed, cb_kwargs={"known": known}
                )
            else:
                yield self._json_request(url)

    def parse_event(self, response: Response, known: set[str]) -> Iterator[Any]:
        """An event link leads (on the live site, by a redirect) to its request's page."""
        url = page_request_url(response.body, response.url, site_root(self.start_url))
        if url is None:
            self.invalid(response.url, "the event's page names no request")
        elif url in known:
            self.count("skipped_known")
        else:
            yield self._json_request(url, page_body=response.body)

    def _json_request(self, page_url: str, page_body: bytes | None = None) -> scrapy.Request:
        return scrapy.Request(
            f"{page_url}.json",
            callback=self.parse_json,
            errback=self.response_failed,
            headers=_JSON_ACCEPT,
            cb_kwargs={"page_url": page_url, "page_body": page_body},
        )

    def parse_json(self, response: Response, page_url: str, page_body: bytes | None) -> Iterator[Any]:
        try:
            data = parse_request_json(response.body)
        except RequestDataError as exc:
            self.invalid(response.url, str(exc))
            return
        if data.awaiting_reply:
            self.count("awaiting_response")
            log.info("%s: %s has no reply yet (%s)", self.source_id, page_url, data.display_status)
            return
        if page_body is not None:
            yield from self._read(data, page_body, page_url)
            return
        yield scrapy.Request(
            page_url, callback=self.parse_page, errback=self.response_failed, cb_kwargs={"data": data}
        )

    def parse_page(self, response: Response, data: RequestData) -> Iterator[Any]:
        yield from self._read(data, response.body, response.url)

    def _read(self, data: RequestData, body: bytes, url: str) -> Iterator[Any]:
        page = parse_request_page(body, canonical_url(url))
        if not page.replies:
            self.invalid(url, "no reply from the authority on the page")
            return
        found = read_request(data, page)
        item = ResponseItem(
            source_id=self.source_id,
            authority=self._authority(found),
            url=page.url,
            title=found.title,
            reference=found.reference,
            published=found.published,
            date_source="page",
            request=found.request,
            response=found.response,
            outcome=found.outcome,
            exemptions=found.exemptions,
            attachments=[{"url": url, "name": name} for url, name in found.attachments],
        )
        yield from self.complete(item)

    def _authority(self, found: AlaveteliResponse) -> str:
        """The source's own name for a body it follows by feed; the site's name for any other body."""
        if found.body_url_name in body_feed_names(self._options().feeds):
            return self.authority
        return found.authority or self.authority
