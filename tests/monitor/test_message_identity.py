"""Every message has one identity on every attempt, so a receiver can drop a repeat after a crash."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from email import message_from_bytes, policy
from urllib.parse import parse_qs

from sqlalchemy import select, update

from monitor.config import NotificationSettings
from monitor.demo.localsite import Receiver
from monitor.notify.deliver import deliver_pending
from storage.db import Database
from storage.models import Notification
from storage.outbox import (
    FAILED,
    SENDING,
    OutgoingMessage,
    SubscriberRow,
    enqueue,
    message_id,
    requeue_stale_sending,
    sync_subscribers,
)
from tests.conftest import Mailbox

SETTINGS = NotificationSettings(max_attempts=4, backoff_base_seconds=1, timeout_seconds=5)


def _queue(database: Database, name: str, urls: tuple[str, ...]) -> int:
    with database.session() as session:
        [subscriber_id] = sync_subscribers(session, [SubscriberRow(name, urls, ("cctv",))]).values()
        enqueue(session, OutgoingMessage(subscriber_id, "new:7", "new", "cctv", "CCTV title", "Body"))
        return session.scalars(select(Notification.id)).one()


def _resend(database: Database, notification_id: int) -> None:
    """What a crash after the send leaves behind: the row is due again."""
    with database.session() as session:
        session.execute(update(Notification).where(Notification.id == notification_id).values(status=FAILED))


def test_json_and_form_payloads_carry_the_same_id_on_every_attempt(database: Database) -> None:
    with Receiver() as json_receiver, Receiver() as form_receiver:
        notification_id = _queue(
            database, "hooks", (json_receiver.apprise_url("json"), form_receiver.apprise_url("form"))
        )
        assert deliver_pending(database, SETTINGS).sent == 1
        _resend(database, notification_id)
        assert deliver_pending(database, SETTINGS).sent == 1
    with database.session() as session:
        expected = message_id(session.get_one(Notification, notification_id))
    ids = [json.loads(body)["id"] for body in json_receiver.received]
    assert ids == [expected, expected]
    assert [parse_qs(body.decode())["id"] for body in form_receiver.received] == [[expected], [expected]]
    assert expected.startswith(f"foiwatch-{notification_id}-")


def test_email_message_id_is_the_same_on_a_repeat(database: Database, mailbox: Mailbox) -> None:
    notification_id = _queue(database, "desk", (mailbox.url,))
    assert deliver_pending(database, SETTINGS).sent == 1
    _resend(database, notification_id)
    assert deliver_pending(database, SETTINGS).sent == 1
    emails = [message_from_bytes(raw, policy=policy.default) for raw in mailbox.messages]
    with database.session() as session:
        expected = f"<{message_id(session.get_one(Notification, notification_id))}@foiwatch>"
    assert [e.get_all("Message-ID") for e in emails] == [[expected], [expected]]


def _claimed_by(database: Database, notification_id: int, owner: str) -> None:
    with database.session() as session:
        session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(status=SENDING, claimed_by=owner)
        )


def test_a_row_is_requeued_only_once_its_sender_is_gone(database: Database) -> None:
    from datetime import timedelta

    notification_id = _queue(database, "desk", ("json://127.0.0.1:9/",))
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _claimed_by(database, notification_id, f"{alive.pid}@{socket.gethostname()}")
        with database.session() as session:
            # Another live process is still sending it: never send it a second time meanwhile.
            assert requeue_stale_sending(session, older_than=timedelta(0)) == 0
    finally:
        alive.kill()
        alive.wait()
    with database.session() as session:
        assert requeue_stale_sending(session, older_than=timedelta(hours=1)) == 1
        row = session.get_one(Notification, notification_id)
        assert (row.status, row.claimed_by) == (FAILED, None)
        assert "sender stopped" in (row.last_error or "")
    with database.session() as session:
        assert requeue_stale_sending(session, older_than=timedelta(0)) == 0
