"""Normalisation shared by every platform: dates, references, outcomes and exemptions."""

from __future__ import annotations

import re
from datetime import date, datetime

_MONTHS = {
    name: index
    for index, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WORDY_DATE = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_NAMES})\.?,?\s+(\d{{4}})\b", re.IGNORECASE
)
_AMERICAN_WORDY = re.compile(rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?!\d)")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})\b")


def _safe_date(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_uk_date(text: str | None) -> date | None:
    """First date in ``text``, read the UK way (day before month): '10 May 2022', '16/02/26', ..."""
    if not text:
        return None
    candidates: list[tuple[int, date]] = []
    for match in _WORDY_DATE.finditer(text):
        found = _safe_date(int(match.group(3)), _MONTHS[match.group(2).lower()], int(match.group(1)))
        if found:
            candidates.append((match.start(), found))
    for match in _AMERICAN_WORDY.finditer(text):
        found = _safe_date(int(match.group(3)), _MONTHS[match.group(1).lower()], int(match.group(2)))
        if found:
            candidates.append((match.start(), found))
    for match in _ISO_DATE.finditer(text):
        found = _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if found:
            candidates.append((match.start(), found))
    for match in _NUMERIC_DATE.finditer(text):
        found = _safe_date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        if found:
            candidates.append((match.start(), found))
    if not candidates:
        return None
    return min(candidates, key=lambda pair: pair[0])[1]


def parse_iso_datetime(text: str | None) -> date | None:
    """Date part of an ISO 8601 timestamp such as a ``<time datetime>`` attribute."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).date()
    except ValueError:
        return parse_uk_date(text)


def normalise_reference(reference: str) -> str:
    """Key form of a reference: no inner spaces, upper case. '89- 26' and '89-26' are one response."""
    return re.sub(r"\s+", "", reference).upper()


def clean_reference(reference: str) -> str:
    """Display form of a reference: trimmed, single spaces, no trailing punctuation."""
    return re.sub(r"\s+", " ", reference).strip(" .,;:")


# FOIA 2000 exemptions are sections 21-44; s12 (cost) and s14 (vexatious) are refusal grounds
# people search for too. Sections 1, 10 and 17 are duties and procedure, not exemptions.
_EXEMPT_SECTIONS = {12, 14, *range(21, 45)}
_SECTION = re.compile(
    r"\b(?:sections?|s\.|s(?=\s?\d)|sec\.?)\s?(\d{1,2})((?:\s?\(\s?[0-9a-zA-Z]{1,4}\s?\))*)"
    r"((?:\s?(?:&|and|,|/)\s?\(\s?[0-9a-zA-Z]{1,4}\s?\))*)",
    re.IGNORECASE,
)
# "section 23 of the Misuse of Drugs Act", "PACE s1": sections of other Acts are not FOI exemptions.
_OTHER_ACT_AFTER = re.compile(
    r"^[\s,]*(?:of\s+(?:the\s+)?)(?!(?i:freedom\s+of\s+information|foi\b|environmental\s+information))(?:[A-Z][\w']*\s+(?:of\s+|and\s+)?){1,7}Act\b"
    r"|^[\s,]*(?:of\s+)?(?:PACE|MDA|CJPOA|RIPA|IPA|DPA|GDPR|EIR|PoFA)\b",
)
_OTHER_ACT_BEFORE = re.compile(r"\b(?:PACE|MDA|CJPOA|RIPA|IPA|DPA|TA|PoFA)\s*$")
_GROUP = re.compile(r"\(\s?([0-9a-zA-Z]{1,4})\s?\)")


def _format_groups(groups: list[str]) -> str:
    return "".join(f"({g.lower() if g.isalpha() else g})" for g in groups)


def _expand(section: str, groups: list[str], alternatives: list[str]) -> list[str]:
    """'40', ['2'], ['3'] -> s40(2), s40(3); '43', ['2','a','b'] -> s43(2)(a), s43(2)(b)."""
    results: list[list[str]] = [groups]
    if (
        len(groups) >= 2
        and len(groups[-1]) == 1
        and len(groups[-2]) == 1
        and groups[-1].isalpha()
        and groups[-2].isalpha()
        and ord(groups[-1].lower()) == ord(groups[-2].lower()) + 1
    ):
        results = [groups[:-1], [*groups[:-2], groups[-1]]]
    for alternative in alternatives:
        # "(2)&(3)" names another subsection; "(a) and (b)" another paragraph of the same one.
        results.append([alternative] if alternative[0].isdigit() else [*groups[:-1], alternative])
    if section == "40":
        # Section 40's paragraphs and subsections 3A/3B/4A are conditions of the exemption, not
        # separate exemptions: people cite and search for s40(2) and s40(3).
        results = [parts[:1] for parts in results if not (parts and not parts[0].isdigit())]
    return [f"s{section}{_format_groups(parts)}" for parts in results]


def parse_exemptions(text: str) -> list[str]:
    """FOIA exemptions cited in ``text``, normalised (``s31(1)(a)``, ``s40(2)``), in order, no repeats."""
    found: list[str] = []
    for match in _SECTION.finditer(text):
        section = int(match.group(1))
        if section not in _EXEMPT_SECTIONS:
            continue
        if _OTHER_ACT_AFTER.search(text[match.end() : match.end() + 80]) or _OTHER_ACT_BEFORE.search(
            text[max(0, match.start() - 12) : match.start()]
        ):
            continue
        groups = _GROUP.findall(match.group(2) or "")
        alternatives = _GROUP.findall(match.group(3) or "")
        for exemption in _expand(str(section), groups, alternatives):
            if exemption not in found:
                found.append(exemption)
    return _drop_prefixes(found)


def _drop_prefixes(exemptions: list[str]) -> list[str]:
    """'s31' adds nothing when 's31(1)(a)' is also cited."""
    return [e for e in exemptions if not any(o != e and o.startswith(e + "(") for o in exemptions)]


OUTCOMES = ("released", "partially_released", "refused", "not_held", "neither_confirm_nor_deny")

_PARTIAL = re.compile(
    r"disclose some of|decided to (?:disclose|release) (?:some|part)|partial(?:ly)? (?:disclos|releas)"
    r"|some (?:of the )?(?:data|information) (?:has|have) been withheld|withholding (?:some|part)"
    r"|(?:can|able to|will) (?:provide|disclose|release|supply) (?:some|part) of",
    re.I,
)
_RELEASED = re.compile(
    r"decided to (?:disclose|release)|(?:is|are) (?:being )?(?:disclosed|released|provided) (?:below|in full)"
    r"|please (?:find|see) (?:the )?(?:attached|below|information)|our response is (?:below|as)"
    r"|the information (?:you requested|requested) is (?:attached|below|as follows)"
    r"|(?:is|are) (?:shown|set out|provided|detailed|listed)(?: in the [\w ]{1,30}?)? below"
    r"|(?:shown|set out|detailed) in the (?:table|attached|enclosed)",
    re.I,
)
_REFUSED = re.compile(
    r"refusal notice|decided not to disclose|(?:decline|unable) to (?:provide|release|disclose)"
    r"|we are withholding|(?:is|are) withheld|exempt from disclosure|is engaged",
    re.I,
)
_NCND = re.compile(r"neither confirm nor deny|\bNCND\b", re.I)
_NOT_HELD = re.compile(
    r"(?:is|was|are) (?:therefore |currently |also )?not held|do(?:es)? not hold"
    r"|no (?:relevant |recorded )?information (?:is )?held"
    r"|information not held|no information held",
    re.I,
)


def classify_outcome(text: str) -> str | None:
    """Map a response's wording onto the outcome vocabulary (``OUTCOMES``); None if nothing fits."""
    if not text.strip():
        return None
    released, refused = bool(_RELEASED.search(text)), bool(_REFUSED.search(text))
    if _PARTIAL.search(text) or (released and refused):
        return "partially_released"
    if _NCND.search(text) and not released:
        return "neither_confirm_nor_deny"
    if refused:
        return "refused"
    if released:
        return "released"
    if _NOT_HELD.search(text):
        return "not_held"
    return None
