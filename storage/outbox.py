"""Subscribers and the notification outbox.

Delivery is at-least-once with a tiny window: a row is claimed (``sending``, with the claiming
process as ``claimed_by``) and committed before the send, then marked ``sent`` right after. Only a
crash between the send and that commit can repeat a message: ``requeue_stale_sending`` puts a row
back once the process that claimed it is gone, never while it may still be sending. Every message
has a stable ``message_id`` so receivers can drop the repeat.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.clock import utcnow
from storage.db import affected_rows
from storage.models import Notification, Subscriber
from storage.processes import owner_gone, this_process

PENDING, SENDING, SENT, FAILED, DEAD = "pending", "sending", "sent", "failed", "dead"
# held: waiting for the subscriber's digest; digested: sent as part of one (``digest_id``)
HELD, DIGESTED = "held", "digested"


@dataclass(frozen=True)
class SubscriberRow:
    name: str
    urls: tuple[str, ...]
    topics: tuple[str, ...]
    authorities: tuple[str, ...] = ()
    active: bool = True
    admin: bool = False
    sources: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    cadence: str = "immediate"
    updates: bool = False
    origin: str = "config"
    apprise_config: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutgoingMessage:
    subscriber_id: int
    event_key: str
    event: str
    topic: str
    title: str
    body: str
    body_html: str | None = None
    held: bool = False
    response_id: int | None = None
    version_id: int | None = None
    run_id: int | None = None


def sync_subscribers(session: Session, rows: Iterable[SubscriberRow]) -> dict[str, int]:
    """Make the subscribers table match the configuration; unlisted subscribers become inactive."""
    now = utcnow()
    ids: dict[str, int] = {}
    wanted = {row.name: row for row in rows}
    for configured in session.scalars(select(Subscriber).where(Subscriber.origin == "config")):
        if configured.name not in wanted:
            configured.active, configured.updated_at = False, now
    for row in wanted.values():
        subscriber = session.scalars(select(Subscriber).where(Subscriber.name == row.name)).first()
        if subscriber is None:
            subscriber = Subscriber(name=row.name, origin="config", created_at=now)
            session.add(subscriber)
        subscriber.urls, subscriber.topics = list(row.urls), list(row.topics)
        subscriber.authorities, subscriber.active = list(row.authorities), row.active
        subscriber.admin, subscriber.sources, subscriber.terms = row.admin, list(row.sources), list(row.terms)
        subscriber.cadence, subscriber.updates = row.cadence, row.updates
        subscriber.apprise_config, subscriber.tags = row.apprise_config, list(row.tags)
        subscriber.updated_at = now
        session.flush()
        ids[row.name] = subscriber.id
    return ids


class SubscriberError(ValueError):
    """A subscriber command that cannot be carried out (unknown name, name taken)."""


def add_subscriber(session: Session, row: SubscriberRow) -> Subscriber:
    """A subscriber managed from the command line (configuration syncs leave it alone)."""
    if session.scalars(select(Subscriber).where(Subscriber.name == row.name)).first() is not None:
        raise SubscriberError(f"a subscriber named {row.name!r} already exists")
    now = utcnow()
    subscriber = Subscriber(
        name=row.name,
        urls=list(row.urls),
        topics=list(row.topics),
        authorities=list(row.authorities),
        active=True,
        admin=row.admin,
        sources=list(row.sources),
        terms=list(row.terms),
        cadence=row.cadence,
        updates=row.updates,
        origin="cli",
        created_at=now,
        updated_at=now,
    )
    session.add(subscriber)
    session.flush()
    return subscriber


def list_subscribers(session: Session) -> list[Subscriber]:
    """Every subscriber, removed ones included, by name."""
    return list(session.scalars(select(Subscriber).order_by(Subscriber.name)))


def subscriber_names(session: Session) -> dict[int, str]:
    """Each subscriber's name by its row id (messages name their subscriber by id)."""
    return {row.id: row.name for row in session.execute(select(Subscriber.id, Subscriber.name))}


def find_subscriber(session: Session, name: str) -> Subscriber:
    subscriber = session.scalars(select(Subscriber).where(Subscriber.name == name)).first()
    if subscriber is None:
        raise SubscriberError(f"no subscriber named {name!r}")
    return subscriber


