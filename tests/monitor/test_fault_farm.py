"""The fault farm: many sources on 127.0.0.1, a clean baseline, then one fault per source.

For every fault the crawl finishes, the fault is recorded on its own source in words, the other
sources are untouched, nothing is withdrawn, and the live subscriber gets each new CCTV response
exactly once (now if its page could be read, after the fault heals otherwise), whatever a dead
subscriber beside it does.
"""

from __future__ import annotations

import json
import shutil
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.app import App, open_app
from monitor.demo.localsite import LocalSite, Receiver
from monitor.notify.deliver import deliver_pending
from monitor.service.crawls import CrawlSummary, crawl_source
from storage.models import Attachment, Notification, Response, ResponseVersion
from storage.problems import problems_of_run
from tests.conftest import write_config
from tests.sitefarm import FarmSite, Published

Fault = Callable[["Farm", str], None]
pytestmark = pytest.mark.timeout(900)  # about 2.5 min alone on two cores; more beside other tests


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the crawls are what is under test here; storage runs on both backends elsewhere
    (and the crash test runs the whole service on both)."""
    return f"sqlite:///{tmp_path / 'foiwatch.sqlite3'}"


@dataclass
class Farm:
    site: LocalSite
    farm: FarmSite
    robots_site: LocalSite
    robots_farm: FarmSite
    new: dict[str, Published]

    def old(self, source: str) -> Published:
        return self.farm.published[source][-1]


def _listing(status: str) -> Fault:
    def apply(farm: Farm, source: str) -> None:
        farm.site.faults[farm.farm.log_path(source)] = status

    return apply


def _new_page(status: str) -> Fault:
    def apply(farm: Farm, source: str) -> None:
        farm.site.faults[farm.new[source].path()] = status

    return apply


def _old_page(status: str) -> Fault:
    def apply(farm: Farm, source: str) -> None:
        farm.site.faults[farm.old(source).path()] = status

    return apply


def _wrong_charset(farm: Farm, source: str) -> None:
    page = farm.farm.response_html(farm.new[source]).replace("</h1>", "</h1><p>Cost: £1,200 ‘in total’.</p>")
    farm.farm.rewrite(farm.new[source].path(), page, encoding="cp1252")  # served as UTF-8


def _malformed(farm: Farm, source: str) -> None:
    page = farm.farm.response_html(farm.new[source])
    for tag in ("</p>", "</div>", "</li>", "</ul>", "</article>", "</main>", "</body>", "</html>"):
        page = page.replace(tag, "")
    farm.farm.rewrite(farm.new[source].path(), page.replace("<p>", "<p><b><i>", 3))


def _layout_changed(farm: Farm, source: str) -> None:
    farm.farm.write_listing(source, entries=[])  # a redesign: the log lists nothing we can read


def _hostile_links(farm: Farm, source: str) -> None:
    links = (
        '<p><a href="file:///etc/passwd">letter.pdf</a> <a href="javascript:alert(1)">x.pdf</a> '
        f'<a href="http://127.0.0.2:{farm.site.url("/").split(":")[2]}letter.pdf">other host.pdf</a> '
        f'<a href="http://127.0.0.1:9/letter.pdf">other port.pdf</a></p>'
    )
    page = farm.farm.response_html(farm.new[source]).replace("</h1>", f"</h1>{links}")
    farm.farm.rewrite(farm.new[source].path(), page)


def _robots(farm: Farm, source: str) -> None:
    (farm.robots_farm.root / "robots.txt").write_text("User-agent: *\nDisallow: /\n", encoding="utf-8")


@dataclass(frozen=True)
class Case:
    source: str
    fault: Fault | None
    cause: str | None  # words the run must record
    read_now: bool  # the new response's page is read in the faulty crawl
    failed: bool = False  # the faulty crawl fails as a whole
    heals: bool = True


CASES = [
    Case("control", None, None, read_now=True),
    Case("listing-500", _listing("500"), "HTTP 500", read_now=False, failed=True),
    Case("listing-503", _listing("503"), "HTTP 503 (Retry-After: 120)", read_now=False, failed=True),
    Case("listing-hang", _listing("hang"), "timed out after 2 s", read_now=False, failed=True),
    Case("listing-reset", _listing("reset"), "connection lost", read_now=False, failed=True),
    Case("listing-truncated", _listing("truncate"), "connection lost", read_now=False, failed=True),
    Case("layout-changed", _layout_changed, "layout may have changed", read_now=False, failed=True),
    Case("page-charset", _wrong_charset, None, read_now=True),
    Case("page-malformed", _malformed, None, read_now=True),
    Case("page-huge", _new_page("huge"), "larger than the 4 MB download limit", read_now=False),
    Case("page-503", _new_page("503"), "HTTP 503", read_now=False),
    Case("old-page-404", _old_page("404"), "HTTP 404", read_now=True),
    Case("old-page-500", _old_page("500"), "HTTP 500", read_now=True),
    Case("old-page-redirect-loop", _old_page("redirect-loop"), "redirect loop", read_now=True),
    Case("duplicate-reference", None, None, read_now=True),
    Case("hostile-links", _hostile_links, "refused", read_now=True),
    Case("robots", _robots, "forbidden by robots.txt", read_now=False, failed=True, heals=False),
]


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[Farm]:
    (tmp_path / "site").mkdir()
    (tmp_path / "robots-site").mkdir()
    with (
        LocalSite(tmp_path / "site") as site,
        LocalSite(tmp_path / "robots-site") as robots_site,
    ):
        farm = Farm(site, FarmSite(tmp_path / "site"), robots_site, FarmSite(tmp_path / "robots-site"), {})
        (farm.farm.root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
        (farm.robots_farm.root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
        yield farm


def _farm_of(farm: Farm, source: str) -> tuple[FarmSite, LocalSite]:
    return (farm.robots_farm, farm.robots_site) if source == "robots" else (farm.farm, farm.site)


def _app(tmp_path: Path, database_url: str, farm: Farm, live: Receiver, dead_port: int) -> App:
    sources = []
    for case in CASES:
        site_farm, site = _farm_of(farm, case.source)
        sources.append(
            {
                "id": case.source,
                "platform": "police_soh",
                "authority": f"{case.source} police",
                "url": site.url(site_farm.log_path(case.source)),
                "options": {"fetch_attachments": case.source == "hostile-links"},
            }
        )
    subscribers = [
        {"name": "dead", "urls": [f"json://127.0.0.1:{dead_port}/notify"], "topics": ["cctv"]},
        {"name": "live", "urls": [live.apprise_url("json")], "topics": ["cctv"]},
    ]
    config = write_config(
        tmp_path / "config",
        sources,
        subscribers,
        # robots.txt asked at every crawl: the robots case is a disallow obeyed by the next crawl
        # (kept copies are tested in tests/crawler/test_robots_politeness.py).
        crawler={
            "download_timeout": 2,
            "max_download_bytes": 4_000_000,
            "retry_times": 1,
            "robots_txt_cache_hours": 0,
        },
        notifications={"max_attempts": 20},
    )
    return open_app(config, database_url, tmp_path / "data")


def _crawl_all(app: App) -> dict[str, CrawlSummary]:
    summaries = {
        s.id: crawl_source(app.database, app.config, s, app.data_dir, "full") for s in app.config.sources
    }
    deliver_pending(app.database, app.config.notifications)
    return summaries


def _delivered(live: Receiver) -> Counter[str]:
    return Counter(json.loads(body)["title"].rsplit(": ", 1)[-1] for body in live.received)


def _causes(app: App, run_id: int | None) -> str:
    with app.database.session() as session:
        from storage.models import CrawlRun

        run = session.get_one(CrawlRun, run_id)
        return " | ".join([run.error_summary or "", *(p.cause for p in problems_of_run(session, run_id))])


def test_one_fault_per_source(tmp_path: Path, database_url: str, farm: Farm) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    with Receiver() as live:
        app = _app(tmp_path, database_url, farm, live, dead_port)
        for case in CASES:  # a clean baseline: two responses each, nobody told
            site_farm, _ = _farm_of(farm, case.source)
            site_farm.publish(case.source, 1, cctv=True)
            site_farm.publish(case.source, 2, cctv=False)
        baseline = _crawl_all(app)
        assert {s: r.status for s, r in baseline.items()} == dict.fromkeys(baseline, "succeeded")
        assert live.received == []

        for case in CASES:  # each source publishes one CCTV response, and meets its fault
            site_farm, _ = _farm_of(farm, case.source)
            reference = (
                site_farm.published[case.source][-1].reference
                if case.source == "duplicate-reference"
                else None
            )
            farm.new[case.source] = site_farm.publish(case.source, 3, cctv=True, reference=reference)
            if case.fault is not None:
                case.fault(farm, case.source)
        faulty = _crawl_all(app)

        for case in CASES:
            summary = faulty[case.source]
            assert (summary.status == "failed") == case.failed, (case.source, summary)
            assert summary.withdrawn == 0, case.source
            if case.cause:
                assert case.cause in _causes(app, summary.run_id), (case.source, _causes(app, summary.run_id))
            else:
                assert summary.errors == 0 and summary.health == "healthy", (case.source, summary)
        expected_now = {farm.new[c.source].title for c in CASES if c.read_now}
        assert _delivered(live) == Counter(expected_now)

        with app.database.session() as session:
            assert session.scalar(select(func.count()).where(Response.withdrawn_at.is_not(None))) == 0
            # The site's reused reference is a response of its own, not a new version of the old one.
            references = [
                r.reference
                for r in session.scalars(select(Response).where(Response.source_id == "duplicate-reference"))
            ]
            assert len(references) == 3 and len(set(references)) == 2
            # Nothing from a local file or another host was ever read.
            texts = [a.text or "" for a in session.scalars(select(Attachment))]
            assert not any("root:" in text for text in texts)
            statuses = Counter(session.scalars(select(Notification.status)))
        # the dead subscriber's messages wait for their retry; the live one was not held up
        assert statuses == {"sent": len(expected_now), "failed": len(expected_now)}

        for case in CASES:  # the faults heal
            site_farm, site = _farm_of(farm, case.source)
            site.faults.clear()
            if case.heals:
                for entry in site_farm.published[case.source]:
                    site_farm.rewrite(entry.path(), site_farm.response_html(entry))
                site_farm.write_listing(case.source)
        shutil.rmtree(farm.farm.root / "private", ignore_errors=True)
        healed = _crawl_all(app)
        again = _crawl_all(app)  # and once more: no churn, no repeats

    for case in CASES:
        assert healed[case.source].withdrawn == 0, case.source
        assert (again[case.source].new, again[case.source].changed) == (0, 0), (
            case.source,
            again[case.source],
        )
    expected = {farm.new[c.source].title for c in CASES if c.heals}
    assert _delivered(live) == Counter(expected)  # every new CCTV response, each exactly once
    with app.database.session() as session:
        assert session.scalar(select(func.count()).where(Response.withdrawn_at.is_not(None))) == 0
        # Two pages printing one reference stay two responses, one version each: no taking turns.
        duplicates = (
            select(ResponseVersion.id).join(Response).where(Response.source_id == "duplicate-reference")
        )
        assert len(session.scalars(duplicates).all()) == 3
