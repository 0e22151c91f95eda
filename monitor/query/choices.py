"""What a search form offers: the topics, authorities, sources and outcomes foiwatch holds."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from storage.models import ResponseIndex

from .search import known_topics, known_values


@dataclass(frozen=True)
class SearchChoices:
    topics: list[str]
    authorities: list[str]
    sources: list[str]
    outcomes: list[str]


def search_choices(session: Session, configured_topics: list[str] | None = None) -> SearchChoices:
    return SearchChoices(
        topics=known_topics(session, configured_topics),
        authorities=known_values(session, ResponseIndex.authority),
        sources=known_values(session, ResponseIndex.source_id),
        outcomes=known_values(session, ResponseIndex.outcome),
    )
