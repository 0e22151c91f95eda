"""RSS 2.0 and Atom disclosure logs: the source's options, and a feed read into plain entries.

Councils' content systems publish their logs as feeds of different dialects: RSS 2.0 with HTML in
``<description>`` or ``<content:encoded>``, RSS 1.0 (RDF), Atom with ``text``, ``html`` or ``xhtml``
content. Each entry is read into the same ``ParsedPage`` a response page gives, so the spider treats
"the feed's own text" and "the page it links to" alike.

XML is parsed with ``defusedxml``: a feed that declares entities (the "billion laughs" expansion) or
external references is refused, never expanded.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element, ParseError, tostring
from zoneinfo import ZoneInfo

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pydantic import BaseModel, ConfigDict, field_validator

from crawler.normalise import classify_outcome, clean_reference, parse_exemptions, parse_uk_date, uk_date
from crawler.pagetext import clean_content, get_text, parse_page, text_lines
from crawler.platforms.listing import canonical_url, is_attachment
from crawler.platforms.page import (
    ParsedPage,
    parse_attachments,
    parse_reference,
    settle_texts,
    split_request_response,
)

ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
LONDON = ZoneInfo("Europe/London")
MIN_RESPONSE_CHARS = 40


class FeedOptions(BaseModel):
    """``options:`` of a ``feed`` source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Follow each entry's link and read the response page; off: the entry's content is the response.
    fetch_pages: bool = True
    # A regular expression for the source's references, e.g. 'FOI[- ]?\d{4,}'; its first group (or
    # the whole match) is the reference. Searched in the title, then the text. Unset: the generic reader.
    reference_pattern: str | None = None
    # Download PDF/DOCX attachments and enclosures and extract their text.
    fetch_attachments: bool = False

    @field_validator("reference_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"reference_pattern {value!r} is not a regular expression: {exc}") from exc
        return value

    def reference_regex(self) -> re.Pattern[str] | None:
        return re.compile(self.reference_pattern) if self.reference_pattern else None


class FeedError(ValueError):
    """The body is not a readable RSS or Atom feed; the message says why."""


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed. ``url`` identifies it; ``link`` is the page it points to, if any."""

    url: str
    link: str | None
    title: str
    published: date | None
    html: str
    enclosures: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Feed:
    kind: str
    entries: list[FeedEntry]
    next_url: str | None = None


# -- the XML ------------------------------------------------------------------------------------
def parse_xml(body: bytes) -> Element:
    """The document's root, entities and external references refused; raises ``FeedError``."""
    try:
        return _fromstring(body)
    except ParseError as exc:
        repaired = _as_utf8(body)
        if repaired is None:
            raise FeedError(f"not well-formed XML ({exc})") from exc
    try:
        return _fromstring(repaired)
    except ParseError as exc:
        raise FeedError(f"not well-formed XML ({exc})") from exc


def _fromstring(body: bytes) -> Element:
    try:
        root: Element = fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FeedError(
            f"refused: the feed declares XML entities or external references ({type(exc).__name__}),"
            " which are never expanded"
        ) from exc
    return root


_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)["']""")
_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")


def _as_utf8(body: bytes) -> bytes | None:
    """A feed that claims (or defaults to) UTF-8 but was written in Windows-1252, re-encoded.

    None when that is not the problem: the body is valid UTF-8, or declares another encoding.
    """
    try:
        body.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    declared = _DECLARED.match(body[:300])
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        return None
    text = _DECLARATION.sub("", body.decode("cp1252", errors="replace"), count=1)
    return text.encode("utf-8")


# -- feeds into entries --------------------------------------------------------------------------
def parse_feed(body: bytes, feed_url: str) -> Feed:
    """Entries of an RSS 2.0, RSS 1.0 or Atom feed; raises ``FeedError`` for anything else."""
    if not body.strip():
        return Feed("empty", [])
    root = parse_xml(body)
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise FeedError("an <rss> document without a <channel>")
        items = channel.findall("item")
        return Feed("rss", _entries(items, feed_url, rss_entry), _next_link(channel, feed_url))
    if root.tag == f"{RDF}RDF":
        return Feed("rss", _entries(root.findall(f"{RSS1}item"), feed_url, rss_entry))
    if root.tag == f"{ATOM}feed":
        entries = _entries(root.findall(f"{ATOM}entry"), feed_url, atom_entry)
        return Feed("atom", entries, _next_link(root, feed_url))
    raise FeedError(f"the document is <{_local(root.tag)}>, not an RSS or Atom feed")


