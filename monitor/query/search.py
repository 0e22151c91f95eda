"""Finding stored responses: full-text search, filters and pages, for the CLI, web pages, API and feeds.

Everything that lists responses goes through ``search_responses``; none of its callers holds SQL
or filtering of its own. Filters are checked against what is stored, so a mistyped topic, source
or authority is an error with suggestions (``UnknownValue``), never an empty answer that looks
like "nothing new".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from crawler.outcomes import OUTCOMES
from monitor import lookup
from monitor.lookup import closest_names
from storage.models import Attachment, Response, ResponseFacts, ResponseIndex, ResponseVersion, TopicMatch
from storage.search import (
    QueryError,
    TextQuery,
    exemption_sections,
    matched_topics,
    parse_query,
    with_text_match,
)

from .snippets import Snippet, find_snippet

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50
# How much of each text a snippet is looked for in: a page of results must not read megabytes of
# attachment text (a match further in still counts; it just shows no passage).
SNIPPET_SOURCE_CHARS = 100_000
SORTS = ("relevance", "newest", "found")

__all__ = [
    "DEFAULT_PER_PAGE",
    "MAX_PER_PAGE",
    "SORTS",
    "Filters",
    "QueryError",
    "ResponseSummary",
    "SearchPage",
    "UnknownValue",
    "check_filters",
    "search_responses",
]


class UnknownValue(QueryError):
    """A filter names something foiwatch does not hold; ``suggestions`` are the nearest it does."""

    def __init__(self, kind: str, value: str, suggestions: list[str]) -> None:
        self.kind, self.value, self.suggestions = kind, value, suggestions
        hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"no {kind} {value!r}{hint}")


@dataclass(frozen=True)
class Filters:
    """What a search asks for. Empty fields do not filter."""

    q: str = ""
    topic: str | None = None
    authority: str | None = None
    source: str | None = None
    outcome: str | None = None
    exemption: str | None = None
    vendor: str | None = None
    published_from: date | None = None
    published_to: date | None = None
    # responses whose current version was first seen at or after this (new or changed since)
    since: datetime | None = None
    include_withdrawn: bool = True


@dataclass(frozen=True)
class ResponseSummary:
    id: int
    source: str
    authority: str
    reference: str | None
    title: str
    url: str
    published: date | None
    date_source: str | None
    outcome: str | None
    exemptions: list[str]
    topics: list[str]
    vendors: list[str]
    first_seen: datetime
    last_seen: datetime
    updated_at: datetime
    withdrawn_at: datetime | None
    versions: int
    snippet: Snippet | None = None
    # per matched topic: the classifier's snippets (why it matched)
    why: dict[str, list[str]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def to_json(self) -> dict[str, Any]:
        """The API's item: the stable keys other tools rely on, dates as ISO strings."""
        return {
            "id": self.id,
            "source": self.source,
            "authority": self.authority,
            "reference": self.reference,
            "title": self.title,
            "url": self.url,
            "published": self.published.isoformat() if self.published else None,
            "date_source": self.date_source,
            "outcome": self.outcome,
            "exemptions": self.exemptions,
            "topics": self.topics,
            "vendors": self.vendors,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "withdrawn": self.withdrawn,
            "withdrawn_at": self.withdrawn_at.isoformat() if self.withdrawn_at else None,
            "versions": self.versions,
            "snippet": self.snippet.text if self.snippet else None,
            "why": self.why,
        }


@dataclass(frozen=True)
class SearchPage:
    items: list[ResponseSummary]
    total: int
    page: int
    per_page: int

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page * self.per_page < self.total else None

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None


def _suggest(value: str, known: list[str]) -> list[str]:
    return closest_names(value, known)


def known_values(session: Session, column: Any) -> list[str]:
    return [v for v in session.scalars(select(column).distinct().order_by(column)) if v]


def known_topics(session: Session, configured: list[str] | None = None) -> list[str]:
    stored = known_values(session, TopicMatch.topic)
    return sorted(set(stored) | set(configured or []))


