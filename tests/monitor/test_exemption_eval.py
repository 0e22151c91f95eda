"""The exemption evaluation set is well formed, and the report counts cited precision and recall."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from monitor.evaluation.exemptions import DEFAULT_EXEMPTION_FILE, load_exemption_items
from monitor.evaluation.topics import main


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _row(
    id: str, response: str, cited: list[str], quoted: list[str], split: str = "dev"
) -> dict[str, object]:
    return {
        "id": id,
        "split": split,
        "source": "hand-made",
        "real": True,
        "title": id,
        "response": response,
        "cited": cited,
        "quoted": quoted,
        "note": "",
    }


def _cctv(tmp_path: Path) -> Path:
    """A one-item CCTV set: the report needs one to run."""
    row = {"id": "a", "split": "dev", "source": "x", "real": True, "title": "CCTV cameras", "request": ""}
    row |= {"response": "", "label": True, "category": "public_space_cctv", "note": ""}
    return _write(tmp_path / "cctv.jsonl", [row])


def _report(tmp_path: Path, rows: list[dict[str, object]]) -> str:
    cctv = _cctv(tmp_path)
    exemptions = _write(tmp_path / "exemptions.jsonl", rows)
    out = io.StringIO()
    assert main(["--exemptions", str(exemptions), str(cctv)], out=out) == 0
    return out.getvalue().split("exemptions parser", 1)[1]


def test_exemption_report_on_a_hand_made_set(tmp_path: Path) -> None:
    report = _report(
        tmp_path,
        [
            _row("right", "This is exempt under section 43(2).", ["s43(2)"], []),
            # the parser finds s40(2) too, which the label does not list: one wrong of three found
            _row("extra", "Exempt under section 31(1)(a) and section 40(2).", ["s31(1)(a)"], []),
            _row(
                "quoting",
                "We rely on section 31(1). The ICO guidance states that section 31(1)(a) protects systems.",
                ["s31(1)"],
                ["s31(1)(a)"],
                split="test",
            ),
            _row("missed", "Refused under the cost limit.", ["s12"], [], split="test"),
        ],
    )
    lines = report.splitlines()
    row = next(line for line in lines if line.startswith("cited dev")).split()
    assert row[2:] == ["2", "2", "3", "2", "0.667", "1.000"]
    row = next(line for line in lines if line.startswith("cited test")).split()
    assert row[2:] == ["2", "2", "1", "1", "1.000", "0.500"]
    row = next(line for line in lines if line.startswith("quoted")).split()
    assert row[1:] == ["4", "1", "1", "1", "1.000", "1.000"]
    assert "quoted-only sections reported as cited: 0" in report
    assert "  extra  missed=[] added=['s40(2)']" in report
    assert "  missed  missed=['s12'] added=[]" in report
    assert "  right  " not in report


def test_shipped_exemption_set_is_well_formed() -> None:
    rows = [json.loads(line) for line in DEFAULT_EXEMPTION_FILE.read_text(encoding="utf-8").splitlines()]
    load_exemption_items(DEFAULT_EXEMPTION_FILE)
    assert len(rows) >= 30
    assert sum(bool(row["quoted"]) for row in rows) >= 5
    for row in rows:
        assert row["real"] is True and row["source"] and row["response"].strip(), row["id"]
        expected = "dev" if hashlib.sha256(row["id"].encode()).hexdigest()[-1] < "c" else "test"
        assert row["split"] == expected, row["id"]


def test_exemption_lists_must_be_lists_of_strings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _row("x", "Exempt under section 43.", ["s43"], [])
    bad["cited"] = "s43"
    cctv = _cctv(tmp_path)
    exemptions = _write(tmp_path / "exemptions.jsonl", [bad])
    assert main(["--exemptions", str(exemptions), str(cctv)], out=io.StringIO()) == 2
    assert "'cited'" in capsys.readouterr().err
