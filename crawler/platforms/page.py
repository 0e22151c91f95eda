"""A response page read by its labels and headings, whatever its markup.

Sites word their pages differently (the Met's "Freedom of information request reference no:",
Cleveland's "Enquiry Reference: 89- 26", South Wales' "FOI 82525", ONS's "You asked / We said"), so
each field is found by a list of patterns tried in order over the page's cleaned text lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from crawler.normalise import (
    classify_outcome,
    clean_reference,
    parse_exemptions,
    parse_iso_datetime,
    parse_uk_date,
)
from crawler.pagetext import clean_content, parse_page, text_lines
from crawler.platforms.listing import canonical_url, is_attachment

_REF_VALUE = r"([A-Z0-9][A-Z0-9./_]*(?:\s?[-/]\s?[A-Z0-9./_]+)*)"
_REFERENCE_PATTERNS = [
    re.compile(p, re.I)
    for p in (
        rf"reference\s+(?:no|number)\.?\s*[:\-]?\s*{_REF_VALUE}",
        rf"enquiry\s+reference\s*[:\-]?\s*{_REF_VALUE}",
        rf"(?:our|your|request|case)\s+ref(?:erence)?\.?\s*(?:no\.?|number)?\s*[:\-]\s*{_REF_VALUE}",
        rf"^ref(?:erence)?\s*(?:no\.?|number)?\s*[:\-]\s*{_REF_VALUE}",
        rf"request\s+id\s*[:\-]?\s*{_REF_VALUE}",
    )
]
_MET_REFERENCE = re.compile(r"\b\d{2}\.FOI\.\d{2}\.\d{4,7}\b", re.I)
_FOI_NUMBER = re.compile(r"\bFOI[\s\-]?(?:ref(?:erence)?\.?\s*)?[:\-]?\s*(\d{3,}(?:[/\-]\d{2,4})?)\b", re.I)
_TITLE_NUMBER = re.compile(r"\((\d{2,7}/\d{2,4})\)")

_DATE_LABEL = re.compile(
    r"^(?:date\s+(?:published|of\s+(?:response|publication|disclosure))|published(?:\s+on)?|date|dated"
    r"|response\s+(?:sent|date)|responded(?:\s+on)?|disclosure\s+date)\s*[:\-]?\s*(.*)$",
    re.I,
)
_REQUEST_START = re.compile(
    r"(?:i note you seek access to the following information|below is your request"
    r"|^(?:your\s+)?request(?:\s+details)?\s*:?$|^you asked\s*:?|^information requested\s*:?$"
    r"|^you (?:requested|wrote)\b|^(?:the\s+)?request\s*:)",
    re.I,
)
_RESPONSE_START = re.compile(
    r"(?:^i have (?:today )?decided|^decision\s*:?$|^(?:our\s+)?response\s*:?$|^we said\s*:?$"
    r"|^in response\s*:?|^we answered\s*:?$|^answer\s*:?$|^(?:our\s+)?reply\s*:?$|^outcome\s*:?$"
    r"|^this response serves as|^the (?:force|mps|constabulary) (?:can|does|do)\b)",
    re.I,
)
_MARKER_ONLY = re.compile(
    r"^(?:request|response|decision|you asked|we said|in response|answer|reply|outcome"
    r"|our response|your request"
    r"|i note you seek access to the following information|below is your request and our response)\s*[:.]?$",
    re.I,
)


@dataclass
class ParsedPage:
    """Fields read off one response page; ``problems`` says why a page is not a response."""

    url: str
    title: str = ""
    reference: str | None = None
    published: date | None = None
    request: str = ""
    response: str = ""
    outcome: str | None = None
    exemptions: list[str] = field(default_factory=list)
    attachments: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_reference(lines: list[str], title: str, url: str) -> str | None:
    """The response's own reference, by label first, then by known shapes, then from the URL."""
    for line in lines[:60]:
        for pattern in _REFERENCE_PATTERNS:
            match = pattern.search(line)
            if match and re.search(r"\d", match.group(1)):
                return clean_reference(match.group(1))
    for line in [title, *lines[:60]]:
        match = _MET_REFERENCE.search(line)
        if match:
            return match.group(0)
    for line in [title, *lines[:30]]:
        match = _FOI_NUMBER.search(line)
        if match:
            return f"FOI {match.group(1)}"
    match = _TITLE_NUMBER.search(title)
    if match:
        return match.group(1)
    slug = re.search(r"/foi-?(\d{3,})(?:[-/]|$)", urlsplit(url).path, re.I)
    return f"FOI {slug.group(1)}" if slug else None


