"""Police forces on the "Single Online Home" site shell (met.police.uk, cleveland.police.uk, ...).

A source may start at the log itself or at the force's FOI landing page; from a landing page the log
is found by its link (``crawler.platforms.police_soh.find_log_links``), up to two pages away. The
address the crawl read the log from is ``address_used``, stored with the crawl run. Year and month
index pages between the log and its responses are walked newest first, bounded by ``max_pages``; in
incremental mode only the newest few are read.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from bs4 import BeautifulSoup
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.middlewares import host_key
from crawler.pagetext import decode_html
from crawler.platforms.listing import ListedLink
from crawler.platforms.page import ParsedPage, parse_detail
from crawler.platforms.police_soh import (
    LOG_LINK_WORDS,
    LogLink,
    find_hub_links,
    find_log_links,
    index_period,
    is_response_link,
    lists_own_site_responses,
    looks_like_log,
    newest_first,
)
from crawler.problems import report_problem
from crawler.spiders.base import MAX_INDEX_DEPTH, ListDetailSpider

log = logging.getLogger(__name__)
# Landing page -> "Accessing information" -> log: how far from the start page a log is looked for.
MAX_DISCOVERY_HOPS = 2
# Year or month index pages read per index page in incremental mode, newest first: new responses
# are filed under the newest periods.
INCREMENTAL_PERIODS = 2
LOOKED_FOR = (
    "a link reading "
    + ", ".join(f'"{words}"' for words in LOG_LINK_WORDS)
    + " or an address like /disclosure-log/, /disclosure-2025/, /foi-disclosure-2025/,"
    " /datgeliadau-2025/, /d/"
)


class PoliceSohSpider(ListDetailSpider):
    """``scrapy crawl police_soh -a source=<id>`` (or ``-a url=... -a authority=...``)."""

    name = "police_soh"
    platform = "police_soh"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Where the log was read from (the start URL unless found from a landing page), and the
        # address links are judged against (the log, or the newest year page of a log of years).
        self.address_used: str = self.start_url
        self.log_base: str = self.start_url

    def is_response_link(self, url: str) -> bool:
        return is_response_link(url, self.log_base)

    def read_page(self, response: Response) -> ParsedPage:
        # Read by bytes: a page whose charset is declared wrongly must still give readable text.
        return parse_detail(decode_html(response.body, getattr(response, "encoding", None)), response.url)

    # -- finding the log ----------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        yield scrapy.Request(
            self.start_url,
            callback=self.parse_start,
            errback=self.listing_failed,
            cb_kwargs={"hops": 0, "known": self.known_urls()},
        )

    def parse_start(self, response: Response, hops: int, known: set[str]) -> Iterator[Any]:
        """The log itself, or a landing page from which the log is found."""
        soup = self.page_soup(response)
        if looks_like_log(response.url) or lists_own_site_responses(soup, response.url):
            self.address_used = self.log_base = response.url
            yield from self.parse_listing(response, page_number=1, known=known)
            return
        found = find_log_links(soup, response.url, self.start_url)
        logs = [link for link in found if self._may_fetch(link.url)]
        if logs:
            yield from self._follow_log(response, logs, known)
            return
        hubs = [url for url in find_hub_links(soup, response.url) if self._may_fetch(url)]
        if hubs and hops < MAX_DISCOVERY_HOPS:
            yield scrapy.Request(
                hubs[0],
                callback=self.parse_start,
                errback=self._hub_failed,
                cb_kwargs={"hops": hops + 1, "known": known},
            )
            return
        self._log_not_found(response.url)

    def _follow_log(self, response: Response, logs: list[LogLink], known: set[str]) -> Iterator[Any]:
        best = logs[0]
        periods = [link.url for link in logs if link.period is not None]
        if best.period is None or len(periods) < 2:
            self.address_used = self.log_base = best.url
            log.info("%s: disclosure log found at %s (from %s)", self.source_id, best.url, response.url)
            yield scrapy.Request(
                best.url,
                callback=self.parse_listing,
                errback=self.listing_failed,
                cb_kwargs={"page_number": 1, "known": known},
            )
            return
        # The landing page lists the log's years itself: it is the log, each year page a listing.
        years = newest_first(periods)
        if self.mode == "incremental":
            years = years[:INCREMENTAL_PERIODS]
        self.address_used, self.log_base = response.url, years[0]
        self.count("listing_pages")
        self.count("listed", len(years))
        log.info("%s: disclosure log of %d years found at %s", self.source_id, len(years), response.url)
        for rank, url in enumerate(years):
            yield scrapy.Request(
                url,
                callback=self.parse_listing,
                errback=self.listing_failed,
                cb_kwargs={"page_number": 1, "known": known, "depth": 1},
                priority=-rank,  # the scheduler would otherwise read the last yielded first
            )

    def _hub_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self._log_not_found(request.url, f" ({request.url} answered {self.describe(failure)})")

    def _may_fetch(self, url: str) -> bool:
        key = host_key(url)
        return key is not None and key in self.allowed_hosts

    def _log_not_found(self, url: str, detail: str = "") -> None:
        # The landing page was read: the run fails for want of a log, not for want of a page.
        self.count("listing_pages")
        self.count("listing_errors")
        cause = f"no disclosure log found: looked for {LOOKED_FOR}{detail}"
        report_problem(self.crawler, "listing", url, cause)
        log.error("%s: no disclosure log found from %s", self.source_id, url)

    # -- walking year and month pages ---------------------------------------------------------
    def listing_links(self, response: Response, soup: BeautifulSoup | None = None) -> list[ListedLink]:
        """Responses in page order, then year and month pages newest first, within the bounds."""
        links = super().listing_links(response, soup)
        by_url = {link.url: link for link in links}
        indexes = newest_first([link.url for link in links if index_period(link.url) is not None])
        if self.mode == "incremental":
            indexes = indexes[:INCREMENTAL_PERIODS]
        read = int(self.crawler.stats.get_value("foiwatch/listing_pages", 0) or 0)
        if indexes and read >= self.max_pages:
            # Index pages must not multiply without end: what is left unread leaves the run incomplete.
            self.crawler.stats.set_value("foiwatch/page_limit_reached", 1)
            log.warning("%s: page limit %d reached; index pages left unread", self.source_id, self.max_pages)
            indexes = []
        responses = [link for link in links if index_period(link.url) is None]
        return responses + [by_url[url] for url in indexes]

    def parse_response(
        self, response: Response, listed: ListedLink, known: set[str] | None = None, depth: int = 0
    ) -> Iterator[Any]:
        if index_period(response.url) is None:
            yield from super().parse_response(response, listed, known, depth)
            return
        if depth >= MAX_INDEX_DEPTH:
            self.invalid(response.url, "an index page too deep to follow")
            return
        if not super().listing_links(response):
            # A month page listing nothing it can follow: an error page or a new layout. What it
            # should have listed was not seen, so nothing may be taken as withdrawn.
            self.crawler.stats.inc_value("foiwatch/listing_partial")
            report_problem(
                self.crawler,
                "listing",
                response.url,
                "index page names no responses or periods (an error page, or its layout changed)",
            )
            log.warning("%s: index page %s names nothing to follow", self.source_id, response.url)
            return
        yield from self.parse_listing(response, page_number=1, known=known or set(), depth=depth + 1)
