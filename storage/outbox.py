"""Subscribers and the notification outbox.

Delivery is at-least-once with a tiny window: a row is claimed (``sending``) and committed before the
send, then marked ``sent`` right after. Only a crash between a successful send and that commit can
repeat a message; ``requeue_stale_sending`` puts such rows back after a grace period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.clock import utcnow
from storage.models import Notification, Subscriber

PENDING, SENDING, SENT, FAILED, DEAD = "pending", "sending", "sent", "failed", "dead"


@dataclass(frozen=True)
class SubscriberRow:
    name: str
    urls: tuple[str, ...]
    topics: tuple[str, ...]
    authorities: tuple[str, ...] = ()
    active: bool = True
    admin: bool = False


@dataclass(frozen=True)
class OutgoingMessage:
    subscriber_id: int
    event_key: str
    event: str
    topic: str
    title: str
    body: str
    response_id: int | None = None
    version_id: int | None = None
    run_id: int | None = None


def sync_subscribers(session: Session, rows: Iterable[SubscriberRow]) -> dict[str, int]:
    """Make the subscribers table match the configuration; unlisted subscribers become inactive."""
    now = utcnow()
    ids: dict[str, int] = {}
    wanted = {row.name: row for row in rows}
    for subscriber in session.scalars(select(Subscriber).where(Subscriber.origin == "config")):
        if subscriber.name not in wanted:
            subscriber.active, subscriber.updated_at = False, now
    for row in wanted.values():
        subscriber = session.scalars(select(Subscriber).where(Subscriber.name == row.name)).first()
        if subscriber is None:
            subscriber = Subscriber(name=row.name, origin="config", created_at=now)
            session.add(subscriber)
        subscriber.urls, subscriber.topics = list(row.urls), list(row.topics)
        subscriber.authorities, subscriber.active = list(row.authorities), row.active
        subscriber.admin = row.admin
        subscriber.updated_at = now
        session.flush()
        ids[row.name] = subscriber.id
    return ids


def active_subscribers(session: Session) -> list[Subscriber]:
    return list(
        session.scalars(select(Subscriber).where(Subscriber.active.is_(True)).order_by(Subscriber.id))
    )


def enqueue(session: Session, message: OutgoingMessage) -> bool:
    """Add a message to the outbox unless this subscriber already has this event; True if added."""
    exists = session.scalars(
        select(Notification.id).where(
            Notification.subscriber_id == message.subscriber_id,
            Notification.event_key == message.event_key,
        )
    ).first()
    if exists is not None:
        return False
    now = utcnow()
    session.add(
        Notification(
            subscriber_id=message.subscriber_id,
            event_key=message.event_key,
            event=message.event,
            topic=message.topic,
            title=message.title,
            body=message.body,
            response_id=message.response_id,
            version_id=message.version_id,
            run_id=message.run_id,
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    session.flush()
    return True


def due_ids(session: Session, now: datetime | None = None, limit: int = 100) -> list[int]:
    moment = now or utcnow()
    query = (
        select(Notification.id)
        .where(Notification.status.in_((PENDING, FAILED)), Notification.next_attempt_at <= moment)
        .order_by(Notification.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def claim(session: Session, notification_id: int) -> Notification | None:
    """Move a due row to ``sending``; None if another worker took it first.

    One conditional UPDATE, so two workers can never both claim a row (SQLite has no row locks).
    """
    taken = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status.in_((PENDING, FAILED)))
        .values(status=SENDING, attempts=Notification.attempts + 1, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return None
    row = session.get_one(Notification, notification_id, populate_existing=True)
    return row


def mark_sent(session: Session, notification_id: int) -> None:
    row = session.get_one(Notification, notification_id)
    row.status, row.sent_at, row.last_error = SENT, utcnow(), None


def mark_failed(
    session: Session, notification_id: int, error: str, retry_in: timedelta | None
) -> Notification:
    """Record a failed attempt: ``failed`` with a next attempt time, or ``dead`` when retry_in is None."""
    row = session.get_one(Notification, notification_id)
    row.last_error = error[:2000]
    if retry_in is None:
        row.status = DEAD
    else:
        row.status, row.next_attempt_at = FAILED, utcnow() + retry_in
    return row


def requeue_stale_sending(session: Session, older_than: timedelta) -> int:
    """Rows left in ``sending`` by a crashed process go back to the queue."""
    cutoff = utcnow() - older_than
    rows = list(
        session.scalars(
            select(Notification).where(Notification.status == SENDING, Notification.next_attempt_at < cutoff)
        )
    )
    for row in rows:
        row.status = FAILED
        row.last_error = "interrupted while sending; retried"
    return len(rows)


def requeue_dead(session: Session, notification_ids: Iterable[int] | None = None) -> int:
    """Put dead (or given failed/dead) messages back in the queue with a fresh set of attempts."""
    query = select(Notification).where(Notification.status.in_((DEAD, FAILED)))
    ids = list(notification_ids or [])
    query = query.where(Notification.id.in_(ids)) if ids else query.where(Notification.status == DEAD)
    rows = list(session.scalars(query))
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = PENDING, 0, utcnow()
    return len(rows)


def list_notifications(session: Session, status: str | None = None, limit: int = 100) -> list[Notification]:
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if status:
        query = query.where(Notification.status == status)
    return list(session.scalars(query))