def parse_title(soup: BeautifulSoup, content: Tag) -> str:
    heading = content.find("h1") or soup.find("h1")
    if heading and heading.get_text(strip=True):
        return re.sub(r"\s+", " ", heading.get_text(" ", strip=True))
    og = soup.find("meta", attrs={"property": "og:title"})
    if og and og.get("content"):
        return str(og["content"]).strip()
    title = soup.title.get_text(strip=True) if soup.title else ""
    return re.split(r"\s+[|\-–]\s+", title)[0].strip()


def parse_published(lines: list[str], soup: BeautifulSoup) -> date | None:
    for index, line in enumerate(lines[:40]):
        match = _DATE_LABEL.match(line)
        if match:
            found = parse_uk_date(match.group(1)) or (
                parse_uk_date(lines[index + 1]) if index + 1 < len(lines) else None
            )
            if found:
                return found
    for time_tag in soup.find_all("time"):
        found = parse_iso_datetime(str(time_tag.get("datetime") or time_tag.get_text()))
        if found:
            return found
    for name in ("article:published_time", "dcterms.issued", "DC.date.issued", "date"):
        meta = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        if meta and meta.get("content"):
            return parse_iso_datetime(str(meta["content"]))
    return None


def split_request_response(lines: list[str]) -> tuple[str, str]:
    """Request text and response text, split at the first decision or response heading."""
    response_at = next((i for i, line in enumerate(lines) if _RESPONSE_START.search(line)), None)
    end = response_at if response_at is not None else len(lines)
    request_at = None
    for index in range(end):
        if _REQUEST_START.search(lines[index]):
            request_at = index
    if request_at is None and response_at is None:
        return "", ""
    request_lines = (
        lines[(request_at + 1 if request_at is not None else 0) : end] if request_at is not None else []
    )
    response_lines = lines[response_at:] if response_at is not None else []
    keep = [line for line in request_lines if not _MARKER_ONLY.match(line)]
    answer = [line for line in response_lines if not _MARKER_ONLY.match(line)]
    return "\n".join(keep), "\n".join(answer)


def parse_attachments(content: Tag, page_url: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for anchor in content.find_all("a", href=True):
        url = canonical_url(urljoin(page_url, str(anchor["href"]).strip()))
        if is_attachment(url) and url not in [u for u, _ in found]:
            found.append((url, anchor.get_text(" ", strip=True)))
    return found


def _header_lines(lines: list[str], title: str, reference: str | None) -> set[int]:
    """Indexes of the title, date and reference lines, which are not response text."""
    skip = set()
    for index, line in enumerate(lines[:40]):
        if line == title or _DATE_LABEL.match(line) or (reference and reference in line and len(line) < 120):
            skip.add(index)
    return skip


def parse_detail(html: str | bytes, url: str) -> ParsedPage:
    """Read one response page. A page that is not a response comes back with ``problems``."""
    soup = parse_page(html)
    content = clean_content(soup)
    page = ParsedPage(url=url)
    page.attachments = parse_attachments(content, url)
    page.title = parse_title(soup, content)
    lines = text_lines(content)
    printed_reference = parse_reference(lines, page.title, "")
    page.reference = printed_reference or parse_reference(lines, page.title, url)
    page.published = parse_published(lines, soup)
    page.request, page.response = split_request_response(lines)
    if not page.response and printed_reference:
        # A page with a reference but no recognised headings: keep the body as the response.
        skip = _header_lines(lines, page.title, page.reference)
        page.response = "\n".join(line for i, line in enumerate(lines) if i not in skip)
    page.outcome = classify_outcome(page.response)
    page.exemptions = parse_exemptions(page.response)
    if not page.title:
        page.problems.append("no title")
    if not printed_reference and not page.request:
        page.problems.append("neither a printed reference nor a request found")
    if len(page.response) < 40:
        page.problems.append("no response text found")
    return page
