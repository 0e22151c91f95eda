"""``foiwatch export --format csv [--excel]``: a file a spreadsheet opens cleanly, facts as columns."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from pathlib import Path

from click.testing import CliRunner

from monitor.classify import build_classifiers
from monitor.cli.export import CSV_FIELDS
from monitor.cli.main import main
from monitor.config import load_config
from tests.conftest import REPO
from tests.monitor.test_cli_tables import _setup
from tests.monitor.test_diff import ESTATE_CCTV, HIKVISION, _crawl, _diff

BOM = b"\xef\xbb\xbf"


def _stored(tmp_path: Path) -> list[str]:
    base, database = _setup(tmp_path)
    classifiers = build_classifiers(load_config(REPO / "config").topics)
    records = [
        dataclasses.replace(HIKVISION, title='=HYPERLINK("http://evil") Hikvision cameras — £ and é'),
        ESTATE_CCTV,
    ]
    _diff(database, _crawl(database, records), classifiers)
    database.dispose()
    return base


def test_excel_csv_has_a_bom_fact_columns_and_dates_spreadsheets_read(tmp_path: Path) -> None:
    base = _stored(tmp_path)
    out = tmp_path / "responses.csv"
    result = CliRunner().invoke(main, [*base, "export", "--format", "csv", "--excel", "--output", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(BOM)
    with out.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.DictReader(file)
        rows = {row["reference"]: row for row in reader}
        assert reader.fieldnames == CSV_FIELDS
    assert "facts" not in CSV_FIELDS and {"vendors", "camera_count", "money_pounds"} <= set(CSV_FIELDS)
    hikvision = rows["01.FOI.23.032871"]
    assert hikvision["title"].startswith("'=HYPERLINK")  # never a formula
    assert hikvision["title"].endswith("— £ and é")
    assert hikvision["vendors"] == "Hikvision; Dahua"  # the request names Dahua too
    assert hikvision["camera_count"] == "212" and "212" in hikvision["camera_counts"]
    assert hikvision["published"] == "2023-11-28"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", hikvision["first_seen"])
    assert rows["01.FOI.24.041290"]["camera_count"] == "4000"


def test_plain_csv_has_no_bom_and_json_lines_refuse_excel(tmp_path: Path) -> None:
    base = _stored(tmp_path)
    plain = CliRunner().invoke(main, [*base, "export", "--format", "csv"])
    assert plain.exit_code == 0, plain.output
    assert not plain.stdout_bytes.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(plain.stdout)))
    assert len(rows) == 2 and rows[0]["first_seen"].count("T") == 1  # ISO 8601 with its offset
    refused = CliRunner().invoke(main, [*base, "export", "--format", "jsonl", "--excel"])
    assert refused.exit_code == 2 and "--excel goes with --format csv" in refused.output
