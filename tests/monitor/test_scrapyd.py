"""Scrapyd as the crawl executor, against two real Scrapyd servers on 127.0.0.1.

The servers are started here from this environment's ``scrapyd`` (a test dependency), each with its
own folder and configuration, and reach the test PostgreSQL through ``FOIWATCH_DATABASE_URL`` as
a production node would. The project reaches them through ``foiwatch scrapyd deploy``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from crawler.run import code_fingerprint
from crawler.spiders.job import check_code
from crawler.yamlconf import ConfigError
from monitor.app import App, open_app
from monitor.cli.main import main
from monitor.config import load_config
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import CrawlSummary, check_source, crawl_source
from monitor.service.executors import allow_crawls, stop_all_crawls
from monitor.service.scrapyd import Node
from storage.clock import utcnow
from storage.models import CrawlRun, Response, ResponseVersion
from storage.runs import finish_run
from tests.conftest import PG_ENV, SOH_SITE, free_port, pg_schema, write_config

MET_LOG = "/foi-ai/metropolitan-police/disclosure-log/"
CLEVELAND_LOG = "/foi-ai/cleveland-police/disclosure/"
# The machine's PostgreSQL, as in .ci/run: the nodes need a database they share with the service.
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCRAPYD = Path(sys.executable).with_name("scrapyd")


@dataclass
class ScrapydServer:
    """One Scrapyd server in a folder of its own, in a process group of its own (its crawls too)."""

    folder: Path
    database_url: str
    port: int = 0
    conf: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def name(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        assert SCRAPYD.exists(), f"{SCRAPYD} is missing: make install-test installs scrapyd"
        self.port = self.port or free_port()
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "scrapyd.conf").write_text(
            "[scrapyd]\nbind_address = 127.0.0.1\n"
            f"http_port = {self.port}\neggs_dir = eggs\nlogs_dir = logs\ndbs_dir = dbs\nitems_dir =\n"
            f"max_proc = 2\npoll_interval = 0.2\n{self.conf}",
            encoding="utf-8",
        )
        env = {**os.environ, "FOIWATCH_DATABASE_URL": self.database_url}
        env["FOIWATCH_DATA_DIR"] = str(self.folder / "data")
        with (self.folder / "scrapyd.out").open("ab") as output:
            self.process = subprocess.Popen(
                [str(SCRAPYD)],
                cwd=self.folder,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_for(self.answers, 30, f"Scrapyd on port {self.port} did not start: see {self.folder}")

    def answers(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.5):
            return True
        return False

    def kill(self) -> None:
        """The machine dies: Scrapyd and the crawls it runs, at once."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _wait_for(condition: Callable[[], bool], timeout: float, failure: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(failure)


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with pg_schema(os.environ.get(PG_ENV) or PG_DEFAULT) as url:
        yield url


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[list[ScrapydServer]]:
    """Two Scrapyd servers with the project deployed by ``foiwatch scrapyd deploy``."""
    folder = tmp_path_factory.mktemp("scrapyd")
    servers = [ScrapydServer(folder / f"node{i}", database_url) for i in (1, 2)]
    try:
        for server in servers:
            server.start()
        config = write_config(folder / "config", [], executor=_executor(servers))
        deployed = CliRunner().invoke(main, ["--config", str(config), "scrapyd", "deploy"])
        assert deployed.exit_code == 0, deployed.output
        for server in servers:
            assert f"{server.name}: foiwatch version " in deployed.output
        yield servers
    finally:
        for server in servers:
            server.kill()


def _executor(servers: list[ScrapydServer], **extra: Any) -> dict[str, Any]:
    urls = [server.url for server in servers]
    return {"kind": "scrapyd", "urls": urls, "poll_seconds": 0.2, "lost_after_seconds": 2, **extra}


