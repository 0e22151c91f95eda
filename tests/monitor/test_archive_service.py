"""The evidence archive's settings, checked at load time, and its retention applied by the service."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from crawler.yamlconf import ConfigError
from monitor.app import open_app
from monitor.config import load_config
from monitor.service.scheduler import Service
from storage.archive import FetchedCopy, archive_copy, list_copies
from storage.records import ResponseRecord
from storage.responses import store_version
from tests.conftest import write_config

SOURCE = {"id": "met", "platform": "police_soh", "authority": "Metropolitan Police Service"}


def _config(tmp_path: Path, archive: str) -> Path:
    config = write_config(tmp_path / "config", [{**SOURCE, "url": "https://www.met.police.uk/foi-ai/x/"}])
    with (config / "settings.yaml").open("a", encoding="utf-8") as settings:
        settings.write(archive)
    return config


def test_the_shipped_settings_keep_every_copy() -> None:
    archive = load_config().archive
    assert (archive.enabled, archive.retention_days) == (True, 0)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("-1", "archive.retention_days: Input should be greater than or equal to 0"),
        ("a year", "archive.retention_days: Input should be a valid integer"),
    ],
)
def test_a_bad_retention_is_reported_at_its_line(tmp_path: Path, value: str, problem: str) -> None:
    config = _config(tmp_path, f"archive:\n  enabled: true\n  retention_days: {value}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    lines = (config / "settings.yaml").read_text(encoding="utf-8").splitlines()
    assert caught.value.file == config / "settings.yaml"
    assert caught.value.line == lines.index(f"  retention_days: {value}") + 1
    assert caught.value.problem.startswith(problem)


def test_the_service_applies_retention_after_a_crawl_once_a_day(tmp_path: Path, database_url: str) -> None:
    config = _config(tmp_path, "archive:\n  retention_days: 30\n")
    app = open_app(config, database_url, tmp_path / "data")
    record = ResponseRecord(
        source_id="met",
        key="01.FOI.24.1",
        authority="Metropolitan Police Service",
        title="CCTV on the estate",
        url="https://www.met.police.uk/foi-ai/x/cctv/",
        reference="01.FOI.24.1",
        published=date(2024, 12, 2),
        request="What brand of CCTV cameras are in use?",
        response="Approximately 4000 cameras are in use across the estate.",
    )
    now = datetime.now(UTC)

    def archive(body: bytes, days_ago: int) -> None:
        fetched = FetchedCopy(record.url, 200, (), body, now - timedelta(days=days_ago))
        with app.database.session() as session:
            _, version = store_version(session, None, record)
            assert version is not None
            archive_copy(session, app.data_dir, fetched, "met", version.id)

    archive(b"<html>last year</html>", 365)
    archive(b"<html>last week</html>", 7)
    service = Service(app, config)
    service.prune_archive()
    with app.database.session() as session:
        assert [c.fetched_at for c in list_copies(session)] == [now - timedelta(days=7)]
    archive(b"<html>older still</html>", 400)
    service.prune_archive()  # pruned already today: the next crawl's turn comes tomorrow
    with app.database.session() as session:
        assert len(list_copies(session)) == 2
    app.database.dispose()
