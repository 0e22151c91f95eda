"""Responses and their versions: storing what a crawl saw, snapshots for the diff, listings."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, bindparam, func, literal, select, union_all, update
from sqlalchemy.orm import Session, aliased, selectinload

from storage.clock import london_day, utcnow
from storage.db import affected_rows
from storage.models import Attachment, Response, ResponseVersion, Source, TopicMatch
from storage.records import ResponseRecord, SnapshotEntry, TopicVerdict


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
        date_source=record.date_source,
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


@dataclasses.dataclass(frozen=True)
class _Candidates:
    """The stored responses a crawled page could be: by its key, by its address now or once."""

    by_key: Response | None
    by_url: Response | None


def _candidates(session: Session, source_id: str, key: str | None, url: str | None) -> _Candidates:
    """``_Candidates`` in one round trip: indexed look-ups joined by UNION ALL (``_lookup``).

    Of the responses at the address, the oldest wins; of those that once had it, the one whose
    version had it last.
    """
    params = {"source_id": source_id, "key": key, "url": url}
    best: dict[int, tuple[int, Response]] = {}
    for response, kind, rank in session.execute(_lookup(key is not None, url is not None), params):
        if kind not in best or rank < best[kind][0]:
            best[kind] = (rank, response)
    by_url = best.get(1) or best.get(2)
    return _Candidates(best[0][1] if 0 in best else None, by_url[1] if by_url is not None else None)


def _batch_candidates(session: Session, records: Sequence[ResponseRecord]) -> list[_Candidates]:
    """``_candidates`` of each record, in three queries for the whole batch (by key, by current
    address, by an old address), chosen by the same ranks."""
    by_key: dict[tuple[str, str], Response] = {}
    by_url: dict[tuple[str, str], Response] = {}
    by_old_url: dict[tuple[str, str], tuple[int, Response]] = {}
    for source_id in {r.source_id for r in records}:
        mine = [r for r in records if r.source_id == source_id]
        keys = sorted({r.key for r in mine if r.key is not None})
        urls = sorted({r.url for r in mine if r.own_page})
        for start in range(0, max(len(keys), len(urls)), 500):
            key_chunk, url_chunk = keys[start : start + 500], urls[start : start + 500]
            if key_chunk:
                found = session.scalars(
                    select(Response).where(Response.source_id == source_id, Response.key.in_(key_chunk))
                )
                by_key.update(((source_id, r.key), r) for r in found)
            if not url_chunk:
                continue
            here = session.scalars(
                select(Response)
                .where(Response.source_id == source_id, Response.url.in_(url_chunk))
                .order_by(Response.id.desc())
            )
            by_url.update(((source_id, r.url), r) for r in here)  # the oldest, set last, wins
            once = session.execute(
                select(Response, ResponseVersion.id, ResponseVersion.url)
                .join(ResponseVersion, ResponseVersion.response_id == Response.id)
                .where(Response.source_id == source_id, ResponseVersion.url.in_(url_chunk))
            )
            for response, version_id, url in once:
                best = by_old_url.get((source_id, url))
                if best is None or version_id > best[0]:
                    by_old_url[(source_id, url)] = (version_id, response)
    candidates = []
    for record in records:
        address = (record.source_id, record.url)
        old = by_old_url.get(address) if record.own_page else None
        current = by_url.get(address) if record.own_page else None
        candidates.append(
            _Candidates(
                by_key.get((record.source_id, record.key)) if record.key is not None else None,
                current if current is not None else (old[1] if old is not None else None),
            )
        )
    return candidates


@functools.cache
def _lookup(by_key: bool, by_url: bool) -> Select[Response, int, int]:
    """The look-ups as one query of (response, kind, rank), built once (its columns are costly to
    set up) and run with parameters: kind 0 by key, 1 by current address, 2 by an old address."""
    source = Response.source_id == bindparam("source_id")
    lookups = []
    if by_key:
        lookups.append(
            select(Response, literal(0).label("kind"), Response.id.label("rank")).where(
                source, Response.key == bindparam("key")
            )
        )
    if by_url:
        lookups.append(
            select(Response, literal(1).label("kind"), Response.id.label("rank")).where(
                source, Response.url == bindparam("url")
            )
        )
        lookups.append(
            select(Response, literal(2).label("kind"), (-ResponseVersion.id).label("rank"))
            .join(ResponseVersion, ResponseVersion.response_id == Response.id)
            .where(source, ResponseVersion.url == bindparam("url"))
        )
    found = union_all(*lookups).subquery()
    return select(aliased(Response, found), found.c.kind, found.c.rank)


def _page_key(key: str, url: str) -> str:
    """Key of a second page printing a reference another page already has: stable, and distinct."""
    return f"{key[:200]}|{hashlib.sha256(url.encode()).hexdigest()[:16]}"


def _resolve(
    session: Session,
    run_id: int | None,
    record: ResponseRecord,
    digest: str,
    candidates: _Candidates | None = None,
) -> tuple[Response | None, str]:
    """Which stored response ``record`` is, or (None, key to create it under).

    A response with a page of its own is that page: found by its address first, so a page that
    prints another page's reference (a review, a corrected reply) stays a response of its own, and
    a re-crawl never swaps the two. A known reference at a new address is the same response moved
    only when the old address was not listed in this run and the content is the same.
    """
    if candidates is None:
        url = record.url if record.own_page else None
        candidates = _candidates(session, record.source_id, record.key, url)
    by_key, by_url = candidates.by_key, candidates.by_url
    if not record.own_page:
        return by_key, record.key
    if by_url is not None:
        seen_elsewhere = run_id is not None and by_url.last_run_id == run_id and by_url.url != record.url
        if not seen_elsewhere:
            return by_url, by_url.key
    if by_key is None:
        return None, record.key
    still_there = run_id is not None and run_id in (by_key.last_run_id, by_key.last_listed_run_id)
    if not still_there and by_key.url != record.url and _same_content(session, by_key, record, digest):
        return by_key, by_key.key
    key = _page_key(record.key, record.url)
    existing = session.scalars(
        select(Response).where(Response.source_id == record.source_id, Response.key == key)
    ).first()
    return existing, key


def _same_content(session: Session, response: Response, record: ResponseRecord, digest: str) -> bool:
    if response.current_hash == digest:
        return True
    current = latest_version(session, response.id)
    return current is not None and bool(record.response) and current.response_text == record.response


def _dated(record: ResponseRecord, first_seen: datetime) -> ResponseRecord:
    """The record dated by the day foiwatch first saw the response when nothing else dates it."""
    if record.published is not None:
        return record
    return dataclasses.replace(record, published=london_day(first_seen), date_source="first-seen")


def _relabel(version: ResponseVersion | None, record: ResponseRecord) -> None:
    """Keep the current version's date and its source up to date where they are not content.

    Only a derived date (see ``ResponseRecord.content_hash``) or the label of the same date can
    differ here, since anything else would have changed the hash.
    """
    if version is not None and (version.published, version.date_source) != (
        record.published,
        record.date_source,
    ):
        version.published, version.date_source = record.published, record.date_source


def store_response(session: Session, run_id: int | None, record: ResponseRecord) -> StoreOutcome:
    """Store one crawled response; a version row is added only when its content hash changes."""
    return store_version(session, run_id, record)[0]


def store_version(
    session: Session, run_id: int | None, record: ResponseRecord
) -> tuple[StoreOutcome, ResponseVersion | None]:
    """``store_response``, also giving the response's current version: the one just added when
    the outcome is new or changed (flushed, so it and its attachments have ids)."""
    return store_versions(session, run_id, [record])[0]


def store_versions(
    session: Session, run_id: int | None, records: Sequence[ResponseRecord]
) -> list[tuple[StoreOutcome, ResponseVersion | None]]:
    """``store_version`` for each of ``records`` in turn, with one flush for all of them where
    they cannot affect one another.

    Each record's look-ups run against the database, so everything an earlier record of the
    batch changed must be flushed before a record that could match it is looked up: a record
    sharing a key or an address with one stored earlier in the batch (the response's old or new
    ones) gets a flush first. Records of distinct pages, a crawl's usual batch, need none.
    """
    results: list[tuple[StoreOutcome, ResponseVersion | None]] = []
    touched: set[tuple[str, str]] = set()
    with session.no_autoflush:
        # Looked up for the whole batch at once, and used until a flush makes them stale.
        preloaded = _batch_candidates(session, records) if len(records) > 1 else None
        for index, record in enumerate(records):
            if {(record.source_id, record.key), (record.source_id, record.url)} & touched:
                session.flush()
                touched.clear()
                preloaded = None
            candidates = preloaded[index] if preloaded is not None else None
            outcome, version, names = _store_one(session, run_id, record, candidates)
            touched.update((record.source_id, name) for name in names)
            results.append((outcome, version))
        session.flush()
    return results


def _store_one(
    session: Session, run_id: int | None, record: ResponseRecord, candidates: _Candidates | None = None
) -> tuple[StoreOutcome, ResponseVersion | None, set[str]]:
    """One record's changes, added to the session and not flushed (see ``store_versions``), and
    the keys and addresses they touched."""
    now = utcnow()
    digest = record.content_hash()
    response, key = _resolve(session, run_id, record, digest, candidates)
    record = _dated(record, response.first_seen if response is not None else now)
    if response is None:
        response = Response(
            source_id=record.source_id,
            key=key,
            reference=record.reference,
            url=record.url,
            first_seen=now,
            last_seen=now,
            first_run_id=run_id,
            last_run_id=run_id,
            last_listed_run_id=run_id,
            current_hash=digest,
        )
        response.versions.append(_new_version(record, digest, run_id, now))
        session.add(response)
        return StoreOutcome.NEW, response.versions[-1], {record.key, record.url, key}

    touched = {record.key, record.url, response.key, response.url}
    response.last_seen, response.url = now, record.url
    if run_id is not None:
        # Never backwards: a late write from an older run must not hide this one's sighting.
        response.last_run_id = max(response.last_run_id or 0, run_id)
        response.last_listed_run_id = max(response.last_listed_run_id or 0, run_id)
    response.withdrawn_at = None
    if response.current_hash == digest:
        current = latest_version(session, response.id)
        if current is not None:
            current.last_seen = now
        _relabel(current, record)
        return StoreOutcome.UNCHANGED, current, touched
    response.current_hash = digest
    response.reference = record.reference
    version = _new_version(record, digest, run_id, now)
    response.versions.append(version)
    return StoreOutcome.CHANGED, version, touched


def mark_listed(session: Session, source_id: str, run_id: int, urls: Sequence[str]) -> int:
    """Note that run ``run_id`` found these addresses listed; returns how many responses matched."""
    marked = 0
    for start in range(0, len(urls), 500):
        chunk = list(urls[start : start + 500])
        result = session.execute(
            update(Response)
            .where(Response.source_id == source_id, Response.url.in_(chunk))
            .values(last_listed_run_id=run_id)
            .execution_options(synchronize_session=False)
        )
        marked += affected_rows(result)
    return marked


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


def _latest_versions(source_id: str, seen: ColumnElement[bool]) -> Subquery:
    """Each of one source's responses with its latest version among those ``seen`` selects.

    Only the crawled source's versions are grouped: the diff costs what its source holds, not what
    the whole database holds.
    """
    return (
        select(ResponseVersion.response_id, func.max(ResponseVersion.id).label("version_id"))
        .join(Response, Response.id == ResponseVersion.response_id)
        .where(Response.source_id == source_id, seen)
        .group_by(ResponseVersion.response_id)
        .subquery()
    )


def snapshot_of_run(session: Session, source_id: str, run_id: int) -> dict[str, SnapshotEntry]:
    """Responses seen by ``run_id``, each with its latest version as of that run.

    A run diffed late (a later run has already seen the same responses) still gets its own
    versions: responses last seen in it or after, as they stood when it ended. Only the latest run
    can say what is missing, so callers infer withdrawals from that one alone.
    """
    latest = _latest_versions(source_id, ResponseVersion.first_run_id <= run_id)
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
    latest = _latest_versions(source_id, ResponseVersion.first_run_id < run_id)
    rows = session.execute(
        select(Response.key, Response.id, ResponseVersion.id, ResponseVersion.content_hash)
        .join(latest, latest.c.response_id == Response.id)
        .join(ResponseVersion, ResponseVersion.id == latest.c.version_id)
        .where(Response.source_id == source_id)
        .where((Response.withdrawn_at.is_(None)) | (Response.last_run_id == run_id))
        .order_by(Response.id)
    )
    return {key: SnapshotEntry(rid, vid, digest) for key, rid, vid, digest in rows}


def listed_in_run(session: Session, source_id: str, run_id: int) -> set[int]:
    """Ids of the responses whose address the run's listing named (see ``mark_listed``)."""
    return set(
        session.scalars(
            select(Response.id).where(Response.source_id == source_id, Response.last_listed_run_id == run_id)
        )
    )


