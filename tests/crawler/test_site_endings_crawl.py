"""The site's furniture repeated at the end of its pages is dropped, and never makes a version.

A crawl learns a site's repeated ending only after its first pages, so one page may be stored with
the ending in one crawl and without it in the next. The pages here close with TfL's real call to
action ("Want to make a request? ..."), which nothing in a single page marks as furniture.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from monitor.app import open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import crawl_source
from storage.models import Response, ResponseVersion
from tests.conftest import write_config

ENDING = (
    "<p>Want to make a request?</p>"
    "<p>We'll email you the information you asked for within 20 working days of receiving your request.</p>"
    "<p>Read about how we publish FOI requests and what happens to the information we release.</p>"
)
SUBJECTS = ("bus shelter cameras", "depot lighting", "ticket machine faults", "station toilets", "road works")


def _page(number: int, subject: str) -> str:
    return (
        f"<html><head><title>FOI request detail</title></head><body><main><h1>{subject.capitalize()}</h1>"
        f"<p>Request ID: FOI-{1000 + number}-2425</p><p>Date of response: 0{number + 1} May 2024</p>"
        f"<h2>You asked</h2><p>Please provide the number of {subject} records held for 2023.</p>"
        f"<h2>We answered</h2><p>Our ref: FOI-{1000 + number}-2425</p>"
        f"<p>Thank you for your request received by Transport for London on 2 April 2024 about {subject}.</p>"
        f"<p>I can confirm that we hold {number + 3} records of {subject} for 2023, listed below.</p>"
        f"{ENDING}</main></body></html>"
    )


def _listing(order: list[int]) -> str:
    links = "".join(f'<li><a href="/foi/r{n}">{SUBJECTS[n]}</a></li>' for n in order)
    return f"<html><body><main><h1>FOI requests</h1><ul>{links}</ul></main></body></html>"


def test_a_repeated_ending_is_dropped_and_a_page_read_with_or_without_it_is_one_version(
    tmp_path: Path,
) -> None:
    root = tmp_path / "site"
    (root / "foi").mkdir(parents=True)
    for number, subject in enumerate(SUBJECTS):
        (root / "foi" / f"r{number}").write_text(_page(number, subject), encoding="utf-8")
    listing = root / "foi" / "index.html"
    with LocalSite(root) as site:
        source = {
            "id": "tfl-like",
            "platform": "page_per_response",
            "authority": "Transport for London",
            "url": site.url("/foi/index.html"),
            "options": {"link_pattern": r"/foi/r\d+$"},
        }
        config = write_config(tmp_path / "config", [source], crawler={"concurrent_requests_per_domain": 1})
        app = open_app(config, f"sqlite:///{tmp_path / 'foiwatch.sqlite3'}", tmp_path / "data")
        try:
            listing.write_text(_listing([0, 1, 2, 3, 4]), encoding="utf-8")
            first = crawl_source(
                app.database, app.config, app.config.source("tfl-like"), app.data_dir, "full"
            )
            # The same pages in the opposite order: those read first now were read last before.
            listing.write_text(_listing([4, 3, 2, 1, 0]), encoding="utf-8")
            second = crawl_source(
                app.database, app.config, app.config.source("tfl-like"), app.data_dir, "full"
            )
            with app.database.session() as session:
                versions = session.scalars(select(ResponseVersion)).all()
                responses = session.scalars(select(Response)).all()
                texts = [v.response_text for v in versions]
        finally:
            app.database.dispose()
    assert first.status == second.status == "succeeded"
    assert len(responses) == 5
    assert len(versions) == 5, "a page read with and without the site's ending became two versions"
    trimmed = [t for t in texts if "Want to make a request?" not in t]
    assert trimmed, "the ending repeated on every page was never dropped"
    assert all("I can confirm that we hold" in t for t in texts)
