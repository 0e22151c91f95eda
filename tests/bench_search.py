"""``make bench``, search part: query times over a large stored corpus, SQLite and PostgreSQL.

Builds N responses (default 100,000) from the texts of ``eval/cctv.jsonl``, varied so no two are
alike, bulk-loads them, builds the search index with the product's own ``refresh_index``, then
times ``search_responses`` (the function the web pages, API, feeds and CLI call) for typical
queries: median and worst of several runs, page 1 of 50 with snippets and facts, total counted.

Run: ``.venv/bin/python -m tests.bench_search [--responses N] [--sqlite-only]``. Prints figures;
asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from monitor.query.search import Filters, search_responses
from storage.db import Database
from storage.models import Response, ResponseVersion, TopicMatch
from storage.runs import SourceRow, sync_sources
from storage.search import refresh_index
from tests.conftest import REPO, pg_schema

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
QUERIES: list[tuple[str, Filters, str]] = [
    ("one common word", Filters(q="cctv"), "relevance"),
    ("one common word, newest", Filters(q="cctv"), "newest"),
    ("one word", Filters(q="hikvision"), "relevance"),
    ("one rare word", Filters(q="quokka"), "relevance"),
    ("phrase", Filters(q='"body worn"'), "relevance"),
    ("two words", Filters(q="camera contract"), "relevance"),
    ("word + topic + date", Filters(q="cameras", topic="cctv", published_from=date(2024, 1, 1)), "relevance"),
    ("no words, topic, newest", Filters(topic="cctv"), "found"),
    ("word + authority", Filters(q="cctv", authority="Authority 7"), "relevance"),
]
RUNS = 7
SOURCES = [
    SourceRow(f"source-{n}", "html_log", f"Authority {n}", f"https://a{n}.example/foi/") for n in range(40)
]


def _texts() -> list[dict[str, str]]:
    lines = (REPO / "eval" / "cctv.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _load(database: Database, count: int) -> float:
    """Bulk-load ``count`` responses with one version each; returns seconds spent indexing."""
    texts, rng = _texts(), random.Random(20261126)
    with database.session() as session:
        sync_sources(session, SOURCES)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    batch = 2000
    for start in range(0, count, batch):
        responses, versions, matches = [], [], []
        for n in range(start, min(count, start + batch)):
            item = texts[n % len(texts)]
            source = SOURCES[n % len(SOURCES)]
            words = item.get("response", "").split()
            rng.shuffle(words)  # every response different, the vocabulary real
            seen = now - timedelta(minutes=n)
            responses.append(
                {
                    "id": n + 1,
                    "source_id": source.id,
                    "key": f"K{n}",
                    "reference": f"FOI-{n}",
                    "url": f"{source.url}{n}",
                    "first_seen": seen,
                    "last_seen": seen,
                    "current_hash": f"{n:064d}",
                }
            )
            versions.append(
                {
                    "id": n + 1,
                    "response_id": n + 1,
                    "content_hash": f"{n:064d}",
                    "authority": source.authority,
                    "title": item["title"],
                    "url": f"{source.url}{n}",
                    "published": date(2018 + n % 8, 1 + n % 12, 1 + n % 28),
                    "date_source": "page",
                    "request_text": item.get("request", ""),
                    "response_text": " ".join(words[:400]),
                    "outcome": "released",
                    "exemptions": [],
                    "first_seen": seen,
                    "last_seen": seen,
                }
            )
            if item.get("label"):
                matches.append(
                    {
                        "version_id": n + 1,
                        "topic": "cctv",
                        "matched": True,
                        "score": 1.0,
                        "terms": [],
                        "snippets": [],
                        "classifier_version": "bench",
                        "created_at": seen,
                    }
                )
            if n == count // 2:
                versions[-1]["response_text"] += " Supplied by Quokka Systems."
        with database.session() as session:
            session.execute(insert(Response), responses)
            session.execute(insert(ResponseVersion), versions)
            if matches:
                session.execute(insert(TopicMatch), matches)
    started = time.perf_counter()
    with database.session() as session:
        refresh_index(session)
    return time.perf_counter() - started


def _time(database: Database) -> None:
    with database.session() as session:
        if database.engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
        for label, filters, sort in QUERIES:
            times, total = [], 0
            for _ in range(RUNS):
                started = time.perf_counter()
                page = search_responses(session, filters, sort=sort)
                times.append((time.perf_counter() - started) * 1000)
                total = page.total
            print(
                f"  {label:28s} {statistics.median(times):7.1f} ms median, {max(times):7.1f} ms worst"
                f"  ({total:,} found)"
            )


def bench(url: str, count: int) -> None:
    database = Database(url)
    try:
        print(f"{database.engine.dialect.name}: loading {count:,} responses ...", flush=True)
        indexing = _load(database, count)
        print(f"  index built in {indexing:.1f} s ({count / indexing:,.0f} responses/s)")
        _time(database)
    finally:
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        bench(f"sqlite:///{Path(scratch) / 'bench.sqlite3'}", args.responses)
    if args.sqlite_only:
        return
    try:
        create_engine(PG_URL).connect().close()
    except Exception as exc:
        print(f"postgresql: not measured, {PG_URL} cannot be reached ({exc.__class__.__name__})")
        return
    with pg_schema(PG_URL) as url:
        bench(url, args.responses)


if __name__ == "__main__":
    main()
