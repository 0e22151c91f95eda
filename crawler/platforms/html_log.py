"""Council disclosure logs described in YAML: which links are responses, which are index pages, how to page.

Councils publish logs in as many shapes as they have CMSs: Coventry an A-Z directory of PDF letters,
Cambridge City a paged list of entries ("FOI Ref / Response sent"), Moray monthly tables where one date
row covers the requests below it, Hastings a page per year, Barnet and East Lothian paged indexes. A
source says in its options which link URLs are responses (``link_pattern``), which links are index pages
to read as listings (``listing_pattern``), how the log pages and, only where the generic reader misses
one, a pattern for a single field. Response pages are read by ``page_per_response.read_page_lines``;
letters published as documents by ``read_letter``; pages in a wrongly declared charset by ``decode_html``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from urllib.parse import urljoin

from bs4 import BeautifulSoup, NavigableString, Tag
from pydantic import BaseModel, ConfigDict, field_validator

from crawler.normalise import classify_outcome, clean_reference, parse_exemptions, parse_uk_date
from crawler.pagetext import decode_html, soup_main_content

__all__ = ["decode_html"]  # imported from here by the html_log spider and tests
from crawler.platforms.listing import (
    ListedLink,
    canonical_url,
    context_text,
    find_next_pages,
    is_document_link,
)
from crawler.platforms.page import ParsedPage, cut_at_answer, settle_texts
from crawler.platforms.page_per_response import (
    checked_regex,
    is_date_only,
    is_label_line,
    month_year,
    page_problems,
    read_page_lines,
    read_published,
    read_reference,
    split_sections,
)


class FieldPatterns(BaseModel):
    r"""Per-field regexes searched line by line in the page text; group 1 (or the whole match) is the value.

    ``reference`` is also tried on the page's URL last (Barnet prints none: ``/foi-requests/(\d+)$``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    reference: str | None = None
    published: str | None = None
    title: str | None = None

    @field_validator("reference", "published", "title")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        return checked_regex(value) if value is not None else None


class HtmlLogOptions(BaseModel):
    """``options:`` of an ``html_log`` source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Regex searched in each absolute link URL in a listing's main content: a match is a response.
    link_pattern: str
    # Regex searched in a link's absolute URL and in its text: a match is an index page (a month, a
    # year, a letter of an A-Z) read as a listing. Needed where index pages and responses share one URL
    # shape (Moray: "March 2024" and every response are /moray_standard/page_NNNNN.html).
    listing_pattern: str | None = None
    # "auto": next-page links on the listing's own path; "none"; or a regex of next-page URLs.
    pagination: str = "auto"
    fields: FieldPatterns = FieldPatterns()
    # One date cell or row applies to the rows below it (Moray): carry it to each row's link.
    date_grouped: bool = False
    # Response links lead straight to PDF/DOCX letters (Coventry, East Lothian): each is one response.
    documents_are_responses: bool = False
    # Download PDF/DOCX attachments of response pages and extract their text.
    fetch_attachments: bool = False

    @field_validator("link_pattern", "listing_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        return checked_regex(value) if value is not None else None

    @field_validator("pagination")
    @classmethod
    def _pagination(cls, value: str) -> str:
        return value if value in ("auto", "none") else checked_regex(value)

    def is_listing(self, url: str, text: str = "") -> bool:
        pattern = self.listing_pattern
        return pattern is not None and bool(re.search(pattern, url) or re.search(pattern, text))

    def is_response(self, url: str, text: str = "") -> bool:
        return bool(re.search(self.link_pattern, url)) and not self.is_listing(url, text)


# -- text in a wrong encoding -------------------------------------------------------------------

# -- listings -----------------------------------------------------------------------------------
_GENERIC_LINK = re.compile(
    r"^(?:download|view|open|read(?:\s+more)?|more|pdf|docx?|word|file|response|letter|details?"
    r"|click\s+here|here)\b",
    re.I,
)


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _other_cells(row: Tag, anchor: Tag) -> list[str]:
    cells = [cell for cell in row.find_all(["td", "th"]) if anchor not in cell.descendants]
    return [_collapse(cell.get_text(" ", strip=True)) for cell in cells]


def _link_title(anchor: Tag, text: str, row: Tag | None) -> str:
    """The link text, or for 'Download (PDF, 2KB)' the row's longest cell that is neither date nor ref."""
    if text and not _GENERIC_LINK.match(text):
        return text
    if row is not None:
        cells = [
            c
            for c in _other_cells(row, anchor)
            if c and not parse_uk_date(c) and not re.search(r"^\S*\d\S*$", c)
        ]
        if cells:
            return max(cells, key=len)
    return text


