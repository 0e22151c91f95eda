"""What the CLI's tables show: stored text exactly as stored, and every row a filter asks for."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from monitor.app import open_app
from monitor.classify import build_classifiers
from monitor.cli.main import main
from monitor.config import load_config
from storage.db import Database
from storage.models import Notification, Subscriber
from storage.outbox import OutgoingMessage, enqueue
from tests.conftest import REPO, write_config
from tests.monitor.test_diff import ESTATE_CCTV, HIKVISION, MET, _crawl, _diff

# Rich reads "[...]" as markup and ":name:" as an emoji code; scraped titles contain both.
MARKUP_TITLE = "Camera [/b] audit [bold]x[/bold] [foiwatch] :thumbs_up:"
CLOSING_TAG = "[/]"
SOURCE = {"id": MET.id, "platform": MET.platform, "authority": MET.authority, "url": MET.url}


def _setup(tmp_path: Path, authority: str = MET.authority) -> tuple[list[str], Database]:
    """A configuration with one source and subscriber, and its (migrated, registered) database."""
    config = write_config(
        tmp_path / "config",
        [{**SOURCE, "authority": authority}],
        subscribers=[{"name": "desk", "urls": ["json://127.0.0.1:9/"]}],
    )
    data = tmp_path / "data"
    app = open_app(config, None, data)
    return ["--config", str(config), "--data-dir", str(data)], app.database


def _queue(database: Database, title: str, status: str, count: int = 1, error: str | None = None) -> None:
    with database.session() as session:
        desk = session.scalars(select(Subscriber.id).where(Subscriber.name == "desk")).one()
        start = session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) or 0
        for number in range(start + 1, start + count + 1):
            enqueue(session, OutgoingMessage(desk, f"new:{number}", "new", "cctv", title, "body"))
        session.flush()
        for row in session.scalars(select(Notification).where(Notification.id > start)):
            row.status, row.last_error = status, error


@pytest.fixture
def stored(tmp_path: Path) -> list[str]:
    """CLI arguments for a database holding responses and notifications with markup-like titles."""
    base, database = _setup(tmp_path)
    classifiers = build_classifiers(load_config(REPO / "config").topics)
    records = [
        dataclasses.replace(HIKVISION, title=MARKUP_TITLE),
        dataclasses.replace(ESTATE_CCTV, title=CLOSING_TAG),
    ]
    _diff(database, _crawl(database, records), classifiers)
    _queue(database, MARKUP_TITLE, "failed", error="HTTP 500 [/b] from [receiver]")
    _queue(database, CLOSING_TAG, "sent")
    database.dispose()
    return base


@pytest.mark.parametrize(
    "command",
    [["responses", "list"], ["facts"], ["notifications", "list"]],
    ids=["responses-list", "facts", "notifications-list"],
)
def test_stored_titles_are_printed_verbatim(stored: list[str], command: list[str]) -> None:
    result = CliRunner().invoke(main, [*stored, *command])
    assert result.exit_code == 0, result.output
    assert MARKUP_TITLE in result.output
    assert CLOSING_TAG in result.output


def test_stored_errors_are_printed_verbatim(stored: list[str]) -> None:
    result = CliRunner().invoke(main, [*stored, "notifications", "list", "--failed"])
    assert result.exit_code == 0, result.output
    assert "HTTP 500 [/b] from [receiver]" in result.output
    assert CLOSING_TAG not in result.output  # the sent one is not listed


def test_a_bracketed_prefix_is_not_swallowed(tmp_path: Path) -> None:
    base, database = _setup(tmp_path)
    _queue(database, "[foiwatch] source met looks broken", "pending")
    database.dispose()
    result = CliRunner().invoke(main, [*base, "notifications", "list"])
    assert result.exit_code == 0, result.output
    assert "[foiwatch] source met looks broken" in result.output


def test_an_authority_with_markup_is_printed_verbatim_in_sources_list(tmp_path: Path) -> None:
    base, database = _setup(tmp_path, authority=f"Police {CLOSING_TAG} [foiwatch]")
    database.dispose()
    result = CliRunner().invoke(main, [*base, "sources", "list"])
    assert result.exit_code == 0, result.output
    assert f"Police {CLOSING_TAG} [foiwatch]" in result.output


def test_failed_filter_finds_failed_rows_older_than_the_limit(tmp_path: Path) -> None:
    base, database = _setup(tmp_path)
    _queue(database, "failed one", "failed", error="HTTP 500")
    _queue(database, "dead one", "dead", error="gave up")
    _queue(database, "failed two", "failed", error="HTTP 503")
    # newer than the failed ones, and more than the old "fetch twice the limit, then filter" read
    _queue(database, "delivered", "sent", count=120)
    database.dispose()

    result = CliRunner().invoke(main, [*base, "notifications", "list", "--failed", "--limit", "50"])
    assert result.exit_code == 0, result.output
    assert "failed one" in result.output and "dead one" in result.output and "failed two" in result.output
    assert "delivered" not in result.output
    limited = CliRunner().invoke(main, [*base, "notifications", "list", "--failed", "--limit", "2"])
    assert "failed two" in limited.output and "dead one" in limited.output
    assert "failed one" not in limited.output
