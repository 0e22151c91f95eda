"""Where an FOI letter quotes rather than speaks: statute text, ICO guidance and other quoted words.

A letter that refuses under section 31(1) often reproduces the Act or the ICO's guidance to explain
the exemption ("The ICO advises: ... section 31(1)(a) can protect ...", "Section 40(2) of the Act
provides that ..."). Sections named there are explained, not applied to the request. ``quoted_spans``
gives the character ranges of such passages so that callers can tell the two apart.
"""

from __future__ import annotations

import re

_ACT = (
    r"(?:the\s+)?(?:Act|FOIA|FOI\s+Act|FOISA|EIRs?|Freedom\s+of\s+Information(?:\s+\(Scotland\))?\s+Act"
    r"(?:\s+\(?\d{4}\)?)?)"
)
# "Section 31(1)(a) of the Act states", "Section 12(1) removes the obligation": the Act explained.
_STATUTE_SUBJECT = re.compile(
    r"\b(?:sections?|s\.?|regulations?)\s?\d{1,2}(?:\s?\(\w{1,4}\))*(?:\s?(?:and|&)\s?\(\w{1,4}\))*"
    r"(?:\s+of\s+" + _ACT + r")?"
    r"\s+(?:states|says|provides|reads|recognises|requires|removes|exempts|allows|enables|sets\s+out"
    r"|places|means|defines|will\s+cover|covers|protects|gives|can\s+be\s+(?:claimed|used|applied)"
    r"|could\s+(?:also\s+)?be\s+used|is\s+designed|applies\s+to\s+information\s+which)\b",
    re.I,
)
# Someone else's words introduced: "The ICO advises:", "Guidance from the Information Commissioner's
# Office states", "the Act says".
_LEAD_IN = re.compile(
    r"\b(?:(?:ICO|Information\s+Commissioner(?:'?s)?(?:\s+Office)?|Commissioner)(?:\s*\(ICO\))?(?:'?s)?"
    r"(?:\s+(?:guidance|advice|website))?|guidance(?:\s+(?:from|issued\s+by)\s+the\s+[\w'’ ]{3,45}?)?"
    r"|the\s+(?:Act|legislation|exemption)|FOIA)\s+(?:advises|states|says|explains|provides|reads)\b",
    re.I,
)
# Words that apply an exemption: a sentence holding them before the section cites it.
_CITING = re.compile(
    r"exempt|\bunder\b|\brel(?:y|ying|ied)\b|appl(?:y|ied|ying)|withh|refus|engaged|virtue", re.I
)
# The Act's own wording, as a letter never words its own decision.
_STATUTE_WORDING = re.compile(
    r"exempt\s+information\s+if|information\s+which\s+is\s+not\s+exempt\s+information", re.I
)
_EXAMPLE = re.compile(r"\b(?:for\s+example|for\s+instance|such\s+as|e\.g\.)[\s,:]*$", re.I)
# Quotation marks round at least a few words; a straight quote opens only where a word cannot end.
_QUOTED = re.compile(
    r"“[^”]{20,1500}”|‘[^’]{20,1500}’"
    r"|(?<![\w\"])\"(?=\S)[^\"\n]{20,1500}(?<=\S)\"(?![\w\"])|(?<![\w'])'(?=[A-Z(])[^'\n]{20,1500}'(?![\w'])"
)
# Where quoted statute wording starts inside a sentence: after an opening quote, a colon or a dash.
_QUOTE_OPENING = re.compile(r"[\"“‘:—]|(?<!\w)'")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")
_CONTINUATION = re.compile(r"\s*(?:\(?[a-z0-9]{1,3}\)|[a-z])")


def _sentence_end(text: str, start: int) -> int:
    found = _SENTENCE_END.search(text, start)
    return found.end() if found else len(text)


def _sentence_start(text: str, end: int) -> int:
    return max(text.rfind(".", 0, end), text.rfind("\n", 0, end)) + 1


def _block_end(text: str, start: int) -> int:
    """End of the passage a lead-in ending in a colon introduces: its first paragraph, with any
    following lines that continue it (statute subsections "(a) ...", lower-case continuations)."""
    position = start + len(text[start:]) - len(text[start:].lstrip())
    end = text.find("\n", position)
    while end != -1 and _CONTINUATION.match(text, end + 1) and text[end + 1 : end + 2].strip():
        end = text.find("\n", end + 1)
    return len(text) if end == -1 else end


def _introduced(text: str, start: int, end: int) -> tuple[int, int]:
    """The span a lead-in at ``start:end`` quotes: the rest of its sentence, or the passage after
    a colon."""
    tail = _sentence_end(text, end)
    colon = text.find(":", end, tail)
    if colon != -1 and re.fullmatch(r"[\s,]*(?:that)?\s*", text[end:colon]):
        return start, _block_end(text, colon + 1)
    return start, tail


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of ``text`` that quote or paraphrase the Act, ICO guidance or anyone else."""
    spans = [m.span() for m in _QUOTED.finditer(text)]
    for match in _STATUTE_SUBJECT.finditer(text):
        if not _CITING.search(text, _sentence_start(text, match.start()), match.start()):
            spans.append(_introduced(text, match.start(), match.end()))
    spans.extend(_introduced(text, m.start(), m.end()) for m in _LEAD_IN.finditer(text))
    for match in _STATUTE_WORDING.finditer(text):
        start = _sentence_start(text, match.start())
        openings = [m.end() for m in _QUOTE_OPENING.finditer(text, start, match.start())]
        spans.append((openings[-1] if openings else start, _sentence_end(text, match.end())))
    return sorted(spans)


def is_example(text: str, start: int) -> bool:
    """True when the words just before ``start`` offer what follows as an example ("such as")."""
    return bool(_EXAMPLE.search(text[max(0, start - 20) : start]))


def inside(spans: list[tuple[int, int]], position: int) -> bool:
    """True when ``position`` falls in one of ``spans``."""
    return any(start <= position < end for start, end in spans)
