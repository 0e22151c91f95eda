"""Topic classification by weighted terms, with the evidence for each verdict and a one-line reason.

Every term found adds evidence (combined as a noisy-OR, so two weak terms count less than one
strong one); exclusion phrases ("speed camera", "IMSI catcher") scale the score down. Matches of a
longer term claim their text, so "body worn cameras" is not also counted as "cameras".

Two checks keep a word from counting when the text is not about the topic:

- *other senses*: a term in a sentence with a cue word means something else ("CCTV survey of the
  drainage system" is pipe inspection), so that match is set aside;
- *passing mentions*: when no term is in the title or the request's opening sentence, the text is long
  and the mentions sit in a small share of its sentences (one item in a list of services, a licence
  condition among twenty), the score is scaled down.

And one raises a weak word when its company shows the topic's meaning: *contexts* (in topics.yaml),
such as "cameras" in a sentence about the ULEZ (number-plate cameras) or "video evidence" of driving
offences (dash-cam footage sent in by the public).
"""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_left, insort
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from monitor.config import TopicConfig
from monitor.term_match import TermPattern, Text, sentence_breaks

# Bump when the scoring code changes; the topic's configuration hash is added to it.
CODE_VERSION = "terms-3"
SNIPPET_CHARS = 160


@dataclass(frozen=True)
class ContextRule:
    """A topic's ``contexts`` entry: weak ``terms`` that count at ``weight`` beside one of ``cues``."""

    meaning: str  # completes "“cameras” here means ..." in the reason
    terms: frozenset[str]
    cues: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class Verdict:
    topic: str
    matched: bool
    score: float
    terms: list[str] = field(default_factory=list)
    snippets: list[str] = field(default_factory=list)
    reason: str = ""  # one line for people: why the text did or did not match


@dataclass(frozen=True)
class _Hit:
    term: str
    weight: float
    start: int
    end: int
    context: str = ""  # the context rule's meaning, when one raised the weight


@dataclass(frozen=True)
class _Prominence:
    """Where a topic's mentions sit in a text."""

    in_title: bool
    in_opening: bool  # in the request's opening sentence
    mentions: int
    text: Text
    starts: list[int]  # of the mentions

    # Counted only when needed: most texts are judged before the passing test asks for them.
    @property
    def words(self) -> int:
        return self.text.words

    @property
    def share(self) -> float:
        """The share of the text's sentences that hold a mention."""
        sentences = len(self.text.sentences)
        return len({self.text.sentence_of(start) for start in self.starts}) / sentences if sentences else 0.0


@dataclass(frozen=True)
class _Evidence:
    """The matches that count, those set aside as another sense or raised by their context, and where
    the counted ones sit."""

    hits: list[_Hit]
    set_aside: dict[str, list[_Hit]]
    raised: dict[str, list[_Hit]]
    prominence: _Prominence
    passing: bool
    lowered_by: list[str]