def _app(
    tmp_path: Path,
    database_url: str,
    sites: dict[str, str],
    executor: dict[str, Any],
    crawler: dict[str, Any] | None = None,
    service: dict[str, Any] | None = None,
) -> App:
    sources = [
        {"id": source_id, "platform": "police_soh", "authority": f"{source_id} authority", "url": url}
        for source_id, url in sites.items()
    ]
    config = write_config(tmp_path / "config", sources, crawler=crawler, service=service, executor=executor)
    return open_app(config, database_url, tmp_path / "data")


def _crawl(app: App, source_id: str) -> CrawlSummary:
    return crawl_source(app.database, app.config, app.config.source(source_id), app.data_dir, "full")


def _run(app: App, run_id: int | None) -> CrawlRun:
    with app.database.session() as session:
        run = session.get_one(CrawlRun, run_id)
        session.expunge(run)
        return run


def _responses(app: App, source_id: str) -> int:
    with app.database.session() as session:
        found = session.scalar(
            select(func.count()).select_from(Response).where(Response.source_id == source_id)
        )
        return int(found or 0)


def test_a_crawl_runs_on_a_node_and_lands_in_the_shared_database(
    tmp_path: Path, database_url: str, nodes: list[ScrapydServer], caplog: pytest.LogCaptureFixture
) -> None:
    with LocalSite(SOH_SITE) as site:
        app = _app(tmp_path, database_url, {"met-a": site.url(MET_LOG)}, _executor(nodes))
        with caplog.at_level(logging.INFO, logger="monitor.service.crawls"):
            summary = _crawl(app, "met-a")
        assert summary.status == "succeeded", summary.error
        assert (summary.items, summary.new, summary.errors) == (12, 12, 0)
        assert _responses(app, "met-a") == 12
        run = _run(app, summary.run_id)
        assert run.node in {node.name for node in nodes}
        assert run.complete and run.diffed
        ended = [r for r in caplog.records if "finished" in r.getMessage()]
        assert (
            ended[-1].getMessage().startswith(f"crawl of met-a finished on {run.node}: succeeded, 12 items")
        )
        assert ended[-1].node == run.node  # type: ignore[attr-defined]
        # the source's own log beside the service says where the node keeps the crawl's
        noted = (app.data_dir / "logs" / "met-a.log").read_text(encoding="utf-8")
        assert f"on Scrapyd node {run.node}; its log: http://{run.node}/logs/foiwatch/foiwatch/run-" in noted
        # the node's crawl behaved as a local one: robots.txt read, the operator's contact sent
        assert "/robots.txt" in site.paths()
        assert all("tests@foiwatch.invalid" in r.user_agent for r in site.requests)
        base = ["--config", str(app.config.directory), "--db", database_url, "--data-dir", str(app.data_dir)]
        shown = CliRunner().invoke(main, [*base, "status"], env={"COLUMNS": "400"})
        assert shown.exit_code == 0, shown.output
        assert f"full on {run.node}: succeeded" in shown.output
        as_json = json.loads(CliRunner().invoke(main, [*base, "status", "--json"]).output)
        assert as_json["sources"][0]["last_run"]["node"] == run.node
        jobs = CliRunner().invoke(main, [*base, "scrapyd", "jobs"], env={"COLUMNS": "400"})
        assert jobs.exit_code == 0, jobs.output
        assert any(
            run.node in line and "finished" in line and f"run-{run.id}-" in line
            for line in jobs.output.splitlines()
        )
        app.database.dispose()


def test_every_node_refusing_the_job_fails_the_run_with_their_reasons(
    tmp_path: Path, database_url: str, nodes: list[ScrapydServer]
) -> None:
    with LocalSite(SOH_SITE) as site:
        app = _app(tmp_path, database_url, {"met-b": site.url(MET_LOG)}, _executor(nodes, project="absent"))
        summary = _crawl(app, "met-b")
        assert summary.status == "failed"
        assert summary.cause is not None
        assert "no Scrapyd node took the crawl" in summary.cause
        for node in nodes:
            assert f"{node.name} project 'absent' not found" in summary.cause
        assert _run(app, summary.run_id).node is None
        assert [r for r in site.requests if r.path != "/robots.txt"] == []
        app.database.dispose()


