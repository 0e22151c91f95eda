"""Sites with one page per response under question and answer headings (ONS, TfL, The National Archives).

ONS prints "FOI Reference: FOI/2022/4158 / You asked / We said", TfL "Request ID: ... / You asked /
We answered", The National Archives "FOI request reference: ... / Outcome / Request / Response". The
reader here splits a page's cleaned text lines at those headings; council logs (``html_log``) use it
too, so it also reads labels whose value sits on the next line ("FOI Ref" / "10936") and headings that
carry a value ("Request 101003400486", "Response 28-10-2014").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel, ConfigDict, field_validator

from crawler.normalise import classify_outcome, clean_reference, parse_exemptions, parse_uk_date
from crawler.pagetext import (
    HtmlElement,
    clean_content,
    descendants,
    first,
    get_text,
    page_lines,
    parse_page,
)
from crawler.platforms.page import (
    ParsedPage,
    cut_at_answer,
    parse_attachments,
    parse_detail,
    parse_published,
    parse_reference,
    parse_title,
    settle_texts,
)

QUESTION_HEADINGS = (
    "You asked",
    "Request",
    "Your request",
    "The request",
    "Request details",
    "Information requested",
    "Question",
    "Questions",
)
ANSWER_HEADINGS = (
    "We said",
    "We answered",
    "Response",
    "Our response",
    "Answer",
    "Reply",
    "Our reply",
    "Decision",
    "In response",
)
OUTCOME_HEADINGS = ("Outcome", "Result")
# Headings after the answer that belong to the site, not the response.
END_HEADINGS = (
    "Related links",
    "Related content",
    "Related FOIs",
    "Related requests",
    "Related documents",
    "Attachments",
    "Downloads",
    "Download associated with request",
    "Documents",
    "Contact details",
    "Contact us",
    "Is this page useful?",
    "Was this page helpful?",
    "Rate this page",
    "Share this page",
    "Help us improve this page",
)


class PagePerResponseOptions(BaseModel):
    """``options:`` of a ``page_per_response`` source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Regex searched in each absolute link URL on the index pages: a match is a response page.
    link_pattern: str
    # Heading texts (not regexes) added to the defaults above, e.g. ["What you asked for"].
    question_headings: tuple[str, ...] = ()
    answer_headings: tuple[str, ...] = ()
    # Download PDF/DOCX attachments and extract their text (bounded in size and pages).
    fetch_attachments: bool = False

    @field_validator("link_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        return checked_regex(value)

    @field_validator("question_headings", "answer_headings")
    @classmethod
    def _non_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not heading.strip() for heading in value):
            raise ValueError("headings must be non-empty texts")
        return tuple(heading.strip() for heading in value)


