"""A force's log found from its FOI landing page and walked down year and month pages: real Scrapy
crawls (in the crawl subprocess) against pages on 127.0.0.1 built from stored copies of the forces'
pages (see fixtures/police_soh/PROVENANCE.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.platforms.police_soh import is_response_link
from monitor.app import App, open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import CrawlSummary, crawl_source
from storage.models import CrawlRun, Response, ResponseVersion
from storage.problems import problems_of_run
from tests.conftest import FIXTURES, write_config

SITE = FIXTURES / "police_soh" / "discovery"
ENGLISH = "/foi-ai/dyfed-powys-police/"
WELSH = "/cy-GB/foi-ai/heddlu-dyfed-powys/"
NORTH_YORKSHIRE = "/foi-ai/north-yorkshire-police/"
ENGLISH_REFERENCES = {"148/2026", "895/2025", "294/25", "119/2025"}


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite(SITE) as served:
        yield served


def _app(tmp_path: Path, database_url: str, site: LocalSite, start: str) -> App:
    source = {"id": "force", "platform": "police_soh", "authority": "A police force", "url": site.url(start)}
    return open_app(write_config(tmp_path / "config", [source]), database_url, tmp_path / "data")


def _crawl(app: App, mode: str = "full") -> CrawlSummary:
    return crawl_source(app.database, app.config, app.config.source("force"), app.data_dir, mode)


def _run(app: App, summary: CrawlSummary) -> CrawlRun:
    with app.database.session() as session:
        run = session.get_one(CrawlRun, summary.run_id)
        session.expunge(run)
        return run


def _causes(app: App, summary: CrawlSummary) -> list[str]:
    with app.database.session() as session:
        return [p.cause for p in problems_of_run(session, int(summary.run_id or 0))]


def _references(app: App) -> set[str | None]:
    with app.database.session() as session:
        return set(session.scalars(select(Response.reference)))


def _withdrawn(app: App) -> int:
    with app.database.session() as session:
        return len(list(session.scalars(select(Response).where(Response.withdrawn_at.is_not(None)))))


def _overlay(tmp_path: Path, path: str, html: str) -> Path:
    overlay = tmp_path / "overlay"
    target = overlay / path.strip("/") / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return overlay


def test_an_english_force_landing_page_leads_down_years_and_months_to_every_response(
    tmp_path: Path, database_url: str, site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, site, ENGLISH)
    summary = _crawl(app)
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.errors) == (4, 0)
    assert _references(app) == ENGLISH_REFERENCES
    run = _run(app, summary)
    assert run.complete
    # The landing page lists the log's years itself: it is the address the log was read from.
    assert run.start_address == site.url(ENGLISH)
    fetched = site.paths(200)
    years = [p for p in fetched if p.rstrip("/").endswith(("disclosure-2026", "disclosure-2025"))]
    assert sorted(years) == [f"{ENGLISH}disclosure-2025/", f"{ENGLISH}disclosure-2026/"]
    assert not [p for p in fetched if "publication-scheme" in p or p.startswith("/cy-GB/")]


def test_a_single_log_link_is_followed_and_recorded_as_the_address_used(
    tmp_path: Path, database_url: str, site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, site, NORTH_YORKSHIRE)
    summary = _crawl(app)
    assert summary.status == "succeeded", summary.error
    assert _references(app) == {"FOI 1035", "FOI 1193"}
    run = _run(app, summary)
    assert run.start_address == site.url(f"{NORTH_YORKSHIRE}foi-disclosure-2021-22/")
    assert run.complete


def test_a_welsh_force_is_found_through_its_welsh_pages_and_read_in_welsh(
    tmp_path: Path, database_url: str, site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, site, WELSH)
    summary = _crawl(app)
    assert summary.status == "succeeded", summary.error
    assert _references(app) == {"761/2025", "996/2025", "1087/2025"}
    # Landing page -> "Cyrchu gwybodaeth" -> the years of the log ("Datgeliadau 2025", ...).
    assert _run(app, summary).start_address == site.url(f"{WELSH}cyrchu-gwybodaeth/")
    with app.database.session() as session:
        rows = session.execute(
            select(
                Response.reference,
                ResponseVersion.published,
                ResponseVersion.outcome,
                ResponseVersion.request_text,
            ).join(ResponseVersion, ResponseVersion.response_id == Response.id)
        )
        versions = {
            reference: (published, outcome, request) for reference, published, outcome, request in rows
        }
    published, outcome, request = versions["996/2025"]
    assert published == date(2025, 11, 12)  # "Dyddiad: 12 Tachwedd 2025"
    assert outcome == "neither_confirm_nor_deny"
    assert "deployed to Palestine Action events" in request  # between "Cais:" and "Ymateb:"
    assert versions["1087/2025"][0] == date(2026, 1, 14)
    assert not [p for p in site.paths() if p.startswith("/foi-ai/dyfed-powys-police/")]


def test_an_incremental_crawl_reads_only_the_newest_periods(
    tmp_path: Path, database_url: str, site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, site, ENGLISH)
    assert _crawl(app).status == "succeeded"
    before = len(site.requests)
    again = _crawl(app, "incremental")
    assert again.status == "succeeded", again.error
    fetched = [r.path for r in site.requests[before:]]
    assert f"{ENGLISH}disclosure-2025/november/" in fetched
    assert f"{ENGLISH}disclosure-2025/march/" not in fetched  # the oldest month of 2025 is left alone


def test_a_landing_page_without_a_log_link_fails_saying_what_was_looked_for(
    tmp_path: Path, database_url: str, site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, site, ENGLISH)
    assert _crawl(app).status == "succeeded"
    page = (SITE / ENGLISH.strip("/") / "index.html").read_text(encoding="utf-8")
    redesigned = page.split("<h2>Disclosures</h2>")[0] + "</main></body></html>"
    site.overlays = [_overlay(tmp_path, ENGLISH, redesigned)]
    summary = _crawl(app)
    assert summary.status == "failed"
    assert "no disclosure log found" in (summary.error or "")
    causes = " ".join(_causes(app, summary))
    assert '"disclosure log"' in causes and '"log datgelu"' in causes and "/disclosure-2025/" in causes
    assert not _run(app, summary).complete
    assert summary.withdrawn == 0 and _withdrawn(app) == 0


def test_a_month_page_answering_500_leaves_the_run_incomplete(
    tmp_path: Path, database_url: str, site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, site, ENGLISH)
    assert _crawl(app).status == "succeeded"
    site.faults[f"{ENGLISH}disclosure-2025/may/"] = "500"
    summary = _crawl(app)
    run = _run(app, summary)
    assert not run.complete and run.errors >= 1
    assert any(c.startswith("HTTP 500") for c in _causes(app, summary))
    assert summary.withdrawn == 0 and _withdrawn(app) == 0  # the May response was not seen, not gone
    assert _references(app) == ENGLISH_REFERENCES


def test_a_month_page_that_changed_shape_is_a_recorded_problem_not_a_withdrawal(
    tmp_path: Path, database_url: str, site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, site, ENGLISH)
    assert _crawl(app).status == "succeeded"
    month = f"{ENGLISH}disclosure-2025/november/"
    scripted = (
        "<html><body><main><h1>November</h1>"
        '<div id="foi-results" data-endpoint="/api/foi?month=11"></div></main></body></html>'
    )
    site.overlays = [_overlay(tmp_path, month, scripted)]
    summary = _crawl(app)
    assert not _run(app, summary).complete
    causes = [c for c in _causes(app, summary) if "index page names no responses" in c]
    assert causes
    assert summary.withdrawn == 0 and _withdrawn(app) == 0


# -- reading addresses, links and Welsh labels (no crawl) -------------------------------------------


@pytest.mark.parametrize(
    ("path", "period"),
    [
        ("/foi-ai/dyfed-powys-police/disclosure-2025/", (2025, 0)),
        ("/foi-ai/dyfed-powys-police/disclosure-2025/october/", (2025, 10)),
        ("/foi-ai/north-yorkshire-police/foi-disclosure-2021-22/april-2025/", (2025, 4)),
        ("/foi-ai/south-wales-police/disclosure-log/2025/august/", (2025, 8)),
        ("/foi-ai/cleveland-police/disclosure/2026/", (2026, 0)),
        ("/cy-GB/foi-ai/heddlu-dyfed-powys/datgeliadau-2025/medi/", (2025, 9)),
        ("/foi-ai/metropolitan-police/d/july-2022/", (2022, 7)),
        ("/foi-ai/gwent-police/disclosure2/2022/09---september/", (2022, 9)),
        ("/foi-ai/gwent-police/disclosure2/2022/09---september/202225392---problem-profiles/", None),
        ("/foi-ai/south-wales-police/disclosure-log/2025/august/foi-82525/", None),
        ("/foi-ai/dyfed-powys-police/disclosure-2025/may/workforce-data-2942025/", None),
        ("/foi-ai/dyfed-powys-police/", None),
        ("/foi-ai/metropolitan-police/disclosure-log/", None),
    ],
)
def test_year_and_month_pages_are_told_from_responses(path: str, period: tuple[int, int] | None) -> None:
    from crawler.platforms.police_soh import index_period

    found = index_period(f"https://www.example.police.uk{path}")
    assert ((found.year, found.month) if found else None) == period


def test_newest_periods_come_first_and_other_links_keep_their_order() -> None:
    from crawler.platforms.police_soh import newest_first

    base = "https://x.police.uk/foi-ai/f/"
    urls = [
        f"{base}disclosure-2024/",
        f"{base}other/a/b/",
        f"{base}disclosure-2025/march/",
        f"{base}disclosure-2025/",
    ]
    assert newest_first(urls) == [urls[2], urls[3], urls[0], urls[1]]


BILINGUAL_LANDING = """<html><body><main>
<a href="/cy-GB/foi-ai/heddlu-dyfed-powys/log-datgeliadau/">Log datgeliadau</a>
<a href="/foi-ai/dyfed-powys-police/request/">Make a request</a>
<a href="/foi-ai/af/accessing-information/published-items/">Published items</a>
<a href="/foi-ai/dyfed-powys-police/disclosure-log/">Disclosure log</a>
</main></body></html>"""


@pytest.mark.parametrize(
    ("start", "best"),
    [
        ("/foi-ai/dyfed-powys-police/", "/foi-ai/dyfed-powys-police/disclosure-log/"),
        ("/cy-GB/foi-ai/heddlu-dyfed-powys/", "/cy-GB/foi-ai/heddlu-dyfed-powys/log-datgeliadau/"),
    ],
)
def test_the_log_link_in_the_start_page_language_wins_and_english_before_welsh(start: str, best: str) -> None:
    from crawler.pagetext import parse_soup
    from crawler.platforms.police_soh import find_log_links

    host = "https://www.dyfed-powys.police.uk"
    links = find_log_links(parse_soup(BILINGUAL_LANDING), host + start, host + start)
    assert links[0].url == host + best
    assert host + "/foi-ai/dyfed-powys-police/request/" not in [link.url for link in links]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dyddiad: 12 Tachwedd 2025", date(2025, 11, 12)),
        ("1 Mawrth 2024", date(2024, 3, 1)),
        ("Cyhoeddwyd 3 Mai 2023", date(2023, 5, 3)),
        ("Dydd Mawrth", None),
        ("16 Hydref 2025 / 16 October 2025", date(2025, 10, 16)),
    ],
)
def test_welsh_dates_are_read(text: str, expected: date | None) -> None:
    from crawler.normalise import parse_uk_date

    assert parse_uk_date(text) == expected


def test_a_bilingual_page_gives_its_english_labels_value() -> None:
    from crawler.platforms.page import parse_reference

    lines = ["Cyfeirnod Rhyddid Gwybodaeth: 999/2025", "Our ref: 1087/2025", "Cais:", "Request:"]
    assert parse_reference(lines, "", "") == "1087/2025"
    assert parse_reference(lines[:1], "", "") == "999/2025"


def test_sources_list_shows_where_the_log_was_found(
    tmp_path: Path, database_url: str, site: LocalSite
) -> None:
    from click.testing import CliRunner

    from monitor.cli.main import main

    app = _app(tmp_path, database_url, site, NORTH_YORKSHIRE)
    assert _crawl(app).status == "succeeded"
    config = tmp_path / "config"
    listed = CliRunner().invoke(
        main,
        [
            "--config",
            str(config),
            "--db",
            database_url,
            "--data-dir",
            str(tmp_path / "data"),
            "sources",
            "list",
        ],
    )
    assert listed.exit_code == 0, listed.output
    squashed = "".join(ch for ch in listed.output if not ch.isspace() and ch != "│")  # cells wrap
    assert f"(logreadat{site.url(NORTH_YORKSHIRE)}foi-disclosure-2021-22/)" in squashed


# -- a force's own FOI site, off the shell ------------------------------------------------------
def test_a_forces_own_foi_site_front_page_is_its_log(tmp_path: Path, database_url: str) -> None:
    with LocalSite(FIXTURES / "police_soh" / "own_site") as own:
        app = _app(tmp_path, database_url, own, "/")
        summary = _crawl(app)
        fetched = own.paths()
    assert summary.status == "succeeded", summary.error
    assert _references(app) == {"3005_16", "2855_15", "392A/20"}
    assert _run(app, summary).start_address == own.url("/")
    # Pages of the site that are not responses are not fetched as responses.
    assert "/what-is-proactive-publication/" not in fetched


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/officer-bme-3005_16/", True),
        ("/operation-snap-392a-20/", True),
        ("/what-is-proactive-publication/", False),
        ("/page/2/", False),
        ("/2019/05/", False),
        ("/officer-bme-3005_16/?replytocom=5", False),
    ],
)
def test_responses_on_an_own_foi_site_are_told_by_their_reference_ending(path: str, expected: bool) -> None:
    assert (
        is_response_link("https://foi.example.police.uk" + path, "https://foi.example.police.uk/") is expected
    )