def check_filters(session: Session, filters: Filters, topics: list[str] | None = None) -> Filters:
    """``filters`` with names put in their stored spelling; ``UnknownValue`` for what is not stored.

    ``topics``: the configured topic names, known even before anything has matched them.
    """
    if filters.topic:
        known = known_topics(session, topics)
        if filters.topic.lower() not in [k.lower() for k in known]:
            raise UnknownValue("topic", filters.topic, _suggest(filters.topic, known))
        filters = replace(filters, topic=filters.topic.lower())
    if filters.source:
        known = known_values(session, Response.source_id)
        if filters.source not in known:
            raise UnknownValue("source", filters.source, _suggest(filters.source, known))
    if filters.authority:
        known = known_values(session, ResponseIndex.authority)
        exact = [k for k in known if k.lower() == filters.authority.lower()]
        if not exact:
            raise UnknownValue("authority", filters.authority, _suggest(filters.authority, known))
        filters = replace(filters, authority=exact[0])
    if filters.outcome and filters.outcome not in OUTCOMES:
        raise QueryError(f"outcome must be one of {', '.join(OUTCOMES)}, not {filters.outcome!r}")
    if filters.exemption and not exemption_sections([filters.exemption]):
        raise QueryError(
            f"{filters.exemption!r} is not an exemption: give a section such as s31 or 'section 40'"
        )
    if filters.published_from and filters.published_to and filters.published_from > filters.published_to:
        raise QueryError("the date range ends before it starts")
    return filters


def _filtered(statement: Select[Any], filters: Filters) -> Select[Any]:
    if filters.topic:
        statement = statement.where(ResponseIndex.topics.contains(f"|{filters.topic}|", autoescape=True))
    if filters.authority:
        statement = statement.where(ResponseIndex.authority == filters.authority)
    if filters.source:
        statement = statement.where(ResponseIndex.source_id == filters.source)
    if filters.outcome:
        statement = statement.where(ResponseIndex.outcome == filters.outcome)
    if filters.exemption:
        section = exemption_sections([filters.exemption])[0]
        statement = statement.where(ResponseIndex.exemptions.contains(f"|{section}|", autoescape=True))
    if filters.vendor:
        from monitor.facts.terms import canonical_vendor

        name = (canonical_vendor(filters.vendor) or filters.vendor).lower()
        statement = statement.where(ResponseIndex.vendors.contains(f"|{name}|", autoescape=True))
    if filters.published_from:
        statement = statement.where(ResponseIndex.published >= filters.published_from)
    if filters.published_to:
        statement = statement.where(ResponseIndex.published <= filters.published_to)
    if filters.since:
        statement = statement.where(ResponseIndex.updated_at >= filters.since)
    if not filters.include_withdrawn:
        statement = statement.where(Response.withdrawn_at.is_(None))
    return statement


