"""Listing pages: which links lead to responses, which to the next page, and what each link says."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from email.message import Message
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, Tag

from crawler.normalise import parse_uk_date
from crawler.pagetext import HtmlElement, descendants, get_text, main_content, soup_main_content

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
# Media types a server gives documents (Barnet's "Download" links have no extension at all).
DOCUMENT_TYPES = (
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument",
    "application/vnd.ms-",
    "application/vnd.oasis.opendocument",
    "application/rtf",
    "application/zip",
    "text/csv",
)
# Link texts that promise a file whatever the URL looks like: "Download", "Download (PDF, 120KB)", "PDF".
_DOCUMENT_TEXT = re.compile(r"^(?:download|pdf|docx?|xlsx?|csv|odt)\b", re.I)
# Same-host links that only redirect to the real page: ONS (babbage) search-style listings link each
# result through ``/redir/<signed token>`` (before 2017 ``/redir?url=...``).
_REDIRECT_LINK = re.compile(r"^/(?:redir|redirect)(?:/|$)", re.I)
MAX_REDIRECT_HOPS = 3
# Link decisions kept per crawl for ``sources check``: enough to see a pattern's mistake at a glance.
MAX_LOGGED_LINKS = 50


@dataclass(frozen=True)
class ListedLink:
    """A link from a listing page to a response, with the date printed beside it if any."""

    url: str
    title: str
    listed_date: date | None
    # (url, name) of documents linked beside it on the listing ("Download" in the same row).
    documents: tuple[tuple[str, str], ...] = ()


def canonical_url(url: str) -> str:
    """URL without fragment, host lower-cased, so one page has one address."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def is_attachment(url: str, content_type: str | None = None, disposition: str | None = None) -> bool:
    """A document, not a page: by what the server said when it was asked, else by the URL's extension.

    A ``.pdf`` address answered with ``text/html`` is a page (an error page, a landing page); an
    address without extension answered with ``application/pdf`` or a download filename is a document.
    """
    if content_type or disposition:
        said = document_type(content_type or "", disposition or "")
        if said is not None or not uninformative_type(content_type or ""):
            return said is not None
    path = urlsplit(url).path.lower()
    return path.endswith(ATTACHMENT_EXTENSIONS) or "/syssiteassets/" in path


def uninformative_type(content_type: str) -> bool:
    """No type, or only "some bytes": the server does not say what the file is."""
    return media_type(content_type) in ("", "application/octet-stream", "binary/octet-stream")


def media_type(content_type: str) -> str:
    """``application/pdf`` of ``Application/PDF; name=x.pdf``."""
    return content_type.split(";")[0].strip().lower()


def download_filename(disposition: str) -> str | None:
    """The file name a ``Content-Disposition`` header gives, if any."""
    if not disposition:
        return None
    header = Message()
    header["Content-Disposition"] = disposition
    name = header.get_filename()
    return (name.strip() or None) if name else None


def document_type(content_type: str, disposition: str = "") -> str | None:
    """The media type of a document as the server describes it, or None when it says "a page".

    ``application/octet-stream`` says nothing: then a download filename's extension decides.
    """
    kind = media_type(content_type)
    if kind.startswith(DOCUMENT_TYPES):
        return kind
    filename = (download_filename(disposition) or "").lower()
    if uninformative_type(content_type) and filename.endswith(ATTACHMENT_EXTENSIONS):
        return kind or "application/octet-stream"
    return None


def is_document_link(url: str, text: str) -> bool:
    """A link to a file by its address, or one whose text promises a file ("Download") and whose
    address has no extension to say otherwise: the server is asked what it is."""
    if is_attachment(url):
        return True
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    return "." not in last and bool(_DOCUMENT_TEXT.match(text.strip()))


def document_links(root: HtmlElement, page_url: str) -> tuple[tuple[str, str], ...]:
    """(url, text) of main-content links whose text promises a file ("Download") and whose address
    has no extension: the server is asked what each is (links with one are found by extension)."""
    found: dict[str, str] = {}
    for anchor in descendants(main_content(root), "a"):
        href = anchor.get("href")
        if href is None:
            continue
        url = canonical_url(urljoin(page_url, href.strip()))
        text = get_text(anchor, " ", strip=True)
        if url.startswith("http") and not is_attachment(url) and is_document_link(url, text):
            found.setdefault(url, text)
    return tuple(found.items())


def is_redirect_link(url: str) -> bool:
    """A same-site address that only redirects to the real page (``/redir/<token>``)."""
    return bool(_REDIRECT_LINK.match(urlsplit(url).path))


@dataclass
class LinkLog:
    """What a crawl made of the links on its listing pages: every link counted, the first
    ``MAX_LOGGED_LINKS`` accepted and rejected kept with their reasons, for ``sources check``."""

    seen: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    accepted: list[dict[str, str]] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    rejected_total: int = 0
    _logged: dict[str, str] = field(default_factory=dict)  # url -> kind, or "" when rejected

    def accept(self, url: str, text: str, kind: str) -> None:
        if url in self._logged:
            return
        self._logged[url] = kind
        self.seen += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if len(self.accepted) < MAX_LOGGED_LINKS:
            self.accepted.append({"url": url, "text": text[:120], "kind": kind})

    def reject(self, url: str, text: str, reason: str) -> None:
        if url in self._logged:
            return
        self._logged[url] = ""
        self.seen += 1
        self.rejected_total += 1
        if len(self.rejected) < MAX_LOGGED_LINKS:
            self.rejected.append({"url": url, "text": text[:120], "reason": reason})

    def overrule(self, url: str, text: str, reason: str) -> None:
        """A link accepted on sight and rejected once followed (a redirect that leads elsewhere)."""
        kind = self._logged.pop(url, "")
        if kind:
            self.kinds[kind] -= 1
            self.seen -= 1
            self.accepted = [a for a in self.accepted if a["url"] != url]
        self.reject(url, text, reason)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seen": self.seen,
            "kinds": dict(self.kinds),
            "accepted": list(self.accepted),
            "rejected": list(self.rejected),
            "rejected_total": self.rejected_total,
        }


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
    content = soup_main_content(soup)
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


_PAGE_NUMBER_QUERY = re.compile(r"(?:^|&)(?:page|p|pg|currentpage|start|offset)=(\d+)", re.I)
_PAGE_NUMBER_PATH = re.compile(r"/page/(\d+)/?$", re.I)


def page_position(url: str) -> int | None:
    """The page number (or item offset) a listing address carries, if any."""
    parts = urlsplit(url)
    found = _PAGE_NUMBER_QUERY.search(parts.query) or _PAGE_NUMBER_PATH.search(parts.path)
    return int(found.group(1)) if found else None


def next_in_turn(pages: list[str], page_url: str, queued: set[str]) -> str | None:
    """The one listing page to read after ``page_url`` when pages are read one at a time.

    Pagers link many pages at once (1 2 3 ... 40, Next); an incremental crawl wants only the next,
    so that a page with nothing new can end the crawl before the rest are fetched. That is the
    lowest-numbered page after this one (numbering from 0 or 1 alike), or the first link not yet
    read where addresses carry no number.
    """
    unseen = [url for url in pages if url not in queued]
    here = page_position(page_url)
    numbered = [(number, url) for url in unseen if (number := page_position(url)) is not None]
    if numbered:
        later = [(number, url) for number, url in numbered if here is None or number > here]
        return min(later)[1] if later else None
    return unseen[0] if unseen else None


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
