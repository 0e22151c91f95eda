"""FOI exemptions cited in a response, normalised, telling FOIA 2000 from FOISA and the EIR.

A response *cites* the exemptions the authority applies to the request; it often also *quotes*
the Act or ICO guidance to explain them, naming other sections or paragraphs on the way. Only cited
exemptions are what a response was refused under (``parse_exemptions``); ``read_exemptions`` gives
the quoted ones too, kept apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.quotations import inside, is_example, quoted_spans

# FOIA 2000 exemptions are sections 21-44; s12 (cost) and s14 (vexatious) are refusal grounds
# people search for too. Sections 1, 10 and 17 are duties and procedure, not exemptions.
_EXEMPT_SECTIONS = {12, 14, *range(21, 45)}
# FOISA: s12 (cost), s14 (vexatious), s17 (information not held), s18 (neither confirm nor deny)
# and the exemptions in ss25-41.
_FOISA_SECTIONS = {12, 14, 17, 18, *range(25, 42)}
_SCOTTISH = re.compile(r"Freedom of Information \(Scotland\) Act|\bFOISA\b|\bFOI\(S\)A\b", re.I)
_REGULATION = re.compile(
    r"\b(?:regulations?|reg\.?|r\.)\s?(\d{1,2})((?:\s?\(\s?[0-9a-zA-Z]{1,4}\s?\))*)", re.I
)
_SECTION = re.compile(
    r"\b(?:sections?|s\.|s(?=\s?\d)|sec\.?)\s?(\d{1,2})((?:\s?\(\s?[0-9a-zA-Z]{1,4}\s?\))*)"
    r"((?:\s?(?:&|and|,|/)\s?\(\s?[0-9a-zA-Z]{1,4}\s?\))*)",
    re.IGNORECASE,
)
# "section 23 of the Misuse of Drugs Act", "PACE s1": sections of other Acts are not FOI exemptions.
_OTHER_ACT_AFTER = re.compile(
    r"^[\s,]*(?:of\s+(?:the\s+)?)(?!(?i:freedom\s+of\s+information|foi\b|foisa\b|environmental\s+information))(?:[A-Z][\w']*\s+(?:of\s+|and\s+)?){1,7}Act\b"
    r"|^[\s,]*(?:of\s+)?(?:PACE|MDA|CJPOA|RIPA|IPA|DPA|GDPR|EIR|PoFA)\b",
)
# The next number of a list after "sections 23(5), 24(2) and 31(3)" or "Sections 24(1) - National
# security and 31(1)(a)": a bare number counts only after the plural "sections".
_LIST_ITEM = re.compile(
    r"(?:\s*[-–—]\s*[A-Za-z][A-Za-z ']{0,40}?)?(?:\s*,\s*(?:and\s+)?|\s+(?:and|&|or)\s+)"
    r"(\d{1,2})((?:\s?\(\s?[0-9a-zA-Z]{1,4}\s?\))*)(?![\d.,%/:]\d|\s?(?:pm|am|hours|%))"
)
_OTHER_ACT_BEFORE = re.compile(r"\b(?:PACE|MDA|CJPOA|RIPA|IPA|DPA|TA|PoFA)\s*$")
_ROMAN = {"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"}
_GROUP = re.compile(r"\(\s?([0-9a-zA-Z]{1,4})\s?\)")


def _letter_run(groups: list[str]) -> int:
    """How many groups at the end are consecutive single letters: ['1', 'a', 'b', 'c'] -> 3."""
    run = 0
    while run < len(groups) and len(groups[-run - 1]) == 1 and groups[-run - 1].isalpha():
        if run and ord(groups[-run - 1].lower()) + 1 != ord(groups[-run].lower()):
            break
        run += 1
    return run


def _format_groups(groups: list[str]) -> str:
    return "".join(f"({g.lower() if g.isalpha() else g})" for g in groups)


def _expand(section: str, groups: list[str], alternatives: list[str], law: str = "foia") -> list[str]:
    """'40', ['2'], ['3'] -> s40(2), s40(3); '31', ['1','a','b','c'] -> s31(1)(a), s31(1)(b), s31(1)(c)."""
    results: list[list[str]] = [groups]
    run = _letter_run(groups)
    if run > 1:
        # "(1)(a)(b)(c)": paragraphs (a), (b) and (c) of subsection (1), each cited.
        results = [[*groups[:-run], letter] for letter in groups[-run:]]
    for alternative in alternatives:
        # "(2)&(3)" names another subsection; "(a) and (b)" another paragraph of the same one;
        # "(b)(i) and (ii)" another sub-paragraph, but "(b)(i) and (c)" another paragraph.
        if alternative[0].isdigit():
            results.append([alternative])
        elif len(groups) >= 2 and groups[-1].lower() in _ROMAN and alternative.lower() not in _ROMAN:
            results.append([*groups[:-2], alternative])
        else:
            results.append([*groups[:-1], alternative])
    if section == "40" and law == "foia":
        # Section 40's paragraphs and subsections 3A/3B/4A are conditions of the exemption, not
        # separate exemptions: people cite and search for s40(2) and s40(3).
        results = [parts[:1] for parts in results if not (parts and not parts[0].isdigit())]
    return [f"s{section}{_format_groups(parts)}" for parts in results]


def detect_law(text: str) -> str:
    """'foisa' when the text answers under the Scottish Act, else 'foia'."""
    return "foisa" if _SCOTTISH.search(text) else "foia"


@dataclass(frozen=True)
class Exemptions:
    """Exemptions a response cites, and those it only quotes (named in the Act's text or ICO guidance
    it reproduces, or given as an example) and never cites; each normalised, in order, no repeats."""

    cited: list[str]
    quoted: list[str]


def parse_exemptions(text: str, law: str | None = None) -> list[str]:
    """Exemptions and exceptions cited in ``text``, normalised, in order of citation, no repeats.

    FOIA 2000 sections as ``s31(1)(a)``; the Scottish Act's as ``FOISA s38(1)(b)``; Environmental
    Information Regulations exceptions as ``EIR 12(5)(b)`` (England and Wales) or ``EISR 10(5)(b)``
    (Scotland). ``law`` is 'foia' or 'foisa'; by default it is read from the text. Sections named
    only in quoted statute or guidance are left out (see ``read_exemptions``).
    """
    return read_exemptions(text, law).cited


def read_exemptions(text: str, law: str | None = None) -> Exemptions:
    """The exemptions ``text`` cites and, apart, those it only quotes.

    A section counts as quoted where it stands in quotation marks, in a passage introduced as the
    ICO's or the Act's words ("The ICO advises:", "guidance ... states"), as the subject of a sentence
    explaining the Act ("Section 40(2) of the Act provides that ..."), in the Act's own wording
    ("... is exempt information if ...") or after "for example"/"such as". Everywhere else,
    including headings ("Section 31 - Law Enforcement") and lists of exemptions, it is cited.
    """
    law = law or detect_law(text)
    spans = quoted_spans(text)
    cited: list[str] = []
    quoted: list[str] = []
    for start, exemption in sorted(_sections(text, law) + _regulations(text, law), key=lambda p: p[0]):
        chosen = quoted if inside(spans, start) or is_example(text, start) else cited
        if exemption not in chosen:
            chosen.append(exemption)
    cited = _drop_prefixes(cited)
    quoted = [q for q in _drop_prefixes(quoted) if not any(c == q or c.startswith(q + "(") for c in cited)]
    return Exemptions(cited, quoted)


def _sections(text: str, law: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    sections = _FOISA_SECTIONS if law == "foisa" else _EXEMPT_SECTIONS
    prefix = "FOISA " if law == "foisa" else ""
    for match in _SECTION.finditer(text):
        cited = [(match.start(), match.group(1), match.group(2), match.group(3))]
        end = match.end()
        plural = match.group(0).lower().startswith("sections")
        while (item := _LIST_ITEM.match(text, end)) and (plural or item.group(2)):
            cited.append((item.start(1), item.group(1), item.group(2), ""))
            end = item.end()
        if _OTHER_ACT_AFTER.search(text[end : end + 80]) or _OTHER_ACT_BEFORE.search(
            text[max(0, match.start() - 12) : match.start()]
        ):
            continue
        for start, number, subsections, alternatives in cited:
            if int(number) in sections:
                exemptions = _expand(
                    number, _GROUP.findall(subsections or ""), _GROUP.findall(alternatives or ""), law
                )
                found.extend((start, prefix + e) for e in exemptions)
    return found


def _regulations(text: str, law: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for match in _REGULATION.finditer(text):
        number = int(match.group(1))
        groups = _GROUP.findall(match.group(2) or "")
        if law == "foisa" and number in (10, 11):
            found.append((match.start(), f"EISR {number}{_format_groups(groups)}"))
        elif law != "foisa" and number in (12, 13):
            found.append((match.start(), f"EIR {number}{_format_groups(groups)}"))
    return found


def _drop_prefixes(exemptions: list[str]) -> list[str]:
    """'s31' adds nothing when 's31(1)(a)' is also cited."""
    return [e for e in exemptions if not any(o != e and o.startswith(e + "(") for o in exemptions)]
