"""Daily and weekly digests: held messages folded into one, at the subscriber's local hour.

A message for a digest subscriber is queued as ``held``. When a digest is due (the configured time
in Europe/London has passed today, and for weekly ones it is the configured weekday) the held
messages become one digest row, grouped by topic and authority, and are marked ``digested`` in the
same transaction: a digest is built once (its event key names the day) and then delivered like any
other message, with the same retries.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.classify import Verdict
from monitor.config import NotificationSettings
from monitor.facts.extract import Facts
from monitor.notify.messages import render_digest, response_context
from storage.clock import utcnow
from storage.models import Notification, ResponseFacts, ResponseVersion, Subscriber, TopicMatch
from storage.outbox import DIGESTED, HELD, OutgoingMessage, enqueue

LONDON = ZoneInfo("Europe/London")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def digest_due(cadence: str, settings: NotificationSettings, now: datetime) -> str | None:
    """The digest's day key (``2026-11-23``) if one is due at ``now``, else None."""
    local = now.astimezone(LONDON)
    hour, minute = (int(part) for part in settings.digest_time.split(":"))
    if local.time() < time(hour, minute):
        return None
    if cadence == "weekly" and WEEKDAYS[local.weekday()] != settings.digest_weekday:
        return None
    return local.date().isoformat() if cadence in ("daily", "weekly") else None


def _item(session: Session, row: Notification) -> dict[str, object] | None:
    """What the digest says of one held message: the response, why it matched and its facts, as
    the message it replaces would have said them."""
    version = session.get(ResponseVersion, row.version_id) if row.version_id else None
    if version is None:
        return None
    match = session.scalars(
        select(TopicMatch)
        .where(TopicMatch.version_id == version.id, TopicMatch.topic == row.topic)
        .order_by(TopicMatch.id.desc())
    ).first()
    verdict = (
        Verdict(row.topic, True, match.score, list(match.terms), list(match.snippets))
        if match is not None
        else Verdict(row.topic, True, 0.0)
    )
    stored = session.get(ResponseFacts, version.id)
    facts = Facts.from_dict(stored.facts).summary() if stored is not None else []
    return response_context(version, verdict, facts)


def build_digests(session: Session, settings: NotificationSettings, now: datetime | None = None) -> int:
    """Fold each due subscriber's held messages into one digest message; returns how many were built."""
    moment = now or utcnow()
    built = 0
    subscribers = session.scalars(
        select(Subscriber).where(Subscriber.active.is_(True), Subscriber.cadence.in_(("daily", "weekly")))
    )
    for subscriber in subscribers:
        day = digest_due(subscriber.cadence, settings, moment)
        if day is None:
            continue
        held = list(
            session.scalars(
                select(Notification)
                .where(Notification.subscriber_id == subscriber.id, Notification.status == HELD)
                .order_by(Notification.id)
            )
        )
        items = [item for item in (_item(session, row) for row in held) if item is not None]
        if not held or not items:
            continue
        rendered = render_digest(items, subscriber.cadence)
        key = f"digest:{subscriber.cadence}:{day}"
        if not enqueue(
            session,
            OutgoingMessage(
                subscriber.id, key, "digest", "digest", rendered.title, rendered.text, rendered.html
            ),
        ):
            continue  # today's digest was built already; the rest waits for the next one
        digest = session.scalars(
            select(Notification).where(
                Notification.subscriber_id == subscriber.id, Notification.event_key == key
            )
        ).one()
        for row in held:
            row.status, row.digest_id = DIGESTED, digest.id
        built += 1
    return built