def checked_regex(value: str) -> str:
    """The pattern unchanged if it compiles, else a ValueError naming the mistake."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from exc
    return value


# -- labels -------------------------------------------------------------------------------------
_REF_TOKEN = re.compile(r"[A-Z]{0,8}[-/ ]?\d[\w./-]*", re.I)
_REFERENCE_LABEL = re.compile(
    r"^(?:(?:foi|foisa|eir)\s+(?:request\s+)?ref(?:erence)?|(?:our|your|case|tfl)\s+ref(?:erence)?"
    r"|request\s+(?:id|ref(?:erence)?|number|no\.?)|ref(?:erence)?)\b(?:\s+(?:no\.?|number))?"
    r"\s*[:.\-]?\s*(.*)$",
    re.I,
)
# Moray: "Request 101003400486", "FOI Review 101003097591".
_NUMBERED_REQUEST = re.compile(r"^(?:foi\s+)?(?:request|review)\s+(\d{6,})$", re.I)
_REFERENCE_SHAPES = (re.compile(r"\bFOIR?-\d{4,}\b"), re.compile(r"\(\s*([A-Z]{1,8}[-/]?\d[\w./-]*)\s*\)"))

_RESPONSE_DATE_LABEL = re.compile(
    r"^(?:response\s+sent|responded(?:\s+on)?|date\s+(?:of\s+)?respon(?:se|ded)|response\s+date"
    r"|date\s+published|published(?:\s+on)?|publication\s+date|date\s+of\s+publication|release\s+date"
    r"|date\s+released|disclosure\s+date|date)\b\s*[:\-]?\s*(.*)$",
    re.I,
)
# A second label on the line of another ("Request ID: FOI-2388-2324 Date published: 26 October 2023").
_EMBEDDED_DATE_LABEL = re.compile(
    r"^[A-Z][\w ]{0,30}:\s*\S+.*?\s(?:date\s+published|publication\s+date|date\s+of\s+publication"
    r"|response\s+sent|date\s+responded|responded(?:\s+on)?)\s*:\s*(.+)$",
    re.I,
)
_RECEIVED_LABEL = re.compile(r"^(?:date\s+)?(?:received|requested)(?:\s+on)?\b\s*[:\-]?\s*(.*)$", re.I)
_WEEKDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?"
_DATE_ONLY = re.compile(
    rf"^(?:{_WEEKDAY}\s+)?\d{{1,2}}(?:st|nd|rd|th)?[\s/.\-]+\w+\.?,?[\s/.\-]+\d{{2,4}}$", re.I
)
_MONTH_YEAR = re.compile(r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{4})$", re.I)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def is_date_only(text: str) -> bool:
    """'05-03-2024', 'Wed 29 November 2023': the whole text is one date."""
    return bool(_DATE_ONLY.match(text.strip())) and parse_uk_date(text) is not None


def _is_ref_only(text: str) -> bool:
    return _REF_TOKEN.fullmatch(text.strip()) is not None


def _label_value(lines: list[str], index: int, same_line: str) -> tuple[str, set[int]]:
    """The value after a label: on its line, else on the next line when that line is short."""
    if same_line.strip():
        return same_line.strip(), {index}
    if index + 1 < len(lines) and len(lines[index + 1]) <= 40:
        return lines[index + 1], {index, index + 1}
    return "", {index}


def read_reference(lines: list[str], title: str, url: str) -> tuple[str | None, set[int]]:
    """The printed reference and the line indexes it took; the generic reader's guess otherwise."""
    for index, line in enumerate(lines[:40]):
        numbered = _NUMBERED_REQUEST.match(line)
        if numbered:
            return numbered.group(1), {index}
        match = _REFERENCE_LABEL.match(line)
        if match:
            value, used = _label_value(lines, index, match.group(1))
            token = _REF_TOKEN.match(value) if len(value) <= 40 else None
            if token:
                return clean_reference(token.group(0)), used
    for text in [title, *lines[:15]]:
        for shape in _REFERENCE_SHAPES:
            found = shape.search(text)
            if found:
                return clean_reference(found.group(found.lastindex or 0)), set()
    return parse_reference(lines, title, url), set()


def month_year(text: str) -> date | None:
    """'September 2016' as the first of that month: The National Archives prints no day."""
    match = _MONTH_YEAR.match(text.strip())
    return date(int(match.group(2)), _MONTHS.index(match.group(1).lower()[:3]) + 1, 1) if match else None


def read_published(lines: list[str]) -> tuple[date | None, set[int]]:
    """The response date by its label; a received date only when nothing else is printed."""
    received: tuple[date | None, set[int]] = (None, set())
    for index, line in enumerate(lines[:60]):
        response_heading = re.match(r"^response\s*[:\-]?\s*(.+)$", line, re.I)
        if response_heading and is_date_only(response_heading.group(1)):
            return parse_uk_date(response_heading.group(1)), {index}
        response_label = _RESPONSE_DATE_LABEL.match(line) or _EMBEDDED_DATE_LABEL.match(line)
        label = response_label or _RECEIVED_LABEL.match(line)
        if label is None:
            continue
        value, used = _label_value(lines, index, label.group(1))
        found = (parse_uk_date(value) or month_year(value)) if len(value) <= 60 else None
        if found and response_label:
            return found, used
        if found and received[0] is None:
            received = (found, used)
    return received


