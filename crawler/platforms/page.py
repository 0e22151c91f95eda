"""A response page read by its labels and headings, whatever its markup.

Sites word their pages differently (the Met's "Freedom of information request reference no:",
Cleveland's "Enquiry Reference: 89- 26", South Wales' "FOI 82525", ONS's "You asked / We said"), so
each field is found by a list of patterns tried in order over the page's cleaned text lines.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urljoin, urlsplit

from crawler.normalise import (
    classify_outcome,
    clean_reference,
    parse_exemptions,
    parse_iso_datetime,
    parse_uk_date,
)
from crawler.outcomes import mentions_complaint_rights
from crawler.pagetext import (
    HtmlElement,
    clean_content,
    descendants,
    drop_repeated_ending,
    first,
    first_in,
    get_text,
    page_lines,
    parse_page,
    repeated_endings,
)
from crawler.platforms.listing import canonical_url, document_links, is_attachment

# "FOI 18-25" (Cleveland): a printed "FOI" before the number belongs to the reference.
_REF_VALUE = r"((?:FOI\s)?[A-Z0-9][A-Z0-9./_]*(?:\s?[-/]\s?[A-Z0-9./_]+)*)"
_REFERENCE_PATTERNS = [
    re.compile(p, re.I)
    for p in (
        rf"reference\s+(?:no|number)\.?\s*[:\-]?\s*{_REF_VALUE}",
        rf"enquiry\s+reference\s*[:\-]?\s*{_REF_VALUE}",
        rf"^(?:foi|foisa|eir)\s+ref(?:erence)?\.?\s*(?:no\.?|number)?\s*[:\-]\s*{_REF_VALUE}",
        rf"(?:our|your|request|case)\s+ref(?:erence)?\.?\s*(?:no\.?|number)?\s*[:\-]\s*{_REF_VALUE}",
        rf"^ref(?:erence)?\s*(?:no\.?|number)?\s*[:\-]\s*{_REF_VALUE}",
        rf"request\s+id\s*[:\-]?\s*{_REF_VALUE}",
    )
]
# Welsh labels ("Cyfeirnod Rhyddid Gwybodaeth: 996/2025"), tried after every English one, so a
# bilingual page gives its English label's value.
_WELSH_REFERENCE_PATTERNS = [
    re.compile(
        rf"(?:^|/\s*)(?:ein\s+)?cyfeirnod(?:\s+(?:rhyddid\s+gwybodaeth|cais|foi))?\s*[:\-]?\s*{_REF_VALUE}",
        re.I,
    )
]
_MET_REFERENCE = re.compile(r"\b\d{2}\.FOI\.\d{2}\.\d{4,7}\b", re.I)
_FOI_NUMBER = re.compile(r"\bFOI[\s\-]?(?:ref(?:erence)?\.?\s*)?[:\-]?\s*(\d{3,}(?:[/\-]\d{2,4})?)\b", re.I)
# "(895/2025)", and a force's own FOI site's "Officer BME (3005_16)", "Operation Snap (392A/20)".
_TITLE_NUMBER = re.compile(r"\(\s?(\d{2,7}[a-z]?(?:/|_)\d{2,4})\s?\)", re.I)

_DATE_LABEL = re.compile(
    r"^(?:date\s+(?:published|of\s+(?:response|publication|disclosure))|published(?:\s+on)?|date|dated"
    r"|response\s+(?:sent|date)|responded(?:\s+on)?|disclosure\s+date"
    r"|dyddiad(?:\s+(?:cyhoeddi|ymateb|yr\s+ymateb|datgelu))?|cyhoeddwyd(?:\s+ar)?)\s*[:\-]?\s*(.*)$",
    re.I,
)
_REQUEST_START = re.compile(
    r"(?:i note you seek access to the following information|below is your request"
    # The authority restating the request before it: "I note you seek the following:", "Your request
    # was as follows:", "In your email of 3 May you requested the following:".
    r"|\b(?:i|we)\s+note\s+(?:that\s+)?you\s+(?:seek|are\s+seeking|request(?:ed)?|asked(?:\s+for)?|require)"
    r"\s+(?:access\s+to\s+)?the\s+following(?:\s+information)?\s*[:.]?\s*$"
    r"|^(?:your|the)\s+request\s+(?:was|is|reads|read)\s+as\s+follows\s*[:.]?\s*$"
    r"|^in\s+your\s+(?:e-?mail|letter|request|correspondence)\b.{0,60}\byou\s+(?:requested|asked(?:\s+for)?)"
    r"(?:\s+(?:the\s+following|us|for))?(?:\s+information)?\s*:\s*$"
    r"|^(?:your\s+)?request(?:\s+details)?\s*:?$"
    r"|^(?:specifically\s+)?you asked(?:\s+the\s+following)?\s*:?"
    r"|^information requested\s*:?$"
    r"|^you (?:requested|wrote)\b|^(?:the\s+)?request\s*:"
    r"|^(?:eich\s+|y\s+)?cais(?:\s+am\s+wybodaeth)?\s*:?$)",
    re.I,
)
_RESPONSE_START = re.compile(
    r"(?:^i have (?:today )?decided|^decision\s*:?$|^(?:our\s+)?response\s*:?$|^we said\s*:?$"
    # "Extent of Searches to Locate Information" (North Yorkshire): the answer's first heading
    r"|^extent\s+(?:and\s+result\s+)?of\s+searche?s?\b"
    # "Response 1a and 1b:", "Response to Q2:": an answer heading per question (Dyfed-Powys)
    r"|^response\s+(?:to\s+)?(?:q(?:uestions?)?\s*)?\d+[a-z]?(?:\s*(?:,|and|&|-)\s*\d*[a-z]?)*\s*:?$"
    r"|^in response\s*:?|^we answered\s*:?$|^answer\s*:?$|^(?:our\s+)?reply\s*:?$|^outcome\s*:?$"
    r"|^this response serves as|^the (?:force|mps|constabulary) (?:can|does|do)\b"
    r"|^(?:ein\s+|yr\s+)?(?:hymateb|ymateb)\s*:?$|^penderfyniad\s*:?$)",
    re.I,
)
# The authority speaking: how an answer opens when no heading announces it. A request is the
# requester's voice, so the first line in the authority's voice after the request's start ends it.
_ANSWER_OPENING = re.compile(
    r"^(?:i|we)\s+(?:can(?:not)?|am\s+(?:able|unable|pleased)\s+to|are\s+(?:able|unable|pleased)\s+to)"
    r"\s+(?:now\s+)?(?:confirm|advise|inform|disclose|provide|release|supply|tell)\b"
    r"|^(?:i|we)\s+(?:am|are)\s+(?:not\s+obliged|afraid|sorry)\b"
    r"|^(?:i|we)\s+(?:do\s+not|don.t|does\s+not)\s+hold\b|^(?:i|we)\s+hold\b"
    r"|^(?:i|we)\s+ha(?:ve|s)\s+(?:today\s+|now\s+)?(?:decided|considered|made\s+enquiries|been\s+advised)"
    r"|^having\s+(?:made|carried\s+out|conducted|completed)\s+(?:enquiries|searches|checks)"
    r"|^(?:following|further\s+to)\s+(?:(?:receipt|consideration)\s+of\s+)?(?:our|your)\s+(?:[\w-]+\s+){0,3}(?:e-?mail|letter|request|enquiry|review|update)"
    r"|^(?:the\s+)?(?:force|council|constabulary|mps|department|trust|authority|service|commissioner)\s+"
    r"(?:can(?:not)?|does|do|did|has|have|holds?|is|will|would|owns?|runs?|operates?|uses?|employs?"
    r"|currently|received|recorded|spent)\b"
    r"|^section\s+1\s+of\s+the\s+freedom\s+of\s+information\s+act\b.{0,20}\bplaces\s+two\s+duties"
    r"|\bcan\s+neither\s+confirm\s+nor\s+deny\b"
    r"|^please\s+(?:find|see)\s+(?:attached|below|enclosed|overleaf|the\s+(?:attached|information|response|table))"
    r"|^in\s+response\s+to\s+your\s+(?:request|e-?mail|enquiry|letter|questions?)"
    r"|^(?:the\s+)?information\s+(?:that\s+)?you\s+(?:have\s+)?(?:requested|asked\s+for)\s+(?:is|was|has|can)\b"
    r"|^(?:our\s+)?response\s+(?:is|to\s+your\s+request)\b"
    r"|^(?:i\s+am|we\s+are)\s+writing\s+to\s+(?:inform|confirm|advise|let\s+you\s+know|respond)"
    r"|^your\s+request\s+(?:for\s+information\s+)?has\s+(?:now\s+)?been\s+(?:considered|processed|handled)"
    r"|^thank\s+you\s+for\s+your\s+(?:[\w-]+\s+){0,2}(?:request|e-?mail|enquiry|letter)\b",
    re.I,
)
# "Cleveland Police's ARV officers are ...", "South Wales Police can confirm ...": a sentence whose
# subject is an authority (capitalised name ending in what it is) telling the requester something.
_AUTHORITY_SPEAKS = re.compile(
    r"^(?:[A-Z][\w&.'’-]*\s+){0,5}(?:Police|Constabulary|Council|Service|Authority|Trust|MPS|TfL|ONS)"
    r"(?:['’]s\s+\w+(?:\s+\w+)?\s+(?:are|is|was|were|has|have)|\s+(?:can(?:not)?|does|do|did|has|have|holds?"
    r"|is|are|will|would|currently|owns?|runs?|operates?|uses?|employs?|spent|[a-z]+ed)\b)"
)
# A question is the requester's voice whatever its wording ("Does the force hold ...?").
_QUESTION = re.compile(
    r"\?\s*$|^(?:\(?\w{1,3}[.)]\s*)?(?:does|do|did|is|are|was|were|can|could|will|would|has|have|how|what"
    r"|which|when|where|who|why|if)\b",
    re.I,
)


def opens_answer(line: str) -> bool:
    """Whether a line is the authority starting to answer (and not the requester asking)."""
    if _QUESTION.search(line):
        return False
    return bool(_ANSWER_OPENING.search(line) or _AUTHORITY_SPEAKS.match(line))


_MARKER_ONLY = re.compile(
    r"^(?:request|response|decision|you asked|we said|in response|answer|reply|outcome"
    r"|our response|your request"
    r"|extent (?:and result )?of searches to locate (?:the )?(?:relevant )?information"
    r"|i note you seek access to the following information|below is your request and our response"
    r"|cais|eich cais|ymateb|ein hymateb|penderfyniad)\s*[:.]?$",
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
    # The response as read, when the site's repeated ending was dropped from ``response``: what the
    # content hash counts, so whether a crawl had learnt the ending yet never makes a version.
    read_response: str | None = None
    # Links whose text promises a file ("Download") but whose address names none (``document_links``),
    # read off the whole page before it was cut to its content; None when the reader did not look.
    document_links: tuple[tuple[str, str], ...] | None = None


def parse_reference(lines: list[str], title: str, url: str) -> str | None:
    """The response's own reference, by label first, then by known shapes, then from the URL."""
    for patterns in (_REFERENCE_PATTERNS, _WELSH_REFERENCE_PATTERNS):
        for line in lines[:60]:
            for pattern in patterns:
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