def absent_since(session: Session, response_ids: Sequence[int], run_id: int) -> set[int]:
    """Which of these responses run ``run_id`` (and every later run) neither listed nor read."""
    rows = session.scalars(
        select(Response.id).where(
            Response.id.in_(list(response_ids)),
            func.coalesce(Response.last_run_id, 0) < run_id,
            func.coalesce(Response.last_listed_run_id, 0) < run_id,
        )
    )
    return set(rows)


def unassessed_versions(session: Session, source_id: str, up_to_run_id: int) -> list[ResponseVersion]:
    """Versions (first seen by runs up to ``up_to_run_id``) that no classifier has scored yet."""
    scored = select(TopicMatch.id).where(TopicMatch.version_id == ResponseVersion.id).exists()
    return list(
        session.scalars(
            select(ResponseVersion)
            .join(Response, Response.id == ResponseVersion.response_id)
            .where(
                Response.source_id == source_id,
                ResponseVersion.first_run_id <= up_to_run_id,
                ~scored,
            )
            .order_by(ResponseVersion.id)
        )
    )


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
    """Record (or refresh) one classifier verdict for a version (``save_topic_matches``), flushed."""
    version = session.get_one(ResponseVersion, version_id)
    verdict = TopicVerdict(topic, classifier_version, matched, score, tuple(terms), tuple(snippets))
    save_topic_matches(version, [verdict])
    session.flush()
    wanted = (topic, classifier_version)
    return next(m for m in version.topic_matches if (m.topic, m.classifier_version) == wanted)


