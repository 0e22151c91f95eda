"""The search index follows the stored responses, and never costs the diff anything when it fails."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from monitor.classify import TopicClassifier, build_classifiers
from monitor.cli.main import main
from monitor.config import load_config
from monitor.query.search import Filters, search_responses
from storage.db import Database
from storage.runs import sync_sources
from storage.search import create_word_index
from tests.conftest import REPO
from tests.monitor.test_diff import CLEVELAND, ESTATE_CCTV, FLEET, HIKVISION, MET, _counts, _crawl, _diff


@pytest.fixture(scope="module")
def classifiers() -> dict[str, TopicClassifier]:
    return build_classifiers(load_config(REPO / "config").topics)


def _titles(database: Database, **filters: object) -> list[str]:
    with database.session() as session:
        page = search_responses(session, Filters(**filters), sort="newest")  # type: ignore[arg-type]
        return sorted(item.title for item in page.items)


def test_a_diffed_run_is_searchable_with_its_topics(database: Database, classifiers: dict) -> None:
    with database.session() as session:
        sync_sources(session, [MET, CLEVELAND])
    _diff(database, _crawl(database, [FLEET]), classifiers)
    _diff(database, _crawl(database, [FLEET, HIKVISION, ESTATE_CCTV]), classifiers)
    assert _titles(database, q="hikvision") == [HIKVISION.title]
    assert HIKVISION.title in _titles(database, topic="cctv")
    assert FLEET.title not in _titles(database, topic="cctv")
    edited = dataclasses.replace(HIKVISION, response=HIKVISION.response + " Dahua units were also found.")
    _diff(database, _crawl(database, [FLEET, edited, ESTATE_CCTV]), classifiers)
    assert _titles(database, q="dahua") == [HIKVISION.title]


def test_a_broken_index_never_stops_the_diff_and_heals_on_the_next_run(
    tmp_path,
    classifiers: dict,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'foiwatch.sqlite3'}")
    with database.session() as session:
        sync_sources(session, [MET, CLEVELAND])
    _diff(database, _crawl(database, [FLEET]), classifiers)
    with database.engine.begin() as connection:
        connection.execute(text("DROP TABLE response_words"))
    run_id = _crawl(database, [FLEET, HIKVISION])
    with caplog.at_level(logging.ERROR):
        _diff(database, run_id, classifiers)
    assert _counts(database, run_id) == (True, 1, 0, 0)  # the change is recorded all the same
    assert "the search index could not be updated" in caplog.text
    with database.engine.begin() as connection:
        create_word_index(connection)
    _diff(database, _crawl(database, [FLEET, HIKVISION]), classifiers)
    assert _titles(database, q="hikvision") == [HIKVISION.title]  # healed: it was behind, so rebuilt
    assert _titles(database, q="fleet") == []  # its words went with the table, and it had not changed
    result = CliRunner().invoke(
        main, ["--config", str(REPO / "config"), "--db", database.url, "db", "reindex"]
    )
    assert result.exit_code == 0, result.output
    assert "2 responses indexed" in result.output
    assert _titles(database, q="fleet") == [FLEET.title]
    database.dispose()