def test_a_node_refusing_the_job_passes_it_to_the_next(
    tmp_path: Path, database_url: str, nodes: list[ScrapydServer]
) -> None:
    # "solo" is deployed to the second node only; the first, as idle and listed first, refuses it.
    config = write_config(tmp_path / "deploy", [], executor=_executor(nodes[1:], project="solo"))
    deployed = CliRunner().invoke(main, ["--config", str(config), "scrapyd", "deploy"])
    assert deployed.exit_code == 0, deployed.output
    with LocalSite(SOH_SITE) as site:
        sites = {"cleveland-c": site.url(CLEVELAND_LOG)}
        app = _app(tmp_path, database_url, sites, _executor(nodes, project="solo"))
        summary = _crawl(app, "cleveland-c")
        assert summary.status == "succeeded", summary.error
        assert _run(app, summary.run_id).node == nodes[1].name
        app.database.dispose()


def test_with_every_node_down_the_run_fails_and_the_next_one_finds_everything(
    tmp_path: Path, database_url: str, nodes: list[ScrapydServer]
) -> None:
    down = [ScrapydServer(tmp_path / f"down{i}", database_url, port=free_port()) for i in (1, 2)]
    with LocalSite(SOH_SITE) as site:
        sites = {"cleveland-d": site.url(CLEVELAND_LOG)}
        app = _app(tmp_path / "down", database_url, sites, _executor(down))
        failed = _crawl(app, "cleveland-d")
        assert failed.status == "failed"
        assert failed.cause is not None
        for node in down:
            assert f"{node.name} does not answer" in failed.cause
        assert site.requests == []
        assert _run(app, failed.run_id).executor_failed
        app.database.dispose()
        app = _app(tmp_path / "up", database_url, sites, _executor(nodes))
        summary = _crawl(app, "cleveland-d")
        assert summary.status == "succeeded", summary.error
        assert (summary.items, summary.new) == (3, 3)
        app.database.dispose()


def test_deploy_says_which_node_does_not_answer(tmp_path: Path, nodes: list[ScrapydServer]) -> None:
    down = ScrapydServer(tmp_path / "down", "", port=free_port())
    config = write_config(
        tmp_path / "config", [], executor=_executor([nodes[0], down], project="deploy-check")
    )
    result = CliRunner().invoke(main, ["--config", str(config), "scrapyd", "deploy"])
    assert result.exit_code == 1
    assert f"{nodes[0].name}: deploy-check version " in result.output
    assert f"{down.name}: not deployed: does not answer" in result.output


def test_stopping_foiwatch_cancels_the_crawl_on_its_node(
    tmp_path: Path, database_url: str, nodes: list[ScrapydServer]
) -> None:
    with LocalSite(SOH_SITE) as site:
        app = _app(tmp_path, database_url, {"cleveland-s": site.url(CLEVELAND_LOG)}, _executor(nodes))
        site.faults[CLEVELAND_LOG] = "hang"
        results: dict[str, CrawlSummary] = {}
        crawling = threading.Thread(target=lambda: results.setdefault("s", _crawl(app, "cleveland-s")))
        crawling.start()
        _wait_for(lambda: CLEVELAND_LOG in site.paths(0), 60, "the crawl never asked for its log")
        stop_all_crawls()
        try:
            crawling.join(timeout=30)
        finally:
            allow_crawls()
        assert results["s"].status == "interrupted"
        for node in nodes:
            assert Node(node.url).load() == 0  # cancelled, not left crawling
        app.database.dispose()


