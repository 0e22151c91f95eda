"""Subscriptions people shape: filters, mute, updates, digests at their hour, e-mail with escaped HTML."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import select

from monitor.classify import TopicClassifier, build_classifiers
from monitor.cli.main import main
from monitor.config import NotificationSettings, load_config
from monitor.demo.localsite import Receiver
from monitor.notify.deliver import deliver_pending
from storage.db import Database
from storage.models import Notification, Subscriber
from storage.outbox import SubscriberRow, mute_subscriber, sync_subscribers
from storage.runs import sync_sources
from tests.conftest import REPO, Mailbox, write_config
from tests.monitor.test_diff import (
    CLEVELAND,
    ESTATE_CCTV,
    FLEET,
    HIKVISION,
    MET,
    _crawl,
    _diff,
)

SETTINGS = NotificationSettings(backoff_base_seconds=1, backoff_cap_seconds=2, digest_time="08:00")


@pytest.fixture(scope="module")
def classifiers() -> dict[str, TopicClassifier]:
    return build_classifiers(load_config(REPO / "config").topics)


def _subscribe(database: Database, *rows: SubscriberRow) -> None:
    with database.session() as session:
        sync_sources(session, [MET, CLEVELAND])
        sync_subscribers(session, rows)


def _queued(database: Database) -> dict[str, list[tuple[str, str]]]:
    with database.session() as session:
        found: dict[str, list[tuple[str, str]]] = {}
        for row in session.scalars(select(Notification).order_by(Notification.id)):
            name = session.get_one(Subscriber, row.subscriber_id).name
            found.setdefault(name, []).append((row.event_key, row.status))
        return found


def _baseline_then(database: Database, classifiers: dict[str, TopicClassifier], *records: object) -> None:
    _diff(database, _crawl(database, [FLEET]), classifiers)
    _diff(database, _crawl(database, [FLEET, *records]), classifiers)  # type: ignore[list-item]


def test_source_term_and_mute_filters(database: Database, classifiers: dict[str, TopicClassifier]) -> None:
    _subscribe(
        database,
        SubscriberRow("all", ("json://127.0.0.1:9/",), ("cctv",)),
        SubscriberRow("cleveland-only", ("json://127.0.0.1:9/",), ("cctv",), sources=(CLEVELAND.id,)),
        SubscriberRow("hikvision-watch", ("json://127.0.0.1:9/",), ("cctv",), terms=("Hikvision",)),
        SubscriberRow("muted", ("json://127.0.0.1:9/",), ("cctv",)),
    )
    with database.session() as session:
        mute_subscriber(session, "muted", datetime.now(UTC) + timedelta(days=1))
    _baseline_then(database, classifiers, HIKVISION, ESTATE_CCTV)
    queued = _queued(database)
    assert len(queued["all"]) == 2
    assert len(queued["hikvision-watch"]) == 1
    assert "cleveland-only" not in queued and "muted" not in queued


def test_updates_are_sent_only_to_those_who_ask(
    database: Database, classifiers: dict[str, TopicClassifier]
) -> None:
    _subscribe(
        database,
        SubscriberRow("plain", ("json://127.0.0.1:9/",), ("cctv",)),
        SubscriberRow("follower", ("json://127.0.0.1:9/",), ("cctv",), updates=True),
    )
    _baseline_then(database, classifiers, HIKVISION)
    edited = dataclasses.replace(
        HIKVISION, response=HIKVISION.response + "\nA further Hikvision camera was found."
    )
    _diff(database, _crawl(database, [FLEET, edited]), classifiers)
    queued = _queued(database)
    assert [key.split(":")[0] for key, _ in queued["follower"]] == ["new", "changed"]
    assert [key.split(":")[0] for key, _ in queued["plain"]] == ["new"]


def test_daily_digest_goes_out_once_at_its_hour(
    database: Database, classifiers: dict[str, TopicClassifier]
) -> None:
    with Receiver() as receiver:
        _subscribe(database, SubscriberRow("morning", (receiver.apprise_url(),), ("cctv",), cadence="daily"))
        _baseline_then(database, classifiers, HIKVISION, ESTATE_CCTV)
        assert [status for _, status in _queued(database)["morning"]] == ["held", "held"]
        with freeze_time("2026-11-24 07:59:00", tz_offset=0):  # 07:59 in London (GMT in November)
            assert deliver_pending(database, SETTINGS).sent == 0
        with freeze_time("2026-11-24 08:00:30", tz_offset=0):
            assert deliver_pending(database, SETTINGS).sent == 1
            assert deliver_pending(database, SETTINGS).sent == 0
    assert len(receiver.received) == 1
    digest = json.loads(receiver.received[0])
    assert digest["title"] == "[foiwatch] daily digest: 2 new FOI responses"
    assert "== CCTV ==" in digest["message"] and "Metropolitan Police Service" in digest["message"]
    assert "Hikvision cameras in custody suites" in digest["message"]
    # a digest keeps what each message would have said: why it matched, and the facts stated
    hikvision = digest["message"].split("Hikvision cameras in custody suites", 1)[1].split("\n  - ", 1)[0]
    assert "why: “" in hikvision and "Hikvision" in hikvision.split("why: “", 1)[1]
    assert "fact: Vendors: Hikvision" in hikvision
    assert sorted(status for _, status in _queued(database)["morning"]) == ["digested", "digested", "sent"]


def test_weekly_digest_waits_for_its_day(database: Database, classifiers: dict[str, TopicClassifier]) -> None:
    _subscribe(database, SubscriberRow("weekly", ("json://127.0.0.1:9/",), ("cctv",), cadence="weekly"))
    _baseline_then(database, classifiers, HIKVISION)
    from monitor.notify.digest import build_digests

    with database.session() as session, freeze_time("2026-11-24 09:00:00"):  # a Tuesday
        assert build_digests(session, SETTINGS) == 0
    with database.session() as session, freeze_time("2026-11-30 08:30:00"):  # the next Monday
        assert build_digests(session, SETTINGS) == 1


def test_email_is_delivered_with_scraped_text_escaped(
    database: Database, classifiers: dict[str, TopicClassifier], mailbox: Mailbox
) -> None:
    _subscribe(database, SubscriberRow("desk", (mailbox.url,), ("cctv",)))
    hostile = dataclasses.replace(HIKVISION, title="Hikvision cameras <script>alert(1)</script>")
    _baseline_then(database, classifiers, hostile)
    report = deliver_pending(database, SETTINGS)
    assert report.sent == 1, _queued(database)
    email = message_from_bytes(mailbox.messages[0], policy=policy.default)
    assert email["To"] == "desk@example.org"
    html = email.get_body(preferencelist=("html",)).get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "01.FOI.23.032871" in html


def test_subscribers_commands(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config", [])
    base = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    runner = CliRunner()
    added = runner.invoke(
        main,
        [
            *base,
            "subscribers",
            "add",
            "nat",
            "--url",
            "json://u:topsecret@127.0.0.1:9/x",
            "--term",
            "hikvision",
            "--cadence",
            "daily",
        ],
    )
    assert added.exit_code == 0, added.output
    again = runner.invoke(main, [*base, "subscribers", "add", "nat", "--url", "json://127.0.0.1:9/"])
    assert again.exit_code == 1 and "already exists" in again.output
    listed = runner.invoke(main, [*base, "subscribers", "list"])
    assert "nat" in listed.output and "daily" in listed.output and "topsecret" not in listed.output
    muted = runner.invoke(main, [*base, "subscribers", "mute", "nat", "--for", "2d"])
    assert muted.exit_code == 0 and "muted nat until" in muted.output
    assert "muted until" in runner.invoke(main, [*base, "subscribers", "list"]).output
    removed = runner.invoke(main, [*base, "subscribers", "remove", "nat"])
    assert removed.exit_code == 0 and "removed subscriber nat" in removed.output
    assert "removed" in runner.invoke(main, [*base, "subscribers", "list"]).output
    assert runner.invoke(main, [*base, "subscribers", "mute", "nobody"]).exit_code == 1


def test_a_subscriber_from_subscribers_yaml_is_removed_there_not_here(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config", [])
    (config / "subscribers.yaml").write_text(
        "subscribers:\n"
        "  - name: newsroom\n"
        "    urls: [json://127.0.0.1:9/newsroom]\n"
        "  - name: desk\n"
        "    urls: [json://127.0.0.1:9/desk]\n",
        encoding="utf-8",
    )
    base = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    runner = CliRunner()
    added = runner.invoke(main, [*base, "subscribers", "add", "nat", "--url", "json://127.0.0.1:9/"])
    assert added.exit_code == 0, added.output

    refused = runner.invoke(main, [*base, "subscribers", "remove", "desk"])
    assert refused.exit_code == 1
    assert f"subscriber 'desk' is defined in {config / 'subscribers.yaml'}:4" in refused.output
    assert "remove it there or set `enabled: false`" in refused.output
    removed = runner.invoke(main, [*base, "subscribers", "remove", "nat"])
    assert removed.exit_code == 0 and "removed subscriber nat" in removed.output

    listed = runner.invoke(main, [*base, "subscribers", "list"]).output
    states = {line.split()[1]: line.split()[-2] for line in listed.splitlines() if line.startswith("│")}
    assert states == {"desk": "active", "nat": "removed", "newsroom": "active"}


def test_apprise_config_file_with_tags(tmp_path: Path, database: Database) -> None:
    with Receiver() as newsroom, Receiver() as ops:
        apprise_yaml = tmp_path / "config" / "apprise.yml"
        apprise_yaml.parent.mkdir(parents=True)
        apprise_yaml.write_text(
            f"urls:\n  - {newsroom.apprise_url()}:\n      tag: newsroom\n"
            f"  - {ops.apprise_url()}:\n      tag: ops\n",
            encoding="utf-8",
        )
        _subscribe(
            database,
            SubscriberRow("desk", (), ("cctv",), apprise_config=str(apprise_yaml), tags=("newsroom",)),
            SubscriberRow("nobody", (), ("cctv",), apprise_config=str(apprise_yaml), tags=("nonexistent",)),
        )
        with database.session() as session:
            for name in ("desk", "nobody"):
                subscriber = session.scalars(select(Subscriber).where(Subscriber.name == name)).one()
                from storage.outbox import OutgoingMessage, enqueue

                enqueue(session, OutgoingMessage(subscriber.id, "new:1", "new", "cctv", "CCTV", "Body"))
        report = deliver_pending(database, SETTINGS)
    assert (report.sent, report.failed) == (1, 1)
    assert len(newsroom.received) == 1 and not ops.received
    with database.session() as session:
        failed = session.scalars(select(Notification).where(Notification.status == "failed")).one()
        assert "nomatch" in (failed.last_error or "")
