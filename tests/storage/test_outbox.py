"""The notification outbox and subscribers on a real database: idempotence, claiming, retries."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from storage.db import Database
from storage.models import Notification, Subscriber
from storage.outbox import (
    OutgoingMessage,
    SubscriberRow,
    active_subscribers,
    claim,
    due_ids,
    enqueue,
    list_notifications,
    mark_failed,
    mark_sent,
    requeue_stale_sending,
    sync_subscribers,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RACE_WORKERS, RACE_ROWS = 4, 40
PRESS_DESK = SubscriberRow("press-desk", ("json://127.0.0.1:8080/hook",), ("cctv",))
RESEARCHER = SubscriberRow(
    "researcher", ("mailto://alerts@example.org",), ("cctv",), authorities=("Cleveland Police",)
)


@pytest.fixture
def subscribers(database: Database) -> dict[str, int]:
    with database.session() as session:
        return sync_subscribers(session, [PRESS_DESK, RESEARCHER])


def _message(
    subscriber_id: int, event_key: str = "new:1", title: str = "CCTV on the police estate"
) -> OutgoingMessage:
    return OutgoingMessage(
        subscriber_id=subscriber_id,
        event_key=event_key,
        event="new",
        topic="cctv",
        title=f"[foiwatch] New CCTV FOI response: Metropolitan Police Service: {title}",
        body="Metropolitan Police Service: CCTV on the police estate\nReference: 01.FOI.24.041290",
    )


def _queue(database: Database, message: OutgoingMessage) -> int:
    with database.session() as session:
        assert enqueue(session, message)
        return session.scalars(
            select(Notification.id).where(
                Notification.subscriber_id == message.subscriber_id,
                Notification.event_key == message.event_key,
            )
        ).one()


def _row(database: Database, notification_id: int) -> Notification:
    with database.session() as session:
        return session.get_one(Notification, notification_id)


def _due(database: Database, now: datetime | None = None) -> list[int]:
    with database.session() as session:
        return due_ids(session, now)


def test_enqueue_is_idempotent_per_subscriber_and_event(
    database: Database, subscribers: dict[str, int]
) -> None:
    press, researcher = subscribers["press-desk"], subscribers["researcher"]
    with database.session() as session:
        results = [
            enqueue(session, _message(press, "new:1")),
            enqueue(session, _message(press, "new:1", title="a different rendering")),
            enqueue(session, _message(researcher, "new:1")),
            enqueue(session, _message(press, "new:2")),
        ]
    with database.session() as session:
        # A later run or a retried diff must not queue the same event again.
        again = enqueue(session, _message(press, "new:2"))
        rows = session.scalars(select(Notification).order_by(Notification.id)).all()

    assert results == [True, False, True, True]
    assert again is False
    assert [(r.subscriber_id, r.event_key, r.status) for r in rows] == [
        (press, "new:1", "pending"),
        (researcher, "new:1", "pending"),
        (press, "new:2", "pending"),
    ]
    assert rows[0].title.endswith(": CCTV on the police estate")


def test_claim_then_mark_sent(database: Database, subscribers: dict[str, int]) -> None:
    with freeze_time(T0):
        notification_id = _queue(database, _message(subscribers["press-desk"]))
        assert _due(database) == [notification_id]
        with database.session() as session:
            claimed = claim(session, notification_id)
            assert claimed is not None
            assert (claimed.status, claimed.attempts) == ("sending", 1)
        assert _due(database) == []
    with freeze_time(T0 + timedelta(seconds=2)), database.session() as session:
        mark_sent(session, notification_id)

    row = _row(database, notification_id)
    assert (row.status, row.attempts, row.sent_at, row.last_error) == (
        "sent",
        1,
        T0 + timedelta(seconds=2),
        None,
    )
    assert _due(database, T0 + timedelta(days=30)) == []


def test_a_claimed_row_cannot_be_claimed_again(
    database: Database, database_url: str, subscribers: dict[str, int]
) -> None:
    notification_id = _queue(database, _message(subscribers["press-desk"]))
    with database.session() as session:
        assert claim(session, notification_id) is not None

    with database.session() as session:
        assert claim(session, notification_id) is None
    other_worker = Database(database_url)
    try:
        with other_worker.session() as session:
            assert claim(session, notification_id) is None
    finally:
        other_worker.dispose()
    with database.session() as session:
        mark_sent(session, notification_id)
        assert claim(session, notification_id) is None
        assert claim(session, notification_id + 1000) is None
    assert _row(database, notification_id).attempts == 1


def test_a_failed_row_waits_for_its_retry_time(database: Database, subscribers: dict[str, int]) -> None:
    with freeze_time(T0):
        notification_id = _queue(database, _message(subscribers["press-desk"]))
        with database.session() as session:
            claim(session, notification_id)
            mark_failed(session, notification_id, "HTTP 503 from receiver", timedelta(minutes=10))

    row = _row(database, notification_id)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "HTTP 503 from receiver")
    assert row.next_attempt_at == T0 + timedelta(minutes=10)
    assert _due(database, T0 + timedelta(minutes=9, seconds=59)) == []
    assert _due(database, T0 + timedelta(minutes=10)) == [notification_id]
    with freeze_time(T0 + timedelta(minutes=9)):
        assert _due(database) == []
    with freeze_time(T0 + timedelta(minutes=11)):
        assert _due(database) == [notification_id]
        with database.session() as session:
            retried = claim(session, notification_id)
            assert retried is not None
            assert (retried.status, retried.attempts) == ("sending", 2)


def test_a_row_given_up_on_is_dead(database: Database, subscribers: dict[str, int]) -> None:
    notification_id = _queue(database, _message(subscribers["press-desk"]))
    with database.session() as session:
        claim(session, notification_id)
        mark_failed(session, notification_id, "x" * 5000, None)

    row = _row(database, notification_id)
    assert row.status == "dead"
    assert row.last_error == "x" * 2000
    assert _due(database, datetime.now(UTC) + timedelta(days=365)) == []
    with database.session() as session:
        assert claim(session, notification_id) is None


def test_requeue_stale_sending(database: Database, subscribers: dict[str, int]) -> None:
    # Rows claimed by this very process (a thread whose bookkeeping failed) go back after the age
    # limit; rows of a dead sender at once (tests/monitor/test_message_identity.py).
    press = subscribers["press-desk"]
    with freeze_time(T0):
        stale = _queue(database, _message(press, "new:1"))
        recent = _queue(database, _message(press, "new:2"))
        with database.session() as session:
            claim(session, stale)
    with freeze_time(T0 + timedelta(minutes=20)), database.session() as session:
        claim(session, recent)

    with freeze_time(T0 + timedelta(minutes=30)):
        with database.session() as session:
            assert requeue_stale_sending(session, timedelta(minutes=15)) == 1
        assert _due(database) == [stale]
    assert (_row(database, stale).status, _row(database, stale).last_error) == (
        "failed",
        "interrupted while sending (the sender stopped); sent again",
    )
    assert _row(database, recent).status == "sending"


def test_list_notifications_filters_by_status_before_the_limit(
    database: Database, subscribers: dict[str, int]
) -> None:
    press = subscribers["press-desk"]
    statuses = ["failed", "dead", "failed"] + ["sent"] * 5  # the failed ones are the oldest
    for number, status in enumerate(statuses):
        notification_id = _queue(database, _message(press, f"new:{number}"))
        with database.session() as session:
            session.get_one(Notification, notification_id).status = status

    with database.session() as session:
        newest_two = list_notifications(session, statuses={"failed", "dead"}, limit=2)
        everything = list_notifications(session, limit=100)
    assert [(row.event_key, row.status) for row in newest_two] == [("new:2", "failed"), ("new:1", "dead")]
    assert len(everything) == len(statuses) and everything[0].event_key == "new:7"


def test_sync_subscribers_follows_the_configuration(database: Database, subscribers: dict[str, int]) -> None:
    with freeze_time(T0), database.session() as session:
        session.add(
            Subscriber(
                name="added-by-hand",
                urls=["json://127.0.0.1:9090/"],
                topics=["cctv"],
                authorities=[],
                active=True,
                origin="cli",
                created_at=T0,
                updated_at=T0,
            )
        )
    moved_desk = SubscriberRow(
        "press-desk", ("json://127.0.0.1:8081/hook",), ("cctv",), ("Cleveland Police",)
    )

    with database.session() as session:
        ids = sync_subscribers(session, [moved_desk])
    with database.session() as session:
        rows = {s.name: s for s in session.scalars(select(Subscriber))}
        active = [s.name for s in active_subscribers(session)]

    assert ids == {"press-desk": subscribers["press-desk"]}
    assert active == ["press-desk", "added-by-hand"]
    assert rows["researcher"].active is False
    assert (rows["press-desk"].urls, rows["press-desk"].authorities) == (
        ["json://127.0.0.1:8081/hook"],
        ["Cleveland Police"],
    )
    hand = rows["added-by-hand"]
    assert (hand.active, hand.origin, hand.urls, hand.updated_at) == (
        True,
        "cli",
        ["json://127.0.0.1:9090/"],
        T0,
    )

    with database.session() as session:
        assert sync_subscribers(session, [moved_desk, RESEARCHER]) == subscribers
        assert [s.name for s in active_subscribers(session)] == ["press-desk", "researcher", "added-by-hand"]


def test_workers_racing_for_the_same_rows_claim_each_exactly_once(
    database: Database, database_url: str, subscribers: dict[str, int]
) -> None:
    # Deliveries can run at once (the delivery job, a source job that just finished, a manual
    # `notifications deliver`), each with its own engine. Here every worker tries every due row, in
    # the same order, all released together; however their statements interleave, each row must go
    # to exactly one worker (a claim that reads the row and writes it later would hand some out twice).
    ids = [_queue(database, _message(subscribers["press-desk"], f"new:{n}")) for n in range(RACE_ROWS)]
    start = threading.Barrier(RACE_WORKERS)

    def worker() -> tuple[list[int], list[int]]:
        try:
            own = Database(database_url)
        except BaseException:
            start.abort()  # the others would wait for this worker in vain
            raise
        attempted: list[int] = []
        won: list[int] = []
        try:
            start.wait(timeout=60)
            for notification_id in ids:
                with own.session() as session:
                    if claim(session, notification_id) is not None:
                        won.append(notification_id)
                attempted.append(notification_id)
        finally:
            own.dispose()
        return attempted, won

    with ThreadPoolExecutor(RACE_WORKERS) as pool:
        results = [future.result() for future in [pool.submit(worker) for _ in range(RACE_WORKERS)]]

    assert [attempted for attempted, _ in results] == [ids] * RACE_WORKERS
    wins = Counter(notification_id for _, won in results for notification_id in won)
    assert wins == Counter(ids), {n: count for n, count in wins.items() if count != 1}
    with database.session() as session:
        rows = session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(row.status, row.attempts) for row in rows] == [("sending", 1)] * RACE_ROWS
