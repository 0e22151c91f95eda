"""Base spider for "listing pages → response pages" disclosure logs.

A listing page yields requests for response pages, carrying what it knows (title, listed date)
forward in ``cb_kwargs``; a response page yields one ``ResponseItem``. In incremental mode the spider
skips responses already stored and stops paginating at the first page with nothing new.

Links are judged by where they lead: a same-site ``/redir/<token>`` link is followed (at most
``MAX_REDIRECT_HOPS`` redirects, never to another host) and the source's ``link_pattern`` applied to
its target, which is the response's address. A response link the server answers with a document
(``application/pdf``, a download filename) is read as a letter, never parsed as HTML. What was made
of each link on the listing pages is kept in ``link_log`` and written for ``foiwatch sources check``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import scrapy
from bs4 import BeautifulSoup
from scrapy.http import Response

from crawler.attachments import MAX_ATTACHMENT_BYTES, extract_text
from crawler.items import ResponseItem
from crawler.middlewares import host_key
from crawler.normalise import parse_uk_date, url_month
from crawler.pagetext import parse_page, parse_soup, soup_main_content
from crawler.platforms.html_log import read_letter
from crawler.platforms.listing import (
    MAX_REDIRECT_HOPS,
    LinkLog,
    ListedLink,
    canonical_url,
    context_text,
    document_links,
    document_type,
    download_filename,
    find_links,
    find_next_pages,
    is_document_link,
    is_redirect_link,
    media_type,
    next_in_turn,
    uninformative_type,
)
from crawler.platforms.page import ParsedPage, SiteEndings
from crawler.problems import report_problem
from crawler.spiders.common import FoiSpider

log = logging.getLogger(__name__)
MAX_INDEX_DEPTH = 3
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


def server_document_type(response: Response) -> str | None:
    """The document type the server gave this response, or None when it sent a page.

    ``application/octet-stream`` (or no type) says nothing: then the file's own first bytes do.
    """
    content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
    disposition = (response.headers.get("Content-Disposition") or b"").decode("latin-1")
    said = document_type(content_type, disposition)
    if said is None and uninformative_type(content_type):
        return next((kind for magic, kind in _MAGIC if response.body.startswith(magic)), None)
    return said


# First bytes of the documents a server may send without saying what they are.
_MAGIC = (
    (b"%PDF", "application/pdf"),
    (b"PK\x03\x04", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
)


def write_link_log(path: Path, link_log: LinkLog) -> None:
    """The crawl's link decisions as JSON, replaced whole so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(link_log.as_dict(), indent=1), encoding="utf-8")
    os.replace(partial, path)


