"""The read side over a real stored database: pages, JSON API, feeds, health and metrics.

Requests go through Starlette's test client (the whole application, in process); the browser
tests (test_browser.py) check what people see in Chromium.
"""

from __future__ import annotations

import re
from pathlib import Path

import feedparser
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from .conftest import ATTACHMENT_WORD, HOSTILE_TITLE, Stored

DEMO_CCTV = [
    "CCTV and body worn video cameras",
    "CCTV system supplier and contract",
    "CCTV cameras on the police estate",
    "Locations of fixed CCTV cameras",
    "Hikvision and Pyronix equipment",
]
DEMO_OTHER = [
    "Firearms and shotgun certificates",
    "Police vehicle fleet",
    "Speed camera fixed penalty notices",
]


def test_the_latest_page_lists_the_cctv_responses_and_nothing_else(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    for title in DEMO_CCTV:
        assert title in page.text
    for title in DEMO_OTHER:
        assert title not in page.text
    assert "Why cctv" in page.text or "why cctv" in page.text


def test_every_page_forbids_scripts(client: TestClient) -> None:
    for path in ("/", "/search?q=cctv", "/sources", "/api/responses", "/feeds/topic/cctv.atom", "/healthz"):
        policy = client.get(path).headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy, path


def test_scraped_markup_is_shown_as_text(client: TestClient, stored: Stored) -> None:
    hostile = stored.ids["01.FOI.26.009002"]
    for path in ("/", f"/responses/{hostile}", "/search?q=depot"):
        html = client.get(path).text
        assert "<script>document.title" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;document.title=" in html, path
    page = client.get(f"/responses/{hostile}").text
    assert 'href="javascript:' not in page  # a non-web address is text, never a link


def test_search_finds_a_word_that_is_only_in_an_attachment(client: TestClient, stored: Stored) -> None:
    page = client.get("/search", params={"q": ATTACHMENT_WORD.lower()})
    assert page.status_code == 200
    assert "Equipment register for the custody suites" in page.text
    assert f"<mark>{ATTACHMENT_WORD}</mark>" in page.text
    assert "attachment register.pdf" in page.text
    assert "1 found" in page.text


def test_search_filters_combine_and_unknown_names_get_suggestions(client: TestClient) -> None:
    page = client.get("/search", params={"q": "cameras", "topic": "cctv", "vendor": "hikvision"})
    assert "Hikvision and Pyronix equipment" in page.text and "1 found" in page.text
    page = client.get("/search", params={"topic": "cctvv"})
    assert page.status_code == 400
    assert "no topic &#39;cctvv&#39;; did you mean &#39;cctv&#39;?" in page.text
    page = client.get("/search", params={"q": "cctv", "from": "31/13/2026"})
    assert page.status_code == 400 and "is not a date" in page.text
    missing = client.get("/authorities/Demo%20Constabluary")
    assert missing.status_code == 404 and "Demo Constabulary" in missing.text


def test_the_response_page_shows_what_changed_between_versions(client: TestClient, stored: Stored) -> None:
    updated = stored.ids["01.FOI.26.005390"]
    page = client.get(f"/responses/{updated}")
    assert page.status_code == 200
    assert "What changed from version 1 to version 2" in page.text
    assert re.search(r'class="del">-Approximately 4000\.', page.text)
    assert re.search(r'class="add">\+Approximately 4,250\.', page.text)
    side = client.get(f"/responses/{updated}", params={"from": 1, "to": 2, "view": "side"})
    assert '<td class="del">Approximately 4000.' in side.text
    assert '<td class="add">Approximately 4,250.' in side.text
    wrong = client.get(f"/responses/{updated}", params={"from": 1, "to": 9})
    assert "has versions 1 to 2, not 9" in wrong.text
    assert client.get("/responses/999999").status_code == 404


def test_the_authority_page_shows_its_facts_over_time(client: TestClient) -> None:
    page = client.get("/authorities/Demo%20Constabulary")
    assert page.status_code == 200
    assert "Hikvision" in page.text and "Axon" in page.text
    assert "26,500" in page.text  # the body-worn camera count stated in one response


def test_the_api_pages_through_a_search_with_stable_keys(client: TestClient) -> None:
    first = client.get("/api/responses", params={"topic": "cctv", "per_page": 3}).json()
    assert first["total"] == len(DEMO_CCTV) + 2
    item = first["items"][0]
    for key in (
        "id",
        "source",
        "authority",
        "reference",
        "title",
        "url",
        "published",
        "date_source",
        "outcome",
        "exemptions",
        "topics",
        "first_seen",
        "last_seen",
        "withdrawn",
    ):
        assert key in item
    seen = [i["id"] for i in first["items"]]
    following = first["next"]
    while following:
        page = client.get(following).json()
        seen += [i["id"] for i in page["items"]]
        following = page["next"]
    assert len(seen) == len(set(seen)) == first["total"]
    detail = client.get(f"/api/responses/{seen[0]}").json()
    assert {"versions", "facts", "attachments", "request", "response"} <= set(detail)
    assert client.get("/api/responses", params={"source": "demo-constabularly"}).json()["suggestions"] == [
        "demo-constabulary"
    ]
    assert client.get("/api/responses/424242").status_code == 404


def test_the_api_answers_since_and_text_queries(client: TestClient) -> None:
    everything = client.get("/api/responses", params={"q": "hikvision"}).json()
    assert [i["title"] for i in everything["items"]] == ["Hikvision and Pyronix equipment"]
    future = client.get("/api/responses", params={"since": "2099-01-01"}).json()
    assert future == {"items": [], "total": 0, "next": None}


def test_feeds_are_valid_atom_with_the_scraped_text_escaped(client: TestClient) -> None:
    for path in (
        "/feeds/topic/cctv.atom",
        "/feeds/search.atom?q=cameras&topic=cctv",
        "/feeds/authority/Demo%20Constabulary.atom",
    ):
        answer = client.get(path)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/atom+xml")
        feed = feedparser.parse(answer.content)
        assert not feed.bozo, (path, feed.get("bozo_exception"))
        assert feed.entries, path
        assert "<script>" not in answer.text
    topic = feedparser.parse(client.get("/feeds/topic/cctv.atom").content)
    titles = [entry.title for entry in topic.entries]
    assert HOSTILE_TITLE in titles  # shown as the text it is
    assert set(DEMO_CCTV) <= set(titles)
    assert client.get("/feeds/topic/nonsense.atom").status_code == 404


def test_healthz_is_503_when_the_database_goes_away(client: TestClient, web_app) -> None:  # type: ignore[no-untyped-def]
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.json()["status"] == "ok"
    database_file = Path(web_app.data_dir) / "foiwatch.sqlite3"
    database_file.rename(database_file.with_suffix(".moved"))
    gone = client.get("/healthz")
    assert gone.status_code == 503
    assert "is gone" in gone.json()["problems"][0]


def test_metrics_count_runs_changes_and_notifications(client: TestClient) -> None:
    text = client.get("/metrics").text
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    source = ("source", "demo-constabulary")
    assert samples[("foiwatch_runs_total", (("result", "succeeded"), source))] == 3
    assert samples[("foiwatch_changes_total", (("kind", "new"), source))] == 10
    assert samples[("foiwatch_changes_total", (("kind", "changed"), source))] == 1
    assert samples[("foiwatch_notifications", (("state", "sent"),))] == 2
    assert ("foiwatch_last_success_timestamp_seconds", (source,)) in samples
    assert samples[("foiwatch_oldest_pending_notification_age_seconds", ())] == 0


def test_each_version_links_its_archived_copy_served_with_scripts_disabled(
    client: TestClient, stored: Stored
) -> None:
    updated = stored.ids["01.FOI.26.005390"]
    page = client.get(f"/responses/{updated}").text
    links = re.findall(r'href="/archive/(\d+)">page ', page)
    assert len(links) == 2  # one archived page per version
    first, second = (client.get(f"/archive/{copy_id}") for copy_id in links)
    for copy in (first, second):
        assert copy.status_code == 200 and copy.headers["content-type"].startswith("text/html")
        assert copy.headers["content-security-policy"].startswith("sandbox;")
        assert "script-src" not in copy.headers["content-security-policy"]
    assert b"Approximately 4000." in first.content and b"Approximately 4,250." in second.content
    assert client.get("/archive/987654").status_code == 404


def test_healthz_under_the_service_reports_a_stuck_crawl_and_a_dead_scheduler(web_app) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from monitor.web.app import create_app
    from monitor.web.context import WebContext
    from storage.clock import utcnow
    from storage.models import CrawlRun

    problems: list[str] = []
    with TestClient(create_app(WebContext(web_app, liveness=lambda: problems))) as service:
        answer = service.get("/healthz").json()
        assert answer == {"status": "ok", "problems": [], "scheduler": "checked"}
        with web_app.database.session() as session:
            session.add(
                CrawlRun(
                    source_id="demo-constabulary", started_at=utcnow() - timedelta(hours=3), status="running"
                )
            )
        stuck = service.get("/healthz")
        assert stuck.status_code == 503
        assert "the crawl of demo-constabulary" in stuck.json()["problems"][0]
        assert "past its 3600 s timeout" in stuck.json()["problems"][0]
        problems.append("the scheduler is not running")
        assert "the scheduler is not running" in service.get("/healthz").json()["problems"]


def test_a_search_feed_stays_valid_whatever_the_query_holds(client: TestClient) -> None:
    answer = client.get("/feeds/search.atom", params={"q": 'cctv \x01\x0b <b>&"', "topic": "cctv"})
    assert answer.status_code == 200
    feed = feedparser.parse(answer.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert client.get("/feeds/search.atom", params={"from": "yesterday"}).status_code == 400


def test_healthz_is_503_when_the_postgresql_database_goes_away(tmp_path: Path, pg_url: str | None) -> None:
    import os
    import uuid

    import pytest
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from monitor.app import open_app
    from monitor.web.app import create_app
    from monitor.web.context import WebContext

    if not pg_url:
        if os.environ.get("CI"):
            pytest.fail("CI must run this on PostgreSQL: set FOIWATCH_TEST_DATABASE_URL (.ci/run does)")
        pytest.skip("PostgreSQL not configured for this run (FOIWATCH_TEST_DATABASE_URL)")
    name = f"foiwatch_health_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        app = open_app(
            None, make_url(pg_url).set(database=name).render_as_string(hide_password=False), tmp_path
        )
        with TestClient(create_app(WebContext(app))) as client:
            assert client.get("/healthz").status_code == 200
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            gone = client.get("/healthz")
            assert gone.status_code == 503
            assert name in gone.json()["problems"][0]
            # the pages say so too, in their own form, never a bare 500
            page = client.get("/search", params={"q": "cctv"})
            assert page.status_code == 503 and "Database unavailable" in page.text
            assert client.get("/api/responses").json()["error"].startswith("the database cannot be read")
            assert client.get("/feeds/topic/cctv.atom").status_code == 503
        app.database.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_sources_page_shows_each_sources_last_run_next_run_and_health(client: TestClient) -> None:
    page = client.get("/sources")
    assert page.status_code == 200
    row = page.text.split('id="source-demo-constabulary"', 1)[1].split("</tr>", 1)[0]
    assert "succeeded" in row and "5 new" not in row  # the last run is the extras' run
    assert "healthy" in row
    assert "not in the configuration" in row  # crawled by the demo's own configuration
    never = page.text.split('id="source-met"', 1)[1].split("</tr>", 1)[0]  # configured, never crawled
    assert "never" in never and "full, as soon as the service starts" in never


def test_hostile_or_malformed_parameters_are_answered_not_crashed_on(client: TestClient) -> None:
    cases = [
        ("/api/responses", {"q": "cctv\x00", "authority": "Demo\x00 Constabulary"}, 200),
        ("/api/responses", {"vendor": "%"}, 200),
        ("/api/responses", {"outcome": "x' OR 1=1 --"}, 400),
        ("/api/responses", {"page": "9" * 40}, 400),
        ("/api/responses", {"per_page": "-1"}, 400),
        ("/api/responses", {"q": '"' * 300 + "(" * 300}, 200),
        ("/api/responses", {"q": " OR ".join(["cctv"] * 40)}, 400),
        ("/search", {"q": "\x00\x01"}, 200),
        ("/feeds/search.atom", {"q": "-"}, 200),
        ("/api/responses", {"since": "not a date"}, 400),
    ]
    for path, params, status in cases:
        answer = client.get(path, params=params)
        assert answer.status_code == status, (path, params, answer.text[:300])
    assert client.get("/api/responses", params={"vendor": "%"}).json()["total"] == 0  # not "everything"


def test_a_damaged_archived_copy_is_refused_not_served(client: TestClient, stored: Stored, web_app) -> None:  # type: ignore[no-untyped-def]
    updated = stored.ids["01.FOI.26.005390"]
    copy_id = re.findall(r'href="/archive/(\d+)">page ', client.get(f"/responses/{updated}").text)[0]
    blobs = [f for f in (Path(web_app.data_dir) / "archive").rglob("*") if f.is_file()]
    original = client.get(f"/archive/{copy_id}").content
    damaged = next(f for f in blobs if f.read_bytes() == original)
    damaged.chmod(0o644)
    damaged.write_bytes(original.replace(b"Approximately", b"Roughly"))
    answer = client.get(f"/archive/{copy_id}")
    assert answer.status_code == 410
    assert b"Roughly" not in answer.content and "damaged" in answer.text


def test_serve_on_a_port_in_use_says_so(web_app) -> None:  # type: ignore[no-untyped-def]
    import socket

    from click.testing import CliRunner

    from monitor.cli.main import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["--data-dir", str(web_app.data_dir), "serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot serve on 127.0.0.1:{port}" in result.output and "--port" in result.output