def _own_date(anchor: Tag, row: Tag | None) -> date | None:
    if row is not None:
        return next((d for d in map(parse_uk_date, _other_cells(row, anchor)) if d), None)
    return parse_uk_date(context_text(anchor))


def _date_label(node: NavigableString) -> date | None:
    """A short text outside links that is a date: a group heading in a date-grouped table."""
    text = node.strip()
    if not text or len(text) > 40 or node.find_parent(["a", "script", "style"]) is not None:
        return None
    return parse_uk_date(text)


def find_log_links(
    soup: BeautifulSoup, page_url: str, accept: Callable[[str, str], bool], date_grouped: bool = False
) -> list[ListedLink]:
    """Response links in the main content, in page order, each with its title and listed date.

    With ``date_grouped`` a date printed on its own (a row, a cell, a heading) applies to every link
    below it until the next such date; a date in the link's own table row still wins.
    """
    links: list[ListedLink] = []
    seen: set[str] = set()
    carried: date | None = None
    for node in soup_main_content(soup).descendants:
        if isinstance(node, NavigableString):
            carried = (_date_label(node) or carried) if date_grouped else None
            continue
        if not isinstance(node, Tag) or node.name != "a" or not node.get("href"):
            continue
        url = canonical_url(urljoin(page_url, str(node["href"]).strip()))
        text = _collapse(node.get_text(" ", strip=True))
        if url in seen or not url.startswith(("http://", "https://")) or not accept(url, text):
            continue
        seen.add(url)
        row = node.find_parent("tr")
        listed = _own_date(node, row) or carried
        documents = _documents_beside(node, url, page_url, accept)
        links.append(ListedLink(url, _link_title(node, text, row), listed, documents))
    return links


def _documents_beside(
    anchor: Tag, url: str, page_url: str, accept: Callable[[str, str], bool]
) -> tuple[tuple[str, str], ...]:
    """Documents linked in the same table row or list item as a response ("Download", a PDF)."""
    block = anchor.find_parent(["tr", "li"])
    if block is None:
        return ()
    found: dict[str, str] = {}
    for other in block.find_all("a", href=True):
        link = canonical_url(urljoin(page_url, str(other["href"]).strip()))
        text = _collapse(other.get_text(" ", strip=True))
        beside = link != url and link.startswith("http") and not accept(link, text)
        if beside and is_document_link(link, text):
            found.setdefault(link, text)
    return tuple(found.items())


def listing_links(soup: BeautifulSoup, page_url: str, is_listing: Callable[[str, str], bool]) -> list[str]:
    """Index pages linked from anywhere on a listing (A-Z letters, years, months), in page order."""
    here = canonical_url(page_url)
    found: list[str] = []
    for anchor in soup.find_all("a", href=True):
        url = canonical_url(urljoin(page_url, str(anchor["href"]).strip()))
        text = _collapse(anchor.get_text(" ", strip=True))
        if url != here and url not in found and url.startswith("http") and is_listing(url, text):
            found.append(url)
    return found


def next_page_links(soup: BeautifulSoup, page_url: str, pagination: str) -> list[str]:
    """The listing's next pages as the source's ``pagination`` option says."""
    if pagination == "none":
        return []
    if pagination == "auto":
        return find_next_pages(soup, page_url)
    here = canonical_url(page_url)
    found: list[str] = []
    for anchor in soup.find_all("a", href=True):
        url = canonical_url(urljoin(page_url, str(anchor["href"]).strip()))
        if url != here and url not in found and re.search(pagination, url):
            found.append(url)
    return found


# -- response pages -----------------------------------------------------------------------------
def _first_match(pattern: str, texts: list[str]) -> str | None:
    for text in texts:
        match = re.search(pattern, text)
        if match:
            return _collapse(match.group(1) if match.groups() else match.group(0))
    return None


def read_log_page(html: str, url: str, fields: FieldPatterns | None = None) -> ParsedPage:
    """A council response page: the generic heading reader, then any per-field patterns."""
    read = read_page_lines(html, url)
    page, printed = read.page, read.printed_reference
    if fields is None or not (fields.reference or fields.published or fields.title):
        return page
    texts = [page.title, *read.lines]
    if fields.reference and (reference := _first_match(fields.reference, [*texts, url])):
        page.reference, printed = clean_reference(reference), True
    if fields.published and (published := _first_match(fields.published, read.lines)):
        page.published = parse_uk_date(published) or month_year(published) or page.published
    if fields.title and (title := _first_match(fields.title, texts)):
        page.title = title
    page.problems = page_problems(page, printed)
    return page


