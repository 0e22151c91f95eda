"""What a crawl run changed: the pure diff of two snapshots, then ``record_changes`` on a real database."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date

import pytest
from sqlalchemy import event, select

from monitor.changes.detect import RunDiff, _save, assess, diff_snapshots, record_changes
from monitor.classify import TopicClassifier, build_classifiers
from monitor.config import load_config
from monitor.service.crawls import process_undiffed_runs
from storage.db import Database
from storage.models import (
    CrawlRun,
    Notification,
    Response,
    ResponseFacts,
    ResponseVersion,
    Subscriber,
    TopicMatch,
)
from storage.outbox import SubscriberRow, sync_subscribers
from storage.records import ResponseRecord, SnapshotEntry
from storage.responses import get_response, preload_versions, store_response
from storage.runs import RunStats, SourceRow, finish_run, record_stats, start_run, sync_sources
from tests.conftest import REPO

A1 = SnapshotEntry(response_id=1, version_id=1, content_hash="a1")
A2 = SnapshotEntry(response_id=1, version_id=4, content_hash="a2")
B1 = SnapshotEntry(response_id=2, version_id=2, content_hash="b1")
C1 = SnapshotEntry(response_id=3, version_id=3, content_hash="c1")


@pytest.mark.parametrize(
    ("before", "after", "complete", "new", "changed", "withdrawn"),
    [
        pytest.param({}, {"a": A1, "b": B1}, True, [A1, B1], [], [], id="empty-before-all-new"),
        pytest.param({}, {}, True, [], [], [], id="nothing-at-all"),
        pytest.param({"a": A1}, {"a": A1, "c": C1}, True, [C1], [], [], id="new"),
        pytest.param({"a": A1}, {"a": A2}, True, [], [A2], [], id="changed"),
        pytest.param({"a": A1, "b": B1}, {"a": A1, "b": B1}, True, [], [], [], id="unchanged"),
        pytest.param({"a": A1, "b": B1}, {"a": A1}, True, [], [], [B1], id="missing-from-complete-run"),
        pytest.param({"a": A1, "b": B1}, {"a": A1}, False, [], [], [], id="missing-from-incomplete-run"),
        pytest.param({"a": A1}, {}, True, [], [], [A1], id="complete-run-saw-nothing"),
        pytest.param({"a": A1}, {}, False, [], [], [], id="incomplete-run-saw-nothing"),
        pytest.param(
            {"a": A1, "b": B1},
            {"a": A2, "c": C1},
            False,
            [C1],
            [A2],
            [],
            id="incomplete-still-new-and-changed",
        ),
        pytest.param({"a": A1, "b": B1}, {"a": A2, "c": C1}, True, [C1], [A2], [B1], id="all-at-once"),
    ],
)
def test_diff_snapshots(
    before: dict[str, SnapshotEntry],
    after: dict[str, SnapshotEntry],
    complete: bool,
    new: list[SnapshotEntry],
    changed: list[SnapshotEntry],
    withdrawn: list[SnapshotEntry],
) -> None:
    assert diff_snapshots(before, after, complete) == RunDiff(new=new, changed=changed, withdrawn=withdrawn)


MET = SourceRow(
    "metropolitan-police",
    "police_soh",
    "Metropolitan Police Service",
    "https://www.met.police.uk/foi-ai/metropolitan-police/disclosure-log/",
)
CLEVELAND = SourceRow(
    "cleveland-police",
    "police_soh",
    "Cleveland Police",
    "https://www.cleveland.police.uk/foi-ai/cleveland-police/disclosure/",
)
PRESS_DESK = SubscriberRow("press-desk", ("json://127.0.0.1:8080/hook",), ("cctv",))
CLEVELAND_DESK = SubscriberRow(
    "cleveland-desk", ("mailto://newsdesk@example.org",), ("cctv",), authorities=("Cleveland Police",)
)
MET_LOG = "https://www.met.police.uk/foi-ai/metropolitan-police"


def _met(key: str, title: str, path: str, published: date, request: str, response: str) -> ResponseRecord:
    return ResponseRecord(
        source_id=MET.id,
        key=key,
        authority=MET.authority,
        title=title,
        url=f"{MET_LOG}/{path}/",
        reference=key,
        published=published,
        request=request,
        response=response,
        outcome="released",
    )


HIKVISION = _met(
    "01.FOI.23.032871",
    "Hikvision cameras in custody suites",
    "disclosure-2023/november-2023/hikvision-cameras-in-custody-suites",
    date(2023, 11, 28),
    "1. Does the MPS use CCTV cameras manufactured by Hikvision or Dahua in any of its custody suites?\n"
    "2. If so, how many of these cameras are installed, and in which custody suites?",
    "I have today decided to disclose some of the requested information. The MPS has 212 cameras "
    "manufactured by Hikvision installed across its custody suites.",
)
FLEET = _met(
    "01.FOI.23.032206",
    "Police vehicle fleet costs",
    "disclosure-2023/november-2023/police-vehicle-fleet-costs",
    date(2023, 11, 14),
    "The size of the MPS vehicle fleet at 31 March 2023, broken down by type of vehicle.\n"
    "How many fleet vehicles are fully electric.",
    "I have today decided to disclose the requested information. At 31 March 2023 the MPS fleet "
    "comprised 5,073 vehicles, of which 642 were fully electric.",
)
ESTATE_CCTV = _met(
    "01.FOI.24.041290",
    "CCTV on the police estate",
    "disclosure-2024/december-2024/cctv-on-the-police-estate",
    date(2024, 12, 9),
    "Q1 - What brand of CCTV cameras are in use? If there are multiple please provide a list\n"
    "Q2 - How many cameras are in use across the estate?",
    "The MPS does not specify camera or recording system makes/brands when procuring CCTV systems for "
    "use within the Met Estate. Approximately 4000 cameras are in use across the estate.",
)
SPEED_CAMERAS = _met(
    "01.FOI.23.032540",
    "Speed camera fixed penalty notices 2020 to 2023",
    "disclosure-2023/november-2023/speed-camera-fixed-penalty-notices-2020-to-2023",
    date(2023, 11, 21),
    "Please provide the number of fixed penalty notices issued for speeding offences detected by fixed "
    "and mobile speed cameras in London. Please also tell me which five safety camera sites recorded "
    "the most speeding offences in 2022.",
    "I have today decided to disclose the requested information. Please see the attached document, "
    "which contains the figures for each year.",
)
CLEVELAND_BWV = ResponseRecord(
    source_id=CLEVELAND.id,
    key="7126/25",
    authority=CLEVELAND.authority,
    title="Body worn video cameras",
    url="https://www.cleveland.police.uk/foi-ai/cleveland-police/disclosure/2026/january/foi-7126-body-worn-video-cameras/",
    reference="7126/25",
    published=date(2026, 1, 19),
    request="How many body worn video cameras does Cleveland Police have, and who is the supplier?",
    response="Cleveland Police has 1,150 body worn video cameras supplied by Motorola Solutions.",
    outcome="released",
)


@pytest.fixture(scope="module")
def classifiers() -> dict[str, TopicClassifier]:
    return build_classifiers(load_config(REPO / "config").topics)


@pytest.fixture
def db(database: Database) -> Database:
    with database.session() as session:
        sync_sources(session, [MET, CLEVELAND])
        sync_subscribers(session, [PRESS_DESK, CLEVELAND_DESK])
    return database


def _crawl(
    database: Database,
    records: list[ResponseRecord],
    complete: bool = True,
    status: str = "succeeded",
    source_id: str = MET.id,
) -> int:
    """A finished crawl run that saw ``records``, not yet diffed."""
    with database.session() as session:
        run_id = start_run(session, source_id).id
    with database.session() as session:
        for record in records:
            store_response(session, run_id, record)
        record_stats(session, run_id, RunStats(pages_fetched=3, items=len(records), complete=complete))
        finish_run(session, run_id, status)
    return run_id


def _diff(
    database: Database,
    run_id: int,
    classifiers: Mapping[str, TopicClassifier],
    notify_changed: bool = False,
) -> RunDiff:
    with database.session() as session:
        return record_changes(session, session.get_one(CrawlRun, run_id), classifiers, notify_changed)


def _counts(database: Database, run_id: int) -> tuple[bool, int, int, int]:
    with database.session() as session:
        run = session.get_one(CrawlRun, run_id)
        return run.diffed, run.new_count, run.changed_count, run.withdrawn_count


def _response(database: Database, record: ResponseRecord) -> Response:
    with database.session() as session:
        response_id = session.scalars(
            select(Response.id).where(Response.source_id == record.source_id, Response.key == record.key)
        ).one()
        response = get_response(session, response_id)
    assert response is not None
    return response


def _notifications(database: Database) -> list[tuple[str, str, str, int | None]]:
    with database.session() as session:
        rows = session.execute(
            select(Notification, Subscriber.name)
            .join(Subscriber, Subscriber.id == Notification.subscriber_id)
            .order_by(Notification.id)
        ).all()
        return [(name, n.event, n.event_key, n.response_id) for n, name in rows]


def test_first_run_is_a_silent_baseline(db: Database, classifiers: dict[str, TopicClassifier]) -> None:
    run_id = _crawl(db, [HIKVISION, FLEET])
    diff = _diff(db, run_id, classifiers)

    hikvision, fleet = _response(db, HIKVISION), _response(db, FLEET)
    assert {entry.response_id for entry in diff.new} == {hikvision.id, fleet.id}
    assert (diff.changed, diff.withdrawn) == ([], [])
    assert _counts(db, run_id) == (True, 2, 0, 0)
    with db.session() as session:
        verdicts = session.execute(
            select(ResponseVersion.title, TopicMatch.topic, TopicMatch.matched, TopicMatch.classifier_version)
            .join(TopicMatch, TopicMatch.version_id == ResponseVersion.id)
            .order_by(ResponseVersion.id)
        ).all()
    assert [tuple(v) for v in verdicts] == [
        (HIKVISION.title, "cctv", True, classifiers["cctv"].version),
        (FLEET.title, "cctv", False, classifiers["cctv"].version),
    ]
    assert _notifications(db) == []


def test_new_cctv_response_notifies_its_followers_once(
    db: Database, classifiers: dict[str, TopicClassifier]
) -> None:
    _diff(db, _crawl(db, [HIKVISION, FLEET]), classifiers)
    run_id = _crawl(db, [HIKVISION, FLEET, ESTATE_CCTV, SPEED_CAMERAS])
    diff = _diff(db, run_id, classifiers)

    estate, speed = _response(db, ESTATE_CCTV), _response(db, SPEED_CAMERAS)
    assert {entry.response_id for entry in diff.new} == {estate.id, speed.id}
    assert _counts(db, run_id) == (True, 2, 0, 0)
    # The press desk follows CCTV everywhere; the Cleveland desk only hears about Cleveland Police.
    assert _notifications(db) == [("press-desk", "new", f"new:{estate.id}", estate.id)]
    with db.session() as session:
        notification = session.scalars(select(Notification)).one()
    assert (notification.topic, notification.status, notification.run_id) == ("cctv", "pending", run_id)
    assert notification.version_id == estate.versions[0].id
    assert "CCTV on the police estate" in notification.title
    assert "Reference: 01.FOI.24.041290" in notification.body

    # Diffing the same run again, or seeing the same responses again, repeats nothing.
    _diff(db, run_id, classifiers)
    _diff(db, _crawl(db, [HIKVISION, FLEET, ESTATE_CCTV, SPEED_CAMERAS]), classifiers)
    assert len(_notifications(db)) == 1


def test_authority_filter_admits_its_own_authority(
    db: Database, classifiers: dict[str, TopicClassifier]
) -> None:
    _diff(db, _crawl(db, [], source_id=CLEVELAND.id), classifiers)
    _diff(db, _crawl(db, [CLEVELAND_BWV], source_id=CLEVELAND.id), classifiers)

    bwv = _response(db, CLEVELAND_BWV)
    assert _notifications(db) == [
        ("press-desk", "new", f"new:{bwv.id}", bwv.id),
        ("cleveland-desk", "new", f"new:{bwv.id}", bwv.id),
    ]


def test_a_changed_response_is_classified_but_not_notified_by_default(
    db: Database, classifiers: dict[str, TopicClassifier]
) -> None:
    amended = dataclasses.replace(
        ESTATE_CCTV, response=ESTATE_CCTV.response + " The CCTV cameras were last replaced in 2019."
    )
    _diff(db, _crawl(db, [ESTATE_CCTV]), classifiers)
    run_id = _crawl(db, [amended])
    diff = _diff(db, run_id, classifiers)

    estate = _response(db, ESTATE_CCTV)
    old, new = estate.versions
    assert diff.changed == [SnapshotEntry(estate.id, new.id, amended.content_hash())]
    assert _counts(db, run_id) == (True, 0, 1, 0)
    with db.session() as session:
        matched = session.scalars(select(TopicMatch.matched).where(TopicMatch.version_id == new.id)).all()
    assert matched == [True]
    assert _notifications(db) == []

    # A deployment that asks for updates hears about the next change, once per version.
    corrected = dataclasses.replace(amended, response=amended.response + " Corrected total: 4,120.")
    run_id = _crawl(db, [corrected])
    _diff(db, run_id, classifiers, notify_changed=True)
    latest = _response(db, ESTATE_CCTV).versions[-1]
    assert _notifications(db) == [("press-desk", "changed", f"changed:{latest.id}", estate.id)]
    # The update says what changed since the version before it, in text and (escaped) HTML.
    with db.session() as session:
        update = session.scalars(select(Notification)).one()
    assert "What changed since the last version:" in update.body
    assert "+" + corrected.response in update.body and "-" + amended.response in update.body
    assert "What changed since the last version:" in (update.body_html or "")


@pytest.mark.parametrize(
    ("complete", "status", "withdrawn"),
    [
        pytest.param(True, "succeeded", True, id="complete-succeeded"),
        pytest.param(False, "succeeded", False, id="incomplete"),
        pytest.param(True, "failed", False, id="failed"),
    ],
)
def test_a_response_missing_from_a_run_is_withdrawn_only_after_a_complete_success(
    db: Database, classifiers: dict[str, TopicClassifier], complete: bool, status: str, withdrawn: bool
) -> None:
    _diff(db, _crawl(db, [HIKVISION, FLEET]), classifiers)
    run_id = _crawl(db, [HIKVISION], complete=complete, status=status)
    diff = _diff(db, run_id, classifiers)

    fleet = _response(db, FLEET)
    assert [entry.response_id for entry in diff.withdrawn] == ([fleet.id] if withdrawn else [])
    assert (fleet.withdrawn_at is not None) is withdrawn
    assert _response(db, HIKVISION).withdrawn_at is None
    assert _counts(db, run_id) == (True, 0, 0, int(withdrawn))
    assert _notifications(db) == []


def test_two_runs_diffed_late_withdraw_nothing_and_notify_what_was_new(
    db: Database, classifiers: dict[str, TopicClassifier]
) -> None:
    # Two plain ``scrapy crawl`` runs before the next ``foiwatch crawl``, which diffs both in order.
    _diff(db, _crawl(db, [HIKVISION, FLEET]), classifiers)
    first = _crawl(db, [HIKVISION, FLEET, ESTATE_CCTV])
    second = _crawl(db, [HIKVISION, FLEET, ESTATE_CCTV])
    process_undiffed_runs(db, build_classifiers(load_config(REPO / "config").topics), MET.id)

    assert [_response(db, r).withdrawn_at for r in (HIKVISION, FLEET, ESTATE_CCTV)] == [None, None, None]
    assert (_counts(db, first), _counts(db, second)) == ((True, 1, 0, 0), (True, 0, 0, 0))
    estate = _response(db, ESTATE_CCTV)
    assert _notifications(db) == [("press-desk", "new", f"new:{estate.id}", estate.id)]


def test_a_version_assessed_twice_in_one_session_keeps_one_verdict_and_one_facts_row(
    db: Database, classifiers: dict[str, TopicClassifier]
) -> None:
    """The diff reads verdicts and facts from versions loaded beforehand (``preload_versions``);
    saving the same version's assessment again in that session must refresh those rows, not add."""
    _crawl(db, [HIKVISION, FLEET])
    with db.session() as session:
        ids = list(session.scalars(select(ResponseVersion.id)))
        preload_versions(session, ids)
        for _ in range(2):
            for version_id in ids:
                version = session.get_one(ResponseVersion, version_id)
                _save(session, version, assess(version, classifiers), classifiers)
    with db.session() as session:
        columns = (TopicMatch.version_id, TopicMatch.topic, TopicMatch.classifier_version)
        rows = [tuple(row) for row in session.execute(select(*columns))]
        facts = list(session.scalars(select(ResponseFacts.version_id)))
    assert len(rows) == len(set(rows)) == len(ids) * len(classifiers)
    assert facts and len(facts) == len(set(facts))