# -- titles -------------------------------------------------------------------------------------
_GENERIC_TITLE = re.compile(
    r"^(?:(?:foi|foia|foisa|eir|freedom\s+of\s+information|information)\s+(?:act\s+)?"
    r"(?:request|response|disclosure)s?(?:\s+(?:detail|details|record|entry))?"
    r"(?:\s*[-–:(]?\s*[A-Z]{0,8}[-/]?\d[\w./-]*\s*\)?)?"
    r"|disclosure\s+log(?:\s+entry)?|request\s+details?|published\s+requests?)$",
    re.I,
)
_TITLE_PREFIX = re.compile(
    # Only before a separator or a capitalised title: "FOI request on cybersecurity" keeps its words.
    # "FO Request - ..." (a misprint seen on Moray's log) only before a separator.
    r"^(?:foi|fo(?=\s+request\s*[-–:])|freedom\s+of\s+information)\s+(?:request|review)\b(?:\s*[-–:]\s*|\s+"
    r"(?!(?:on|about|for|regarding|re|into|of|concerning|relating|in|to|from|by|with)\b)(?=(?-i:[A-Z0-9])))(?=\S)",
    re.I,
)


def is_generic_title(text: str) -> bool:
    """'FOI request (FOIR-565731237)', 'Freedom of Information Request': a heading, not a title."""
    return bool(_GENERIC_TITLE.match(text.strip()))


def page_title(root: HtmlElement, content: HtmlElement, skip: Iterable[str] = ()) -> str:
    """The page's heading; when that is only "FOI request ...", the first real heading after it."""
    title = parse_title(root, content)
    if is_generic_title(title):
        known = [*QUESTION_HEADINGS, *ANSWER_HEADINGS, *OUTCOME_HEADINGS, *END_HEADINGS, *skip]
        skipped = {s.lower().rstrip(":") for s in known}
        for heading in _headings_after_title(content):
            text = re.sub(r"\s+", " ", get_text(heading, " ", strip=True))
            if text and not is_generic_title(text) and text.lower().rstrip(":") not in skipped:
                title = text
                break
    return _TITLE_PREFIX.sub("", title).strip()


def _headings_after_title(content: HtmlElement) -> list[HtmlElement]:
    """The content's h2-h4 headings after its ``h1`` (all of them when it has none), in page order."""
    h1 = first(content, "h1")
    found, after = [], h1 is None
    for node in content.iterdescendants():
        if node is h1:
            after = True
        elif after and node.tag in ("h2", "h3", "h4"):
            found.append(node)
    return found


# -- sections -----------------------------------------------------------------------------------
@dataclass
class Sections:
    """A page's lines split at its headings; ``start`` is the index of the first heading."""

    start: int | None = None
    question: list[str] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)
    outcome: list[str] = field(default_factory=list)


def _heading_pattern(labels: Iterable[str]) -> re.Pattern[str]:
    names = "|".join(re.escape(label.rstrip(":")) for label in sorted(set(labels), key=len, reverse=True))
    return re.compile(rf"^(?:{names})\s*(?::\s*(?P<inline>.*)|\s+(?P<value>\S.*))?$", re.I)


def _match_heading(pattern: re.Pattern[str], line: str) -> tuple[bool, str]:
    """(is a heading, text after 'Heading:'); 'Response 28-10-2014' is a heading, 'Response sent' not."""
    match = pattern.match(line)
    if not match:
        return False, ""
    value = match.group("value")
    if value is not None and not (is_date_only(value) or _is_ref_only(value)):
        return False, ""
    return True, (match.group("inline") or "").strip()


