"""Full-text search: the query language, the index kept in step, and the same answers on SQLite and
PostgreSQL (real databases both)."""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.models import Response, ResponseIndex
from storage.records import AttachmentRecord, ResponseRecord
from storage.responses import store_response
from storage.runs import SourceRow, finish_run, start_run, sync_sources
from storage.search import (
    WORD,
    QueryError,
    exemption_sections,
    fts5_query,
    parse_query,
    refresh_index,
    search_words,
    stale_responses,
    tsquery,
    with_text_match,
)
from tests.conftest import pg_schema

REPO = Path(__file__).resolve().parents[2]
SOURCE = SourceRow("test-council", "html_log", "Test Borough Council", "https://www.test.gov.uk/foi/")


# --- the query language, as people type it -----------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "fts5", "pg"),
    [
        ("camera", '(("camera" OR "cameras" OR "cameraes"))', "((camera | cameras | cameraes))"),
        ("Cameras", '(("cameras" OR "camera"))', "((cameras | camera))"),
        ("policies", '(("policies" OR "policy"))', "((policies | policy))"),
        ('"body worn"', '("body worn")', "((body <-> worn))"),
        ("body-worn", '("body worn")', "((body <-> worn))"),
        ("camer*", '("camer"*)', "(camer:*)"),
        (
            "cctv -parking",
            '((("cctv" OR "cctvs" OR "cctves"))) NOT ("parking" OR "parkings" OR "parkinges")',
            None,
        ),
        ("anpr OR alpr", '(("anpr" OR "anprs" OR "anpres") OR ("alpr" OR "alprs" OR "alpres"))', None),
        ("2024", '(("2024"))', "((2024))"),
        ("Café", '(("cafe" OR "cafes" OR "cafees"))', None),
    ],
)
def test_queries_are_written_the_same_way_for_both_engines(typed: str, fts5: str, pg: str | None) -> None:
    query = parse_query(typed)
    assert query is not None
    assert fts5_query(query) == fts5
    if pg is not None:
        assert tsquery(query) == pg


@pytest.mark.parametrize("typed", ['" OR "', "AND OR NOT", "--", "((", '"*"'])
def test_operators_and_punctuation_alone_are_no_query_or_plain_words(typed: str) -> None:
    query = parse_query(typed)
    if query is not None:  # AND and NOT are plain words here, quoted, never operators
        assert all('"' + w + '"' in fts5_query(query) for t in query.terms() for w in t.words)


def test_a_query_that_only_excludes_is_refused_with_a_reason() -> None:
    with pytest.raises(QueryError, match="at least one word"):
        parse_query("-parking -fines")


def test_words_lose_case_and_accents_but_keep_digits() -> None:
    assert search_words("Ŵyddfa CCTV-2024 s.31(1)(a) naïve") == [
        "wyddfa",
        "cctv",
        "2024",
        "s",
        "31",
        "1",
        "a",
        "naive",
    ]


