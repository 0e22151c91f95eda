"""Council disclosure logs configured in YAML (Coventry, Cambridge City, Moray, Hastings, Barnet, ...).

Listing pages name responses (``link_pattern``) and index pages (``listing_pattern``: months, years,
letters of an A-Z), which are read as listings in turn; a page that is not a response is counted
invalid, never explored, so a broad link pattern cannot wander off across a council's whole site.
With ``documents_are_responses`` each response link is a PDF or DOCX letter read by its text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.attachments import MAX_ATTACHMENT_BYTES, extract_text
from crawler.pagetext import parse_page
from crawler.platforms.html_log import (
    HtmlLogOptions,
    decode_html,
    find_log_links,
    listing_links,
    next_page_links,
    read_letter,
    read_log_page,
)
from crawler.platforms.listing import ListedLink, canonical_url
from crawler.platforms.page import ParsedPage
from crawler.spiders.base import ListDetailSpider

log = logging.getLogger(__name__)


def response_html(response: Response) -> str:
    """The page's text, readable even when its charset is declared wrongly (see ``decode_html``)."""
    return decode_html(response.body, getattr(response, "encoding", None))


class HtmlLogSpider(ListDetailSpider):
    """``scrapy crawl html_log -a source=<id>``: a council log described by its source options."""

    name = "html_log"
    platform = "html_log"

    @property
    def log_options(self) -> HtmlLogOptions:
        assert isinstance(self.options, HtmlLogOptions)
        return self.options

    def _accepts(self, url: str, text: str) -> bool:
        return self.log_options.is_response(url, text) and url != canonical_url(self.start_url)

    def is_response_link(self, url: str) -> bool:
        return self._accepts(canonical_url(url), "")

    def read_page(self, response: Response) -> ParsedPage:
        return read_log_page(response_html(response), response.url, self.log_options.fields)

    # -- listings -----------------------------------------------------------------------------
    def parse_listing(
        self, response: Response, page_number: int, known: set[str], depth: int = 0
    ) -> Iterator[Any]:
        self.count("listing_pages")
        options = self.log_options
        soup = parse_page(response_html(response))
        links = find_log_links(soup, response.url, self._accepts, options.date_grouped)
        self.count("listed", len(links))
        self.listed([link.url for link in links])
        fresh = [link for link in links if link.url not in known]
        self.count("skipped_known", len(links) - len(fresh))
        for link in fresh:
            yield self._follow(link)
        # Index pages are always read: a letter of an A-Z says nothing about the others.
        deeper = listing_links(soup, response.url, options.is_listing)
        pages: list[str] = []
        if known and links and not fresh:
            log.info("%s: %s lists nothing new; not paging further", self.source_id, response.url)
        else:
            pages = [
                url for url in next_page_links(soup, response.url, options.pagination) if url not in deeper
            ]
        yield from self._listing_requests([*deeper, *pages], page_number, known)

    def _listing_requests(self, urls: list[str], page_number: int, known: set[str]) -> Iterator[Any]:
        if urls and page_number >= self.max_pages:
            self.crawler.stats.set_value("foiwatch/page_limit_reached", 1)
            log.warning("%s: page limit %d reached", self.source_id, self.max_pages)
            return
        for url in urls:
            yield scrapy.Request(
                url,
                callback=self.parse_listing,
                errback=self.listing_failed,
                cb_kwargs={"page_number": page_number + 1, "known": known},
            )

    def _follow(self, link: ListedLink) -> scrapy.Request:
        if self.log_options.documents_are_responses:
            return scrapy.Request(
                link.url,
                callback=self.parse_document,
                errback=self.response_failed,
                cb_kwargs={"listed": link},
                meta={"download_maxsize": MAX_ATTACHMENT_BYTES},
            )
        return scrapy.Request(
            link.url, callback=self.parse_response, errback=self.response_failed, cb_kwargs={"listed": link}
        )

    # -- responses ----------------------------------------------------------------------------
    def parse_response(
        self, response: Response, listed: ListedLink, known: set[str] | None = None, depth: int = 0
    ) -> Iterator[Any]:
        # Index pages are declared (listing_pattern), so a page that is not a response is just invalid.
        page = self.read_page(response)
        if page.problems:
            self.invalid(response.url, "; ".join(page.problems))
            return
        yield from self.complete(self.response_item(page, listed, response.url))

    def parse_document(self, response: Response, listed: ListedLink) -> Iterator[Any]:
        """A response letter published as a PDF or DOCX; an HTML page in its place is read as a page."""
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1").split(";")[0].strip()
        if "html" in content_type:
            yield from self.parse_response(response, listed)
            return
        text, error = extract_text(response.body, response.url, content_type)
        if text is None:
            self.invalid(response.url, error or "no text in the document")
            return
        if error:
            log.warning("%s: letter read in part: %s: %s", self.source_id, error, response.url)
        page = read_letter(text, response.url, listed.title)
        if page.problems:
            self.invalid(response.url, "; ".join(page.problems))
            return
        yield from self.complete(self.response_item(page, listed, response.url))
