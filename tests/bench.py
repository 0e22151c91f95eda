"""``make bench``: throughput of the parts that run per page and per response. Prints figures only.

Run: ``make bench`` (or ``.venv/bin/python -m tests.bench``). Not a test: nothing here asserts timing.
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

from crawler.platforms.page import parse_detail
from monitor.classify import build_classifiers
from monitor.config import load_config
from storage.db import Database
from storage.records import ResponseRecord
from storage.responses import store_response
from storage.runs import SourceRow, start_run, sync_sources
from tests.conftest import REPO, SOH_SITE

ROUNDS = 20


def _pages() -> list[tuple[str, str]]:
    files = sorted(SOH_SITE.glob("foi-ai/*/**/index.html"))
    return [
        (
            f.read_text(encoding="utf-8"),
            "https://example.police.uk/" + str(f.parent.relative_to(SOH_SITE)) + "/",
        )
        for f in files
        if "disclosure-log/index" not in str(f)
    ]


def bench_parse(pages: list[tuple[str, str]]) -> list:
    started = time.perf_counter()
    parsed = [parse_detail(html, url) for _ in range(ROUNDS) for html, url in pages]
    elapsed = time.perf_counter() - started
    print(
        f"parse SOH response pages : {len(parsed) / elapsed:8.1f} pages/s  "
        f"({len(parsed)} pages, {elapsed:.2f} s)"
    )
    return parsed[: len(pages)]


def bench_classify(parsed: list) -> None:
    classifier = build_classifiers(load_config(REPO / "config").topics)["cctv"]
    started = time.perf_counter()
    count = 0
    for _ in range(ROUNDS * 5):
        for page in parsed:
            classifier.classify(page.title, page.request, page.response)
            count += 1
    elapsed = time.perf_counter() - started
    print(f"classify (cctv topic)    : {count / elapsed:8.1f} texts/s  ({count} texts, {elapsed:.2f} s)")


def bench_store(parsed: list) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        database = Database(f"sqlite:///{Path(scratch) / 'bench.sqlite3'}")
        with database.session() as session:
            sync_sources(session, [SourceRow("bench", "police_soh", "Bench", "https://example.police.uk/")])
            run_id = start_run(session, "bench").id
        records = [
            ResponseRecord(
                source_id="bench",
                key=f"{n}:{p.reference}",
                authority="Bench",
                title=p.title,
                url=p.url,
                reference=p.reference,
                published=p.published,
                request=p.request,
                response=p.response,
            )
            for n in range(ROUNDS * 5)
            for p in parsed
        ]
        started = time.perf_counter()
        for record in records:
            with database.session() as session:
                store_response(session, run_id, record)
        elapsed = time.perf_counter() - started
        print(
            f"store new responses      : {len(records) / elapsed:8.1f} items/s  "
            f"(SQLite, one transaction each, {len(records)} items, {elapsed:.2f} s)"
        )
        database.dispose()


def main() -> None:
    pages = _pages()
    parsed = bench_parse(pages)
    bench_classify(parsed)
    bench_store(parsed)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory              : {peak:8.1f} MiB")


if __name__ == "__main__":
    main()
