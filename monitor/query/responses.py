"""One response in full (every field, verdicts, facts, attachments, versions), its diffs, and an
authority's record over time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from monitor.changes.versions import VersionDiff, diff_versions, versions_to_compare
from storage.archive import copies_for_response
from storage.models import ResponseFacts, ResponseVersion
from storage.responses import get_response

from .search import Filters, QueryError, ResponseSummary, check_filters, search_responses, summaries


@dataclass(frozen=True)
class AttachmentInfo:
    name: str
    url: str
    content_type: str | None
    size: int | None
    text: str | None
    error: str | None


@dataclass(frozen=True)
class VerdictInfo:
    topic: str
    matched: bool
    score: float
    terms: list[str]
    snippets: list[str]


@dataclass(frozen=True)
class CopyInfo:
    """An archived copy of a version's page or of one of its attachments (the evidence archive)."""

    id: int
    kind: str  # "page" or "attachment"
    url: str
    fetched_at: datetime
    sha256: str


@dataclass(frozen=True)
class VersionInfo:
    number: int
    id: int
    first_seen: datetime
    last_seen: datetime
    title: str
    content_hash: str
    copies: list[CopyInfo] = field(default_factory=list)


@dataclass(frozen=True)
class ResponseDetail:
    summary: ResponseSummary
    request_text: str
    response_text: str
    attachments: list[AttachmentInfo]
    verdicts: list[VerdictInfo]
    versions: list[VersionInfo]
    facts: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.summary.to_json(),
            "request": self.request_text,
            "response": self.response_text,
            "facts": self.facts,
            "verdicts": [v.__dict__ for v in self.verdicts],
            "attachments": [
                {
                    "name": a.name,
                    "url": a.url,
                    "content_type": a.content_type,
                    "size": a.size,
                    "text_extracted": a.text is not None,
                    "error": a.error,
                }
                for a in self.attachments
            ],
            "versions": [
                {
                    "number": v.number,
                    "first_seen": v.first_seen.isoformat(),
                    "last_seen": v.last_seen.isoformat(),
                    "title": v.title,
                    "content_hash": v.content_hash,
                    "archived": [
                        {"id": c.id, "kind": c.kind, "url": c.url, "fetched_at": c.fetched_at.isoformat()}
                        for c in v.copies
                    ],
                }
                for v in self.versions
            ],
        }


def response_detail(session: Session, response_id: int) -> ResponseDetail | None:
    """Everything stored about one response, from its current version; None when there is none."""
    response = get_response(session, response_id)
    if response is None or not response.versions:
        return None
    items = summaries(session, [response_id])
    if not items:
        return None
    current = response.versions[-1]
    copies = {
        version_id: [
            CopyInfo(c.id, "page" if c.attachment_id is None else "attachment", c.url, c.fetched_at, c.sha256)
            for c in rows
        ]
        for version_id, rows in copies_for_response(session, response_id).items()
    }
    latest: dict[str, Any] = {}
    for match in sorted(current.topic_matches, key=lambda m: m.id):
        latest[match.topic] = match
    return ResponseDetail(
        summary=items[0],
        request_text=current.request_text or "",
        response_text=current.response_text or "",
        attachments=[
            AttachmentInfo(a.name or "", a.url, a.content_type, a.size, a.text, a.error)
            for a in current.attachments
        ],
        verdicts=[
            VerdictInfo(m.topic, m.matched, m.score, [str(t) for t in m.terms], [str(s) for s in m.snippets])
            for m in latest.values()
        ],
        versions=[
            VersionInfo(
                number, v.id, v.first_seen, v.last_seen, v.title, v.content_hash, copies.get(v.id, [])
            )
            for number, v in enumerate(response.versions, start=1)
        ],
        facts=items[0].facts,
    )


@dataclass(frozen=True)
class Comparison:
    authority: str
    old: VersionInfo
    new: VersionInfo
    diff: VersionDiff
    # both texts whole, line by line, for a side-by-side view
    sides: dict[str, tuple[list[str], list[str]]]


def compare_versions(
    session: Session, response_id: int, first: int | None = None, second: int | None = None
) -> Comparison:
    """What changed between versions ``first`` and ``second`` (numbered from 1; default the last two).

    Raises ``QueryError`` when the response or a version does not exist, or there is one version.
    """
    response = get_response(session, response_id)
    if response is None:
        raise QueryError(f"no response with id {response_id}")
    numbers = (first, second) if first is not None and second is not None else ()
    try:
        first, second = versions_to_compare(response_id, len(response.versions), numbers)
    except ValueError as exc:
        raise QueryError(str(exc)) from None
    old, new = response.versions[first - 1], response.versions[second - 1]
    sides = {
        "request": ((old.request_text or "").splitlines(), (new.request_text or "").splitlines()),
        "response": ((old.response_text or "").splitlines(), (new.response_text or "").splitlines()),
    }
    return Comparison(
        new.authority,
        VersionInfo(first, old.id, old.first_seen, old.last_seen, old.title, old.content_hash),
        VersionInfo(second, new.id, new.first_seen, new.last_seen, new.title, new.content_hash),
        diff_versions(old, new),
        sides,
    )


@dataclass(frozen=True)
class FactsEntry:
    """What one response of an authority said, for its record over time."""

    response_id: int
    title: str
    published: date | None
    vendors: list[str]
    camera_counts: list[dict[str, Any]]
    money: list[dict[str, Any]]


@dataclass(frozen=True)
class AuthorityOverview:
    name: str
    total: int
    sources: list[str]
    recent: list[ResponseSummary]
    facts: list[FactsEntry]


def authority_overview(session: Session, name: str, recent: int = 50) -> AuthorityOverview:
    """An authority's latest responses and the facts its responses stated, oldest first.

    Raises ``UnknownValue`` (with suggestions) for an authority foiwatch holds nothing from.
    """
    filters = check_filters(session, Filters(authority=name))
    assert filters.authority is not None
    page = search_responses(session, filters, per_page=recent, sort="newest")
    rows = session.execute(
        select(ResponseVersion)
        .join(ResponseFacts, ResponseFacts.version_id == ResponseVersion.id)
        .where(ResponseVersion.authority == filters.authority)
        .options(selectinload(ResponseVersion.facts))
        .order_by(ResponseVersion.published.asc().nulls_last(), ResponseVersion.id)
    ).scalars()
    by_response: dict[int, FactsEntry] = {}
    for version in rows:
        facts = version.facts.facts if version.facts else {}
        if not (facts.get("vendors") or facts.get("camera_counts") or facts.get("money")):
            continue
        # the latest version's facts stand for the response
        by_response[version.response_id] = FactsEntry(
            version.response_id,
            version.title,
            version.published,
            list(facts.get("vendors") or []),
            list(facts.get("camera_counts") or []),
            list(facts.get("money") or []),
        )
    entries = sorted(by_response.values(), key=lambda e: (e.published or date.max, e.response_id))
    sources = sorted({item.source for item in page.items})
    return AuthorityOverview(filters.authority, page.total, sources, page.items, entries)