def save_topic_matches(version: ResponseVersion, verdicts: Sequence[TopicVerdict]) -> None:
    """Record (or refresh) a version's verdicts through its ``topic_matches`` (loaded once, or
    already by ``preload_versions``), not a query per topic; written at the session's next flush."""
    existing = {(m.topic, m.classifier_version): m for m in version.topic_matches}
    for verdict in verdicts:
        match = existing.get((verdict.topic, verdict.classifier_version))
        if match is None:
            match = TopicMatch(topic=verdict.topic, classifier_version=verdict.classifier_version)
            version.topic_matches.append(match)
            existing[(verdict.topic, verdict.classifier_version)] = match
        match.matched, match.score = verdict.matched, verdict.score
        match.terms, match.snippets, match.created_at = list(verdict.terms), list(verdict.snippets), utcnow()


def preload_versions(session: Session, version_ids: Iterable[int]) -> dict[int, ResponseVersion]:
    """These versions by id, loaded with their attachments, verdicts and facts 500 at a time, so that
    a diff assessing each of them makes no query of its own to read them. Keep the dict while they
    are used: the session holds loaded objects only weakly."""
    ids = sorted(set(version_ids))
    loaded: dict[int, ResponseVersion] = {}
    for start in range(0, len(ids), 500):
        versions = session.scalars(
            select(ResponseVersion)
            .where(ResponseVersion.id.in_(ids[start : start + 500]))
            .options(
                selectinload(ResponseVersion.attachments),
                selectinload(ResponseVersion.topic_matches),
                selectinload(ResponseVersion.facts),
            )
        )
        loaded.update((version.id, version) for version in versions)
    return loaded