class ListDetailSpider(FoiSpider):
    """Subclasses say which links are responses and how to read one response page."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per run (one spider object per crawl process), bounded: see ``LinkLog``.
        self.link_log = LinkLog()
        # The endings of the pages read so far, to drop the site's furniture repeated across them.
        self.endings = SiteEndings()
        self._soup: tuple[Response, BeautifulSoup] | None = None

    # -- what subclasses provide ------------------------------------------------------------
    def is_response_link(self, url: str) -> bool:
        raise NotImplementedError

    def follow_response(self, link: ListedLink, known: set[str], depth: int = 0) -> scrapy.Request:
        """The request for one listed response."""
        return self._response_request(link, known, depth)

    def read_page(self, response: Response) -> ParsedPage:
        raise NotImplementedError

    def page_soup(self, response: Response) -> BeautifulSoup:
        """``response`` as BeautifulSoup's tree, parsed once for all the readers of one page (a
        landing page that is the log itself, an index page that is a listing, the links and pages of
        a listing). Only the last page's tree is kept; the listing readers never change it."""
        if self._soup is None or self._soup[0] is not response:
            self._soup = (response, parse_soup(response.text))
        return self._soup[1]

    def next_pages(self, response: Response, soup: BeautifulSoup | None = None) -> list[str]:
        return find_next_pages(soup or self.page_soup(response), response.url)

    @staticmethod
    def pages_to_read(pages: list[str], page_url: str, queued: set[str], known: set[str]) -> list[str]:
        """The listing pages to request after ``page_url``: all of them in a full crawl; in an
        incremental one only the next, so the first page with nothing new ends the crawl before the
        pages after it are fetched (pagers link many pages at once)."""
        if not known:
            return pages
        following = next_in_turn(pages, page_url, queued)
        return [following] if following else []

    def listing_links(self, response: Response, soup: BeautifulSoup | None = None) -> list[ListedLink]:
        """The links a listing page names, in the order they are to be followed."""
        return find_links(soup or self.page_soup(response), response.url, self.is_response_link)

    # -- crawling -----------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        yield scrapy.Request(
            self.start_url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"page_number": 1, "known": self.known_urls(), "queued": {self.start_url}},
        )

    def parse_listing(
        self,
        response: Response,
        page_number: int,
        known: set[str],
        depth: int = 0,
        queued: set[str] | None = None,
    ) -> Iterator[Any]:
        self.count("listing_pages")
        soup = self.page_soup(response)
        links = self.listing_links(response, soup)
        redirects = list(self.redirect_requests(soup, response.url, {link.url for link in links}, known))
        self.count("listed", len(links))
        self.listed([link.url for link in links])
        if not links and not redirects and page_number > 1:
            self.empty_listing_page(response.url, page_number)
        fresh = [link for link in links if link.url not in known]
        self.count("skipped_known", len(links) - len(fresh))
        for link in fresh:
            yield self.follow_response(link, known, depth)
        yield from redirects
        pages = self.next_pages(response, soup)
        self.log_links(soup, response.url, {link.url: "response" for link in links}, pages)
        if known and links and not fresh:
            log.info("%s: page %d lists nothing new; stopping here", self.source_id, page_number)
            return
        queued = queued if queued is not None else {response.url}
        for next_url in self.pages_to_read(pages, response.url, queued, known):
            if page_number >= self.max_pages:
                self.crawler.stats.set_value("foiwatch/page_limit_reached", 1)
                log.warning("%s: page limit %d reached", self.source_id, self.max_pages)
                return
            yield scrapy.Request(
                next_url,
                callback=self.parse_listing,
                errback=self.listing_failed,
                cb_kwargs={"page_number": page_number + 1, "known": known, "depth": depth, "queued": queued},
            )
            queued.add(next_url)

    # -- links judged by where they lead ------------------------------------------------------
    def redirect_requests(
        self, soup: BeautifulSoup, page_url: str, taken: set[str], known: set[str]
    ) -> Iterator[scrapy.Request]:
        """Requests for the same-site redirecting links (``/redir/<token>``) in the main content."""
        for anchor in soup_main_content(soup).find_all("a", href=True):
            url = canonical_url(urljoin(page_url, str(anchor["href"]).strip()))
            if url in taken or not is_redirect_link(url) or host_key(url) not in self.allowed_hosts:
                continue
            taken.add(url)
            text = anchor.get_text(" ", strip=True)
            self.link_log.accept(url, text, "redirect, followed")
            listed = ListedLink(url, text, parse_uk_date(context_text(anchor)))
            yield self._redirect_request(url, listed, known, 0)

    def _redirect_request(self, url: str, listed: ListedLink, known: set[str], hops: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_redirect,
            errback=self.response_failed,
            cb_kwargs={"listed": listed, "known": known, "hops": hops},
            # Each hop is judged here, not by Scrapy's redirect middleware: the target must be on
            # the source's hosts and match its link pattern before it is fetched.
            meta={"dont_redirect": True, "handle_httpstatus_list": list(REDIRECT_STATUSES)},
        )

    def parse_redirect(
        self, response: Response, listed: ListedLink, known: set[str], hops: int
    ) -> Iterator[Any]:
        """Where a redirecting link leads; a matching target is fetched as the listed response."""
        location = response.headers.get("Location")
        if response.status not in REDIRECT_STATUSES or not location:
            self.invalid(listed.url, f"a redirect link answered {response.status} without redirecting")
            return
        target = canonical_url(urljoin(response.url, location.decode("latin-1").strip()))
        if host_key(target) not in self.allowed_hosts:
            self.count("refused")
            self.count("refused_pages")
            cause = f"refused redirect to another host: {listed.url} -> {target[:300]}"
            report_problem(self.crawler, "page", listed.url, cause)
            self.link_log.overrule(listed.url, listed.title, f"off-host: redirects to {target[:200]}")
            return
        if is_redirect_link(target) and not self.is_response_link(target):
            if hops + 1 >= MAX_REDIRECT_HOPS:
                self.invalid(listed.url, f"more than {MAX_REDIRECT_HOPS} redirects")
                return
            yield self._redirect_request(target, listed, known, hops + 1)
            return
        if not self.is_response_link(target):
            reason = f"redirects to {target[:200]}, which {self.pattern_miss()}"
            self.link_log.overrule(listed.url, listed.title, reason)
            self.not_a_response(listed.url, reason)
            return
        self.count("listed")
        self.listed([target])
        self.link_log.accept(target, listed.title, "response (via redirect)")
        if target in known:
            self.count("skipped_known")
            return
        yield self.follow_response(ListedLink(target, listed.title, listed.listed_date), known)

    def pattern_miss(self) -> str:
        pattern = getattr(self.options, "link_pattern", None)
        return f"does not match link_pattern r'{pattern}'" if pattern else "is not a response link"

    def log_links(
        self, soup: BeautifulSoup, page_url: str, accepted: dict[str, str], pages: list[str]
    ) -> None:
        """Record what was made of every link on a listing page (accepted ones by kind)."""
        decided = {**dict.fromkeys(pages, "next page"), **accepted}
        here = canonical_url(page_url)
        in_main = set(map(id, soup_main_content(soup).find_all("a", href=True)))
        for anchor in soup.find_all("a", href=True):
            href = str(anchor["href"]).strip()
            url = canonical_url(urljoin(page_url, href))
            text = anchor.get_text(" ", strip=True)
            if href.startswith("#") or url == here:
                continue
            if url in decided:
                self.link_log.accept(url, text, decided[url])
            elif not url.startswith(("http://", "https://")):
                self.link_log.reject(url, text, "not a web address")
            elif host_key(url) not in self.allowed_hosts:
                self.link_log.reject(url, text, "off-host")
            elif id(anchor) not in in_main:
                self.link_log.reject(url, text, "navigation (outside the main content)")
            elif is_document_link(url, text):
                self.link_log.reject(url, text, f"a document, not beside a response; {self.pattern_miss()}")
            else:
                self.link_log.reject(url, text, self.pattern_miss())

    def closed(self, reason: str) -> None:
        """Leave the link decisions beside the crawl's data for ``foiwatch sources check``."""
        data_dir = self.settings.get("FOIWATCH_DATA_DIR")
        if data_dir:
            try:
                write_link_log(Path(data_dir) / "links" / f"{self.source_id}.json", self.link_log)
            except OSError as exc:
                log.warning("%s: link decisions not written: %s", self.source_id, exc)

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
        if server_document_type(response):
            yield from self.parse_document(response, listed)
            return
        page = self.read_page(response)
        # A reader cuts its tree down to the content: one that did not keep the page's document
        # links first leaves them to be read from a tree of their own.
        documents = page.document_links
        if documents is None:
            documents = document_links(parse_page(response.text), response.url)
        listed = with_documents(listed, documents)
        maybe_index = bool(page.problems) or not page.request
        soup = self.page_soup(response) if maybe_index else None
        nested = find_links(soup, response.url, self.is_response_link) if soup is not None else []
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

    def document_request(self, link: ListedLink) -> scrapy.Request:
        return scrapy.Request(
            link.url,
            callback=self.parse_document,
            errback=self.response_failed,
            cb_kwargs={"listed": link},
            meta={"download_maxsize": MAX_ATTACHMENT_BYTES},
        )

    def parse_document(self, response: Response, listed: ListedLink) -> Iterator[Any]:
        """A response letter published as a PDF or DOCX; an HTML page in its place is read as a page."""
        content_type = media_type((response.headers.get("Content-Type") or b"").decode("latin-1"))
        kind = server_document_type(response)
        if not kind and "html" in content_type:
            yield from self.parse_response(response, listed)
            return
        disposition = (response.headers.get("Content-Disposition") or b"").decode("latin-1")
        name = download_filename(disposition) or response.url
        text, error = extract_text(response.body, name, kind or content_type)
        if text is None:
            self.invalid(response.url, error or "no text in the document")
            return
        if error:
            log.warning("%s: letter read in part: %s: %s", self.source_id, error, response.url)
        page = read_letter(text, response.url, listed.title)
        if page.problems:
            self.invalid(response.url, "; ".join(page.problems))
            return
        yield from self.complete(self.response_item(page, listed, response.url, site_page=False))

    def response_item(
        self, page: ParsedPage, listed: ListedLink, url: str, site_page: bool = True
    ) -> ResponseItem:
        """The item for a parsed response, the listing's title and date filling what the page lacks.

        A web page of the site loses the ending repeated on the site's other pages (its furniture);
        a letter (``site_page`` False) is the authority's own and keeps its closing.
        """
        if site_page:
            page = self.endings.trim(page)
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
            read_response=page.read_response,
            outcome=page.outcome,
            exemptions=page.exemptions,
            attachments=_attachments(page, listed),
        )


def with_documents(listed: ListedLink, documents: tuple[tuple[str, str], ...]) -> ListedLink:
    """The listed link with more documents to attach (those only the server can tell apart)."""
    known = {url for url, _ in listed.documents}
    fresh = tuple((url, name) for url, name in documents if url not in known)
    return replace(listed, documents=listed.documents + fresh) if fresh else listed


def _attachments(page: ParsedPage, listed: ListedLink) -> list[dict[str, Any]]:
    """The page's attachments, then documents linked beside the response on the listing."""
    found = [(link, name) for link, name in page.attachments if link != page.url]
    urls = {link for link, _ in found}
    found += [(link, name) for link, name in listed.documents if link not in urls and link != page.url]
    return [{"url": link, "name": name} for link, name in found]


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
