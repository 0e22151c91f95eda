"""The page-field report finds what a label says and reports it when the reading differs."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from monitor.evaluation.fields import DEFAULT_FIELD_DIR, compare, load_labels, main, read_labelled_page

PAGE = "moray-101002833837-growth-deal-emails"


def _copy_set(tmp_path: Path, **changes: object) -> Path:
    (tmp_path / "labels").mkdir()
    (tmp_path / "pages").mkdir()
    label = json.loads((DEFAULT_FIELD_DIR / "labels" / f"{PAGE}.json").read_text(encoding="utf-8"))
    label.update(changes)
    (tmp_path / "labels" / f"{PAGE}.json").write_text(json.dumps(label), encoding="utf-8")
    shutil.copy(DEFAULT_FIELD_DIR / "pages" / f"{PAGE}.html", tmp_path / "pages")
    return tmp_path


def test_a_correct_label_has_no_mismatch(tmp_path: Path) -> None:
    (label,) = load_labels(_copy_set(tmp_path))
    result = compare(label, *read_labelled_page(label))
    assert {"reference", "title", "date", "request", "response"} <= set(result.judged)
    assert not [m for m in result.mismatches if m.field in ("reference", "title", "date", "request")]


def test_a_label_that_differs_is_reported(tmp_path: Path) -> None:
    folder = _copy_set(
        tmp_path,
        reference="999",
        request={
            "starts": "Under the Freedom",
            "ends": "from Jan 2021 to date.",
            "excludes": ["Roddy Burns"],
        },
    )
    out = io.StringIO()
    assert main([str(folder)], out=out) == 0
    report = out.getvalue()
    assert f"{PAGE}: reference: expected '999', got '101002833837'" in report
    assert f"{PAGE}: request: must not contain 'Roddy Burns'" in report
    assert "html_log           dev  " in report or "html_log           test " in report