def _line_kind(line: str, patterns: list[tuple[str, re.Pattern[str]]]) -> tuple[str | None, str]:
    """Which heading a line is (None for text) and the text it keeps ('You asked: ...' keeps '...')."""
    for name, pattern in patterns:
        is_heading, inline = _match_heading(pattern, line)
        if is_heading:
            return name, inline
    return None, line


def split_sections(lines: list[str], questions: Iterable[str] = (), answers: Iterable[str] = ()) -> Sections:
    """Request, answer and outcome lines, each from its heading to the next known heading."""
    patterns = [
        ("answer", _heading_pattern([*ANSWER_HEADINGS, *answers])),
        ("question", _heading_pattern([*QUESTION_HEADINGS, *questions])),
        ("outcome", _heading_pattern(OUTCOME_HEADINGS)),
        ("end", _heading_pattern(END_HEADINGS)),
    ]
    sections = Sections()
    current: list[str] | None = None
    for index, line in enumerate(lines):
        kind, text = _line_kind(line, patterns)
        if kind == "end":
            if sections.answer:
                break
            continue
        if kind is not None:
            sections.start = index if sections.start is None else sections.start
            current = getattr(sections, kind)
        if current is not None and text:
            current.append(text)
    return sections


_OUTCOME_WORDS = (
    (
        re.compile(r"partial|\bpart\b|some information (?:withheld|disclosed|provided)", re.I),
        "partially_released",
    ),
    (re.compile(r"neither confirm nor deny|\bNCND\b", re.I), "neither_confirm_nor_deny"),
    (re.compile(r"not held", re.I), "not_held"),
    (re.compile(r"with?held|refused|exempt|not (?:disclosed|provided)", re.I), "refused"),
    (re.compile(r"withdrawn", re.I), "withdrawn"),
    (re.compile(r"provided|disclosed|released|granted|in full", re.I), "released"),
)


# An outcome standing alone where its heading was lost (The National Archives: "Information withheld.").
_OUTCOME_LINE = re.compile(
    r"^(?:(?:some|no|all)\s+)?information\s+(?:(?:partially|partly|not)\s+)?"
    r"(?:with?held|provided|disclosed|released|held|refused)\.?$",
    re.I,
)


def outcome_from_label(text: str) -> str | None:
    """An 'Outcome' section's wording mapped onto the outcome vocabulary."""
    for pattern, outcome in _OUTCOME_WORDS:
        if pattern.search(text):
            return outcome
    return None


# -- the page -----------------------------------------------------------------------------------
@dataclass
class PageLines:
    """A parsed page with the lines it was read from, for readers that add their own patterns."""

    page: ParsedPage
    lines: list[str]
    printed_reference: bool


def read_page_lines(
    html: str, url: str, questions: Iterable[str] = (), answers: Iterable[str] = ()
) -> PageLines:
    """Read a response page by its headings; a page without them falls back to the generic reader."""
    root = parse_page(html)
    content = clean_content(root)
    attachments = parse_attachments(content, url)
    title = page_title(root, content, [*questions, *answers])
    lines = page_lines(content)
    sections = split_sections(lines, questions, answers)
    if not sections.answer:
        # No answer heading: the generic reader's split, with this module's labels and title.
        page = parse_detail(html, url, split_unmarked=False)
        reference, ref_lines = read_reference(lines, title, "")
        page.title, page.reference = title or page.title, reference or page.reference
        published, date_lines = read_published(lines)
        page.published = published or page.published
        if reference is not None and not page.request and not _own_headings(content, title):
            split_by_voice(page, lines, {*ref_lines, *date_lines})
        page.problems = page_problems(page, reference is not None)
        return PageLines(page, lines, reference is not None)
    page = ParsedPage(url=url, title=title, attachments=attachments)
    reference, ref_lines = read_reference(lines, title, "")
    page.reference = reference or read_reference(lines, title, url)[0]
    page.published, date_lines = read_published(lines)
    page.published = page.published or parse_published(lines, root)
    header = {*ref_lines, *date_lines}
    question = _without_labels(sections.question) or _preamble_request(lines, sections, header, title)
    # Lines in the authority's voice under a question heading are answer, not request.
    asked, spilled = cut_at_answer(question)
    page.request = "\n".join(asked)
    page.response = "\n".join([*spilled, *_without_labels(sections.answer)])
    settle_texts(page)
    page.outcome = settled_outcome(outcome_from_label(" ".join(sections.outcome)), page.response)
    page.exemptions = parse_exemptions(page.response)
    page.problems = page_problems(page, reference is not None)
    return PageLines(page, lines, reference is not None)


