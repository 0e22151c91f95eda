"""Real crawls of CSV and XLSX logs (in the crawl subprocess, as in production) on 127.0.0.1."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from monitor.app import App, open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import CrawlSummary, crawl_source
from storage.models import CrawlRun, Response, ResponseVersion, TopicMatch
from tests.conftest import write_config
from tests.crawler.test_data_file import EXPECTED, FILES, SITE, XLSX_COLUMNS, workbook


@pytest.fixture
def site_root(tmp_path: Path) -> Path:
    """A copy of the fixture site, with the XLSX log written into it, that tests may change."""
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    (root / "hamblewick").mkdir()
    (root / "hamblewick" / "foi-disclosure-log.xlsx").write_bytes(workbook())
    return root


@pytest.fixture
def file_site(site_root: Path) -> Iterator[LocalSite]:
    with LocalSite(site_root) as site:
        yield site


def _app(tmp_path: Path, database_url: str, sources: list[dict[str, Any]]) -> App:
    return open_app(write_config(tmp_path / "config", sources), database_url, tmp_path / "data")


def _source(source_id: str, url: str, options: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": source_id,
        "platform": "data_file",
        "authority": f"{source_id} council",
        "url": url,
        "options": options,
        **extra,
    }


def _camden(site: LocalSite, path: str = FILES["camden"], **extra: Any) -> dict[str, Any]:
    return _source("camden", site.url(path), EXPECTED["camden"]["options"], **extra)


def _crawl(app: App, source_id: str, mode: str = "full") -> CrawlSummary:
    return crawl_source(app.database, app.config, app.config.source(source_id), app.data_dir, mode)


def _stored(app: App) -> dict[str | None, ResponseVersion]:
    with app.database.session() as session:
        versions = session.scalars(select(ResponseVersion).join(Response)).all()
        return {version.response.reference: version for version in versions}


def _run(app: App, summary: CrawlSummary) -> CrawlRun:
    with app.database.session() as session:
        return session.get_one(CrawlRun, summary.run_id)


def test_full_crawl_stores_every_valid_row(tmp_path: Path, database_url: str, file_site: LocalSite) -> None:
    app = _app(tmp_path, database_url, [_camden(file_site)])
    summary = _crawl(app, "camden")
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.new, summary.errors) == (8, 8, 0)
    assert _run(app, summary).invalid_items == 2  # no title; a truncated row with no text
    stored = _stored(app)
    rows = EXPECTED["camden"]["rows"]
    assert set(stored) == {r["reference"] for r in rows}
    for expected in rows:
        version = stored[expected["reference"]]
        assert (version.published, version.outcome) == (
            date.fromisoformat(expected["published"]),
            expected["outcome"],
        )
        # Rows without a link of their own are kept at the file's address, keyed by reference.
        link = expected["url"] if expected["url"].startswith("http") else file_site.url(FILES["camden"])
        assert version.url == link
    with app.database.session() as session:
        query = (
            select(ResponseVersion.title)
            .join(TopicMatch, TopicMatch.version_id == ResponseVersion.id)
            .where(TopicMatch.topic == "cctv", TopicMatch.matched.is_(True))
        )
        assert set(session.scalars(query)) == {r["title"] for r in rows if r["cctv"]}


def test_unchanged_recrawl_stores_no_new_version(
    tmp_path: Path, database_url: str, file_site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, [_camden(file_site)])
    _crawl(app, "camden")
    second = _crawl(app, "camden")
    assert second.status == "succeeded", second.error
    assert (second.items, second.new, second.changed, second.withdrawn) == (8, 0, 0, 0)
    with app.database.session() as session:
        assert session.scalar(select(func.count()).select_from(ResponseVersion)) == 8
    assert file_site.requests[-1].status == 304


def test_a_changed_row_is_a_new_version(
    tmp_path: Path, database_url: str, file_site: LocalSite, site_root: Path
) -> None:
    app = _app(tmp_path, database_url, [_camden(file_site)])
    _crawl(app, "camden")
    log = site_root / FILES["camden"].lstrip("/")
    log.write_bytes(log.read_bytes().replace(b"64 ANPR cameras", b"71 ANPR cameras"))
    summary = _crawl(app, "camden")
    assert (summary.new, summary.changed) == (0, 1)
    assert "71 ANPR cameras" in _stored(app)["CAM-FOI-24-1203"].response_text


def test_incremental_crawl_skips_rows_whose_link_is_known(
    tmp_path: Path, database_url: str, file_site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, [_camden(file_site)])
    _crawl(app, "camden")
    summary = _crawl(app, "camden", "incremental")
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.new) == (6, 0)  # the two rows with their own link are skipped


def test_windows_1252_csv_is_read_unless_told_otherwise(
    tmp_path: Path, database_url: str, file_site: LocalSite
) -> None:
    url, options = file_site.url(FILES["leicestershire"]), EXPECTED["leicestershire"]["options"]
    app = _app(
        tmp_path,
        database_url,
        [_source("leics", url, options), _source("leics-utf8", url, {**options, "encoding": "utf-8"})],
    )
    summary = _crawl(app, "leics")
    assert summary.status == "succeeded", summary.error
    assert summary.new == 4
    assert "£2.41 million" in _stored(app)["FOI 2025-0058"].response_text
    wrong = _crawl(app, "leics-utf8")
    assert wrong.status == "failed"
    assert "is not valid utf-8" in (wrong.error or "")


def test_xlsx_log_is_crawled(tmp_path: Path, database_url: str, file_site: LocalSite) -> None:
    url = file_site.url("/hamblewick/foi-disclosure-log.xlsx")
    app = _app(tmp_path, database_url, [_source("hamblewick", url, {"columns": XLSX_COLUMNS})])
    summary = _crawl(app, "hamblewick")
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.new) == (2, 2)
    assert _run(app, summary).invalid_items == 1
    assert _stored(app)["2291"].published == date(2025, 4, 2)


def test_row_limit_marks_the_run_incomplete(tmp_path: Path, database_url: str, file_site: LocalSite) -> None:
    options = {**EXPECTED["camden"]["options"], "max_rows": 4}
    app = _app(tmp_path, database_url, [_source("camden", file_site.url(FILES["camden"]), options)])
    summary = _crawl(app, "camden")
    assert summary.status == "succeeded", summary.error
    assert summary.items == 3  # four rows read, one without a title
    assert _run(app, summary).complete is False


@pytest.mark.parametrize("path", ["/camden/no-such-file.csv", "/camden/server-error.csv"])
def test_a_file_that_cannot_be_fetched_fails_the_run(
    tmp_path: Path, database_url: str, file_site: LocalSite, path: str
) -> None:
    app = _app(tmp_path, database_url, [_camden(file_site, path)])
    summary = _crawl(app, "camden")
    assert summary.status == "failed"
    assert "start page could not be fetched" in (summary.error or "")


def test_an_empty_file_fails_unless_the_source_may_be_empty(
    tmp_path: Path, database_url: str, file_site: LocalSite
) -> None:
    url, options = file_site.url("/empty/foi-requests.csv"), EXPECTED["camden"]["options"]
    app = _app(
        tmp_path,
        database_url,
        [_source("empty", url, options), _source("quiet", url, options, may_be_empty=True)],
    )
    failed = _crawl(app, "empty")
    assert failed.status == "failed" and "no responses listed" in (failed.error or "")
    assert _crawl(app, "quiet").status == "succeeded"


@pytest.mark.parametrize(
    ("path", "columns", "reason"),
    [
        ("/garbage/foi-requests.csv", {}, "the file is an HTML or XML page, not CSV"),
        (FILES["camden"], {"outcome": "Decision"}, "column 'Decision' (outcome) not in the header"),
    ],
)
def test_garbage_or_a_renamed_column_fails_with_the_reason(
    tmp_path: Path, database_url: str, file_site: LocalSite, path: str, columns: dict[str, str], reason: str
) -> None:
    options = dict(EXPECTED["camden"]["options"])
    options["columns"] = {**options["columns"], **columns}
    app = _app(tmp_path, database_url, [_source("bad", file_site.url(path), options, may_be_empty=True)])
    summary = _crawl(app, "bad")
    assert summary.status == "failed"
    assert "is not a readable disclosure log" in (summary.error or "") and reason in (summary.error or "")
    assert _stored(app) == {}