def parse_title(root: HtmlElement, content: HtmlElement) -> str:
    heading = first(content, "h1")
    if heading is None:
        heading = first_in(root, lambda e: e.tag == "h1")
    if heading is not None and get_text(heading, strip=True):
        return re.sub(r"\s+", " ", get_text(heading, " ", strip=True))
    og = _meta(root, "property", "og:title")
    if og is not None and og.get("content"):
        return str(og.get("content")).strip()
    title_tag = first_in(root, lambda e: e.tag == "title")
    title = get_text(title_tag, strip=True) if title_tag is not None else ""
    return re.split(r"\s+[|\-–]\s+", title)[0].strip()


def _meta(root: HtmlElement, attribute: str, value: str) -> HtmlElement | None:
    """The first ``<meta>`` whose ``attribute`` is ``value``."""
    return first_in(root, lambda e: e.tag == "meta" and e.get(attribute) == value)


def parse_published(lines: list[str], root: HtmlElement) -> date | None:
    for index, line in enumerate(lines[:40]):
        match = _DATE_LABEL.match(line)
        if match:
            found = parse_uk_date(match.group(1)) or (
                parse_uk_date(lines[index + 1]) if index + 1 < len(lines) else None
            )
            if found:
                return found
    for time_tag in (e for e in root.iter("time") if isinstance(e.tag, str)):
        found = parse_iso_datetime(str(time_tag.get("datetime") or get_text(time_tag)))
        if found:
            return found
    for name in ("article:published_time", "dcterms.issued", "DC.date.issued", "date"):
        meta = _meta(root, "property", name)
        meta = meta if meta is not None else _meta(root, "name", name)
        if meta is not None and meta.get("content"):
            return parse_iso_datetime(str(meta.get("content")))
    return None