def test_a_crawl_past_its_timeout_is_cancelled_on_its_node(
    tmp_path: Path, database_url: str, nodes: list[ScrapydServer]
) -> None:
    with LocalSite(SOH_SITE) as site:
        sites = {"cleveland-t": site.url(CLEVELAND_LOG)}
        app = _app(tmp_path, database_url, sites, _executor(nodes), service={"crawl_timeout_seconds": 1})
        site.faults[CLEVELAND_LOG] = "hang"
        summary = _crawl(app, "cleveland-t")
        assert summary.status == "failed"
        assert summary.cause is not None
        assert f"cancelled on Scrapyd node {summary.node} after 1 s (crawl_timeout_seconds)" in summary.cause
        # a hanging site is the site's: its run counts against the source's health
        assert not _run(app, summary.run_id).executor_failed
        assert _run(app, summary.run_id).health_problem is not None
        for node in nodes:
            assert Node(node.url).load() == 0
        app.database.dispose()


def test_a_crawl_whose_run_was_closed_under_it_stops(
    tmp_path: Path, database_url: str, nodes: list[ScrapydServer]
) -> None:
    """A node cut off from the service (which closed its run as failed), but not from the database
    and the site, stops crawling and keeps nothing in the closed run: no source is crawled twice
    at once."""
    with LocalSite(SOH_SITE) as site:
        # 2 s between requests: the whole log (16 requests) would take half a minute
        sites = {"met-w": site.url(MET_LOG)}
        app = _app(tmp_path, database_url, sites, _executor(nodes), {"download_delay": 2})
        results: dict[str, CrawlSummary] = {}
        crawling = threading.Thread(target=lambda: results.setdefault("w", _crawl(app, "met-w")))
        crawling.start()
        _wait_for(lambda: MET_LOG in site.paths(200), 60, "the crawl never read its log")
        with app.database.session() as session:
            run = session.scalars(select(CrawlRun).where(CrawlRun.source_id == "met-w")).one()
            finish_run(session, run.id, "failed", "closed by the test")
            closed_at = utcnow()
        crawling.join(timeout=15)
        assert not crawling.is_alive(), "the crawl went on after its run was closed"
        assert len(site.requests) < 12
        with app.database.session() as session:
            kept = session.scalars(
                select(ResponseVersion.first_seen).where(ResponseVersion.first_run_id == run.id)
            )
            assert all(seen <= closed_at for seen in kept), "responses were stored into the closed run"
        assert results["w"].status == "failed"
        assert _run(app, results["w"].run_id).error_summary == "closed by the test"
        app.database.dispose()


def test_a_node_dying_mid_crawl_fails_the_run_naming_it_and_the_next_runs_elsewhere(
    tmp_path: Path, database_url: str, nodes: list[ScrapydServer]
) -> None:
    """Last of the tests on the module's nodes: it kills one of them."""
    with LocalSite(SOH_SITE) as first_site, LocalSite(SOH_SITE) as second_site:
        sites = {"first-e": first_site.url(CLEVELAND_LOG), "second-e": second_site.url(CLEVELAND_LOG)}
        app = _app(tmp_path, database_url, sites, _executor(nodes))
        first_site.faults[CLEVELAND_LOG] = "hang"
        results: dict[str, CrawlSummary] = {}
        hanging = threading.Thread(target=lambda: results.setdefault("first-e", _crawl(app, "first-e")))
        hanging.start()
        _wait_for(
            lambda: CLEVELAND_LOG in first_site.paths(0), 60, "the hanging crawl never asked for its log"
        )
        with app.database.session() as session:
            run = session.scalars(select(CrawlRun).where(CrawlRun.source_id == "first-e")).one()
            busy = next(node for node in nodes if node.name == run.node)
        # the least busy node takes the other source's crawl
        other = _crawl(app, "second-e")
        assert other.status == "succeeded", other.error
        assert (other.items, other.new) == (3, 3)
        assert _run(app, other.run_id).node != busy.name
        busy.kill()
        hanging.join(timeout=60)
        failed = results["first-e"]
        assert failed.status == "failed"
        assert failed.cause is not None and f"Scrapyd node {busy.name} stopped answering" in failed.cause
        # the node's death is not the site's: the source's health is not judged on it
        assert _run(app, failed.run_id).executor_failed
        assert failed.health == "healthy"
        del first_site.faults[CLEVELAND_LOG]
        again = _crawl(app, "first-e")
        assert again.status == "succeeded", again.error
        assert (again.items, again.new) == (3, 3)
        assert _run(app, again.run_id).node not in (None, busy.name)
        app.database.dispose()


