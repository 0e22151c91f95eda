"""Topic classification by weighted terms, with the evidence for each verdict.

Every term found adds evidence (combined as a noisy-OR, so two weak terms count less than one
strong one); exclusion phrases ("speed camera", "IMSI catcher") scale the score down. Matches of a
longer term claim their text, so "body worn cameras" is not also counted as "cameras".
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property

from monitor.config import TopicConfig

# Bump when the scoring code changes; the topic's configuration hash is added to it.
CODE_VERSION = "terms-1"
SNIPPET_CHARS = 160


@dataclass(frozen=True)
class Verdict:
    topic: str
    matched: bool
    score: float
    terms: list[str] = field(default_factory=list)
    snippets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Hit:
    term: str
    weight: float
    start: int
    end: int


def _pattern(term: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in re.split(r"[\s\-]+", term.strip()) if word]
    return re.compile(r"(?<![\w])" + r"[\s\-]+".join(words) + r"(?![\w])", re.IGNORECASE)


def _snippet(text: str, start: int, end: int) -> str:
    half = max((SNIPPET_CHARS - (end - start)) // 2, 20)
    left, right = max(0, start - half), min(len(text), end + half)
    piece = " ".join(text[left:right].split())
    return ("…" if left > 0 else "") + piece + ("…" if right < len(text) else "")


class TopicClassifier:
    """Scores a response's title, request and response text for one topic."""

    def __init__(self, name: str, topic: TopicConfig) -> None:
        self.name, self.topic = name, topic
        weighted = dict(topic.terms)
        for vendor in topic.vendors:
            weighted.setdefault(vendor.lower(), topic.vendor_weight)
        # Longest first, so a phrase claims its words before its parts do.
        self._terms = sorted(((t, w, _pattern(t)) for t, w in weighted.items()), key=lambda x: -len(x[0]))
        self._exclusions = [(t, w, _pattern(t)) for t, w in topic.exclusions.items()]

    @cached_property
    def version(self) -> str:
        digest = hashlib.sha256(json.dumps(self.topic.model_dump(), sort_keys=True).encode()).hexdigest()
        return f"{CODE_VERSION}:{digest[:12]}"

    def _hits(self, text: str) -> list[_Hit]:
        claimed: list[tuple[int, int]] = []
        hits: list[_Hit] = []
        for term, weight, pattern in self._terms:
            for match in pattern.finditer(text):
                if any(match.start() < e and s < match.end() for s, e in claimed):
                    continue
                claimed.append((match.start(), match.end()))
                hits.append(_Hit(term, weight, match.start(), match.end()))
        return hits

    def classify(self, title: str = "", request: str = "", response: str = "") -> Verdict:
        text = "\n".join(part for part in (title, request, response) if part)
        hits = self._hits(text)
        strongest: dict[str, _Hit] = {}
        for hit in hits:
            strongest.setdefault(hit.term, hit)
        remaining = 1.0
        for term, hit in strongest.items():
            repeats = sum(1 for h in hits if h.term == term)
            weight = min(0.95, hit.weight * (1 + 0.15 * min(repeats - 1, 4)))
            remaining *= 1 - weight
        score = 1 - remaining
        for _term, weight, pattern in self._exclusions:
            if pattern.search(text):
                score *= 1 - weight
        ranked = sorted(strongest.values(), key=lambda h: (-h.weight, h.start))
        snippets: list[str] = []
        covered: list[tuple[int, int]] = []
        for hit in ranked:
            if len(snippets) == 2:
                break
            if any(s <= hit.start < e for s, e in covered):
                continue  # already shown in the previous snippet
            snippets.append(_snippet(text, hit.start, hit.end))
            covered.append((hit.start - SNIPPET_CHARS, hit.end + SNIPPET_CHARS))
        return Verdict(
            topic=self.name,
            matched=score >= self.topic.threshold,
            score=round(score, 4),
            terms=[hit.term for hit in ranked],
            snippets=snippets,
        )


def build_classifiers(topics: dict[str, TopicConfig]) -> dict[str, TopicClassifier]:
    return {name: TopicClassifier(name, topic) for name, topic in topics.items()}