def split_request_response(lines: list[str]) -> tuple[str, str]:
    """Request text and response text, split at a decision or response heading, else where the
    authority starts to speak after the request's own start.

    Without a split the request is empty: a request must never carry the answer.
    """
    response_at = next((i for i, line in enumerate(lines) if _RESPONSE_START.search(line)), None)
    end = response_at if response_at is not None else len(lines)
    request_at = None
    for index in range(end):
        if _REQUEST_START.search(lines[index]):
            request_at = index
    if request_at is not None:
        # At least one line of request before the answer's voice can end it.
        voice = next((i for i in range(request_at + 2, end) if opens_answer(lines[i])), None)
        if voice is not None:
            response_at = end = voice
    if request_at is None and response_at is None:
        return "", ""
    if response_at is None:
        return "", ""
    request_lines = lines[request_at + 1 : end] if request_at is not None else []
    keep = [line for line in request_lines if not _MARKER_ONLY.match(line)]
    answer = [line for line in lines[response_at:] if not _MARKER_ONLY.match(line)]
    return "\n".join(keep), "\n".join(answer)


def cut_at_answer(question: list[str]) -> tuple[list[str], list[str]]:
    """A question section split where the authority's voice begins: (request lines, answer lines)."""
    voice = next((i for i in range(1, len(question)) if opens_answer(question[i])), len(question))
    return question[:voice], question[voice:]


