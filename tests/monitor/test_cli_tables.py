"""What the CLI's tables show: stored text exactly as stored, and every row a filter asks for."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
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


@pytest.mark.parametrize(
    ("options", "shown", "hidden"),
    [
        (["--authority", "metropolitan police service"], [MARKUP_TITLE, CLOSING_TAG], []),
        (["--since", "2024-01-01"], [CLOSING_TAG], [MARKUP_TITLE]),  # published 2024-12-09 and 2023-11-28
        (["--since", "28/11/2023"], [CLOSING_TAG, MARKUP_TITLE], []),
        (["--source", "METROPOLITAN-police", "--topic", "cctv"], [MARKUP_TITLE, CLOSING_TAG], []),
        (["--query", "hikvision"], [MARKUP_TITLE], [CLOSING_TAG]),  # the web's search
        (["--query", "estate -hikvision", "--topic", "cctv"], [CLOSING_TAG], [MARKUP_TITLE]),
    ],
    ids=["authority", "since-iso", "since-uk", "source-and-topic", "query", "query-and-topic"],
)
def test_responses_list_filters(
    stored: list[str], options: list[str], shown: list[str], hidden: list[str]
) -> None:
    result = CliRunner().invoke(main, [*stored, "responses", "list", *options])
    assert result.exit_code == 0, result.output
    assert all(title in result.output for title in shown)
    assert not any(title in result.output for title in hidden)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (
            ["--source", "metropolitan-polce"],
            "no source 'metropolitan-polce'; did you mean 'metropolitan-police'?",
        ),
        (["--topic", "cctvv"], "no topic 'cctvv'; did you mean 'cctv'?"),
        (["--authority", "Metropolitan Polce"], "did you mean 'Metropolitan Police Service'?"),
        (["--since", "last week"], "'last week' is not a date: use a date such as 2026-01-31 or 31/01/2026"),
        (["--query", "-cctv"], "a search needs at least one word that is not excluded"),
    ],
    ids=["source", "topic", "authority", "since", "query"],
)
def test_unknown_names_are_errors_with_suggestions(stored: list[str], options: list[str], error: str) -> None:
    result = CliRunner().invoke(main, [*stored, "responses", "list", *options])
    assert result.exit_code == 2
    assert error in " ".join(result.output.split())  # click may wrap the message


def test_export_refuses_an_unknown_topic(stored: list[str]) -> None:
    result = CliRunner().invoke(main, [*stored, "export", "--topic", "ctv"])
    assert result.exit_code == 2 and "did you mean 'cctv'?" in result.output


def test_ids_are_whole_on_a_narrow_terminal_and_name_what_other_commands_take(stored: list[str]) -> None:
    def narrow(*command: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "monitor.cli.main", *stored, *command],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "60"},
        )
        assert done.returncode == 0, done.stderr
        assert max(len(line) for line in done.stdout.splitlines()) <= 60
        return done.stdout

    def first_column(output: str) -> set[str]:
        return {line.split("│")[1].strip() for line in output.splitlines() if line.startswith("│")}

    listed = narrow("notifications", "list")
    subscribers = first_column(narrow("subscribers", "list"))
    assert subscribers == {"desk"}
    rows = [line.split("│") for line in listed.splitlines() if line.startswith("│")]
    assert {row[3].strip() for row in rows if row[3].strip()} == {"desk"}  # a name `subscribers` takes
    assert {row[1].strip() for row in rows if row[1].strip()} == {"1", "2"}  # ids `retry` takes
    responses = narrow("responses", "list")
    ids = {cell for cell in first_column(responses) if cell}
    assert len(ids) == 2 and all(cell.isdigit() for cell in ids)


def test_subscribers_add_refuses_unknown_topics_and_sources_with_suggestions(tmp_path: Path) -> None:
    base, database = _setup(tmp_path)
    database.dispose()
    url = ["--url", "json://127.0.0.1:9/"]
    topic = CliRunner().invoke(main, [*base, "subscribers", "add", "nat", *url, "--topic", "ccvt"])
    assert topic.exit_code == 2 and "no topic 'ccvt'; did you mean 'cctv'?" in topic.output
    source = CliRunner().invoke(main, [*base, "subscribers", "add", "nat", *url, "--source", "metropolitan"])
    assert source.exit_code == 2 and "did you mean 'metropolitan-police'?" in source.output
    listed = CliRunner().invoke(main, [*base, "subscribers", "list"])
    assert "nat" not in listed.output  # nothing was stored