def _entries(
    elements: list[Element], feed_url: str, read: Callable[[Element, str], FeedEntry]
) -> list[FeedEntry]:
    """Entries in feed order, each named once (feeds repeat items when an entry is edited)."""
    seen: dict[str, FeedEntry] = {}
    for element in elements:
        entry = read(element, feed_url)
        if entry.url not in seen:
            seen[entry.url] = entry
    return list(seen.values())


def rss_entry(item: Element, feed_url: str) -> FeedEntry:
    """One RSS ``<item>`` (2.0 or 1.0)."""

    def child(name: str) -> str:
        found = item.find(name)
        if found is None:
            found = item.find(RSS1 + name)
        return (found.text or "").strip() if found is not None else ""

    guid = item.find("guid")
    guid_text = (guid.text or "").strip() if guid is not None else ""
    link = child("link") or (guid_text if _is_http(guid_text) else "")
    enclosures = tuple(
        (canonical_url(urljoin(feed_url, e.get("url", "").strip())), _file_name(e.get("url", "")))
        for e in item.findall("enclosure")
        if e.get("url", "").strip()
    )
    return FeedEntry(
        url=_entry_url(link, guid_text or child("title"), feed_url),
        link=canonical_url(urljoin(feed_url, link)) if link else None,
        title=plain_text(child("title")),
        published=feed_date(child("pubDate")) or feed_date(_text(item.find(f"{DC}date"))),
        html=_text(item.find(f"{CONTENT}encoded")) or child("description"),
        enclosures=enclosures,
    )


def atom_entry(entry: Element, feed_url: str) -> FeedEntry:
    """One Atom ``<entry>``: its alternate link, enclosure links, content or summary."""
    link, enclosures = "", []
    for element in entry.findall(f"{ATOM}link"):
        href, rel = element.get("href", "").strip(), element.get("rel", "alternate")
        if href and rel == "alternate" and not link:
            link = href
        elif href and rel == "enclosure":
            absolute = canonical_url(urljoin(feed_url, href))
            enclosures.append((absolute, element.get("title") or _file_name(href)))
    identifier = _text(entry.find(f"{ATOM}id"))
    published = _text(entry.find(f"{ATOM}published")) or _text(entry.find(f"{ATOM}updated"))
    return FeedEntry(
        url=_entry_url(link, identifier, feed_url),
        link=canonical_url(urljoin(feed_url, link)) if link else None,
        title=plain_text(atom_html(entry.find(f"{ATOM}title"))),
        published=feed_date(published),
        html=atom_html(entry.find(f"{ATOM}content")) or atom_html(entry.find(f"{ATOM}summary")),
        enclosures=tuple(enclosures),
    )


def atom_html(element: Element | None) -> str:
    """An Atom text construct as HTML, whichever of ``text``, ``html`` or ``xhtml`` it is."""
    if element is None:
        return ""
    kind = element.get("type", "text")
    if kind == "xhtml":
        parts = []
        for child in element:
            for node in child.iter():
                node.tag = _local(str(node.tag))
            parts.append(tostring(child, encoding="unicode"))
        return "".join(parts).strip()
    text = (element.text or "").strip()
    return text if kind == "html" else html.escape(text)


def _next_link(parent: Element, feed_url: str) -> str | None:
    """RFC 5005 paging: ``<link rel="next">`` (``atom:link`` in an RSS channel)."""
    for element in parent.findall(f"{ATOM}link"):
        if element.get("rel") == "next" and element.get("href", "").strip():
            return canonical_url(urljoin(feed_url, element.get("href", "").strip()))
    return None


def _entry_url(link: str, identifier: str, feed_url: str) -> str:
    if link:
        return canonical_url(urljoin(feed_url, link))
    if _is_http(identifier):
        return canonical_url(identifier)
    # No address of its own: the entry is known by its id within the feed.
    return f"{canonical_url(feed_url)}#{identifier}"


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _is_http(text: str) -> bool:
    return bool(re.match(r"^https?://[^/\s]+", text))


