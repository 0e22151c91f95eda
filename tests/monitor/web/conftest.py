"""A stored database to read from: the demo's two real crawls, plus responses made for the read side's
edge cases (a word found only in an attachment, a title carrying markup)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from monitor.app import App, open_app
from monitor.demo.run import run_demo
from monitor.web.app import create_app
from monitor.web.context import WebContext
from monitor.web.server import BackgroundServer
from storage.models import Response
from storage.records import AttachmentRecord, ResponseRecord
from storage.responses import save_topic_match, store_response
from storage.runs import finish_run, start_run
from storage.search import refresh_index

SOURCE = "demo-constabulary"
BASE = "http://127.0.0.1:1/foi-ai/demo-constabulary/disclosure-2026/may-2026"
# a word that appears nowhere but in one attachment's extracted text
ATTACHMENT_WORD = "Quokkavision"
HOSTILE_TITLE = (
    "<script>document.title='pwned';window.pwned=1</script>"
    '<img src=x onerror="window.pwned=1"> CCTV at the depot'
)
EXTRAS = [
    ResponseRecord(
        source_id=SOURCE,
        key="01.FOI.26.009001",
        reference="01.FOI.26.009001",
        authority="Demo Constabulary",
        title="Equipment register for the custody suites",
        url=f"{BASE}/equipment-register/",
        request="A copy of the equipment register for the custody suites, including CCTV equipment.",
        response="Please see the attached register.",
        outcome="released",
        attachments=(
            AttachmentRecord(
                f"{BASE}/register.pdf",
                "register.pdf",
                "application/pdf",
                2048,
                f"Custody CCTV: 14 dome cameras supplied by {ATTACHMENT_WORD} Ltd, installed 2023.",
            ),
        ),
    ),
    ResponseRecord(
        source_id=SOURCE,
        key="01.FOI.26.009002",
        reference="01.FOI.26.009002",
        authority="Demo Constabulary",
        title=HOSTILE_TITLE,
        url="javascript:alert(1)",
        request="How many CCTV cameras are at the vehicle depot? <b>bold</b>",
        response="There are 6 CCTV cameras at the depot. <script>window.pwned=1</script>",
        outcome="released",
    ),
]


@dataclass
class Stored:
    data_dir: Path
    ids: dict[str, int]  # response id by reference


def _add_extras(app: App) -> dict[str, int]:
    with app.database.session() as session:
        run_id = start_run(session, SOURCE).id
        for record in EXTRAS:
            store_response(session, run_id, record)
        finish_run(session, run_id, "succeeded")
    with app.database.session() as session:
        ids = {
            reference: response_id
            for response_id, reference in session.execute(select(Response.id, Response.reference))
            if reference
        }
        for record in EXTRAS:
            response = session.get_one(Response, ids[record.key])
            version_id = max(v.id for v in response.versions)
            save_topic_match(session, version_id, "cctv", True, 3.0, ["cctv"], ["CCTV cameras"], "test")
        refresh_index(session)
    return ids


@pytest.fixture(scope="session")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Stored:
    """The demo's database (built once per test process), plus the extras."""
    data_dir = tmp_path_factory.mktemp("web") / "data"
    assert run_demo(data_dir) == 0
    app = open_app(None, None, data_dir)
    try:
        ids = _add_extras(app)
    finally:
        app.database.dispose()
    return Stored(data_dir, ids)


@pytest.fixture
def web_app(stored: Stored, tmp_path: Path) -> Iterator[App]:
    """The application over a copy of the stored database, so a test may break its own copy."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(stored.data_dir / "foiwatch.sqlite3", data_dir / "foiwatch.sqlite3")
    shutil.copytree(stored.data_dir / "archive", data_dir / "archive")
    app = open_app(None, None, data_dir)
    yield app
    app.database.dispose()


@pytest.fixture
def client(web_app: App) -> Iterator[TestClient]:
    with TestClient(create_app(WebContext(web_app))) as test_client:
        yield test_client


@pytest.fixture
def server(web_app: App) -> Iterator[str]:
    """The application served by uvicorn on 127.0.0.1; yields its base URL."""
    background = BackgroundServer(WebContext(web_app), "127.0.0.1", 0)
    background.start()
    try:
        yield f"http://127.0.0.1:{background.port}"
    finally:
        background.stop()
