"""What a subscriber reads: messages and digests rendered from Jinja2 templates
(``monitor/notify/templates``).

Each message has a plain-text body and an HTML body. Scraped text is escaped in the HTML (the HTML
environment autoescapes) and a scraped URL is a link only if it is a web address (``web_url``); the
text body is sent as text, so markup in it is never interpreted.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined

from monitor.changes.versions import diff_versions
from monitor.classify import Verdict
from storage.models import ResponseVersion

OUTCOME_LABELS = {
    "released": "released in full",
    "partially_released": "partially released",
    "refused": "refused",
    "not_held": "information not held",
    "neither_confirm_nor_deny": "neither confirmed nor denied",
    "withdrawn": "withdrawn",
    "other": "other",
}


@dataclass(frozen=True)
class Rendered:
    title: str
    text: str
    html: str


# What a browser ignores in a URL: tabs and newlines anywhere, control characters and spaces at
# either end. " java\tscript:..." is a script link to it, so the check reads the URL the same way.
_DROPPED_INSIDE = re.compile(r"[\t\n\r]")
_DROPPED_AT_ENDS = "".join(chr(code) for code in range(0x21))
WEB_SCHEMES = ("http", "https")


def web_url(url: str | None) -> str | None:
    """``url`` as a browser reads it if it is an http(s) address with a host; None for anything else.

    Sources are scraped, so a response or attachment URL may be ``javascript:``, ``data:`` or worse;
    only what this returns may go into an ``href``.
    """
    cleaned = _DROPPED_INSIDE.sub("", url or "").strip(_DROPPED_AT_ENDS)
    try:
        parts = urlsplit(cleaned)
    except ValueError:  # e.g. an unclosed "[" in the host: not an address to link to
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.netloc:
        return None
    return cleaned


@cache
def _environment(html: bool) -> Environment:
    environment = Environment(
        loader=PackageLoader("monitor.notify", "templates"),
        autoescape=html,
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=False,
    )
    environment.filters["web_url"] = web_url
    return environment


# how `responses show` says where a stored date came from (storage.records.DATE_SOURCES)
_DATE_SOURCE_NOTES = {
    "page": "printed on the page",
    "listing": "from the listing",
    "url-month": "from the URL's month",
    "first-seen": "first seen by foiwatch",
}


def shown_date(version: ResponseVersion) -> str:
    """A version's date for the CLI, with where it came from: '2023-12-01 (from the URL's month)'."""
    if version.published is None:
        return "-"
    note = _DATE_SOURCE_NOTES.get(version.date_source or "")
    return f"{version.published.isoformat()} ({note})" if note else version.published.isoformat()


def published_words(version: ResponseVersion) -> str | None:
    """A version's date for a message; a derived date says so, since its day is not the publisher's."""
    if version.published is None:
        return None
    if version.date_source == "url-month":
        return f"{version.published:%B %Y} (month from the address)"
    if version.date_source == "first-seen":
        return f"not given (first seen by foiwatch on {version.published:%-d %B %Y})"
    return f"{version.published:%-d %B %Y}"


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _render(name: str, context: dict[str, Any]) -> tuple[str, str]:
    text = _environment(False).get_template(f"{name}.txt.j2").render(context).strip() + "\n"
    html = _environment(True).get_template(f"{name}.html.j2").render(context).strip() + "\n"
    return text, html


def response_context(
    version: ResponseVersion, verdict: Verdict, facts: list[str] | None = None
) -> dict[str, Any]:
    return {
        "authority": version.authority,
        "title": _one_line(version.title),
        "reference": version.response.reference,
        "published": published_words(version),
        "outcome": OUTCOME_LABELS.get(version.outcome or "", "not stated"),
        "exemptions": list(version.exemptions),
        "topic": verdict.topic,
        "score": verdict.score,
        "terms": verdict.terms[:6],
        "why": verdict.reason,
        "snippets": [_one_line(s, 220) for s in verdict.snippets],
        "facts": facts or [],
        "url": version.url,
        # filled for an update by ``changes_context``
        "changed_fields": [],
        "changed_texts": [],
    }


# Changed lines of a text shown in an "updated" message at the most; `foiwatch responses diff` has all.
MESSAGE_DIFF_LINES = 30


def changes_context(previous: ResponseVersion, version: ResponseVersion) -> dict[str, Any]:
    """What changed since the previous version, for an "updated" message: fields as was/now, texts as
    their changed lines (bounded)."""
    diff = diff_versions(previous, version)
    texts = []
    for text in diff.texts:
        lines = text.lines[:MESSAGE_DIFF_LINES]
        more = len(text.lines) - len(lines) + text.cut
        texts.append({"name": text.name, "lines": [line[:300] for line in lines], "more": more})
    fields = [
        {"name": c.name, "was": _one_line(c.was, 200), "now": _one_line(c.now, 200)} for c in diff.fields
    ]
    return {"changed_fields": fields, "changed_texts": texts}


def render_message(
    version: ResponseVersion,
    verdict: Verdict,
    event: str,
    facts: list[str] | None = None,
    previous: ResponseVersion | None = None,
) -> Rendered:
    """One response: authority, title, reference, date, outcome, why it matched, facts, link; for an
    update, what changed since ``previous``."""
    label = "New" if event == "new" else "Updated"
    title = _one_line(
        f"[foiwatch] {label} {verdict.topic.upper()} FOI response: {version.authority}: {version.title}", 200
    )
    context = response_context(version, verdict, facts)
    if previous is not None:
        context.update(changes_context(previous, version))
    text, html = _render("response", context)
    return Rendered(title, text, html)


def render_digest(items: list[dict[str, Any]], cadence: str) -> Rendered:
    """Many responses grouped by topic, then authority. ``items`` are ``response_context`` dicts."""
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for item in items:
        grouped[item["topic"]][item["authority"]].append(item)
    groups = [(topic, sorted(by_authority.items())) for topic, by_authority in sorted(grouped.items())]
    text, html = _render("digest", {"count": len(items), "groups": groups})
    title = f"[foiwatch] {cadence} digest: {len(items)} new FOI response{'s' if len(items) != 1 else ''}"
    return Rendered(title, text, html)