def search_responses(
    session: Session,
    filters: Filters,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    sort: str = "relevance",
    details: bool = True,
) -> SearchPage:
    """One page of the responses ``filters`` select, with the total.

    ``sort``: ``relevance`` (best match first; newest first when there is no text query),
    ``newest`` (publication date), ``found`` (when foiwatch first saw the current version).
    ``details`` loads snippets, why-it-matched and facts for the page's items.
    Raises ``QueryError`` for a query or filter that cannot be run.
    """
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    page, per_page = max(1, page), min(max(1, per_page), MAX_PER_PAGE)
    text_query = parse_query(filters.q) if filters.q else None
    base = select(ResponseIndex.response_id)
    if not filters.include_withdrawn:
        base = base.join(Response, Response.id == ResponseIndex.response_id)
    base = _filtered(base, filters)
    rank = None
    if text_query is not None:
        base, rank = with_text_match(session, base, text_query)
    newest: tuple[Any, ...] = (ResponseIndex.published.desc().nulls_last(), ResponseIndex.response_id.desc())
    if sort == "relevance" and rank is not None:
        order: tuple[Any, ...] = (rank, *newest)
    elif sort == "found":
        order = (ResponseIndex.updated_at.desc(), *newest)
    else:
        order = newest
    # one pass gives the page and the total (a second pass over thousands of matches would double the time)
    rows = session.execute(
        base.add_columns(func.count().over().label("total"))
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    ids = [row[0] for row in rows]
    if rows:
        total = int(rows[0].total)
    else:  # past the last page, or nothing found
        total = (session.scalar(select(func.count()).select_from(base.subquery())) or 0) if page > 1 else 0
    items = summaries(session, ids, text_query if details else None, details)
    return SearchPage(items, total, page, per_page)


def summaries(
    session: Session, ids: list[int], text_query: TextQuery | None = None, details: bool = True
) -> list[ResponseSummary]:
    """The summaries of responses ``ids``, in that order."""
    if not ids:
        return []
    rows = {
        row.ResponseIndex.response_id: row
        for row in session.execute(
            select(ResponseIndex, Response.first_seen, Response.last_seen, Response.withdrawn_at)
            .join(Response, Response.id == ResponseIndex.response_id)
            .where(ResponseIndex.response_id.in_(ids))
        )
    }
    version_ids = [rows[i].ResponseIndex.version_id for i in ids if i in rows]
    exemptions = {
        version_id: listed
        for version_id, listed in session.execute(
            select(ResponseVersion.id, ResponseVersion.exemptions).where(ResponseVersion.id.in_(version_ids))
        )
    }
    why = matched_topics(session, version_ids) if details else {}
    facts = _facts(session, version_ids) if details else {}
    texts = _texts(session, version_ids) if text_query is not None else {}
    out = []
    for response_id in ids:
        row = rows.get(response_id)
        if row is None:
            continue
        index = row.ResponseIndex
        out.append(
            ResponseSummary(
                id=index.response_id,
                source=index.source_id,
                authority=index.authority,
                reference=index.reference,
                title=index.title,
                url=index.url,
                published=index.published,
                date_source=index.date_source,
                outcome=index.outcome,
                exemptions=[str(e) for e in exemptions.get(index.version_id) or []],
                topics=_unbar(index.topics),
                vendors=list((facts.get(index.version_id) or {}).get("vendors") or [])
                or _unbar(index.vendors),
                first_seen=row.first_seen,
                last_seen=row.last_seen,
                updated_at=index.updated_at,
                withdrawn_at=row.withdrawn_at,
                versions=index.version_count,
                snippet=find_snippet(texts.get(index.version_id, []), text_query) if text_query else None,
                why={t: s for t, s in why.get(index.version_id, {}).items() if t in _unbar(index.topics)},
                facts=facts.get(index.version_id) or {},
            )
        )
    return out


def _unbar(value: str) -> list[str]:
    return [part for part in value.split("|") if part]


def _facts(session: Session, version_ids: list[int]) -> dict[int, dict[str, Any]]:
    return {
        version_id: dict(facts or {})
        for version_id, facts in session.execute(
            select(ResponseFacts.version_id, ResponseFacts.facts).where(
                ResponseFacts.version_id.in_(version_ids)
            )
        )
    }


def _texts(session: Session, version_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Each version's texts in the order a reader meets them, labelled for the snippet."""
    texts: dict[int, list[tuple[str, str]]] = {}
    titles: dict[int, str] = {}
    for version_id, title, request, response in session.execute(
        select(
            ResponseVersion.id,
            ResponseVersion.title,
            func.substr(ResponseVersion.request_text, 1, SNIPPET_SOURCE_CHARS),
            func.substr(ResponseVersion.response_text, 1, SNIPPET_SOURCE_CHARS),
        ).where(ResponseVersion.id.in_(version_ids))
    ):
        # the title is shown anyway: a passage of the texts says more, so it comes last
        texts[version_id] = [("request", request or ""), ("response", response or "")]
        titles[version_id] = title
    for version_id, name, body in session.execute(
        select(
            Attachment.version_id, Attachment.name, func.substr(Attachment.text, 1, SNIPPET_SOURCE_CHARS)
        ).where(Attachment.version_id.in_(version_ids), Attachment.text.is_not(None))
    ):
        texts.setdefault(version_id, []).append((f"attachment {name or ''}".strip(), body or ""))
    for version_id, title in titles.items():
        texts[version_id].append(("title", title))
    return texts


def parse_day(value: str, what: str = "date") -> date:
    """A date as people type it (2026-01-31, 31/01/2026); ``QueryError`` naming ``what`` otherwise."""
    try:
        return lookup.parse_day(value)
    except ValueError as exc:
        raise QueryError(f"{what}: {exc}") from None