# -- letters published as documents -------------------------------------------------------------
_SUBJECT = re.compile(
    r"request for information (?:relating to|about|regarding|concerning|on)\s+(.+?)(?:\.(?:\s|$)|$)", re.I
)
_SUBJECT_LINE = re.compile(r"^(?:subject|re)\s*:\s*(.+)$", re.I)
_NUMBERED = re.compile(r"^\d{1,2}[.)]\s+\S")
_SALUTATION = re.compile(r"^dear\b", re.I)
_LIST_ITEM = re.compile(r"^(?:\d{1,2}[.)]|\(?[a-z]\)|[-•*–])\s")


def reflow(lines: list[str]) -> list[str]:
    """Join a PDF's wrapped lines back into paragraphs (a sentence split at the margin is one line).

    A line continues onto the next unless it ends a sentence or the next starts a list item, and
    only if it reaches the margin (a wrapped line) or the next line starts in lower case.
    """
    margin = 0.8 * max((len(line) for line in lines), default=0)
    joined: list[str] = []
    last = ""  # the previous physical line
    for line in lines:
        continues = last and not last.endswith((".", "?", "!", ":")) and not _LIST_ITEM.match(line)
        if continues and (len(last) >= margin or line[:1].islower()):
            joined[-1] = f"{joined[-1]} {line}"
        else:
            joined.append(line)
        last = line
    return joined


def _letter_date(lines: list[str]) -> date | None:
    found, _ = read_published(lines)
    if found:
        return found
    return next((parse_uk_date(line) for line in lines[:30] if is_date_only(line)), None)


def _letter_title(lines: list[str], listed_title: str) -> str:
    if listed_title and not _GENERIC_LINK.match(listed_title):
        return listed_title
    subject = _SUBJECT.search(" ".join(lines[:40]))
    if subject:
        text = subject.group(1).strip(" ,;:")
        return text[:1].upper() + text[1:]
    line = next((m.group(1) for m in map(_SUBJECT_LINE.match, lines[:30]) if m), None)
    return line or listed_title


def _first_sentence(text: str) -> str:
    """A title for a letter that names no subject: the request's first sentence, shortened."""
    text = re.sub(r"^\d{1,2}[.)]\s+", "", text.strip())
    sentence = re.split(r"(?<=[.?!])\s+(?=[A-Z0-9])", text, maxsplit=1)[0]
    return sentence if len(sentence) <= 120 else sentence[:117].rsplit(" ", 1)[0] + "..."


def _numbered_questions(body: list[str]) -> list[str]:
    """Numbered paragraphs that ask something: the request inside a question-and-answer letter."""
    return [line for line in body if _NUMBERED.match(line) and "?" in line]


def read_letter(text: str, url: str, listed_title: str = "") -> ParsedPage:
    """One response letter (PDF or DOCX text): reference, date, title, request and response."""
    lines = reflow([line.strip() for line in text.splitlines() if line.strip()])
    page = ParsedPage(url=url)
    reference, _ = read_reference(lines, "", "")
    page.reference = reference
    page.published = _letter_date(lines)
    page.title = _letter_title(lines, listed_title)
    sections = split_sections(lines)
    judged = ""
    if sections.answer:
        asked, spilled = cut_at_answer(sections.question)
        page.request, page.response = "\n".join(asked), "\n".join([*spilled, *sections.answer])
    else:
        start = next((i + 1 for i, line in enumerate(lines[:60]) if _SALUTATION.match(line)), 0)
        body = [line for line in lines[start:] if not is_label_line(line)]
        questions = _numbered_questions(body)
        subject = _SUBJECT.search(" ".join(body[:10]))
        page.request = "\n".join(questions) or (subject.group(0) if subject else "")
        # Question and answer pairs: the questions are the request, the rest of the letter the answer.
        page.response = "\n".join(line for line in body if line not in questions)
        # ...but the outcome is judged question by question, so on the letter with its numbering.
        judged = "\n".join(body) if questions else ""
    settle_texts(page)
    page.title = page.title or _first_sentence(page.request.split("\n")[0])
    page.outcome = classify_outcome(judged or page.response)
    page.exemptions = parse_exemptions(page.response)
    page.problems = page_problems(page, reference is not None)
    return page