def split_by_voice(page: ParsedPage, lines: list[str], header: set[int]) -> None:
    """A page with neither headings nor markers (a log entry that is the request, then the answer):
    the body after the title and labels, split where the authority starts to speak."""
    body = _preamble_request(lines, Sections(start=len(lines)), header, page.title)
    asked, answered = cut_at_answer(body)
    labelled = asked.pop() if asked and _OUTCOME_LINE.match(asked[-1]) else ""
    if asked and answered:
        page.request, page.response = "\n".join(asked), "\n".join(answered)
        settle_texts(page)
        page.outcome = settled_outcome(outcome_from_label(labelled), page.response)
        page.exemptions = parse_exemptions(page.response)


def _own_headings(content: HtmlElement, title: str) -> bool:
    """Whether the page has headings besides its title: headings nobody configured, which the
    source's ``question_headings``/``answer_headings`` must name before the page can be split."""
    for heading in descendants(content, "h2", "h3", "h4", "h5", "h6"):
        text = re.sub(r"\s+", " ", get_text(heading, " ", strip=True))
        if text and text != title and not is_generic_title(text):
            return True
    return False


def settled_outcome(labelled: str | None, response: str) -> str | None:
    """The site's outcome label, unless it says "provided" where the letter itself withholds part
    (The National Archives: "Information provided" above a letter redacting under s40(2))."""
    judged = classify_outcome(response)
    if labelled == "released" and judged == "partially_released":
        return judged
    return labelled or judged


def _preamble_request(lines: list[str], sections: Sections, header: set[int], title: str) -> list[str]:
    """Lines before the first heading that are not the title or a label: the request, numbered."""
    kept = []
    for index in range(sections.start or 0):
        line = lines[index]
        if index in header or line == title or is_generic_title(line) or _TITLE_PREFIX.sub("", line) == title:
            continue
        if not is_label_line(line):
            kept.append(line)
    return kept


def _without_labels(lines: list[str]) -> list[str]:
    """A section without the 'Our Ref: ...' or 'Date: ...' lines it opens with."""
    start = 0
    while start < len(lines) and is_label_line(lines[start]):
        start += 1
    return lines[start:]


def is_label_line(line: str) -> bool:
    """'Requested Wed 29 November 2023', 'Reference: FOI/2022/4158': page metadata, not request text."""
    for pattern in (_RECEIVED_LABEL, _RESPONSE_DATE_LABEL, _REFERENCE_LABEL):
        match = pattern.match(line)
        if match and (not match.group(1) or parse_uk_date(match.group(1)) or _is_ref_only(match.group(1))):
            return True
    return False


def page_problems(page: ParsedPage, printed_reference: bool) -> list[str]:
    """Why a page is not a response, as the generic reader words it; empty for a response."""
    problems = []
    if not page.title:
        problems.append("no title")
    if not printed_reference and not page.request:
        problems.append("neither a printed reference nor a request found")
    if len(page.response) < 40:
        problems.append("no response text found")
    return problems


def read_page(html: str, url: str, questions: Iterable[str] = (), answers: Iterable[str] = ()) -> ParsedPage:
    """One response page: title, reference, date, request, answer, outcome, exemptions, attachments."""
    return read_page_lines(html, url, questions, answers).page
