"""GOV.UK FOI releases: search API pages (newest first), then each release's content API item."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from crawler.items import ResponseItem
from crawler.normalise import classify_outcome, parse_exemptions
from crawler.platforms.govuk import (
    GovukFormatError,
    GovukOptions,
    SearchResult,
    content_url,
    parse_release,
    parse_search_page,
    release_url,
    search_url,
)
from crawler.platforms.listing import canonical_url
from crawler.spiders.common import FoiSpider

log = logging.getLogger(__name__)
_JSON = {"Accept": "application/json"}


class GovukSpider(FoiSpider):
    """``scrapy crawl govuk -a source=<id>``; the source URL names the site (``https://www.gov.uk``)."""

    name = "govuk"
    platform = "govuk"

    @property
    def govuk_options(self) -> GovukOptions:
        assert isinstance(self.options, GovukOptions)
        return self.options

    async def start(self) -> AsyncIterator[Any]:
        yield self._search_request(start=0, page_number=1, known=self.known_urls())

    def _search_request(self, start: int, page_number: int, known: set[str]) -> scrapy.Request:
        return scrapy.Request(
            search_url(self.start_url, self.govuk_options, start),
            callback=self.parse_search,
            errback=self.listing_failed,
            headers=_JSON,
            cb_kwargs={"page_number": page_number, "known": known},
        )

    def parse_search(self, response: Response, page_number: int, known: set[str]) -> Iterator[Any]:
        try:
            page = parse_search_page(response.body)
        except GovukFormatError as exc:
            # Not "no new releases": the API (or whatever answered) changed, and the run must say so.
            raise CloseSpider(f"GOV.UK search API page {page_number} unreadable: {exc}") from None
        self.count("listing_pages")
        self.count("listed", len(page.results))
        self.listed([canonical_url(release_url(self.start_url, r.link)) for r in page.results])
        fresh = [r for r in page.results if canonical_url(release_url(self.start_url, r.link)) not in known]
        self.count("skipped_known", len(page.results) - len(fresh))
        for result in fresh:
            if result.link.startswith("/"):
                yield self._release_request(result)
            else:  # the index also holds links to pages outside GOV.UK, which have no content item
                self.not_a_response(result.link, "not a GOV.UK page")
        if known and page.results and not fresh:
            log.info("%s: search page %d lists nothing new; stopping here", self.source_id, page_number)
            return
        next_start = page.next_start()
        if next_start is None:
            return
        if page_number >= self.max_pages:
            self.crawler.stats.set_value("foiwatch/page_limit_reached", 1)
            log.warning("%s: page limit %d reached", self.source_id, self.max_pages)
            return
        yield self._search_request(next_start, page_number + 1, known)

    def _release_request(self, result: SearchResult) -> scrapy.Request:
        return scrapy.Request(
            content_url(self.start_url, result.link),
            callback=self.parse_release,
            errback=self.response_failed,
            headers=_JSON,
            cb_kwargs={"result": result},
        )

    def parse_release(self, response: Response, result: SearchResult) -> Iterator[Any]:
        try:
            release = parse_release(response.body, response.url)
        except GovukFormatError as exc:
            self.invalid(response.url, str(exc))
            return
        item = ResponseItem(
            source_id=self.source_id,
            authority=release.organisation or result.organisation or self.authority,
            url=release_url(self.start_url, result.link),
            title=release.title or result.title,
            # content_id: GOV.UK's permanent id of the release, kept when its title and path change.
            reference=release.content_id or result.content_id,
            published=release.published or result.published,
            date_source="page",
            request=release.description or result.description,
            response=release.body_text,
            outcome=classify_outcome(release.body_text),
            exemptions=parse_exemptions(release.body_text),
            attachments=[{"url": url, "name": name} for url, name in release.attachments],
        )
        yield from self.complete(item)
