"""Listing links judged by where they lead: real Scrapy crawls (in the crawl subprocess) on 127.0.0.1.

ONS results linked through ``/redir/<token>`` (followed on the source's hosts only), Hastings'
two reference shapes, Barnet's "Download" links without extension (what the server sends decides),
and the link decisions each crawl leaves for ``foiwatch sources check``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.app import App, open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import CrawlSummary, crawl_source
from storage.models import Attachment, CrawlRun, Response, ResponseVersion
from storage.problems import problems_of_run
from tests.conftest import FIXTURES, write_config

LISTINGS = FIXTURES / "listings"
ONS_LISTING = "/aboutus/transparencyandgovernance/freedomofinformationfoi/publishedrequests"
ONS_OPTIONS = {"link_pattern": "/freedomofinformationfoi/(?!publishedrequests)[a-z0-9]+$"}
REDIRECTS: dict[str, str] = json.loads((LISTINGS / "ons_redir" / "redirects.json").read_text("utf-8"))
CCTV = "/aboutus/transparencyandgovernance/freedomofinformationfoi/cctvsystemsandsuppliers"


@pytest.fixture
def app_for(tmp_path: Path) -> Any:
    def build(sources: list[dict[str, Any]]) -> App:
        config = write_config(tmp_path / "config", sources)
        return open_app(config, f"sqlite:///{tmp_path / 'foiwatch.sqlite3'}", tmp_path / "data")

    return build


def _source(source_id: str, platform: str, url: str, options: dict[str, Any]) -> dict[str, Any]:
    return {"id": source_id, "platform": platform, "authority": source_id, "url": url, "options": options}


def _crawl(app: App, source_id: str) -> CrawlSummary:
    return crawl_source(app.database, app.config, app.config.source(source_id), app.data_dir, "full")


def _versions(app: App) -> dict[str | None, ResponseVersion]:
    with app.database.session() as session:
        return {r.reference: r.versions[-1] for r in session.scalars(select(Response)).all()}


def _run(app: App, run_id: int | None) -> tuple[bool, list[str]]:
    with app.database.session() as session:
        run = session.get_one(CrawlRun, run_id)
        return run.complete, [p.cause for p in problems_of_run(session, run.id)]


def _links(app: App, source_id: str) -> dict[str, Any]:
    return dict(json.loads((app.data_dir / "links" / f"{source_id}.json").read_text("utf-8")))


def _ons_site() -> LocalSite:
    site = LocalSite(FIXTURES / "page_per_response" / "ons")
    site.overlays.append(LISTINGS / "ons_redir")
    site.redirects.update(REDIRECTS)
    return site


def _token_for(target: str) -> str:
    return next(path for path, goes_to in REDIRECTS.items() if goes_to == target)


# -- /redir/ links ------------------------------------------------------------------------------
def test_redirect_links_are_followed_and_the_target_is_the_response(app_for: Any) -> None:
    with _ons_site() as site:
        app = app_for([_source("ons", "page_per_response", site.url(ONS_LISTING), ONS_OPTIONS)])
        summary = _crawl(app, "ons")
        redirected = set(site.paths(302))
    assert summary.status == "succeeded", summary.error
    assert redirected == set(REDIRECTS)
    stored = _versions(app)
    assert set(stored) == {"FOI/2022/4158", "FOI/2022/3921", "FOI/2022/3870"}
    # The stable key is the page the token leads to, never the token.
    assert stored["FOI/2022/4158"].url == site.url(CCTV)
    assert all("/redir/" not in version.url for version in stored.values())
    assert _run(app, summary.run_id)[0] is True
    links = _links(app, "ons")
    assert links["kinds"]["response (via redirect)"] == 3


def test_a_redirect_to_another_host_is_refused_and_counted(app_for: Any) -> None:
    with _ons_site() as site, LocalSite(FIXTURES / "page_per_response" / "ons", host="127.0.0.2") as other:
        site.redirects[_token_for(CCTV)] = other.url(CCTV)
        app = app_for([_source("ons", "page_per_response", site.url(ONS_LISTING), ONS_OPTIONS)])
        summary = _crawl(app, "ons")
        assert other.paths() == []
    assert set(_versions(app)) == {"FOI/2022/3921", "FOI/2022/3870"}
    assert summary.errors == 1
    complete, problems = _run(app, summary.run_id)
    assert complete is False
    assert any("another host" in cause and "127.0.0.2" in cause for cause in problems)
    rejected = {r["url"]: r["reason"] for r in _links(app, "ons")["rejected"]}
    assert rejected[site.url(_token_for(CCTV))].startswith("off-host")


def test_a_redirect_link_answering_500_leaves_the_run_incomplete_and_withdraws_nothing(
    app_for: Any,
) -> None:
    with _ons_site() as site:
        app = app_for([_source("ons", "page_per_response", site.url(ONS_LISTING), ONS_OPTIONS)])
        first = _crawl(app, "ons")
        site.faults[_token_for(CCTV)] = "500"
        second = _crawl(app, "ons")
    assert (first.new, first.status) == (3, "succeeded")
    assert second.withdrawn == 0
    assert second.errors >= 1
    assert _run(app, second.run_id)[0] is False
    with app.database.session() as session:
        assert all(r.withdrawn_at is None for r in session.scalars(select(Response)))


def test_a_redirect_to_a_page_outside_the_link_pattern_is_rejected_with_the_pattern(app_for: Any) -> None:
    with _ons_site() as site:
        site.redirects[_token_for(CCTV)] = "/economy"
        app = app_for([_source("ons", "page_per_response", site.url(ONS_LISTING), ONS_OPTIONS)])
        summary = _crawl(app, "ons")
        assert "/economy" not in site.paths()
    assert summary.status == "succeeded", summary.error
    assert set(_versions(app)) == {"FOI/2022/3921", "FOI/2022/3870"}
    reasons = [r["reason"] for r in _links(app, "ons")["rejected"]]
    expected = f"which does not match link_pattern r'{ONS_OPTIONS['link_pattern']}'"
    assert any(reason.startswith("redirects to") and expected in reason for reason in reasons)


# -- Hastings: FOI201408 beside FOIR-125542778 ----------------------------------------------------
def test_both_reference_shapes_are_listed_and_read(app_for: Any) -> None:
    site = LocalSite(FIXTURES / "html_log" / "hastings")
    site.overlays.append(LISTINGS / "hastings")
    options = {
        "link_pattern": r"/freedom-of-information/date/\?id=FOIR?-?\d+$",
        "listing_pattern": r"/freedom-of-information/date/\?year=\d{4}$",
        "pagination": "none",
    }
    with site:
        start = site.url("/my-council/freedom-of-information/date/?year=2014")
        app = app_for([_source("hastings", "html_log", start, options)])
        summary = _crawl(app, "hastings")
    assert summary.status == "succeeded", summary.error
    stored = _versions(app)
    assert set(stored) == {"FOI201408", "FOIR-125542778"}
    assert stored["FOI201408"].title == "Parking enforcement CCTV car"
    assert stored["FOI201408"].url.endswith("?id=FOI201408")


# -- Barnet: "Download" links without extension ---------------------------------------------------
BARNET_OPTIONS = {
    "link_pattern": r"/foi-requests/\d+$",
    "fields": {"reference": r"/foi-requests/(\d+)$"},
    "fetch_attachments": True,
    "pagination": "none",
}


def _barnet_site(download_type: str) -> LocalSite:
    site = LocalSite(FIXTURES / "html_log" / "barnet")
    site.overlays.append(LISTINGS / "barnet")
    site.content_types["download"] = download_type
    return site


def _attachments(app: App) -> list[Attachment]:
    with app.database.session() as session:
        found = list(session.scalars(select(Attachment)))
        session.expunge_all()
        return found


def test_a_download_link_answered_with_a_pdf_is_the_responses_attachment(app_for: Any) -> None:
    with _barnet_site("application/pdf") as site:
        app = app_for([_source("barnet", "html_log", site.url("/foi-disclosure-log"), BARNET_OPTIONS)])
        summary = _crawl(app, "barnet")
    assert summary.status == "succeeded", summary.error
    stored = _versions(app)
    assert stored["6312721"].title == "Council's CCTV system"  # the page, read as HTML
    download = [a for a in _attachments(app) if a.url.endswith("/media/4411/download")]
    assert len(download) == 1
    assert download[0].content_type == "application/pdf"
    assert "CCTV expenditure 2015/16 to 2019/20" in (download[0].text or "")
    kinds = {a["url"]: a["kind"] for a in _links(app, "barnet")["accepted"]}
    assert kinds[site.url("/media/4411/download")] == "attachment"


def test_a_download_link_answered_with_a_page_is_not_an_attachment(app_for: Any) -> None:
    with _barnet_site("text/html") as site:
        app = app_for([_source("barnet", "html_log", site.url("/foi-disclosure-log"), BARNET_OPTIONS)])
        summary = _crawl(app, "barnet")
        assert "/media/4411/download" in site.paths(200)
    assert summary.status == "succeeded", summary.error
    assert not [a for a in _attachments(app) if a.url.endswith("/media/4411/download")]
    assert _versions(app)["6312721"].title == "Council's CCTV system"


@pytest.mark.parametrize("served_as", ["application/pdf", "application/octet-stream"])
def test_a_response_link_answered_with_a_pdf_is_read_as_a_letter_not_as_html(
    app_for: Any, served_as: str
) -> None:
    # Coventry's letters have no extension; the source does not say documents_are_responses.
    options = {"link_pattern": r"/downloads/file/\d+/", "pagination": "none"}
    with LocalSite(FIXTURES / "html_log" / "coventry") as site:
        site.content_types["req06487-cctv-cameras"] = served_as
        app = app_for([_source("coventry", "html_log", site.url("/directory/45/a-to-z/C"), options)])
        summary = _crawl(app, "coventry")
    assert summary.status == "succeeded", summary.error
    letter = _versions(app)["REQ06487"]
    assert letter.url.endswith("/downloads/file/31874/req06487-cctv-cameras")
    assert "three Hikvision cameras used as internal council cameras" in letter.response_text
