"""The shape of a response's text for fact extraction: paragraphs, questions and answers, sentences.

Facts are read from answers only. A response often repeats the questions it answers ("Q2 - How many
cameras...?", or the request's own lines); a number or camera type in a question is something asked
about, not something the authority said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def word_table(text: str) -> tuple[str, ...]:
    """The words of a literal, for word tables kept readable on a few lines."""
    return tuple(text.split())


SNIPPET_CHARS = 200
# A line this long without a full stop was wrapped (PDF text); a shorter one is a heading or a label.
WRAPPED = 70

# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = frozenset(word_table("approx c ca no ref est eg ie etc vs st mr mrs dr s"))
# A line ending in one of these stops mid-phrase.
_FUNCTION_WORDS = frozenset(
    word_table("a an the of to in on at by for from with and or as our their its this that")
)
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_CLAUSE_BREAK = re.compile(r"[,;:(]|\b(?:but|however|although|whereas|while)\b", re.I)
_QUESTION_PREFIX = re.compile(r"^\W*(?:Q\s?\d+|Question\s+\d+\s*[:.)\-–])", re.I)
_TRAILING_BRACKET = re.compile(r"\s*\([^()]*\)\s*$")
_END_PUNCTUATION = ".?!:;"


@dataclass(frozen=True)
class Passage:
    """One answer paragraph, with the question it answers when the response or request says."""

    text: str
    question: str | None


def paragraphs(text: str) -> list[str]:
    """Non-empty lines, with hard-wrapped lines (PDF text) joined back into their paragraph."""
    joined: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        if joined and _continues(joined[-1], line):
            joined[-1] += " " + line
        else:
            joined.append(line)
    return joined


def _continues(previous: str, line: str) -> bool:
    """Whether ``line`` goes on with ``previous``: it starts lower case, or ``previous`` stops mid-phrase."""
    if previous[-1] in _END_PUNCTUATION:
        return False
    if line[0].islower() or previous.rsplit(None, 1)[-1].lower() in _FUNCTION_WORDS:
        return True
    return len(previous) >= WRAPPED and (previous[-1].isalnum() or previous[-1] in ",&/-–")


def _key(paragraph: str) -> str:
    return re.sub(r"\W+", " ", paragraph).strip().lower()


def is_question(paragraph: str, asked: set[str] | frozenset[str] = frozenset()) -> bool:
    """A paragraph that asks rather than answers: ends in '?', starts 'Q2 -', or repeats the request."""
    if _QUESTION_PREFIX.match(paragraph):
        return True
    if _TRAILING_BRACKET.sub("", paragraph).rstrip(" \"'”’*").endswith("?"):
        return True
    return len(paragraph) > 20 and _key(paragraph) in asked


def answer_passages(request: str, response: str) -> list[Passage]:
    """The response's answer paragraphs, each with the nearest question before it.

    When the response repeats no question, a request that asks exactly one question lends it to
    every answer ("How many cameras?" answered by "Approximately 4000.").
    """
    asked_paragraphs = paragraphs(request)
    asked = {_key(p) for p in asked_paragraphs if len(p) > 20}
    passages: list[Passage] = []
    question: str | None = None
    for paragraph in paragraphs(response):
        if is_question(paragraph, asked):
            question = paragraph
        else:
            passages.append(Passage(paragraph, question))
    if passages and all(p.question is None for p in passages):
        request_questions = [p for p in asked_paragraphs if is_question(p)]
        if len(request_questions) == 1:
            passages = [Passage(p.text, request_questions[0]) for p in passages]
    return passages


def sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of the sentence holding ``text[start:end]``."""
    left, right = 0, len(text)
    for match in _SENTENCE_END.finditer(text):
        word = re.search(r"(\w+)\W?$", text[max(0, match.start() - 12) : match.start() + 1])
        if word and word.group(1).lower() in _ABBREVIATIONS:
            continue
        if match.end() <= start:
            left = match.end()
        elif match.start() >= end - 1:
            right = match.end()
            break
    return left, right


def sentence_before(text: str, position: int) -> str:
    """The part of the sentence that comes before ``position``."""
    left, _ = sentence_span(text, position, position + 1)
    return text[left:position]


def clause_before(text: str, position: int) -> str:
    """The part of the clause (sentence cut at commas, colons, 'but'...) before ``position``."""
    before = sentence_before(text, position)
    breaks = list(_CLAUSE_BREAK.finditer(before))
    return before[breaks[-1].end() :] if breaks else before


def clause_after(text: str, position: int) -> str:
    """The part of the clause from ``position`` on, up to the next comma, colon, 'but'..."""
    _, right = sentence_span(text, position, position + 1)
    after = text[position:right]
    found = _CLAUSE_BREAK.search(after, 1)
    return after[: found.start()] if found else after


def snippet(text: str, start: int, end: int) -> str:
    """The sentence around ``text[start:end]``, cut to about ``SNIPPET_CHARS`` around the match."""
    left, right = sentence_span(text, start, end)
    half = max((SNIPPET_CHARS - (end - start)) // 2, 30)
    cut_left, cut_right = max(left, start - half), min(right, end + half)
    if cut_left > left:  # cut at a word boundary
        cut_left = text.find(" ", cut_left, start) + 1 or cut_left
    if cut_right < right:
        cut_right = max(text.rfind(" ", end, cut_right), end)
    piece = text[cut_left:cut_right].strip()
    return ("…" if cut_left > left else "") + piece + ("…" if cut_right < right else "")


def strip_brackets(text: str) -> str:
    """Text without its short parenthetical remarks: 'PTZ (pan tilt zoom) units' -> 'PTZ units'."""
    return " ".join(re.sub(r"\([^()]{0,60}\)", " ", text).split())