def test_a_node_with_a_password_and_another_database_refuses_to_crawl(
    tmp_path: Path, database_url: str
) -> None:
    """Basic authentication works, its password is never shown, and a node set up for another
    database runs nothing: the run fails pointing at the node's log, which says why."""
    other_database = f"{database_url}&application_name=elsewhere"
    node = ScrapydServer(tmp_path / "node", other_database, conf="username = crawls\npassword = s3cret-pw\n")
    node.start()
    try:
        wrong = write_config(tmp_path / "wrong", [], executor=_executor([node], username="crawls"))
        refused = CliRunner().invoke(main, ["--config", str(wrong), "scrapyd", "deploy"])
        assert refused.exit_code == 1
        assert "refused our username and password" in refused.output
        executor = _executor([node], username="crawls", password="s3cret-pw")
        right = write_config(tmp_path / "right", [], executor=executor)
        deployed = CliRunner().invoke(main, ["--config", str(right), "scrapyd", "deploy"])
        assert deployed.exit_code == 0, deployed.output
        with LocalSite(SOH_SITE) as site:
            app = _app(tmp_path, database_url, {"cleveland-p": site.url(CLEVELAND_LOG)}, executor)
            summary = _crawl(app, "cleveland-p")
            app.database.dispose()
        assert summary.status == "failed"
        assert (
            summary.cause is not None and f"Scrapyd node {node.name} ended without recording" in summary.cause
        )
        assert "s3cret-pw" not in summary.cause
        logs = list((node.folder / "logs").rglob("*.log"))
        assert "point the node at the service's database" in logs[0].read_text(encoding="utf-8")
    finally:
        node.kill()


def test_scrapyd_needs_nodes_and_a_database_they_share(tmp_path: Path) -> None:
    config = write_config(tmp_path / "none", [], executor={"kind": "scrapyd"})
    with pytest.raises(ConfigError) as no_nodes:
        open_app(config, f"sqlite:///{tmp_path / 'a.sqlite3'}", tmp_path / "data")
    assert "the scrapyd executor needs at least one node" in str(no_nodes.value)
    assert "settings.yaml:" in str(no_nodes.value) and "executor.urls" in str(no_nodes.value)
    remote = write_config(
        tmp_path / "remote", [], executor={"kind": "scrapyd", "urls": ["http://10.0.0.5:6800"]}
    )
    with pytest.raises(ConfigError) as sqlite:
        open_app(remote, f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path / "data")
    assert "cannot reach a SQLite database" in str(sqlite.value)
    assert "fix: use PostgreSQL" in str(sqlite.value)
    secret = write_config(
        tmp_path / "secret", [], executor={"kind": "scrapyd", "urls": ["http://me:pw@10.0.0.5:6800"]}
    )
    with pytest.raises(ConfigError) as credentials:
        open_app(secret, f"sqlite:///{tmp_path / 'c.sqlite3'}", tmp_path / "data")
    assert "executor.username and executor.password" in str(credentials.value)
    assert "pw" not in str(credentials.value).replace("password", "")


def test_sources_check_crawls_here_whatever_the_executor(tmp_path: Path) -> None:
    """A check stores into a scratch file nothing but this machine reads: no node is asked."""
    down = ScrapydServer(tmp_path / "down", "", port=free_port())
    with LocalSite(SOH_SITE) as site:
        sources = [{"id": "met-x", "platform": "police_soh", "authority": "Met", "url": site.url(MET_LOG)}]
        config = load_config(write_config(tmp_path / "config", sources, executor=_executor([down])))
        report = check_source(config, config.source("met-x"))
    assert report.status == "succeeded", report.problem
    assert report.items > 0


def test_a_node_refuses_a_job_from_other_code() -> None:
    check_code(code_fingerprint())
    with pytest.raises(ValueError, match="install the service's foiwatch version on the node"):
        check_code("0" * 16)