def _file_name(url: str) -> str:
    return urlsplit(url.strip()).path.rsplit("/", 1)[-1]


def plain_text(markup: str) -> str:
    """A title that may hold markup or entities, as one line of text."""
    text = get_text(parse_page(markup), " ") if "<" in markup else markup
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def feed_date(text: str | None) -> date | None:
    """The day a feed timestamp falls on in London: RFC 822 (``pubDate``) or ISO 8601 (Atom)."""
    if not text or not text.strip():
        return None
    text = text.strip()
    moment: datetime | None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return parse_uk_date(text)
    return uk_date(moment)


# -- entries into responses ----------------------------------------------------------------------
def match_reference(pattern: re.Pattern[str] | None, *texts: str) -> str | None:
    """The first match of the source's reference pattern (its first group, if it has one)."""
    if pattern is None:
        return None
    for text in texts:
        match = pattern.search(text)
        if match:
            found = match.group(1) if pattern.groups else match.group(0)
            if found and found.strip():
                return clean_reference(found)
    return None


_INLINE_LABEL = re.compile(
    r"^((?:your |the )?request|(?:our )?response|decision|answer|you asked|we said)\s*:\s*(\S.*)$", re.I
)


def split_inline_labels(lines: list[str]) -> list[str]:
    """'Request: text' as two lines, the label alone, so the request/response split can see it."""
    split: list[str] = []
    for line in lines:
        match = _INLINE_LABEL.match(line)
        split.extend([f"{match.group(1)}:", match.group(2)] if match else [line])
    return split


def read_entry(entry: FeedEntry, pattern: re.Pattern[str] | None = None) -> ParsedPage:
    """The entry's own content read as a response; ``problems`` says why it is not one."""
    content = clean_content(parse_page(entry.html))
    page = ParsedPage(url=entry.url, title=entry.title, published=entry.published)
    page.attachments = _merge_attachments(parse_attachments(content, entry.link or entry.url), entry)
    if entry.link and is_attachment(entry.link) and entry.link not in [u for u, _ in page.attachments]:
        # An entry that links straight to the letter: the letter is its attachment.
        page.attachments.insert(0, (entry.link, entry.title))
    lines = split_inline_labels(text_lines(content))
    page.request, page.response = split_request_response(lines)
    if not page.response:
        page.response = "\n".join(lines)
    settle_texts(page)
    page.reference = match_reference(pattern, entry.title, *lines) or parse_reference(
        lines, entry.title, entry.link or ""
    )
    page.outcome = classify_outcome(page.response)
    page.exemptions = parse_exemptions(page.response)
    if not page.title:
        page.problems.append("no title")
    if len(page.response) < MIN_RESPONSE_CHARS:
        page.problems.append("no response text in the entry")
    if entry.link is None and not page.reference and "#" in entry.url:
        # Stored URLs lose their fragment, so such an entry would collide with its neighbours.
        page.problems.append("neither a link of its own nor a reference to tell it apart")
    return page


def with_page(entry: FeedEntry, page: ParsedPage, pattern: re.Pattern[str] | None = None) -> ParsedPage:
    """The linked page's fields, with the entry's title, date and enclosures where they say more.

    The feed vouches that its entry is a response, so a page the generic reader cannot make out
    falls back to the entry's own text; only when neither reads is the entry not a response.
    """
    own = read_entry(entry, pattern)
    if page.problems:
        if not own.problems:
            return own
        own.problems = [f"linked page: {problem}" for problem in page.problems]
        return own
    page.url = entry.url
    page.title = entry.title or page.title
    page.published = page.published or entry.published
    page.reference = (
        match_reference(pattern, page.title, page.request, page.response) or page.reference or own.reference
    )
    page.attachments = _merge_attachments(page.attachments, entry)
    return page


def _merge_attachments(found: list[tuple[str, str]], entry: FeedEntry) -> list[tuple[str, str]]:
    merged = list(found)
    for url, name in entry.enclosures:
        if url not in [u for u, _ in merged]:
            merged.append((url, name))
    return merged