def _statements_of_diff(
    database: Database, records: list[ResponseRecord], classifiers: Mapping[str, TopicClassifier]
) -> int:
    """SQL queries (reads) of the diff of a source's first run (a silent baseline) that saw ``records``."""
    run_id = _crawl(database, records, source_id=records[0].source_id)
    statements: list[str] = []

    def count(*args: object) -> None:
        if str(args[2]).lstrip().upper().startswith("SELECT"):
            statements.append(str(args[2]))

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        _diff(database, run_id, classifiers)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    return len(statements)


def _copies(record: ResponseRecord, source: SourceRow, count: int) -> list[ResponseRecord]:
    return [
        dataclasses.replace(
            record,
            source_id=source.id,
            authority=source.authority,
            key=f"{record.key}-{n}",
            reference=f"{record.key}-{n}",
            url=f"{record.url}{n}/",
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("record", [HIKVISION, FLEET], ids=["cctv", "other"])
def test_the_diff_reads_as_many_times_for_forty_new_responses_as_for_four(
    db: Database, classifiers: dict[str, TopicClassifier], record: ResponseRecord
) -> None:
    """Versions are read in one batch with their attachments, verdicts and facts: no query per
    version (four of them each made a large first crawl's diff slow). Writes are one flush; the ORM
    inserts each verdict row on its own on SQLite, so only reads are counted."""
    few = _statements_of_diff(db, _copies(record, MET, 4), classifiers)
    many = _statements_of_diff(db, _copies(record, CLEVELAND, 40), classifiers)
    assert many == few
