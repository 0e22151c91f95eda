"""Storing crawled responses on a real database: versions, keys, attachments, snapshots, listings."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select, update

from storage.db import Database
from storage.models import Response, ResponseVersion
from storage.records import AttachmentRecord, ResponseRecord, SnapshotEntry
from storage.responses import (
    StoreOutcome,
    get_response,
    known_urls,
    list_versions,
    mark_withdrawn,
    save_topic_match,
    snapshot_before,
    snapshot_of_run,
    store_response,
)
from storage.runs import RunStats, SourceRow, finish_run, record_stats, start_run, sync_sources

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
MET_LOG = "https://www.met.police.uk/foi-ai/metropolitan-police/disclosure-2023/november-2023"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

HIKVISION = ResponseRecord(
    source_id=MET.id,
    key="01.FOI.23.032871",
    authority="Metropolitan Police Service",
    title="Hikvision cameras in custody suites",
    url=f"{MET_LOG}/hikvision-cameras-in-custody-suites/",
    reference="01.FOI.23.032871",
    published=date(2023, 11, 28),
    request="Does the MPS use CCTV cameras manufactured by Hikvision or Dahua in any of its custody suites?",
    response="I have today decided to disclose some of the requested information.",
    outcome="partially_released",
    exemptions=("Section 24(1)", "Section 31(1)(a)"),
)
FLEET = ResponseRecord(
    source_id=MET.id,
    key="01.FOI.23.032206",
    authority="Metropolitan Police Service",
    title="Police vehicle fleet costs",
    url=f"{MET_LOG}/police-vehicle-fleet-costs/",
    reference="01.FOI.23.032206",
    published=date(2023, 11, 14),
    request="The size of the MPS vehicle fleet at 31 March 2023, broken down by type of vehicle.",
    response="I have today decided to disclose the requested information.",
    outcome="released",
)
OVERTIME = ResponseRecord(
    source_id=MET.id,
    key="01.FOI.23.031190",
    authority="Metropolitan Police Service",
    title="Police officer overtime spend 2022-23",
    url=f"{MET_LOG}/police-officer-overtime-spend-2022-23/",
    reference="01.FOI.23.031190",
    published=date(2023, 11, 7),
    request="The total spend on police officer overtime in 2022/23.",
    response="Please see the attached document.",
    outcome="released",
)


def _with_response(record: ResponseRecord, text: str) -> ResponseRecord:
    return dataclasses.replace(record, response=text)


@pytest.fixture
def db(database: Database) -> Database:
    with database.session() as session:
        sync_sources(session, [MET, CLEVELAND])
    return database


def _crawl(database: Database, records: list[ResponseRecord], source_id: str = MET.id) -> tuple[int, list]:
    """One finished, complete crawl run that saw ``records``; returns its id and the store outcomes."""
    with database.session() as session:
        run_id = start_run(session, source_id).id
    with database.session() as session:
        outcomes = [store_response(session, run_id, record) for record in records]
    with database.session() as session:
        record_stats(session, run_id, RunStats(items=len(records), complete=True))
        finish_run(session, run_id, "succeeded")
    return run_id, outcomes


def _response(database: Database, record: ResponseRecord) -> Response:
    with database.session() as session:
        response_id = session.scalars(
            select(Response.id).where(Response.source_id == record.source_id, Response.key == record.key)
        ).one()
        response = get_response(session, response_id)
    assert response is not None
    return response


def _version_count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(ResponseVersion)) or 0


def test_identical_content_is_unchanged_and_only_advances_last_seen(db: Database) -> None:
    with freeze_time(T0):
        first_run, first = _crawl(db, [HIKVISION])
    with freeze_time(T0 + timedelta(hours=6)):
        second_run, second = _crawl(db, [HIKVISION])

    assert first == [StoreOutcome.NEW]
    assert second == [StoreOutcome.UNCHANGED]
    assert _version_count(db) == 1
    response = _response(db, HIKVISION)
    assert response.first_seen == T0
    assert response.last_seen == T0 + timedelta(hours=6)
    assert (response.first_run_id, response.last_run_id) == (first_run, second_run)
    assert response.current_hash == HIKVISION.content_hash()
    [version] = response.versions
    assert version.first_seen == T0
    assert version.last_seen == T0 + timedelta(hours=6)
    assert version.first_run_id == first_run


def test_changed_content_adds_a_version_and_keeps_the_first(db: Database) -> None:
    corrected = _with_response(HIKVISION, "Amended response: 212 Hikvision cameras are installed.")
    with freeze_time(T0):
        first_run, _ = _crawl(db, [HIKVISION])
    with freeze_time(T0 + timedelta(days=1)):
        second_run, outcomes = _crawl(db, [corrected])

    assert outcomes == [StoreOutcome.CHANGED]
    response = _response(db, HIKVISION)
    assert response.current_hash == corrected.content_hash()
    assert response.last_run_id == second_run
    old, new = response.versions
    assert old.content_hash == HIKVISION.content_hash()
    assert old.response_text == "I have today decided to disclose some of the requested information."
    assert old.exemptions == ["Section 24(1)", "Section 31(1)(a)"]
    assert (old.first_run_id, old.first_seen, old.last_seen) == (first_run, T0, T0)
    assert new.content_hash == corrected.content_hash()
    assert new.response_text == "Amended response: 212 Hikvision cameras are installed."
    assert (new.first_run_id, new.first_seen) == (second_run, T0 + timedelta(days=1))


def test_reverting_to_earlier_content_is_a_third_version(db: Database) -> None:
    corrected = _with_response(HIKVISION, "Amended response: 212 Hikvision cameras are installed.")
    outcomes = [_crawl(db, [record])[1][0] for record in (HIKVISION, corrected, HIKVISION)]

    assert outcomes == [StoreOutcome.NEW, StoreOutcome.CHANGED, StoreOutcome.CHANGED]
    response = _response(db, HIKVISION)
    assert [v.content_hash for v in response.versions] == [
        HIKVISION.content_hash(),
        corrected.content_hash(),
        HIKVISION.content_hash(),
    ]
    assert response.current_hash == HIKVISION.content_hash()


def test_a_moved_url_alone_is_not_a_new_version(db: Database) -> None:
    moved = dataclasses.replace(
        HIKVISION, url="https://www.met.police.uk/foi-ai/metropolitan-police/hikvision/"
    )
    _crawl(db, [HIKVISION])
    _, outcomes = _crawl(db, [moved])

    assert outcomes == [StoreOutcome.UNCHANGED]
    response = _response(db, HIKVISION)
    assert response.url == moved.url
    assert len(response.versions) == 1


def test_the_same_key_in_two_sources_is_two_responses(db: Database) -> None:
    cleveland_copy = dataclasses.replace(HIKVISION, source_id=CLEVELAND.id, authority="Cleveland Police")
    _, met_outcomes = _crawl(db, [HIKVISION])
    _, cleveland_outcomes = _crawl(db, [cleveland_copy], source_id=CLEVELAND.id)
    _, again = _crawl(db, [HIKVISION])

    assert (met_outcomes, cleveland_outcomes, again) == (
        [StoreOutcome.NEW],
        [StoreOutcome.NEW],
        [StoreOutcome.UNCHANGED],
    )
    met, cleveland = _response(db, HIKVISION), _response(db, cleveland_copy)
    assert met.id != cleveland.id
    assert [v.authority for v in met.versions] == ["Metropolitan Police Service"]
    assert [v.authority for v in cleveland.versions] == ["Cleveland Police"]


def test_attachments_belong_to_their_version(db: Database) -> None:
    annexes = (
        AttachmentRecord(
            f"{MET_LOG}/police-vehicle-fleet-costs-annex-a.pdf", "Annex A - Fleet size and costs"
        ),
        AttachmentRecord(
            f"{MET_LOG}/police-vehicle-fleet-costs-annex-b.pdf", "Annex B - Vehicles written off"
        ),
    )
    with_annexes = dataclasses.replace(FLEET, attachments=annexes)
    annex_a_only = dataclasses.replace(FLEET, attachments=annexes[:1])
    _crawl(db, [with_annexes])
    _, outcomes = _crawl(db, [annex_a_only])

    assert outcomes == [StoreOutcome.CHANGED]
    old, new = _response(db, FLEET).versions
    assert [(a.url, a.name) for a in old.attachments] == [(a.url, a.name) for a in annexes]
    assert [(a.url, a.name) for a in new.attachments] == [(annexes[0].url, annexes[0].name)]


def test_known_urls_are_the_sources_own(db: Database) -> None:
    cleveland_response = dataclasses.replace(
        OVERTIME,
        source_id=CLEVELAND.id,
        url="https://www.cleveland.police.uk/foi-ai/cleveland-police/disclosure/2026/january/foi-1/",
    )
    _crawl(db, [HIKVISION, FLEET])
    _crawl(db, [cleveland_response], source_id=CLEVELAND.id)

    with db.session() as session:
        assert known_urls(session, MET.id) == {HIKVISION.url, FLEET.url}
        assert known_urls(session, CLEVELAND.id) == {cleveland_response.url}
        assert known_urls(session, "south-wales-police") == set()


def test_known_urls_include_a_url_a_response_moved_to(db: Database) -> None:
    # An incremental crawl skips known URLs; a response that moved without changing must not be
    # fetched again on every incremental crawl.
    moved = dataclasses.replace(
        HIKVISION, url="https://www.met.police.uk/foi-ai/metropolitan-police/hikvision/"
    )
    _crawl(db, [HIKVISION])
    _crawl(db, [moved])

    with db.session() as session:
        assert known_urls(session, MET.id) == {HIKVISION.url, moved.url}


def _entry(database: Database, record: ResponseRecord, version_index: int) -> SnapshotEntry:
    response = _response(database, record)
    version = response.versions[version_index]
    return SnapshotEntry(response.id, version.id, version.content_hash)


def _snapshots(database: Database, run_id: int) -> tuple[dict, dict]:
    with database.session() as session:
        return snapshot_before(session, MET.id, run_id), snapshot_of_run(session, MET.id, run_id)


def test_snapshots_over_a_sequence_of_runs(db: Database) -> None:
    corrected = _with_response(HIKVISION, "Amended response: 212 Hikvision cameras are installed.")

    run1, _ = _crawl(db, [HIKVISION, FLEET])
    before, after = _snapshots(db, run1)
    hik_v1, fleet_v1 = _entry(db, HIKVISION, 0), _entry(db, FLEET, 0)
    assert before == {}
    assert after == {HIKVISION.key: hik_v1, FLEET.key: fleet_v1}

    # Hikvision changes, overtime is new, the fleet response is not listed.
    run2, _ = _crawl(db, [corrected, OVERTIME])
    before, after = _snapshots(db, run2)
    hik_v2, overtime_v1 = _entry(db, HIKVISION, 1), _entry(db, OVERTIME, 0)
    assert before == {HIKVISION.key: hik_v1, FLEET.key: fleet_v1}
    assert after == {HIKVISION.key: hik_v2, OVERTIME.key: overtime_v1}

    with db.session() as session:
        mark_withdrawn(session, [fleet_v1.response_id])
    run3, _ = _crawl(db, [corrected, OVERTIME])
    before, after = _snapshots(db, run3)
    assert before == {HIKVISION.key: hik_v2, OVERTIME.key: overtime_v1}
    assert after == before

    # The withdrawn response comes back unchanged: it is in the earlier state again, not new.
    run4, outcomes = _crawl(db, [corrected, FLEET, OVERTIME])
    before, after = _snapshots(db, run4)
    assert outcomes[1] == StoreOutcome.UNCHANGED
    assert before == {HIKVISION.key: hik_v2, FLEET.key: fleet_v1, OVERTIME.key: overtime_v1}
    assert after == before


def test_snapshots_are_per_source(db: Database) -> None:
    cleveland_copy = dataclasses.replace(HIKVISION, source_id=CLEVELAND.id)
    met_run, _ = _crawl(db, [HIKVISION])
    cleveland_run, _ = _crawl(db, [cleveland_copy], source_id=CLEVELAND.id)

    with db.session() as session:
        assert snapshot_of_run(session, MET.id, cleveland_run) == {}
        assert snapshot_before(session, MET.id, cleveland_run) == {HIKVISION.key: _entry(db, HIKVISION, 0)}
        assert list(snapshot_of_run(session, CLEVELAND.id, cleveland_run)) == [HIKVISION.key]
        assert snapshot_before(session, CLEVELAND.id, met_run) == {}


def test_mark_withdrawn_and_reappearance(db: Database) -> None:
    _crawl(db, [HIKVISION, FLEET])
    fleet_id = _response(db, FLEET).id
    with freeze_time(T0), db.session() as session:
        mark_withdrawn(session, [fleet_id])
        mark_withdrawn(session, [])

    assert _response(db, FLEET).withdrawn_at == T0
    assert _response(db, HIKVISION).withdrawn_at is None
    _crawl(db, [HIKVISION, FLEET])
    assert _response(db, FLEET).withdrawn_at is None


def _classify(
    database: Database, record: ResponseRecord, matched: bool, version: str = "terms-1:abc"
) -> None:
    with database.session() as session:
        response = session.scalars(select(Response).where(Response.key == record.key)).one()
        current = response.versions[-1]
        save_topic_match(session, current.id, "cctv", matched, 0.9 if matched else 0.1, [], [], version)


def test_list_versions_by_topic(db: Database) -> None:
    corrected = _with_response(HIKVISION, "Amended response: 212 Hikvision cameras are installed.")
    _crawl(db, [HIKVISION, FLEET, OVERTIME])
    _classify(db, HIKVISION, matched=True)
    _classify(db, FLEET, matched=False)

    with db.session() as session:
        assert [v.title for v in list_versions(session, topic="cctv")] == [HIKVISION.title]
        assert [v.title for v in list_versions(session)] == [HIKVISION.title, FLEET.title, OVERTIME.title]
        assert [v.title for v in list_versions(session, limit=2)] == [HIKVISION.title, FLEET.title]
        assert list_versions(session, source_id=CLEVELAND.id) == []

    # Only the current version counts: the new text has not been classified yet.
    _crawl(db, [corrected, FLEET, OVERTIME])
    with db.session() as session:
        assert list_versions(session, topic="cctv") == []
        assert [v.response_text for v in list_versions(session) if v.title == HIKVISION.title] == [
            corrected.response
        ]
    _classify(db, HIKVISION, matched=True)
    with db.session() as session:
        [listed] = list_versions(session, topic="cctv")
    assert listed.response_text == corrected.response
    assert listed.response.key == HIKVISION.key


def test_save_topic_match_refreshes_the_same_verdict(db: Database) -> None:
    _crawl(db, [HIKVISION])
    _classify(db, HIKVISION, matched=True)
    _classify(db, HIKVISION, matched=False)

    with db.session() as session:
        assert list_versions(session, topic="cctv") == []
        [version] = list_versions(session)
        assert [(m.topic, m.matched, m.score) for m in version.topic_matches] == [("cctv", False, 0.1)]


def test_list_versions_puts_undated_responses_last(db: Database) -> None:
    _crawl(db, [OVERTIME, FLEET, HIKVISION])
    with db.session() as session:
        # a version stored before date sources were recorded may have no date at all
        session.execute(
            update(ResponseVersion)
            .where(ResponseVersion.title == OVERTIME.title)
            .values(published=None, date_source=None)
        )

    with db.session() as session:
        assert [v.title for v in list_versions(session)] == [HIKVISION.title, FLEET.title, OVERTIME.title]


def test_get_response_loads_versions_attachments_and_matches(db: Database) -> None:
    annex = AttachmentRecord(f"{MET_LOG}/police-vehicle-fleet-costs-annex-a.pdf", "Annex A")
    _crawl(db, [dataclasses.replace(FLEET, attachments=(annex,))])
    _crawl(db, [dataclasses.replace(FLEET, response="Corrected figures.", attachments=(annex,))])
    _classify(db, FLEET, matched=False)
    fleet_id = _response(db, FLEET).id

    with db.session() as session:
        response = get_response(session, fleet_id)
        assert get_response(session, fleet_id + 1000) is None
    # Read after the session closed: everything shown must have been loaded with the response.
    assert response is not None
    assert [v.response_text for v in response.versions] == [FLEET.response, "Corrected figures."]
    assert [[a.name for a in v.attachments] for v in response.versions] == [["Annex A"], ["Annex A"]]
    assert [[m.matched for m in v.topic_matches] for v in response.versions] == [[], [False]]


def _dates(database: Database, record: ResponseRecord) -> list[tuple[date | None, str | None]]:
    return [(v.published, v.date_source) for v in _response(database, record).versions]


def test_the_date_and_where_it_came_from_are_stored(db: Database) -> None:
    from_listing = dataclasses.replace(FLEET, date_source="listing")
    from_address = dataclasses.replace(OVERTIME, published=date(2023, 11, 1), date_source="url-month")
    _crawl(db, [dataclasses.replace(HIKVISION, date_source="page"), from_listing, from_address])

    assert _dates(db, HIKVISION) == [(date(2023, 11, 28), "page")]
    assert _dates(db, FLEET) == [(date(2023, 11, 14), "listing")]
    assert _dates(db, OVERTIME) == [(date(2023, 11, 1), "url-month")]


def test_an_undated_response_takes_the_london_day_it_was_first_seen(db: Database) -> None:
    undated = dataclasses.replace(OVERTIME, published=None)
    # 23:30 UTC on 31 May is 00:30 on 1 June in London
    with freeze_time(datetime(2026, 5, 31, 23, 30, tzinfo=UTC)):
        _crawl(db, [undated])
    with freeze_time(datetime(2026, 6, 9, 12, 0, tzinfo=UTC)):
        _, outcomes = _crawl(db, [undated])

    assert outcomes == [StoreOutcome.UNCHANGED]
    assert _dates(db, OVERTIME) == [(date(2026, 6, 1), "first-seen")]


def test_a_new_date_source_alone_is_not_a_new_version(db: Database) -> None:
    from_listing = dataclasses.replace(HIKVISION, date_source="listing")
    _crawl(db, [from_listing])
    _, outcomes = _crawl(db, [dataclasses.replace(HIKVISION, date_source="page")])

    assert outcomes == [StoreOutcome.UNCHANGED]
    assert _dates(db, HIKVISION) == [(date(2023, 11, 28), "page")]


def test_a_date_derived_from_the_address_is_not_content(db: Database) -> None:
    undated = dataclasses.replace(OVERTIME, published=None)
    dated_by_address = dataclasses.replace(OVERTIME, published=date(2023, 11, 1), date_source="url-month")
    refiled = dataclasses.replace(
        dated_by_address,
        url=OVERTIME.url.replace("november-2023", "december-2023"),
        published=date(2023, 12, 1),
    )
    outcomes = [_crawl(db, [record])[1][0] for record in (undated, dated_by_address, refiled)]

    assert outcomes == [StoreOutcome.NEW, StoreOutcome.UNCHANGED, StoreOutcome.UNCHANGED]
    assert _dates(db, OVERTIME) == [(date(2023, 12, 1), "url-month")]


def test_a_printed_date_replacing_a_derived_one_is_a_new_version(db: Database) -> None:
    dated_by_address = dataclasses.replace(OVERTIME, published=date(2023, 11, 1), date_source="url-month")
    _crawl(db, [dated_by_address])
    _, outcomes = _crawl(db, [dataclasses.replace(OVERTIME, date_source="page")])

    assert outcomes == [StoreOutcome.CHANGED]
    assert _dates(db, OVERTIME) == [(date(2023, 11, 1), "url-month"), (date(2023, 11, 7), "page")]