def _current_version_ids() -> Any:
    return select(func.max(ResponseVersion.id)).group_by(ResponseVersion.response_id)


def list_versions(
    session: Session,
    topic: str | None = None,
    source_id: str | None = None,
    limit: int | None = None,
    version_ids: list[int] | None = None,
    authority: str | None = None,
    since: date | None = None,
) -> list[ResponseVersion]:
    """Current version of each response, newest first; optionally only those matching a topic, from
    one source or authority (its name exactly), or published on or after ``since``."""
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
    if authority:
        query = query.where(ResponseVersion.authority == authority)
    if since:
        query = query.where(ResponseVersion.published >= since)
    if version_ids is not None:
        query = query.where(ResponseVersion.id.in_(version_ids))
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def known_authorities(session: Session) -> list[str]:
    """Every authority named by a stored version or a registered source, by name."""
    named = select(ResponseVersion.authority).union(select(Source.authority))
    return sorted(set(session.scalars(named)))


def get_response(session: Session, response_id: int) -> Response | None:
    return session.scalars(
        select(Response)
        .where(Response.id == response_id)
        .options(
            selectinload(Response.versions).selectinload(ResponseVersion.attachments),
            selectinload(Response.versions).selectinload(ResponseVersion.topic_matches),
        )
    ).first()