def _words_one_character_at_a_time(value: str) -> list[str]:
    """``search_words`` as first written: every character's combining class looked up."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return WORD.findall(plain.casefold())


def test_words_are_those_of_looking_at_every_character() -> None:
    """Marks are only looked for among non-ASCII characters; the words come out the same for every
    code point, alone and between letters, and for mixed texts."""
    for start in range(0, 0x110000, 0x1000):
        block = "".join(chr(c) for c in range(start, start + 0x1000) if not 0xD800 <= c < 0xE000)
        assert search_words(block) == _words_one_character_at_a_time(block)
        between = "a".join(block[i : i + 64] for i in range(0, len(block), 64))
        assert search_words(between) == _words_one_character_at_a_time(between)
    for text in (
        "CCTV’s naïve café – Ŵyddfa ﬁle ＡＮＰＲ",
        "plain ASCII only",
        "e\u0301 a\u0308\u0304 x",
        "",
    ):
        assert search_words(text) == _words_one_character_at_a_time(text)


def test_exemption_sections_are_read_from_what_responses_cite() -> None:
    assert exemption_sections(["Section 24(1)", "s31(1)(a)", "section 40 (2)", "S.43", "nonsense"]) == [
        "s24",
        "s31",
        "s40",
    ]


# --- a real database ------------------------------------------------------------------------------


def _record(
    key: str, title: str, body: str, attachment: str | None = None, **extra: object
) -> ResponseRecord:
    attachments = (
        (
            AttachmentRecord(
                f"https://www.test.gov.uk/foi/{key}.pdf", f"{key}.pdf", "application/pdf", 100, attachment
            ),
        )
        if attachment
        else ()
    )
    return ResponseRecord(
        source_id=SOURCE.id,
        key=key,
        authority=SOURCE.authority,
        title=title,
        url=f"https://www.test.gov.uk/foi/{key}",
        reference=key,
        response=body,
        attachments=attachments,
        **extra,  # type: ignore[arg-type]
    )


def _store(database: Database, records: list[ResponseRecord]) -> None:
    with database.session() as session:
        sync_sources(session, [SOURCE])
    with database.session() as session:
        run_id = start_run(session, SOURCE.id).id
        for record in records:
            store_response(session, run_id, record)
        finish_run(session, run_id, "succeeded")
    with database.session() as session:
        refresh_index(session)


def _keys(database: Database, typed: str) -> set[str]:
    query = parse_query(typed)
    assert query is not None
    with database.session() as session:
        statement = select(Response.key).join(ResponseIndex, ResponseIndex.response_id == Response.id)
        statement, rank = with_text_match(session, statement, query)
        return set(session.scalars(statement.order_by(rank)))


SMALL = [
    _record("A1", "CCTV cameras in the town centre", "We operate 96 public space cameras."),
    _record("A2", "Parking fines", "The council issued 3,000 penalty charge notices from camera cars."),
    _record("A3", "Body-worn video", "Enforcement officers wear body worn cameras made by Axon."),
    _record(
        "A4",
        "Office supplies",
        "Please see the attached spreadsheet.",
        attachment="Hikvision DS-2CD2143 dome x4",
    ),
    _record("A5", "Policy on surveillance", "Our surveillance policies are published online."),
    _record("A6", "Café licences", "Licences granted to cafés in 2024."),
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("camera", {"A1", "A2", "A3"}),
        ("cameras", {"A1", "A2", "A3"}),
        ("hikvision", {"A4"}),  # only in the attachment's text
        ('"body worn"', {"A3"}),
        ("body-worn", {"A3"}),
        ('"worn body"', set()),
        ("camera -parking", {"A1", "A3"}),
        ("axon OR hikvision", {"A4", "A3"}),
        ("polic*", {"A5"}),
        ("policy", {"A5"}),
        ("cafe", {"A6"}),
        ("café", {"A6"}),
        ("2024", {"A6"}),
        ("A4", {"A4"}),  # the reference is searchable
        ("unicorns", set()),
    ],
)
def test_search_finds_what_a_person_expects(database: Database, typed: str, expected: set[str]) -> None:
    _store(database, SMALL)
    assert _keys(database, typed) == expected


def test_the_index_is_rebuilt_for_a_new_version_and_heals_when_behind(database: Database) -> None:
    _store(database, SMALL)
    assert _keys(database, "dahua") == set()
    with database.session() as session:
        run_id = start_run(session, SOURCE.id).id
        store_response(
            session, run_id, _record("A1", "CCTV cameras in the town centre", "Now Dahua cameras.")
        )
    with database.session() as session:
        stale = stale_responses(session, SOURCE.id)
        assert [session.get(Response, i).key for i in stale] == ["A1"]  # type: ignore[union-attr]
        refresh_index(session, stale)
    assert _keys(database, "dahua") == {"A1"}
    assert _keys(database, "96") == set()  # the old version's words are gone
    with database.session() as session:
        row = session.get(ResponseIndex, stale[0])
        assert row is not None and row.version_count == 2
        assert stale_responses(session) == []


# --- the same answers on both databases ------------------------------------------------------------


def _eval_records() -> list[ResponseRecord]:
    records = []
    for number, line in enumerate((REPO / "eval" / "cctv.jsonl").read_text(encoding="utf-8").splitlines()):
        item = json.loads(line)
        records.append(
            _record(
                f"E{number:03d}",
                item["title"],
                item.get("response", ""),
                request=item.get("request", ""),
                published=date(2020 + number % 6, 1 + number % 12, 1 + number % 28),
            )
        )
    return records


PARITY_QUERIES = [
    "cctv",
    "camera",
    "cameras",
    "anpr",
    "hikvision",
    "dahua OR hikvision",
    '"body worn"',
    '"facial recognition"',
    "surveillance -police",
    "contract*",
    "number of cameras",
    "s31",
    '"section 31"',
    "maintenance cost",
    "live facial",
    "automatic number plate recognition",
    "drone OR drones",
    "council -cctv",
    "2019",
    "redaction",
]


@pytest.fixture
def both(tmp_path: Path, pg_url: str | None) -> Iterator[tuple[Database, Database]]:
    """A SQLite file and a PostgreSQL schema, both empty."""
    if not pg_url:
        if os.environ.get("CI"):
            pytest.fail(
                "CI must compare search on both databases: set FOIWATCH_TEST_DATABASE_URL (.ci/run does)"
            )
        pytest.skip("PostgreSQL not configured for this run (FOIWATCH_TEST_DATABASE_URL)")
    with pg_schema(pg_url) as pg:
        sqlite_db, pg_db = Database(f"sqlite:///{tmp_path / 'parity.sqlite3'}"), Database(pg)
        try:
            yield sqlite_db, pg_db
        finally:
            sqlite_db.dispose()
            pg_db.dispose()


def test_search_returns_the_same_responses_on_sqlite_and_postgresql(both: tuple[Database, Database]) -> None:
    records = _eval_records()
    for database in both:
        _store(database, records)
    sqlite_db, pg_db = both
    found_any = 0
    for typed in PARITY_QUERIES:
        on_sqlite, on_pg = _keys(sqlite_db, typed), _keys(pg_db, typed)
        assert on_sqlite == on_pg, (
            f"{typed!r}: only SQLite {on_sqlite - on_pg}, only PostgreSQL {on_pg - on_sqlite}"
        )
        found_any += bool(on_sqlite)
    assert found_any >= len(PARITY_QUERIES) - 3  # the comparison is over real answers, not empty sets


def test_upgrading_an_older_database_indexes_what_it_already_holds(tmp_path: Path) -> None:
    """A database from before the search index (revision 0007) gets it filled by the migration."""
    from alembic import command

    from storage.db import alembic_config

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    database = Database(url)
    _store(database, SMALL)
    database.dispose()
    config = alembic_config(url)
    command.downgrade(config, "0007")
    with Database(url, migrate=False).engine.connect() as connection:
        assert "response_index" not in connection.dialect.get_table_names(connection)
    command.upgrade(config, "head")  # what opening an older database does (once per process)
    upgraded = Database(url)
    try:
        assert _keys(upgraded, "hikvision") == {"A4"}
        with upgraded.session() as session:
            assert session.scalar(select(func.count()).select_from(ResponseIndex)) == len(SMALL)
    finally:
        upgraded.dispose()
