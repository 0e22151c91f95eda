"""html_log: real Scrapy crawls (in the crawl subprocess, as in production) of council sites on 127.0.0.1.

A-Z directories of PDF letters, paged lists, date-grouped monthly tables, year pages, download indexes;
broken, garbage and wrongly encoded pages; attachments, an oversize one; re-crawls and empty logs.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from monitor.app import App, open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import CrawlSummary, crawl_source
from storage.models import Attachment, CrawlRun, Response, ResponseVersion
from tests.conftest import FIXTURES, write_config

SITES = FIXTURES / "html_log"
SOURCES = yaml.safe_load((SITES / "expected.yaml").read_text(encoding="utf-8"))["sources"]
COVENTRY, CAMBRIDGE, MORAY, HASTINGS, BARNET, EAST_LOTHIAN = (
    SOURCES[council]["options"]
    for council in ("coventry", "cambridge", "moray", "hastings", "barnet", "east_lothian")
)


# -- helpers -----------------------------------------------------------------------------------
def _source(source_id: str, url: str, options: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": source_id,
        "platform": "html_log",
        "authority": f"{source_id} council",
        "url": url,
        "options": options,
        **extra,
    }


def _app(tmp_path: Path, database_url: str, sources: list[dict[str, Any]]) -> App:
    return open_app(write_config(tmp_path / "config", sources), database_url, tmp_path / "data")


def _crawl(app: App, source_id: str, mode: str = "full") -> CrawlSummary:
    return crawl_source(app.database, app.config, app.config.source(source_id), app.data_dir, mode)


def _stored(app: App) -> dict[str | None, ResponseVersion]:
    with app.database.session() as session:
        responses = session.scalars(select(Response)).all()
        return {r.reference: r.versions[-1] for r in responses}


def _site(council: str) -> LocalSite:
    return LocalSite(SITES / council)


def test_az_directory_of_pdf_letters(tmp_path: Path, database_url: str) -> None:
    with _site("coventry") as site:
        app = _app(
            tmp_path, database_url, [_source("coventry", site.url(SOURCES["coventry"]["start"]), COVENTRY)]
        )
        summary = _crawl(app, "coventry")
        assert {"/directory/45/a-to-z/C", "/directory/45/a-to-z/P"} <= set(site.paths(200))
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.new, summary.errors) == (3, 3, 0)
    stored = _stored(app)
    assert set(stored) == {"REQ06487", "REQ06512", "REQ06540"}
    cctv = stored["REQ06487"]
    assert cctv.title == "CCTV cameras - Hikvision and Pyronix equipment"
    assert cctv.published == date(2019, 12, 10)
    assert "three Hikvision cameras used as internal council cameras" in cctv.response_text
    assert cctv.url.endswith("/downloads/file/31874/req06487-cctv-cameras")


def test_unchanged_recrawl_stores_no_new_version_and_incremental_skips_known(
    tmp_path: Path, database_url: str
) -> None:
    with _site("coventry") as site:
        app = _app(
            tmp_path, database_url, [_source("coventry", site.url(SOURCES["coventry"]["start"]), COVENTRY)]
        )
        _crawl(app, "coventry")
        again = _crawl(app, "coventry")
        before = len(site.requests)
        incremental = _crawl(app, "coventry", "incremental")
        fetched = [r.path for r in site.requests[before:] if r.path != "/robots.txt"]
    assert again.status == "succeeded", again.error
    assert (again.new, again.changed, again.withdrawn) == (0, 0, 0)
    with app.database.session() as session:
        assert session.scalar(select(func.count()).select_from(ResponseVersion)) == 3
    assert incremental.status == "succeeded", incremental.error
    assert sorted(fetched) == ["/directory/45/a-to-z/A", "/directory/45/a-to-z/C", "/directory/45/a-to-z/P"]


def test_pagination_broken_pages_and_garbage(tmp_path: Path, database_url: str) -> None:
    with _site("cambridge") as site:
        app = _app(
            tmp_path,
            database_url,
            [_source("cambridge", site.url(SOURCES["cambridge"]["start"]), CAMBRIDGE)],
        )
        summary = _crawl(app, "cambridge")
        assert "/information-request-disclosure-log?page=1" in site.paths(200)
        assert "/disclosure-log/10860-ccc-removed-entry" in site.paths(404)
        assert "/disclosure-log/10855-server-error" in site.paths(500)
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.errors) == (4, 1)  # the 500; the 404 is recorded, not counted
    with app.database.session() as session:
        assert session.get_one(CrawlRun, summary.run_id).invalid_items == 1  # the soft error page
    assert set(_stored(app)) == {"11002", "10936", "10912", "10871"}
    assert _stored(app)["10936"].exemptions == ["s31(1)"]  # s31(1)(a) only in the ICO guidance quoted


def test_date_grouped_monthly_tables_and_a_page_in_the_wrong_encoding(
    tmp_path: Path, database_url: str
) -> None:
    with _site("moray") as site:
        app = _app(tmp_path, database_url, [_source("moray", site.url(SOURCES["moray"]["start"]), MORAY)])
        summary = _crawl(app, "moray")
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.errors) == (7, 0)
    stored = _stored(app)
    # "Response" printed without a date: the date of its group in the March table.
    assert stored["101003719377"].published == date(2024, 3, 12)
    assert stored["101003400486"].published == date(2024, 3, 5)
    car_parks = stored["101003698810"]
    assert "the council’s share was £9,375" in car_parks.response_text
    assert "\ufffd" not in car_parks.response_text + car_parks.request_text


def test_year_pages_are_followed(tmp_path: Path, database_url: str) -> None:
    with _site("hastings") as site:
        url = site.url(SOURCES["hastings"]["start"])
        app = _app(tmp_path, database_url, [_source("hastings", url, HASTINGS)])
        summary = _crawl(app, "hastings")
        assert "/my-council/freedom-of-information/date/?year=2023" in site.paths(200)
    assert summary.status == "succeeded", summary.error
    assert set(_stored(app)) == {
        "FOI-70688433",
        "FOIR-71024519",
        "FOIR-565731237",
        "FOI-66120987",
        "FOIR-496350235",
    }


def test_an_empty_listing_fails_unless_the_source_may_be_empty(tmp_path: Path, database_url: str) -> None:
    with _site("hastings") as site:
        url = site.url("/my-council/freedom-of-information/date/?year=2005")
        options = {**HASTINGS, "listing_pattern": None}
        app = _app(
            tmp_path,
            database_url,
            [_source("empty", url, options), _source("quiet", url, options, may_be_empty=True)],
        )
        failed, quiet = _crawl(app, "empty"), _crawl(app, "quiet")
    assert failed.status == "failed" and "layout may have changed" in (failed.error or "")
    assert quiet.status == "succeeded", quiet.error


def test_paginated_download_index_of_pdf_and_docx_letters(tmp_path: Path, database_url: str) -> None:
    with _site("east_lothian") as site:
        url = site.url(SOURCES["east_lothian"]["start"])
        app = _app(tmp_path, database_url, [_source("east-lothian", url, EAST_LOTHIAN)])
        summary = _crawl(app, "east-lothian")
    assert summary.status == "succeeded", summary.error
    stored = _stored(app)
    assert set(stored) == {"2024/1001234", "2024/1001301", "2024/1001388"}
    assert stored["2024/1001234"].title == "Public space CCTV cameras"
    assert stored["2024/1001234"].exemptions == ["FOISA s35(1)(a)"]
    assert "2,087 pupils" in stored["2024/1001301"].response_text  # from the DOCX


def test_attachments_fetched_and_an_oversize_one_recorded(tmp_path: Path, database_url: str) -> None:
    root = tmp_path / "barnet"
    shutil.copytree(SITES / "barnet", root)
    # Larger than crawler.attachments.MAX_ATTACHMENT_BYTES (15 MB), which caps each attachment.
    oversize = root / "sites/default/files/2020-06/foi-6312721-cctv-costs.pdf"
    oversize.write_bytes(b"%PDF-1.4\n" + b"0" * 16_000_000)
    with LocalSite(root) as site:
        options = {**BARNET, "fetch_attachments": True}
        app = _app(tmp_path, database_url, [_source("barnet", site.url(SOURCES["barnet"]["start"]), options)])
        summary = _crawl(app, "barnet")
    assert summary.status == "succeeded", summary.error
    stored = _stored(app)
    assert set(stored) == {"6312721", "7014452", "5980133"}
    with app.database.session() as session:
        attachments = {a.url.rsplit("/", 1)[-1]: a for a in session.scalars(select(Attachment))}
    library = attachments["foi-7014452-library-opening-hours.docx"]
    assert library.error is None and "Burnt Oak: 38 staffed hours a week" in (library.text or "")
    cctv = attachments["foi-6312721-cctv-costs.pdf"]
    assert cctv.text is None and "larger than the 15 MB download limit" in (cctv.error or "")
    assert "Please find attached the information you requested." in stored["6312721"].response_text


def test_max_pages_bounds_the_index_pages_read(tmp_path: Path, database_url: str) -> None:
    with _site("coventry") as site:
        source = _source("coventry", site.url(SOURCES["coventry"]["start"]), COVENTRY, max_pages=1)
        app = _app(tmp_path, database_url, [source])
        summary = _crawl(app, "coventry")
        assert "/directory/45/a-to-z/C" not in site.paths()
    assert summary.status == "succeeded", summary.error
    assert set(_stored(app)) == {"REQ06512"}
    with app.database.session() as session:
        assert session.get_one(CrawlRun, summary.run_id).complete is False
