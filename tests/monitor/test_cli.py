"""The command-line contracts: config errors, crawl summaries, export, classify and the demo."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli.main import main
from monitor.demo.localsite import LocalSite
from tests.conftest import REPO, write_config

MET_LOG = "/foi-ai/metropolitan-police/disclosure-log/"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.mark.parametrize(
    ("sources_yaml", "line", "words"),
    [
        ("sources:\n  - id: met\n    platform: police_soh\n   authority: [unclosed\n", 4, "invalid YAML"),
        (
            "sources:\n  - id: met\n    platform: police_shh\n    authority: Met\n    url: https://x.uk/\n",
            3,
            "unknown platform 'police_shh'",
        ),
        (
            "sources:\n  - id: ok\n    platform: police_soh\n    authority: A\n    url: https://a.uk/\n"
            "  - id: met\n    platform: police_soh\n    authority: Met\n",
            6,
            "add the required field 'url'",
        ),
        (
            "sources:\n  - id: met\n    platform: police_soh\n    authority: Met\n    url: https://x.uk/\n"
            "    schedule: sometimes\n",
            6,
            "neither 'every N minutes|hours|days' nor a 5-field cron",
        ),
    ],
    ids=["bad-yaml", "unknown-platform", "missing-field", "bad-schedule"],
)
def test_config_errors_name_file_line_and_fix(
    tmp_path: Path, sources_yaml: str, line: int, words: str
) -> None:
    config = write_config(tmp_path / "config", [])
    (config / "sources.yaml").write_text(sources_yaml, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["--config", str(config), "--data-dir", str(tmp_path / "d"), "sources", "list"]
    )
    assert result.exit_code == 2
    assert f"{config / 'sources.yaml'}:{line}:" in result.output
    assert words in result.output


def test_subscriber_following_an_unknown_topic_is_a_config_error(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "config",
        [],
        subscribers=[{"name": "n", "urls": ["json://127.0.0.1:9/"], "topics": ["drones"]}],
    )
    result = CliRunner().invoke(main, ["--config", str(config), "--data-dir", str(tmp_path / "d"), "crawl"])
    assert result.exit_code == 2
    assert "subscribers.yaml:2:" in result.output and "unknown topic 'drones'" in result.output


def test_crawl_prints_a_summary_and_fails_when_one_source_fails(tmp_path: Path, soh_site: LocalSite) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    config = write_config(
        tmp_path / "config",
        [
            {
                "id": "met",
                "platform": "police_soh",
                "authority": "Metropolitan Police Service",
                "url": soh_site.url(MET_LOG),
            },
            {
                "id": "dead",
                "platform": "police_soh",
                "authority": "Dead",
                "url": f"http://127.0.0.1:{dead}/foi-ai/x/y/",
            },
        ],
    )
    data = tmp_path / "data"
    result = _run("--config", str(config), "--data-dir", str(data), "crawl")
    assert result.returncode == 1, result.stderr
    met_row = next(line for line in result.stdout.splitlines() if " met " in line)
    assert "full" in met_row and "succeeded" in met_row and " 12 " in met_row
    dead_row = next(line for line in result.stdout.splitlines() if " dead " in line)
    assert "failed" in dead_row and "connection refused" in dead_row
    again = _run("--config", str(config), "--data-dir", str(data), "crawl", "--source", "met")
    assert " incremental " in next(line for line in again.stdout.splitlines() if " met " in line)
    assert "edits are found by the next full crawl" in again.stdout
    listed = _run("--config", str(config), "--data-dir", str(data), "sources", "list")
    assert "within 24 h (next full crawl" in listed.stdout

    exported = _run(
        "--config", str(config), "--data-dir", str(data), "export", "--format", "jsonl", "--topic", "cctv"
    )
    records = [json.loads(line) for line in exported.stdout.splitlines()]
    assert {r["reference"] for r in records} == {
        "01.FOI.24.041290",
        "01.FOI.23.032871",
        "01.FOI.22.025407",
        "01.FOI.21.021493",
    }
    for key in (
        "id",
        "source",
        "authority",
        "reference",
        "title",
        "url",
        "published",
        "date_source",
        "request",
        "response",
        "outcome",
        "exemptions",
        "topics",
    ):
        assert key in records[0]
    assert all(r["topics"] == ["cctv"] and r["source"] == "met" for r in records)
    assert all(r["date_source"] == "page" for r in records)

    listed = _run("--config", str(config), "--data-dir", str(data), "responses", "list", "--topic", "cctv")
    assert "01.FOI.21.021493" in listed.stdout and "Cyber security" not in listed.stdout
    seed = next(r for r in records if r["reference"] == "01.FOI.21.021493")
    shown = _run("--config", str(config), "--data-dir", str(data), "responses", "show", str(seed["id"]))
    assert "The MPS has 26,500 Axon BWV cameras" in shown.stdout
    assert "exemptions: s24(2), s31(3)" in shown.stdout and "topic cctv: matches" in shown.stdout
    assert "published: 2021-11-23 (printed on the page)" in shown.stdout
    sources = _run("--config", str(config), "--data-dir", str(data), "sources", "list")
    assert "succeeded" in next(line for line in sources.stdout.splitlines() if " met " in line)

    as_csv = _run("--config", str(config), "--data-dir", str(data), "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(rows) == 12
    assert {row["reference"] for row in rows} >= {r["reference"] for r in records}
    assert {row["date_source"] for row in rows} == {"page"}


def test_classify_reads_json_lines_and_keeps_order(tmp_path: Path) -> None:
    lines = [
        {"title": "CCTV cameras in town centres", "request": "How many CCTV cameras do you operate?"},
        {"title": "Police vehicle fleet", "response": "The force has 812 vehicles."},
        {"response": "We use body worn video cameras made by Axon."},
        {"title": "Speed cameras", "request": "How many fixed penalty notices did each speed camera issue?"},
    ]
    given = "\n".join(json.dumps(line) for line in lines) + "\n"
    result = CliRunner().invoke(main, ["--config", str(REPO / "config"), "classify"], input=given)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["cctv"] for o in out] == [True, False, True, False]
    assert all(0 <= o["score"] <= 1 for o in out)
    assert "cctv" in out[0]["terms"] and "axon" in out[2]["terms"]


def test_classify_reports_a_bad_line_and_goes_on(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["--config", str(REPO / "config"), "classify"],
        input='{"title": "CCTV"}\nnot json\n{"title": "ANPR cameras"}\n',
    )
    out = [json.loads(line) for line in result.output.splitlines()]
    assert result.exit_code == 1
    assert out[0]["cctv"] is True and "error" in out[1] and out[2]["cctv"] is True


def test_demo_notifies_exactly_the_new_cctv_responses(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "monitor.cli.main", "--data-dir", "kept", "demo"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Notifications after the baseline crawl: 0" in out
    assert "Delivered 2 notification(s)" in out
    assert out.count("--- notification") == 2
    assert "Locations of fixed CCTV cameras" in out and "Hikvision and Pyronix equipment" in out
    for negative in (
        "Cyber security and IT systems",
        "Speed camera fixed penalty notices",
        "Police vehicle fleet",
    ):
        assert negative not in out
    # what it stored stays, and it says how to browse it
    assert (tmp_path / "kept" / "foiwatch.sqlite3").exists()
    hint = out.rstrip().rsplit("Browse what it stored:\n", 1)[1].splitlines()
    command, serve = hint[0].strip().split(" ", 1)
    assert serve == f"--data-dir {tmp_path / 'kept'} serve"
    assert command == "foiwatch" or (tmp_path / command).resolve().exists()  # runnable as printed
    assert hint[1] == "then open http://127.0.0.1:8080/"


def test_reclassify_after_adding_a_topic_notifies_nobody(tmp_path: Path, soh_site: LocalSite) -> None:
    from sqlalchemy import func, select

    from storage.db import Database
    from storage.models import Notification

    config = write_config(
        tmp_path / "config",
        [
            {
                "id": "met",
                "platform": "police_soh",
                "authority": "Metropolitan Police Service",
                "url": soh_site.url(MET_LOG),
            }
        ],
        subscribers=[{"name": "desk", "urls": ["json://127.0.0.1:9/"], "topics": ["cctv"]}],
    )
    data = tmp_path / "data"
    assert _run("--config", str(config), "--data-dir", str(data), "crawl").returncode == 0
    topics = (config / "topics.yaml").read_text(encoding="utf-8")
    drones = "  drones:\n    threshold: 0.5\n    terms: {drone: 0.6, drones: 0.6, unmanned aerial: 0.6}\n"
    (config / "topics.yaml").write_text(
        topics.replace("topics:\n", "topics:\n" + drones, 1), encoding="utf-8"
    )
    result = _run("--config", str(config), "--data-dir", str(data), "reclassify")
    assert result.returncode == 0, result.stderr
    assert "drones: 1 responses match" in result.stdout and "cctv: 4 responses match" in result.stdout
    listed = _run("--config", str(config), "--data-dir", str(data), "responses", "list", "--topic", "drones")
    assert "Drone sightings near prisons" in listed.stdout
    database = Database(f"sqlite:///{data / 'foiwatch.sqlite3'}")
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 0
    database.dispose()


def test_facts_are_stored_queryable_and_exported(tmp_path: Path, soh_site: LocalSite) -> None:
    config = write_config(
        tmp_path / "config",
        [
            {
                "id": "met",
                "platform": "police_soh",
                "authority": "Metropolitan Police Service",
                "url": soh_site.url(MET_LOG),
            }
        ],
    )
    data = tmp_path / "data"
    base = ["--config", str(config), "--data-dir", str(data)]
    assert _run(*base, "crawl").returncode == 0
    axon = [
        json.loads(line) for line in _run(*base, "facts", "--vendor", "axon", "--json").stdout.splitlines()
    ]
    assert [r["title"] for r in axon] == ["CCTV cameras under MPS control"]
    counts = {(c["number"], c["what"]) for c in axon[0]["facts"]["camera_counts"]}
    assert (26500, "Axon BWV cameras") in counts
    hikvision = _run(*base, "facts", "--vendor", "HiLook", "--json").stdout  # an alias of Hikvision
    assert "Hikvision cameras in custody suites" in hikvision
    table = _run(*base, "facts").stdout
    assert "Cameras: 26,500 Axon BWV cameras" in table
    exported = [json.loads(line) for line in _run(*base, "export", "--topic", "cctv").stdout.splitlines()]
    assert all(record["facts"] is not None for record in exported) and len(exported) == 4
