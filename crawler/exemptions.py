"""FOI exemptions cited in a response, normalised, telling FOIA 2000 from FOISA and the EIR."""

from __future__ import annotations

import re

# FOIA 2000 exemptions are sections 21-44; s12 (cost) and s14 (vexatious) are refusal grounds
# people search for too. Sections 1, 10 and 17 are duties and procedure, not exemptions.
_EXEMPT_SECTIONS = {12, 14, *range(21, 45)}
# FOISA: s12 (cost), s14 (vexatious), s17 (information not held) and the exemptions in ss25-41.
_FOISA_SECTIONS = {12, 14, 17, *range(25, 42)}
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
_OTHER_ACT_BEFORE = re.compile(r"\b(?:PACE|MDA|CJPOA|RIPA|IPA|DPA|TA|PoFA)\s*$")
_GROUP = re.compile(r"\(\s?([0-9a-zA-Z]{1,4})\s?\)")


def _format_groups(groups: list[str]) -> str:
    return "".join(f"({g.lower() if g.isalpha() else g})" for g in groups)


def _expand(section: str, groups: list[str], alternatives: list[str], law: str = "foia") -> list[str]:
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
    if section == "40" and law == "foia":
        # Section 40's paragraphs and subsections 3A/3B/4A are conditions of the exemption, not
        # separate exemptions: people cite and search for s40(2) and s40(3).
        results = [parts[:1] for parts in results if not (parts and not parts[0].isdigit())]
    return [f"s{section}{_format_groups(parts)}" for parts in results]


def detect_law(text: str) -> str:
    """'foisa' when the text answers under the Scottish Act, else 'foia'."""
    return "foisa" if _SCOTTISH.search(text) else "foia"


def parse_exemptions(text: str, law: str | None = None) -> list[str]:
    """Exemptions and exceptions cited in ``text``, normalised, in order of citation, no repeats.

    FOIA 2000 sections as ``s31(1)(a)``; the Scottish Act's as ``FOISA s38(1)(b)``; Environmental
    Information Regulations exceptions as ``EIR 12(5)(b)`` (England and Wales) or ``EISR 10(5)(b)``
    (Scotland). ``law`` is 'foia' or 'foisa'; by default it is read from the text.
    """
    law = law or detect_law(text)
    found = _sections(text, law) + _regulations(text, law)
    found.sort(key=lambda pair: pair[0])
    ordered: list[str] = []
    for _, exemption in found:
        if exemption not in ordered:
            ordered.append(exemption)
    return _drop_prefixes(ordered)


def _sections(text: str, law: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    sections = _FOISA_SECTIONS if law == "foisa" else _EXEMPT_SECTIONS
    prefix = "FOISA " if law == "foisa" else ""
    for match in _SECTION.finditer(text):
        section = int(match.group(1))
        if section not in sections:
            continue
        if _OTHER_ACT_AFTER.search(text[match.end() : match.end() + 80]) or _OTHER_ACT_BEFORE.search(
            text[max(0, match.start() - 12) : match.start()]
        ):
            continue
        groups = _GROUP.findall(match.group(2) or "")
        alternatives = _GROUP.findall(match.group(3) or "")
        found.extend((match.start(), prefix + e) for e in _expand(str(section), groups, alternatives, law))
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