def _snippet(text: str, start: int, end: int) -> str:
    half = max((SNIPPET_CHARS - (end - start)) // 2, 20)
    left, right = max(0, start - half), min(len(text), end + half)
    piece = " ".join(text[left:right].split())
    return ("…" if left > 0 else "") + piece + ("…" if right < len(text) else "")


def _opening_end(title: str, request: str) -> int:
    """Where the request's opening sentence ends in the classified text (title, request, response)."""
    start = len(title) + 1 if title else 0
    for brk_start, _end in sentence_breaks(request):
        if request[:brk_start].strip():
            return start + brk_start
    return start + len(request)


class TopicClassifier:
    """Scores a response's title, request and response text for one topic."""

    def __init__(self, name: str, topic: TopicConfig) -> None:
        self.name, self.topic = name, topic
        weighted = dict(topic.terms)
        for vendor in topic.vendors:
            weighted.setdefault(vendor.lower(), topic.vendor_weight)
        # Longest first, so a phrase claims its words before its parts do.
        self._terms = sorted(
            ((t, w, TermPattern.of(t)) for t, w in weighted.items()), key=lambda x: -len(x[0])
        )
        self._exclusions = [(t, w, TermPattern.of(t)) for t, w in topic.exclusions.items()]
        # Most texts have none: one search for all of them first.
        self._any_exclusion = TermPattern.any_of(list(topic.exclusions)) if topic.exclusions else None
        # A term's longest word must be in the text for the term to be: a cheap test before the regex.
        self._key_word = {
            t: (max(re.split(r"[\s\-]+", t.lower()), key=len),) for t in [*weighted, *topic.exclusions]
        }
        self._exclusion_words = {t: re.split(r"[\s\-]+", t.lower()) for t in topic.exclusions}
        self._vendors = frozenset(vendor.lower() for vendor in topic.vendors)
        self._senses = [
            (sense_name, {t.lower() for t in sense.terms}, TermPattern.any_of(sense.cues))
            for sense_name, sense in topic.other_senses.items()
        ]
        rules = [
            ContextRule(
                meaning, frozenset(t.lower() for t in c.terms), tuple(q.lower() for q in c.cues), c.weight
            )
            for meaning, c in topic.contexts.items()
        ]
        self._contexts = [(rule, TermPattern.any_of(list(rule.cues))) for rule in rules]

    @cached_property
    def version(self) -> str:
        settings = {"topic": self.topic.model_dump()}
        digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
        return f"{CODE_VERSION}:{digest[:12]}"

    def _hits(self, text: Text) -> list[_Hit]:
        # Claimed spans never overlap, so sorted by start they are sorted by end too.
        claimed_starts: list[int] = []
        claimed_ends: list[int] = []
        hits: list[_Hit] = []
        for term, weight, pattern in self._candidates(text):
            for start, end in pattern.finditer(text):
                before = bisect_left(claimed_starts, end) - 1  # the last claim starting before this ends
                if before >= 0 and claimed_ends[before] > start:
                    continue
                insort(claimed_starts, start)
                insort(claimed_ends, end)
                hits.append(_Hit(term, weight, start, end))
        return sorted(hits, key=lambda h: h.start)

    def _candidates(self, text: Text) -> list[tuple[str, float, TermPattern]]:
        """The terms that may be in the text, longest first: cheap tests before the regexes."""
        # Most terms are out at once, on a set test: a word of theirs is not a word of the text.
        words = text.whole_words if text.lowered_searchable else None
        return [
            (term, weight, pattern)
            for term, weight, pattern in self._terms
            if (words is None or pattern.whole_words <= words) and self._may_be_in(text, term, pattern)
        ]

    def _may_be_in(self, text: Text, term: str, pattern: TermPattern) -> bool:
        """False when the term is surely not in the text: a cheap test before the regex."""
        quick = pattern.may_be_in(text)
        return text.contains_any(self._key_word[term]) if quick is None else quick

    def _other_sense(self, text: Text, hit: _Hit) -> str | None:
        """The name of the other sense this match has in its sentence, if any."""
        for sense_name, terms, cues in self._senses:
            if hit.term in terms and text.holds(cues) and text.holds(cues, text.sentence_of(hit.start)):
                return sense_name
        return None

    def _in_context(self, text: Text, hit: _Hit) -> _Hit:
        """The match, raised to a context rule's weight when its sentence holds one of the rule's cues."""
        rules = [
            (rule, cues)
            for rule, cues in self._contexts
            if hit.term in rule.terms
            and rule.weight > hit.weight
            # Only rules one of whose cues may be in the text: a cheap test before the regex.
            and text.contains_any(rule.cues)
        ]
        if not rules:
            return hit
        for rule, cues in rules:
            if text.holds(cues) and text.holds(cues, text.sentence_of(hit.start)):
                return replace(hit, weight=rule.weight, context=rule.meaning)
        return hit

    def _passing(self, prominence: _Prominence) -> bool:
        rule = self.topic.passing
        return bool(
            rule
            and 0 < prominence.mentions <= rule.max_mentions
            and not prominence.in_title
            and not prominence.in_opening
            and prominence.words >= rule.min_words
            and prominence.share <= rule.max_share
        )

    def classify(self, title: str = "", request: str = "", response: str = "") -> Verdict:
        text = "\n".join(part for part in (title, request, response) if part)
        found = self._evidence(Text(text), len(title), _opening_end(title, request))
        score = self._combined(found.hits)
        for term in found.lowered_by:
            score *= 1 - self.topic.exclusions[term]
        if found.passing and self.topic.passing:
            score *= self.topic.passing.factor
        score = round(score, 4)
        strongest = self._strongest(found.hits)
        return Verdict(
            topic=self.name,
            matched=score >= self.topic.threshold,
            score=score,
            terms=[hit.term for hit in strongest],
            snippets=self._snippets(text, strongest),
            reason=self._reason(found, strongest, score),
        )

    def _evidence(self, text: Text, title_chars: int, opening_end: int) -> _Evidence:
        hits: list[_Hit] = []
        set_aside: dict[str, list[_Hit]] = {}
        raised: dict[str, list[_Hit]] = {}
        lowered = text.lowered
        for hit in self._hits(text):
            sense = self._other_sense(text, hit)
            if sense:
                set_aside.setdefault(sense, []).append(hit)
                continue
            hit = self._in_context(text, hit)
            if hit.context:
                raised.setdefault(hit.context, []).append(hit)
            hits.append(hit)
        prominence = _Prominence(
            in_title=any(h.start < title_chars for h in hits),
            # A request's opening sentence states its subject, as a title does.
            in_opening=any(title_chars <= h.start < opening_end for h in hits),
            mentions=len(hits),
            text=text,
            starts=[h.start for h in hits],
        )
        lowered_by: list[str] = []
        if self._any_exclusion and text.holds(self._any_exclusion):
            lowered_by = [
                term
                for term, _weight, pattern in self._exclusions
                if all(word in lowered for word in self._exclusion_words[term]) and text.holds(pattern)
            ]
        return _Evidence(hits, set_aside, raised, prominence, self._passing(prominence), lowered_by)

    def _combined(self, hits: list[_Hit]) -> float:
        remaining = 1.0
        for term in dict.fromkeys(h.term for h in hits):
            of_term = [h for h in hits if h.term == term]
            weight = max(h.weight for h in of_term)  # a match raised by its context counts for the term
            remaining *= 1 - min(0.95, weight * (1 + 0.15 * min(len(of_term) - 1, 4)))
        return 1 - remaining

    @staticmethod
    def _strongest(hits: list[_Hit]) -> list[_Hit]:
        first: dict[str, _Hit] = {}
        for hit in hits:
            if hit.term not in first or hit.weight > first[hit.term].weight:
                first[hit.term] = hit  # the first match, or one its context raised
        return sorted(first.values(), key=lambda h: (-h.weight, h.start))

    @staticmethod
    def _snippets(text: str, ranked: list[_Hit]) -> list[str]:
        snippets: list[str] = []
        covered: list[tuple[int, int]] = []
        for hit in ranked:
            if len(snippets) == 2:
                break
            if any(s <= hit.start < e for s, e in covered):
                continue  # already shown in the previous snippet
            snippets.append(_snippet(text, hit.start, hit.end))
            covered.append((hit.start - SNIPPET_CHARS, hit.end + SNIPPET_CHARS))
        return snippets

    def _quoted(self, term: str) -> str:
        """A term as people write it: short acronyms (CCTV, ANPR) in capitals, vendor names as is."""
        shown = term.upper() if term.isalpha() and len(term) <= 4 and term not in self._vendors else term
        return f"“{shown}”"

    def _reason(self, found: _Evidence, strongest: list[_Hit], score: float) -> str:
        """One line for people: what was found, where, and why it did or did not count."""
        parts: list[str] = []
        for sense, aside in found.set_aside.items():
            terms = ", ".join(self._quoted(t) for t in dict.fromkeys(h.term for h in aside))
            parts.append(f"{terms} here means {sense}; not counted")
        for meaning, context_hits in found.raised.items():
            raised = list(dict.fromkeys(h.term for h in context_hits))
            verb = "means" if len(raised) == 1 else "mean"
            parts.append(f"{', '.join(self._quoted(t) for t in raised)} here {verb} {meaning}")
        mentions = found.prominence.mentions
        times = "once" if mentions == 1 else f"{mentions} times"
        terms = ", ".join(self._quoted(hit.term) for hit in strongest[:3])
        if found.passing:
            parts.append(
                f"{terms} mentioned {times} in passing in {found.prominence.words:,} words; not counted"
            )
        elif strongest:
            where = "in the title and text" if found.prominence.in_title else "in the text"
            parts.append(f"{terms} {where}, {times}")
        elif not found.set_aside:
            parts.append("no terms of this topic")
        if found.lowered_by:
            parts.append("lowered by " + ", ".join(self._quoted(t) for t in found.lowered_by))
        if strongest and not found.passing and score < self.topic.threshold:
            parts.append(f"too weak ({score:.2f} < {self.topic.threshold})")
        return "; ".join(parts)


def build_classifiers(topics: dict[str, TopicConfig]) -> dict[str, TopicClassifier]:
    return {name: TopicClassifier(name, topic) for name, topic in topics.items()}


def classify_record(classifiers: Mapping[str, TopicClassifier], record: object) -> dict[str, Any]:
    """The verdicts on one record (title, request, response), as ``foiwatch classify`` prints them.

    Raises ``ValueError`` when ``record`` is not an object.
    """
    if not isinstance(record, dict):
        raise ValueError("each line must be a JSON object")
    fields = {k: str(record.get(k) or "") for k in ("title", "request", "response")}
    verdicts = {name: c.classify(**fields) for name, c in classifiers.items()}
    cctv = verdicts.get("cctv")
    return {
        "cctv": bool(cctv and cctv.matched),
        "score": cctv.score if cctv else 0.0,
        "terms": cctv.terms if cctv else [],
        "snippets": cctv.snippets if cctv else [],
        "why": cctv.reason if cctv else "",
        "topics": {
            n: {"matched": v.matched, "score": v.score, "terms": v.terms, "why": v.reason}
            for n, v in verdicts.items()
        },
    }