def remove_subscriber(session: Session, name: str) -> int:
    """Deactivate a subscriber; its undelivered messages are closed (history is kept). Returns how many."""
    subscriber = find_subscriber(session, name)
    subscriber.active, subscriber.updated_at = False, utcnow()
    rows = session.scalars(
        select(Notification).where(
            Notification.subscriber_id == subscriber.id,
            Notification.status.in_((PENDING, FAILED, HELD)),
        )
    )
    closed = 0
    for row in rows:
        row.status, row.last_error = DEAD, "subscriber removed"
        closed += 1
    return closed


def mute_subscriber(session: Session, name: str, until: datetime | None) -> None:
    """Nothing is queued for a muted subscriber until ``until`` (None unmutes)."""
    subscriber = find_subscriber(session, name)
    subscriber.muted_until, subscriber.updated_at = until, utcnow()


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
            body_html=message.body_html,
            response_id=message.response_id,
            version_id=message.version_id,
            run_id=message.run_id,
            status=HELD if message.held else PENDING,
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


def message_id(notification: Notification) -> str:
    """The message's identity, the same on every attempt: receivers use it to drop a repeat."""
    digest = hashlib.sha256(f"{notification.subscriber_id}:{notification.event_key}".encode()).hexdigest()
    return f"foiwatch-{notification.id}-{digest[:16]}"


def claim(session: Session, notification_id: int, owner: str | None = None) -> Notification | None:
    """Move a due row to ``sending`` for ``owner`` (this process); None if another worker took it first.

    One conditional UPDATE, so two workers can never both claim a row (SQLite has no row locks).
    """
    taken = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status.in_((PENDING, FAILED)))
        .values(
            status=SENDING,
            attempts=Notification.attempts + 1,
            next_attempt_at=utcnow(),
            claimed_by=owner or this_process(),
        )
        .execution_options(synchronize_session=False)
    )
    if affected_rows(taken) != 1:
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
    """Rows left in ``sending`` by a process that died go back to the queue, once each.

    A row whose sender is another live process stays (a slow send must not go out twice). A row of
    this process (a thread whose bookkeeping failed) or of another host, where liveness cannot be
    checked, goes back only after ``older_than``, longer than any send may take.
    """
    cutoff = utcnow() - older_than
    me = this_process()
    requeued = 0
    for row in session.scalars(select(Notification).where(Notification.status == SENDING)):
        gone = owner_gone(row.claimed_by)
        if gone is False and row.claimed_by != me:
            continue
        if not gone and row.next_attempt_at >= cutoff:
            continue
        row.status, row.claimed_by = FAILED, None
        row.last_error = "interrupted while sending (the sender stopped); sent again"
        requeued += 1
    return requeued


def requeue_dead(session: Session, notification_ids: Iterable[int] | None = None) -> int:
    """Put dead (or given failed/dead) messages back in the queue with a fresh set of attempts."""
    query = select(Notification).where(Notification.status.in_((DEAD, FAILED)))
    ids = list(notification_ids or [])
    query = query.where(Notification.id.in_(ids)) if ids else query.where(Notification.status == DEAD)
    rows = list(session.scalars(query))
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = PENDING, 0, utcnow()
    return len(rows)


def list_notifications(
    session: Session, statuses: Collection[str] | None = None, limit: int = 100
) -> list[Notification]:
    """The newest ``limit`` notifications, or the newest ``limit`` of those in ``statuses``."""
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if statuses:
        query = query.where(Notification.status.in_(sorted(statuses)))
    return list(session.scalars(query))


def count_by_status(session: Session) -> dict[str, int]:
    """How many notifications are in each status (pending, sending, sent, failed, dead, held...)."""
    rows = session.execute(select(Notification.status, func.count()).group_by(Notification.status))
    return {status: count for status, count in rows}


def oldest_undelivered(session: Session) -> datetime | None:
    """When the oldest message still waiting to go out (pending, sending or failed) was queued."""
    return session.scalar(
        select(func.min(Notification.created_at)).where(Notification.status.in_((PENDING, SENDING, FAILED)))
    )
