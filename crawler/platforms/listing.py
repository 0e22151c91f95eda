"""Listing pages: which links lead to responses, which to the next page, and what each link says."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, Tag

from crawler.normalise import parse_uk_date
from crawler.pagetext import main_content

ATTACHMENT_EXTENSIONS = (
    ".pdf",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".csv",
    ".odt",
    ".ods",
    ".zip",
    ".rtf",
    ".txt",
)
_NEXT_TEXT = re.compile(r"^(next( page)?|more|older( entries)?|[›»>]+|next\s*[›»>]+|\d{1,4})$", re.I)
_PAGE_QUERY = re.compile(r"(?:^|&)(?:page|p|pg|currentpage|start|offset)=\d+", re.I)
_PAGE_PATH = re.compile(r"/page/\d+/?$", re.I)


@dataclass(frozen=True)
class ListedLink:
    """A link from a listing page to a response, with the date printed beside it if any."""

    url: str
    title: str
    listed_date: date | None


def canonical_url(url: str) -> str:
    """URL without fragment, host lower-cased, so one page has one address."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def is_attachment(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith(ATTACHMENT_EXTENSIONS) or "/syssiteassets/" in path


def context_text(anchor: Tag) -> str:
    """Text of the smallest block around a link that says more than the link itself."""
    node: Tag | None = anchor
    link_text = anchor.get_text(" ", strip=True)
    for _ in range(4):
        node = node.parent if node is not None else None
        if node is None or node.name in ("main", "body", "ul", "ol", "table", "tbody"):
            break
        text = node.get_text(" ", strip=True)
        if len(text) > len(link_text) + 5:
            return text[:600]
    return link_text


def find_links(soup: BeautifulSoup, page_url: str, accept: Callable[[str], bool]) -> list[ListedLink]:
    """Links in the main content whose absolute URL ``accept`` takes, in page order, no repeats."""
    content = main_content(soup)
    seen: set[str] = set()
    links: list[ListedLink] = []
    for anchor in content.find_all("a", href=True):
        url = canonical_url(urljoin(page_url, str(anchor["href"]).strip()))
        if url in seen or not url.startswith(("http://", "https://")) or not accept(url):
            continue
        seen.add(url)
        context = context_text(anchor)
        links.append(ListedLink(url, anchor.get_text(" ", strip=True), parse_uk_date(context)))
    return links


def find_next_pages(soup: BeautifulSoup, page_url: str) -> list[str]:
    """Pagination links on the listing's own path (``?page=N``, ``/page/N``, rel=next, 'Next')."""
    listing_path = urlsplit(page_url).path.rstrip("/")
    pages: list[str] = []
    for anchor in soup.find_all("a", href=True):
        url = canonical_url(urljoin(page_url, str(anchor["href"]).strip()))
        parts = urlsplit(url)
        same_listing = parts.path.rstrip("/") == listing_path or (
            _PAGE_PATH.search(parts.path) and parts.path.startswith(listing_path.rsplit("/page/", 1)[0])
        )
        if not same_listing or url == canonical_url(page_url):
            continue
        rel = " ".join(anchor.get_attribute_list("rel"))
        text = anchor.get_text(" ", strip=True)
        if (
            "next" in rel
            or _PAGE_QUERY.search(parts.query)
            or _PAGE_PATH.search(parts.path)
            or _NEXT_TEXT.match(text)
        ) and url not in pages:
            pages.append(url)
    return pages
