"""Responses and their versions: storing what a crawl saw, snapshots for the diff, listings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storage.clock import utcnow
from storage.models import Attachment, Response, ResponseVersion, TopicMatch
from storage.records import ResponseRecord, SnapshotEntry


class StoreOutcome(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


def _new_version(record: ResponseRecord, digest: str, run_id: int | None, now: datetime) -> ResponseVersion:
    version = ResponseVersion(
        content_hash=digest,
        authority=record.authority,
        title=record.title,
        url=record.url,
        published=record.published,
        request_text=record.request,
        response_text=record.response,
        outcome=record.outcome,
        exemptions=list(record.exemptions),
        first_seen=now,
        last_seen=now,
        first_run_id=run_id,
    )
    version.attachments = [
        Attachment(
            url=a.url, name=a.name, content_type=a.content_type, size=a.size, text=a.text, error=a.error
        )
        for a in record.attachments
    ]
    return version


def store_response(session: Session, run_id: int | None, record: ResponseRecord) -> StoreOutcome:
    """Store one crawled response; a version row is added only when its content hash changes."""
    now = utcnow()
    digest = record.content_hash()
    response = session.scalars(
        select(Response).where(Response.source_id == record.source_id, Response.key == record.key)
    ).first()
    if response is None:
        response = Response(
            source_id=record.source_id,
            key=record.key,
            reference=record.reference,
            url=record.url,
            first_seen=now,
            last_seen=now,
            first_run_id=run_id,
            last_run_id=run_id,
            current_hash=digest,
        )
        response.versions.append(_new_version(record, digest, run_id, now))
        session.add(response)
        session.flush()
        return StoreOutcome.NEW

    response.last_seen, response.last_run_id, response.url = now, run_id, record.url
    response.withdrawn_at = None
    if response.current_hash == digest:
        current = latest_version(session, response.id)
        if current is not None:
            current.last_seen = now
        session.flush()
        return StoreOutcome.UNCHANGED
    response.current_hash = digest
    response.reference = record.reference
    response.versions.append(_new_version(record, digest, run_id, now))
    session.flush()
    return StoreOutcome.CHANGED


def latest_version(session: Session, response_id: int) -> ResponseVersion | None:
    return session.scalars(
        select(ResponseVersion)
        .where(ResponseVersion.response_id == response_id)
        .order_by(ResponseVersion.id.desc())
    ).first()


def known_urls(session: Session, source_id: str) -> set[str]:
    """Every URL a source's responses have had, for incremental crawls."""
    rows = session.scalars(
        select(ResponseVersion.url)
        .join(Response, Response.id == ResponseVersion.response_id)
        .where(Response.source_id == source_id)
    )
    current = session.scalars(select(Response.url).where(Response.source_id == source_id))
    return set(rows) | set(current)


def snapshot_of_run(session: Session, source_id: str, run_id: int) -> dict[str, SnapshotEntry]:
    """Responses seen by ``run_id``, each with its latest version as of that run.

    A run diffed late (a later run has already seen the same responses) still gets its own
    versions: responses last seen in it or after, as they stood when it ended. Only the latest run
    can say what is missing, so callers infer withdrawals from that one alone.
    """
    latest = (
        select(ResponseVersion.response_id, func.max(ResponseVersion.id).label("version_id"))
        .where(ResponseVersion.first_run_id <= run_id)
        .group_by(ResponseVersion.response_id)
        .subquery()
    )
    rows = session.execute(
        select(Response.key, Response.id, ResponseVersion.id, ResponseVersion.content_hash)
        .join(latest, latest.c.response_id == Response.id)
        .join(ResponseVersion, ResponseVersion.id == latest.c.version_id)
        .where(Response.source_id == source_id, Response.last_run_id >= run_id)
        .order_by(Response.id)
    )
    return {key: SnapshotEntry(rid, vid, digest) for key, rid, vid, digest in rows}


def snapshot_before(session: Session, source_id: str, run_id: int) -> dict[str, SnapshotEntry]:
    """What the source's log looked like before ``run_id``: the last version of each live response."""
    latest = (
        select(ResponseVersion.response_id, func.max(ResponseVersion.id).label("version_id"))
        .where(ResponseVersion.first_run_id < run_id)
        .group_by(ResponseVersion.response_id)
        .subquery()
    )
    rows = session.execute(
        select(Response.key, Response.id, ResponseVersion.id, ResponseVersion.content_hash)
        .join(latest, latest.c.response_id == Response.id)
        .join(ResponseVersion, ResponseVersion.id == latest.c.version_id)
        .where(Response.source_id == source_id)
        .where((Response.withdrawn_at.is_(None)) | (Response.last_run_id == run_id))
        .order_by(Response.id)
    )
    return {key: SnapshotEntry(rid, vid, digest) for key, rid, vid, digest in rows}


def mark_withdrawn(session: Session, response_ids: Iterable[int]) -> None:
    now = utcnow()
    for response in session.scalars(select(Response).where(Response.id.in_(list(response_ids)))):
        response.withdrawn_at = now


def save_topic_match(
    session: Session,
    version_id: int,
    topic: str,
    matched: bool,
    score: float,
    terms: Sequence[str],
    snippets: Sequence[str],
    classifier_version: str,
) -> TopicMatch:
    """Record (or refresh) one classifier verdict for a version."""
    match = session.scalars(
        select(TopicMatch).where(
            TopicMatch.version_id == version_id,
            TopicMatch.topic == topic,
            TopicMatch.classifier_version == classifier_version,
        )
    ).first()
    if match is None:
        match = TopicMatch(version_id=version_id, topic=topic, classifier_version=classifier_version)
        session.add(match)
    match.matched, match.score = matched, score
    match.terms, match.snippets, match.created_at = list(terms), list(snippets), utcnow()
    session.flush()
    return match


def _current_version_ids() -> Any:
    return select(func.max(ResponseVersion.id)).group_by(ResponseVersion.response_id)


def list_versions(
    session: Session,
    topic: str | None = None,
    source_id: str | None = None,
    limit: int | None = None,
    version_ids: list[int] | None = None,
) -> list[ResponseVersion]:
    """Current version of each response, newest first, optionally only those matching a topic."""
    query = (
        select(ResponseVersion)
        .join(Response, Response.id == ResponseVersion.response_id)
        .where(ResponseVersion.id.in_(_current_version_ids()))
        .options(
            selectinload(ResponseVersion.response),
            selectinload(ResponseVersion.attachments),
            selectinload(ResponseVersion.topic_matches),
            selectinload(ResponseVersion.facts),
        )
        .order_by(ResponseVersion.published.desc().nulls_last(), ResponseVersion.id.desc())
    )
    if topic:
        # The latest verdict counts: after a topic is reclassified, older verdicts are history.
        latest = (
            select(func.max(TopicMatch.id)).where(TopicMatch.topic == topic).group_by(TopicMatch.version_id)
        )
        query = query.where(
            ResponseVersion.id.in_(
                select(TopicMatch.version_id).where(TopicMatch.id.in_(latest), TopicMatch.matched.is_(True))
            )
        )
    if source_id:
        query = query.where(Response.source_id == source_id)
    if version_ids is not None:
        query = query.where(ResponseVersion.id.in_(version_ids))
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def get_response(session: Session, response_id: int) -> Response | None:
    return session.scalars(
        select(Response)
        .where(Response.id == response_id)
        .options(
            selectinload(Response.versions).selectinload(ResponseVersion.attachments),
            selectinload(Response.versions).selectinload(ResponseVersion.topic_matches),
        )
    ).first()
