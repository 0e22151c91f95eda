"""A batch stored at once (``store_versions``, as the crawl's pipeline does) ends as it would have
one record at a time: same outcomes, same responses, versions and attachments, on a real database.

The batches are the cases where records of one batch bear on each other: the same page twice, a
page printing another's reference, a page moving to where another was, a change and its repeat.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import delete, event, select

from storage.db import Database
from storage.models import Attachment, CrawlRun, Response, ResponseVersion
from storage.records import AttachmentRecord, ResponseRecord
from storage.responses import StoreOutcome, _batch_candidates, _candidates, store_version, store_versions
from storage.runs import finish_run, start_run, sync_sources
from tests.storage.test_responses import CLEVELAND, FLEET, HIKVISION, MET, OVERTIME

MOVED = dataclasses.replace(HIKVISION, url=HIKVISION.url.replace("disclosure-2023", "d"))
REVIEW = dataclasses.replace(FLEET, key=HIKVISION.key, reference=HIKVISION.reference, title="Review")
CHANGED = dataclasses.replace(HIKVISION, response="I have today decided to disclose the information.")
LETTERED = dataclasses.replace(
    OVERTIME, attachments=(AttachmentRecord(url=f"{OVERTIME.url}letter.pdf", name="Letter", text="Overtime"),)
)
IN_FEED = dataclasses.replace(FLEET, own_page=False)

# Each case: the batches of successive runs of one source (one batch per run).
CASES: dict[str, list[list[ResponseRecord]]] = {
    "distinct pages": [[HIKVISION, FLEET, LETTERED], [HIKVISION, FLEET, LETTERED]],
    "the same page twice": [[HIKVISION, HIKVISION, FLEET], [FLEET, FLEET]],
    "a page printing another's reference": [[HIKVISION, REVIEW], [REVIEW, HIKVISION], [HIKVISION, REVIEW]],
    "a page moving": [[HIKVISION, FLEET], [MOVED, FLEET], [HIKVISION, MOVED]],
    "a page taking a moved page's address": [
        [HIKVISION, OVERTIME],
        [MOVED, dataclasses.replace(OVERTIME, url=HIKVISION.url)],
    ],
    "a change and its repeat": [[HIKVISION], [CHANGED, CHANGED, HIKVISION], [HIKVISION, CHANGED]],
    "a feed's items, keyed by reference": [
        [IN_FEED, dataclasses.replace(IN_FEED, response="Withheld.")],
        [IN_FEED],
    ],
    "two feed entries on one page": [
        [IN_FEED, dataclasses.replace(IN_FEED, key="01.FOI.23.000001", reference="01.FOI.23.000001")],
        [IN_FEED, dataclasses.replace(FLEET, title="Fleet, the page")],
    ],
    "an address two pages held in turn": [
        [HIKVISION],
        [MOVED, dataclasses.replace(OVERTIME, url=HIKVISION.url)],
        [MOVED, dataclasses.replace(OVERTIME, url=f"{OVERTIME.url}moved/")],
        [dataclasses.replace(FLEET, key="01.FOI.23.000002", url=HIKVISION.url, response="Another answer.")],
    ],
    "one key in two sources": [[HIKVISION, dataclasses.replace(HIKVISION, source_id=CLEVELAND.id)]],
    "attachments changing": [[LETTERED], [OVERTIME, LETTERED, LETTERED]],
}


@pytest.fixture
def db(database: Database) -> Database:
    with database.session() as session:
        sync_sources(session, [MET, CLEVELAND])
    return database


def _wipe(database: Database) -> None:
    with database.session() as session:
        for model in (Attachment, ResponseVersion, Response, CrawlRun):
            session.execute(delete(model))


def _state(database: Database, runs: list[int]) -> dict[str, Any]:
    """Everything stored, with ids replaced by what they stand for (run number, response key)."""
    run_number = {run_id: n for n, run_id in enumerate(runs)}
    with database.session() as session:
        responses = session.scalars(select(Response).order_by(Response.id)).all()
        keys = {r.id: (r.source_id, r.key) for r in responses}
        versions = session.scalars(select(ResponseVersion).order_by(ResponseVersion.id)).all()
        return {
            "responses": [
                (
                    r.source_id,
                    r.key,
                    r.url,
                    r.reference,
                    r.current_hash,
                    run_number.get(r.first_run_id or 0),
                    run_number.get(r.last_run_id or 0),
                    run_number.get(r.last_listed_run_id or 0),
                )
                for r in responses
            ],
            "versions": [
                (
                    keys[v.response_id],
                    v.content_hash,
                    v.url,
                    v.published,
                    v.date_source,
                    run_number.get(v.first_run_id or 0),
                    [(a.url, a.name, a.text) for a in v.attachments],
                )
                for v in versions
            ],
        }


def _store(database: Database, runs: list[list[ResponseRecord]], batched: bool) -> tuple[list, dict]:
    run_ids: list[int] = []
    outcomes: list[list[StoreOutcome]] = []
    for records in runs:
        with database.session() as session:
            run_id = start_run(session, records[0].source_id).id
        run_ids.append(run_id)
        with database.session() as session:
            if batched:
                stored = store_versions(session, run_id, records)
            else:
                stored = [store_version(session, run_id, record) for record in records]
            assert all(version is None or version.id is not None for _, version in stored)
            outcomes.append([outcome for outcome, _ in stored])
        with database.session() as session:
            finish_run(session, run_id, "succeeded")
    return outcomes, _state(database, run_ids)


@pytest.mark.parametrize("case", list(CASES))
def test_a_batch_ends_as_one_record_at_a_time_would(db: Database, case: str) -> None:
    one_by_one = _store(db, CASES[case], batched=False)
    _wipe(db)
    assert _store(db, CASES[case], batched=True) == one_by_one


def test_records_of_distinct_pages_are_flushed_once(db: Database) -> None:
    """The point of the batch: one flush for a batch of distinct pages, not one per page."""
    with db.session() as session:
        run_id = start_run(session, MET.id).id
    flushes = 0

    def count(*_: object) -> None:
        nonlocal flushes
        flushes += 1

    with db.session() as session:
        event.listen(session, "before_flush", count)
        outcomes = [o for o, _ in store_versions(session, run_id, [HIKVISION, FLEET, LETTERED])]
    assert outcomes == [StoreOutcome.NEW] * 3
    assert flushes == 1


@pytest.mark.parametrize("case", list(CASES))
def test_a_batchs_look_ups_in_three_queries_find_what_each_records_own_would(db: Database, case: str) -> None:
    """``_batch_candidates`` against ``_candidates`` record by record, after each run of the case:
    responses found by key, by their current address (the oldest) or by an old one (the latest)."""
    records = [record for run in CASES[case] for record in run]
    records += [dataclasses.replace(r, own_page=not r.own_page) for r in records]
    for run in CASES[case]:
        _store(db, [run], batched=False)
        with db.session() as session:
            batch = _batch_candidates(session, records)
            for record, found in zip(records, batch, strict=True):
                url = record.url if record.own_page else None
                alone = _candidates(session, record.source_id, record.key, url)
                assert (found.by_key, found.by_url) == (alone.by_key, alone.by_url), record
