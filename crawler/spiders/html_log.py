"""Council disclosure logs configured in YAML (Coventry, Cambridge City, Moray, Hastings, Barnet, ...).

Listing pages name responses (``link_pattern``) and index pages (``listing_pattern``: months, years,
letters of an A-Z), which are read as listings in turn; a page that is not a response is counted
invalid, never explored, so a broad link pattern cannot wander off across a council's whole site.
With ``documents_are_responses`` each response link is a PDF or DOCX letter read by its text; without
it, a response link the server answers with a document is read as a letter too, and "Download" links
beside a response on the listing are its attachments, whatever their address looks like.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.pagetext import parse_page, parse_soup
from crawler.platforms.html_log import (
    HtmlLogOptions,
    decode_html,
    find_log_links,
    listing_links,
    next_page_links,
    read_log_page,
)
from crawler.platforms.listing import ListedLink, canonical_url, document_links
from crawler.platforms.page import ParsedPage
from crawler.spiders.base import ListDetailSpider, server_document_type, with_documents

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
        self,
        response: Response,
        page_number: int,
        known: set[str],
        depth: int = 0,
        queued: set[str] | None = None,
    ) -> Iterator[Any]:
        self.count("listing_pages")
        options = self.log_options
        queued = queued if queued is not None else {response.url}
        soup = parse_soup(response_html(response))
        links = find_log_links(soup, response.url, self._accepts, options.date_grouped)
        self.count("listed", len(links))
        self.listed([link.url for link in links])
        fresh = [link for link in links if link.url not in known]
        self.count("skipped_known", len(links) - len(fresh))
        for link in fresh:
            yield self.follow_response(link, known)
        yield from self.redirect_requests(soup, response.url, {link.url for link in links}, known)
        # Index pages are always read: a letter of an A-Z says nothing about the others.
        deeper = listing_links(soup, response.url, options.is_listing)
        pages: list[str] = []
        if known and links and not fresh:
            log.info("%s: %s lists nothing new; not paging further", self.source_id, response.url)
        else:
            pages = [
                url for url in next_page_links(soup, response.url, options.pagination) if url not in deeper
            ]
            pages = self.pages_to_read(pages, response.url, queued, known)
        kind = "response document" if options.documents_are_responses else "response"
        accepted = {link.url: kind for link in links}
        accepted |= {url: "attachment" for link in links for url, _ in link.documents}
        self.log_links(soup, response.url, {**dict.fromkeys(deeper, "index page"), **accepted}, pages)
        yield from self._listing_requests([*deeper, *pages], page_number, known, queued)

    def _listing_requests(
        self, urls: list[str], page_number: int, known: set[str], queued: set[str]
    ) -> Iterator[Any]:
        if urls and page_number >= self.max_pages:
            self.crawler.stats.set_value("foiwatch/page_limit_reached", 1)
            log.warning("%s: page limit %d reached", self.source_id, self.max_pages)
            return
        for url in urls:
            yield scrapy.Request(
                url,
                callback=self.parse_listing,
                errback=self.listing_failed,
                cb_kwargs={"page_number": page_number + 1, "known": known, "queued": queued},
            )
            queued.add(url)

    def follow_response(self, link: ListedLink, known: set[str], depth: int = 0) -> scrapy.Request:
        if self.log_options.documents_are_responses:
            return self.document_request(link)
        return scrapy.Request(
            link.url, callback=self.parse_response, errback=self.response_failed, cb_kwargs={"listed": link}
        )

    # -- responses ----------------------------------------------------------------------------
    def parse_response(
        self, response: Response, listed: ListedLink, known: set[str] | None = None, depth: int = 0
    ) -> Iterator[Any]:
        if server_document_type(response):
            # A response link the server answers with a PDF: the letter is the response.
            yield from self.parse_document(response, listed)
            return
        # Index pages are declared (listing_pattern), so a page that is not a response is just invalid.
        page = self.read_page(response)
        if page.problems:
            self.invalid(response.url, "; ".join(page.problems))
            return
        documents = document_links(parse_page(response_html(response)), response.url)
        yield from self.complete(self.response_item(page, with_documents(listed, documents), response.url))
