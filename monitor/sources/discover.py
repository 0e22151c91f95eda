"""``foiwatch sources discover``: candidate sources from WhatDoTheyKnow's ``all-authorities.csv``.

Its "Disclosure log" column is a ready list of disclosure-log addresses. Each is placed on a
platform by the shape of its URL, with a confidence, and written as YAML for an operator to review
(entries come out disabled). URLs that fit no platform are listed, not guessed at.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml


@dataclass(frozen=True)
class Candidate:
    id: str
    platform: str
    authority: str
    url: str
    confidence: float
    why: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Unplaced:
    authority: str
    url: str
    reason: str


@dataclass
class Discovery:
    candidates: list[Candidate] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    rows_without_log: int = 0


@dataclass(frozen=True)
class _Rule:
    pattern: str
    platform: str
    confidence: float
    why: str


# First match wins, most specific first.
_RULES = [
    _Rule(
        r"^https?://(www\.)?[\w-]+\.police\.uk/foi-ai/",
        "police_soh",
        0.95,
        "police Single Online Home address (/foi-ai/)",
    ),
    _Rule(r"^https?://[\w.-]*portal\.icasework\.com/", "icasework", 0.9, "Civica iCasework portal"),
    _Rule(r"^https?://(www\.)?whatdotheyknow\.com/", "alaveteli", 0.9, "WhatDoTheyKnow (Alaveteli)"),
    _Rule(r"^https?://(www\.)?gov\.uk/", "govuk", 0.7, "GOV.UK page (FOI releases via the search API)"),
    _Rule(
        r"\.(csv|xlsx)(\?|$)|/resource/[\w-]{9}\.(csv|json)|socrata",
        "data_file",
        0.7,
        "a data file (CSV/XLSX) log",
    ),
    _Rule(r"(\.rss|\.atom|/feed/?|/rss/?)(\?|$)", "feed", 0.6, "an RSS/Atom feed"),
    _Rule(
        r"ons\.gov\.uk/aboutus/transparencyandgovernance/freedomofinformationfoi",
        "page_per_response",
        0.85,
        "ONS published FOI requests (You asked / We said)",
    ),
    _Rule(
        r"tfl\.gov\.uk/corporate/transparency/freedom-of-information",
        "page_per_response",
        0.8,
        "TfL FOI pages (You asked / We answered)",
    ),
    _Rule(
        r"nationalarchives\.gov\.uk/.*(freedom-of-information|foi)",
        "page_per_response",
        0.75,
        "The National Archives FOI pages",
    ),
    _Rule(
        r"(disclosure|foi|freedom-of-information|freedomofinformation|information-requests)",
        "html_log",
        0.4,
        "a council-style disclosure-log page: needs a link pattern checked by hand",
    ),
]
_COMPILED = [(re.compile(rule.pattern, re.I), rule) for rule in _RULES]
_NOT_A_LOG = re.compile(r"\.(pdf|docx?)(\?|$)|^mailto:", re.I)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:90] or "source"


def place(url: str) -> tuple[str, float, str] | None:
    """(platform, confidence, why) for a disclosure-log URL, or None if no platform fits."""
    for pattern, rule in _COMPILED:
        if pattern.search(url):
            return rule.platform, rule.confidence, rule.why
    return None


def _options_for(platform: str, url: str) -> dict[str, Any]:
    if platform in ("html_log", "page_per_response"):
        path = urlsplit(url).path.rstrip("/")
        return {"link_pattern": re.escape(path) + r"/.+"}
    if platform == "data_file":
        # The usual column names; check them against the file's header before enabling.
        return {
            "columns": {
                "reference": "Reference",
                "title": "Title",
                "request": "Request",
                "response": "Response",
            }
        }
    return {}


def discover(rows: Iterable[dict[str, str]]) -> Discovery:
    """Place each authority's disclosure log; rows without one are only counted."""
    found = Discovery()
    seen_ids: set[str] = set()
    for row in rows:
        url = (row.get("Disclosure log") or "").strip()
        authority = (row.get("Name") or "").strip()
        if not url:
            found.rows_without_log += 1
            continue
        if not re.match(r"^https?://", url) or _NOT_A_LOG.search(url):
            found.unplaced.append(Unplaced(authority, url, "not a web page address"))
            continue
        placed = place(url)
        if placed is None:
            found.unplaced.append(Unplaced(authority, url, "no platform recognises this address"))
            continue
        platform, confidence, why = placed
        base = _slug(row.get("URL name") or authority)
        source_id, n = base, 2
        while source_id in seen_ids:
            source_id, n = f"{base}-{n}", n + 1
        seen_ids.add(source_id)
        found.candidates.append(
            Candidate(source_id, platform, authority, url, confidence, why, _options_for(platform, url))
        )
    return found


def read_authorities(path: Path) -> list[dict[str, str]]:
    """Rows of an ``all-authorities.csv`` (UTF-8, with or without a byte-order mark)."""
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "Disclosure log" not in reader.fieldnames:
        raise ValueError(f"{path}: no 'Disclosure log' column; is this WhatDoTheyKnow's all-authorities.csv?")
    return list(reader)


def render_yaml(found: Discovery) -> str:
    """Candidates as a ``sources:`` YAML list (disabled, for review), unplaced URLs as comments."""
    out = [
        "# Candidate sources discovered from all-authorities.csv. Review each, then set enabled: true.",
        "sources:",
    ]
    for c in sorted(found.candidates, key=lambda c: (-c.confidence, c.id)):
        entry: dict[str, Any] = {
            "id": c.id,
            "platform": c.platform,
            "authority": c.authority,
            "url": c.url,
            "enabled": False,
        }
        if c.options:
            entry["options"] = c.options
        out.append(f"  # confidence {c.confidence:.2f}: {c.why}")
        block = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, width=200)
        out.extend("  " + line for line in block.rstrip().splitlines())
    out.append(f"# {len(found.unplaced)} disclosure-log URLs could not be placed:")
    out.extend(f"#   {u.authority}: {u.url} ({u.reason})" for u in found.unplaced)
    out.append(f"# {found.rows_without_log} authorities list no disclosure log.")
    return "\n".join(out) + "\n"