def has_request_start(lines: list[str]) -> bool:
    """Whether the page marks where a request begins ("I note you seek access ...", "You asked")."""
    return any(_REQUEST_START.search(line) for line in lines)


def _squashed(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def keep_apart(request: str, response: str) -> tuple[str, str]:
    """The request dropped when the two texts are one: equal, the request holding the response, or
    the response holding a request that is most of it (a whole body stored as both).

    A response that quotes a short request ("Specifically you asked: ...") keeps both.
    """
    asked, answered = _squashed(request), _squashed(response)
    if not asked or not answered:
        return request, response
    if answered in asked or (asked in answered and len(asked) * 2 > len(answered)):
        return "", response
    return request, response


def settle_texts(page: ParsedPage) -> ParsedPage:
    """The final guard every reader applies: never the same text as both request and response."""
    page.request, page.response = keep_apart(page.request, page.response)
    return page


ENDING_LINES = 6
REMEMBERED_PAGES = 50


@dataclass
class SiteEndings:
    """The endings of the responses read so far in one crawl of one source, to drop the site's
    furniture that closes every page ("Making an FOI request / Everything you need to know ...",
    "Want to make a request? / We'll email you ...") and that no single page shows to be furniture.

    Only a run of two or more lines that ended two earlier pages is dropped: one repeated sentence
    ("Please see the attached document.") may be an answer, a repeated block is the site's.
    """

    min_pages: int = 2
    seen: deque[tuple[str, ...]] = field(default_factory=lambda: deque(maxlen=REMEMBERED_PAGES))

    def trim(self, page: ParsedPage) -> ParsedPage:
        """The page with the repeated ending dropped from its response; remembers this page's ending."""
        lines = page.response.splitlines()
        furniture = repeated_endings(self.seen, self.min_pages)
        self.seen.append(tuple(lines[-ENDING_LINES:]))
        kept = drop_repeated_ending(lines, furniture)
        dropped = "\n".join(lines[len(kept) :])
        # The letter's own closing (complaint rights, review, the Commissioner) repeats on every page of
        # a log but is the authority's answer, not the site's.
        if len(lines) - len(kept) >= 2 and not mentions_complaint_rights(dropped):
            page.read_response = page.response
            page.response = "\n".join(kept)
        return page


def parse_attachments(content: HtmlElement, page_url: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for anchor in descendants(content, "a"):
        href = anchor.get("href")
        if href is None:
            continue
        url = canonical_url(urljoin(page_url, href.strip()))
        if is_attachment(url) and url not in [u for u, _ in found]:
            found.append((url, get_text(anchor, " ", strip=True)))
    return found


def _header_lines(lines: list[str], title: str, reference: str | None) -> set[int]:
    """Indexes of the title, date and reference lines, which are not response text."""
    skip = set()
    for index, line in enumerate(lines[:40]):
        if line == title or _DATE_LABEL.match(line) or (reference and reference in line and len(line) < 120):
            skip.add(index)
    return skip


def _split_unmarked(lines: list[str], title: str, reference: str | None) -> tuple[str, str]:
    """A page that marks neither request nor answer (Gwent's): the request runs from the top to where
    the authority starts to speak; with no such line there is no split."""
    skip = _header_lines(lines, title, reference)
    body = [line for i, line in enumerate(lines) if i not in skip]
    request, answer = cut_at_answer(body)
    if not request or not answer:
        return "", ""
    return "\n".join(request), "\n".join(answer)


def parse_detail(html: str | bytes, url: str, *, split_unmarked: bool = True) -> ParsedPage:
    """Read one response page. A page that is not a response comes back with ``problems``.

    ``split_unmarked=False`` leaves a page with no request or answer markers unsplit, for readers
    that split such pages by rules of their own.
    """
    root = parse_page(html)
    page = ParsedPage(url=url, document_links=document_links(root, url))
    content = clean_content(root)
    page.attachments = parse_attachments(content, url)
    page.title = parse_title(root, content)
    lines = page_lines(content)
    printed_reference = parse_reference(lines, page.title, "")
    page.reference = printed_reference or parse_reference(lines, page.title, url)
    page.published = parse_published(lines, root)
    page.request, page.response = split_request_response(lines)
    marked = has_request_start(lines)
    if split_unmarked and not page.request and not page.response and not marked:
        page.request, page.response = _split_unmarked(lines, page.title, page.reference)
    if not page.response and (printed_reference or marked):
        # A response page without a split: the body is the response and the request stays empty.
        skip = _header_lines(lines, page.title, page.reference)
        page.response = "\n".join(line for i, line in enumerate(lines) if i not in skip)
    settle_texts(page)
    page.outcome = classify_outcome(page.response)
    page.exemptions = parse_exemptions(page.response)
    if not page.title:
        page.problems.append("no title")
    if not printed_reference and not page.request and not marked:
        page.problems.append("neither a printed reference nor a request found")
    if len(page.response) < 40:
        page.problems.append("no response text found")
    return page
