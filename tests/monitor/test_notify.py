"""Real delivery through apprise to HTTP receivers on 127.0.0.1: success, retry, recovery, dead letters."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs

from freezegun import freeze_time
from sqlalchemy import select

from monitor.config import NotificationSettings
from monitor.demo.localsite import Receiver
from monitor.notify.deliver import deliver_pending, redact_text, redact_url
from storage.clock import utcnow
from storage.db import Database
from storage.models import Notification, Subscriber
from storage.outbox import OutgoingMessage, SubscriberRow, enqueue, sync_subscribers

SETTINGS = NotificationSettings(
    max_attempts=4, backoff_base_seconds=60, backoff_cap_seconds=600, timeout_seconds=5
)


def _queue(database: Database, urls: dict[str, list[str]], events: int = 1) -> dict[str, int]:
    with database.session() as session:
        ids = sync_subscribers(
            session, [SubscriberRow(name, tuple(u), ("cctv",)) for name, u in urls.items()]
        )
        for name, subscriber_id in ids.items():
            for number in range(events):
                enqueue(
                    session,
                    OutgoingMessage(
                        subscriber_id,
                        f"new:{number}",
                        "new",
                        "cctv",
                        f"CCTV response {number} for {name}",
                        f"Body {number} <b>x</b>",
                    ),
                )
    return ids


def _statuses(database: Database) -> list[tuple[str, int]]:
    with database.session() as session:
        return [
            (n.status, n.attempts) for n in session.scalars(select(Notification).order_by(Notification.id))
        ]


def test_json_and_form_delivery(database: Database) -> None:
    with Receiver() as json_receiver, Receiver() as form_receiver:
        _queue(
            database,
            {"json": [json_receiver.apprise_url("json")], "form": [form_receiver.apprise_url("form")]},
        )
        report = deliver_pending(database, SETTINGS)
    assert (report.sent, report.failed, report.dead) == (2, 0, 0)
    payload = json.loads(json_receiver.received[0])
    assert payload["title"] == "CCTV response 0 for json"
    assert payload["message"] == "Body 0 <b>x</b>"
    form = parse_qs(form_receiver.received[0].decode())
    assert form["title"] == ["CCTV response 0 for form"]
    assert _statuses(database) == [("sent", 1), ("sent", 1)]


def test_failing_receiver_is_retried_with_backoff_and_delivered_once(database: Database) -> None:
    with Receiver(fail_first=3) as receiver:
        _queue(database, {"flaky": [receiver.apprise_url()]})
        start = utcnow()
        with freeze_time(start) as clock:
            for attempt in range(1, 4):
                report = deliver_pending(database, SETTINGS)
                assert report.failed == 1
                assert _statuses(database) == [("failed", attempt)]
                # Not due again before its backoff has passed: nothing is sent.
                assert deliver_pending(database, SETTINGS).sent == 0
                clock.tick(timedelta(seconds=SETTINGS.backoff_base_seconds * 2 ** (attempt - 1) + 1))
            report = deliver_pending(database, SETTINGS)
            assert report.sent == 1
            clock.tick(timedelta(hours=1))
            assert deliver_pending(database, SETTINGS).sent == 0
    assert receiver.attempts == 4
    assert len(receiver.received) == 1
    assert _statuses(database) == [("sent", 4)]


def test_dead_receiver_goes_dead_and_others_are_unaffected(database: Database, tmp_path: Path) -> None:
    with Receiver(fail_first=10**6) as broken, Receiver() as healthy:
        _queue(database, {"broken": [broken.apprise_url()], "healthy": [healthy.apprise_url()]})
        with freeze_time(utcnow()) as clock:
            for _ in range(SETTINGS.max_attempts):
                deliver_pending(database, SETTINGS)
                clock.tick(timedelta(seconds=SETTINGS.backoff_cap_seconds + 1))
            assert deliver_pending(database, SETTINGS).sent == 0
    assert broken.attempts == SETTINGS.max_attempts
    assert len(healthy.received) == 1
    statuses = _statuses(database)
    assert statuses == [("dead", SETTINGS.max_attempts), ("sent", 1)]
    with database.session() as session:
        dead = session.scalars(select(Notification).where(Notification.status == "dead")).one()
        assert "failure" in (dead.last_error or "")


def test_secrets_are_redacted_from_errors() -> None:
    url = "json://alice:s3cr3tpassw0rd@127.0.0.1:9/hook?token=abcdef123456"
    redacted = redact_url(url)
    assert "s3cr3tpassw0rd" not in redacted and "abcdef123456" not in redacted
    text = redact_text(f"failed posting to {url} with s3cr3tpassw0rd and abcdef123456", [url])
    assert "s3cr3tpassw0rd" not in text and "abcdef123456" not in text


def test_a_stuck_sending_row_is_requeued_and_sent(database: Database) -> None:
    with Receiver() as receiver:
        _queue(database, {"crashy": [receiver.apprise_url()]})
        with database.session() as session:
            row = session.scalars(select(Notification)).one()
            row.status, row.attempts = "sending", 1  # as left by a process killed mid-send
        with freeze_time(utcnow() + timedelta(minutes=10)):
            report = deliver_pending(database, SETTINGS)
    assert report.sent == 1
    assert len(receiver.received) == 1
    assert _statuses(database) == [("sent", 2)]


def test_notify_test_and_retry_commands(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli.main import main
    from tests.conftest import write_config

    with Receiver() as good, Receiver(fail_first=10**6) as bad:
        config = write_config(
            tmp_path / "config",
            [],
            subscribers=[
                {"name": "good", "urls": [good.apprise_url()]},
                {"name": "bad", "urls": [bad.apprise_url().replace("json://", "json://user:hunter2secret@")]},
            ],
        )
        base = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
        ok = CliRunner().invoke(main, [*base, "notify", "test", "good"])
        assert ok.exit_code == 0 and "test message delivered" in ok.output
        assert json.loads(good.received[0])["title"] == "[foiwatch] test message"
        failed = CliRunner().invoke(main, [*base, "notify", "test", "bad"])
        assert failed.exit_code == 1 and "failed" in failed.output and "hunter2secret" not in failed.output

        database = Database(f"sqlite:///{tmp_path / 'data' / 'foiwatch.sqlite3'}")
        with database.session() as session:
            row = session.scalars(select(Notification)).first()
            assert row is None
            good_id = session.scalars(select(Subscriber.id).where(Subscriber.name == "good")).one()
            enqueue(session, OutgoingMessage(good_id, "new:1", "new", "cctv", "T", "B"))
            session.scalars(select(Notification)).one().status = "dead"
        retried = CliRunner().invoke(main, [*base, "notifications", "retry"])
        assert retried.exit_code == 0 and "requeued 1; 1 sent" in retried.output
        database.dispose()


def test_notify_test_reaches_a_subscriber_added_from_the_command_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli.main import main
    from tests.conftest import write_config

    config = write_config(tmp_path / "config", [])
    base = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    with Receiver() as inbox:
        added = CliRunner().invoke(main, [*base, "subscribers", "add", "nat", "--url", inbox.apprise_url()])
        assert added.exit_code == 0, added.output
        tested = CliRunner().invoke(main, [*base, "notify", "test", "nat"])
        unknown = CliRunner().invoke(main, [*base, "notify", "test", "nobody"])
    assert tested.exit_code == 0, tested.output
    assert "test message delivered" in tested.output
    assert [json.loads(body)["title"] for body in inbox.received] == ["[foiwatch] test message"]
    assert unknown.exit_code == 1 and "no subscriber named 'nobody'" in unknown.output


def test_a_sender_killed_mid_delivery_loses_nothing(tmp_path: Path) -> None:
    """Kill -9 the delivering process after the receiver has the message but before it is recorded.

    That is the one window where a duplicate is possible: the restarted delivery sends it again.
    Nothing is lost, the row ends ``sent`` exactly once, and there is at most one extra copy.
    """
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import write_config

    with Receiver(delay_seconds=30) as slow:
        config = write_config(
            tmp_path / "config", [], subscribers=[{"name": "desk", "urls": [slow.apprise_url()]}]
        )
        data = tmp_path / "data"
        base = [sys.executable, "-m", "monitor.cli.main", "--config", str(config), "--data-dir", str(data)]
        # creates the database with the configured subscribers
        subprocess.run([*base, "subscribers", "list"], check=True, capture_output=True)
        database = Database(f"sqlite:///{data / 'foiwatch.sqlite3'}")
        with database.session() as session:
            desk = session.scalars(select(Subscriber.id).where(Subscriber.name == "desk")).one()
            enqueue(session, OutgoingMessage(desk, "new:1", "new", "cctv", "CCTV response", "Body"))
        sender = subprocess.Popen(
            [*base, "notifications", "deliver"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        assert slow.arrived.wait(timeout=60), "the message never reached the receiver"
        os.kill(sender.pid, signal.SIGKILL)
        sender.wait(timeout=30)
        assert _statuses(database) == [("sending", 1)]  # received, but the sender died before recording it
        slow.delay_seconds = 0
        with freeze_time(utcnow() + timedelta(minutes=10)):
            report = deliver_pending(database, SETTINGS)
        database.dispose()
    assert report.sent == 1
    assert _statuses(database) == [("sent", 2)]
    assert 1 <= len(slow.received) <= 2  # the duplicate window: at most one extra copy, nothing lost
