"""Where a search's words appear in a response: a short passage with the matches marked.

Found in Python, on the stored text, so SQLite and PostgreSQL give the same snippet. A passage is
a list of (text, matched) parts; whoever renders it escapes the text (the web pages, the feeds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.search import Term, TextQuery

WINDOW = 240  # characters of context a snippet shows around its first match


@dataclass(frozen=True)
class Snippet:
    where: str  # "title", "request", "response", "attachment <name>"
    parts: list[tuple[str, bool]]

    @property
    def text(self) -> str:
        return "".join(part for part, _ in self.parts)


def _pattern(term: Term) -> str:
    if len(term.words) > 1:
        return r"\b" + r"[\W_]+".join(re.escape(w) for w in term.words) + r"\b"
    if term.prefix:
        return r"\b" + re.escape(term.words[0]) + r"\w*"
    return r"\b(?:" + "|".join(re.escape(form) for form in term.variants()) + r")\b"


def query_pattern(query: TextQuery) -> re.Pattern[str]:
    return re.compile("|".join(_pattern(term) for term in query.terms()), re.IGNORECASE)


def find_snippet(texts: list[tuple[str, str]], query: TextQuery | None) -> Snippet | None:
    """The first passage, in reading order, where any of the query's words appear."""
    if query is None:
        return None
    pattern = query_pattern(query)
    for where, text in texts:
        first = pattern.search(text)
        if first is None:
            continue
        start = max(0, first.start() - WINDOW // 3)
        end = min(len(text), start + WINDOW)
        # widen to whole words
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        while end < len(text) and not text[end].isspace():
            end += 1
        return Snippet(where, _marked(text[start:end], pattern, start > 0, end < len(text)))
    return None


def _marked(
    passage: str, pattern: re.Pattern[str], cut_before: bool, cut_after: bool
) -> list[tuple[str, bool]]:
    passage = " ".join(passage.split())
    parts: list[tuple[str, bool]] = [("…", False)] if cut_before else []
    position = 0
    for match in pattern.finditer(passage):
        if match.start() > position:
            parts.append((passage[position : match.start()], False))
        parts.append((match.group(0), True))
        position = match.end()
    if position < len(passage):
        parts.append((passage[position:], False))
    if cut_after:
        parts.append(("…", False))
    return parts
