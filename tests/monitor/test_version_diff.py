"""What changed between two versions of a response: the pure account and ``foiwatch responses diff``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from monitor.changes.versions import MAX_TEXT_LINES, diff_versions, render_diff
from monitor.cli.main import main
from storage.db import Database
from storage.records import AttachmentRecord, ResponseRecord
from storage.responses import store_response
from storage.runs import SourceRow, sync_sources
from tests.conftest import write_config


@dataclass
class _Attachment:
    url: str
    name: str | None = None


@dataclass
class _Version:
    title: str = "CCTV cameras in car parks"
    url: str = "https://example.gov.uk/foi/1"
    published: date | None = date(2024, 5, 2)
    date_source: str | None = "page"
    request_text: str = "1. How many CCTV cameras are in your car parks?\n2. Who maintains them?"
    response_text: str = "1. There are 46 cameras.\n2. The cameras are maintained by Acme Ltd.\nRegards"
    outcome: str | None = "released"
    exemptions: list[str] = field(default_factory=list)
    attachments: list[_Attachment] = field(default_factory=list)


def test_fields_are_told_as_was_and_now_and_texts_as_changed_lines() -> None:
    old = _Version()
    new = _Version(
        outcome="partially_released",
        exemptions=["s31(1)(a)"],
        response_text="1. There are 48 cameras.\n2. The cameras are maintained by Acme Ltd.\nRegards",
        attachments=[_Attachment("https://example.gov.uk/list.pdf", "Camera list")],
    )
    diff = diff_versions(old, new)
    assert [(c.name, c.was, c.now) for c in diff.fields] == [
        ("outcome", "released", "partially_released"),
        ("exemptions", "-", "s31(1)(a)"),
        ("attachments", "-", "Camera list"),
    ]
    assert [t.name for t in diff.texts] == ["response"]
    assert diff.texts[0].lines == [
        "@@",
        "-1. There are 46 cameras.",
        "+1. There are 48 cameras.",
        " 2. The cameras are maintained by Acme Ltd.",
    ]
    shown = render_diff(diff)
    assert "outcome: was 'released', now 'partially_released'" in shown
    assert "attachments: removed '-', added 'Camera list'" in shown


def test_identical_versions_say_so_and_long_changes_are_bounded() -> None:
    assert diff_versions(_Version(), _Version()).empty
    assert "no difference" in render_diff(diff_versions(_Version(), _Version()))
    long_old = "\n".join(f"line {n}" for n in range(1000))
    long_new = "\n".join(f"line {n} changed" for n in range(1000))
    text = diff_versions(_Version(response_text=long_old), _Version(response_text=long_new)).texts[0]
    assert len(text.lines) == MAX_TEXT_LINES and text.cut > 0


def _record(response: str, outcome: str) -> ResponseRecord:
    return ResponseRecord(
        source_id="council",
        key="FOI-1",
        authority="Example Council",
        title="CCTV cameras in car parks",
        url="https://example.gov.uk/foi/1",
        reference="FOI-1",
        request="How many CCTV cameras are in your car parks?",
        response=response,
        outcome=outcome,
        attachments=(AttachmentRecord("https://example.gov.uk/list.pdf", "Camera list"),),
    )


def test_responses_diff_command(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "config",
        [
            {
                "id": "council",
                "platform": "html_log",
                "authority": "Example Council",
                "url": "https://example.gov.uk/foi",
                "options": {"link_pattern": "/foi/"},
            }
        ],
    )
    url = f"sqlite:///{tmp_path / 'foiwatch.sqlite3'}"
    database = Database(url)
    try:
        with database.session() as session:
            sync_sources(
                session,
                [SourceRow("council", "html_log", "Example Council", "https://example.gov.uk/foi", True)],
            )
            store_response(session, None, _record("There are 46 cameras in our car parks.", "released"))
        with database.session() as session:
            store_response(session, None, _record("There are 48 cameras in our car parks.", "released"))
    finally:
        database.dispose()
    runner = CliRunner()
    args = ["--config", str(config), "--db", url, "responses", "diff"]
    result = runner.invoke(main, [*args, "1"])
    assert result.exit_code == 0, result.output
    assert "version 1" in result.output and "version 2" in result.output
    assert "-There are 46 cameras in our car parks." in result.output
    assert "+There are 48 cameras in our car parks." in result.output
    assert runner.invoke(main, [*args, "1", "2", "1"]).exit_code == 0
    wrong = runner.invoke(main, [*args, "1", "1", "3"])
    assert wrong.exit_code != 0 and "versions 1 to 2, not 3" in wrong.output
    missing = runner.invoke(main, [*args, "99"])
    assert missing.exit_code != 0 and "no response with id 99" in missing.output
