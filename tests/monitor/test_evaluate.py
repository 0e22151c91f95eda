"""The evaluation set is well formed, and the report counts precision and recall correctly."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from monitor.classify import Verdict
from monitor.evaluation.outcomes import DEFAULT_OUTCOME_FILE, load_outcome_items
from monitor.evaluation.topics import (
    DEFAULT_FILE,
    EvalFileError,
    EvalItem,
    classify_items,
    count,
    load_items,
    main,
)

POSITIVE_CATEGORIES = {
    "public_space_cctv",
    "building_cctv",
    "contract",
    "vendor",
    "anpr",
    "bwv",
    "facial_recognition",
    "schools",
    "covert_ncnd",
    "not_held_cctv",
    "in_car_video",
    "video_evidence",
}
NEGATIVE_CATEGORIES = {
    "speed_camera",
    "cyber_s31",
    "security_guards",
    "imsi",
    "tagging",
    "data_breach",
    "ripa",
    "ordinary",
    "drainage_survey",
    "passing_mention",
}


def _row(id: str, label: bool, split: str = "dev", **fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": id,
        "split": split,
        "source": "hand-made",
        "title": "",
        "request": "",
        "response": "",
        "label": label,
        "category": "public_space_cctv" if label else "ordinary",
        "note": "",
    }
    row.update(fields)
    return row


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


# -- the shipped set ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> list[dict[str, object]]:
    load_items(DEFAULT_FILE)  # unique ids, required fields and types, or EvalFileError
    lines = DEFAULT_FILE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_set_is_large_enough_and_mostly_negative(shipped: list[dict[str, object]]) -> None:
    negatives = [row for row in shipped if not row["label"]]
    assert len(shipped) >= 120
    assert len(negatives) >= len(shipped) / 2


def test_most_negatives_are_hard(shipped: list[dict[str, object]]) -> None:
    negatives = [row for row in shipped if not row["label"]]
    assert all(isinstance(row.get("hard"), bool) for row in negatives)
    assert sum(bool(row["hard"]) for row in negatives) > len(negatives) / 2


def test_every_item_has_a_source_a_note_and_a_known_category(shipped: list[dict[str, object]]) -> None:
    for row in shipped:
        assert row["source"] and row["note"], row["id"]
        assert str(row["request"]).strip() or str(row["response"]).strip(), row["id"]
        allowed = POSITIVE_CATEGORIES if row["label"] else NEGATIVE_CATEGORIES
        assert row["category"] in allowed, row["id"]


def test_splits_follow_the_fixed_hash_rule(shipped: list[dict[str, object]]) -> None:
    for row in shipped:
        expected = "test" if int(hashlib.sha256(str(row["id"]).encode()).hexdigest(), 16) % 3 == 0 else "dev"
        assert row["split"] == expected, row["id"]
    for split in ("dev", "test"):
        labels = {row["label"] for row in shipped if row["split"] == split}
        assert labels == {True, False}, split


# -- counting ---------------------------------------------------------------------------------------


class _Fixed:
    """A classifier whose verdicts are given in advance, keyed by title."""

    def __init__(self, matched: dict[str, bool]) -> None:
        self.matched = matched

    def classify(self, title: str = "", request: str = "", response: str = "") -> Verdict:
        hit = self.matched[title]
        return Verdict(topic="cctv", matched=hit, score=0.9 if hit else 0.1)


def _item(id: str, label: bool) -> EvalItem:
    return EvalItem(id=id, split="dev", label=label, title=id, request="", response="", category="x")


def test_precision_recall_and_f1_from_known_outcomes() -> None:
    # 3 true positives, 1 false positive, 2 false negatives, 4 true negatives
    cases = [("tp", True, True)] * 3 + [("fp", False, True)] + [("fn", True, False)] * 2
    cases += [("tn", False, False)] * 4
    items = [_item(f"{kind}{i}", label) for i, (kind, label, _) in enumerate(cases)]
    classifier = _Fixed({f"{kind}{i}": hit for i, (kind, _, hit) in enumerate(cases)})
    counts = count(classify_items(items, classifier))
    assert (counts.tp, counts.fp, counts.fn, counts.tn) == (3, 1, 2, 4)
    assert counts.precision == pytest.approx(0.75)
    assert counts.recall == pytest.approx(0.6)
    assert counts.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)


def test_precision_is_undefined_when_nothing_is_flagged() -> None:
    items = [_item("a", True), _item("b", False)]
    counts = count(classify_items(items, _Fixed({"a": False, "b": False})))
    assert counts.precision is None
    assert counts.recall == 0.0


def test_report_on_a_hand_made_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "set.jsonl",
        [
            _row("tp", True, title="CCTV cameras", request="How many CCTV cameras does the council run?"),
            _row("fn", True, title="Parking permits", request="How many parking permits were issued?"),
            _row("fp", False, title="CCTV", request="Please send the CCTV footage of the CCTV camera."),
            _row("tn", False, title="Potholes", request="How many pothole claims were paid?"),
            _row("tn-test", False, split="test", title="Gritting", request="What did winter gritting cost?"),
        ],
    )
    out = io.StringIO()
    assert main([str(path)], out=out) == 0
    report = out.getvalue()
    dev = next(line for line in report.splitlines() if line.startswith("dev "))
    assert dev.split() == ["dev", "4", "2", "2", "1", "1", "1", "1", "0.500", "0.500", "0.500"]
    test = next(line for line in report.splitlines() if line.startswith("test "))
    assert test.split()[1:8] == ["1", "0", "1", "0", "0", "0", "1"]
    assert "  FN fn  label=true" in report and "  FP fp  label=false" in report
    assert " tp " not in report and " tn " not in report


def test_split_option_reports_only_that_split(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "set.jsonl",
        [_row("a", True, title="CCTV"), _row("b", False, split="test", title="CCTV cameras")],
    )
    out = io.StringIO()
    assert main(["--split", "dev", str(path)], out=out) == 0
    assert "Misclassified in test" not in out.getvalue()
    assert not any(line.startswith(("test ", "total ")) for line in out.getvalue().splitlines())


# -- malformed files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        (['{"id": "a", "split": "dev"'], "not valid JSON"),
        ([json.dumps({k: v for k, v in _row("a", True).items() if k != "label"})], "'label'"),
        ([json.dumps(_row("a", True, split="train"))], "'split'"),
        ([json.dumps(_row("a", True, title=None))], "'title'"),
        ([json.dumps(_row("a", True)), json.dumps(_row("a", False))], "already used on line 1"),
        (["[1, 2]"], "expected a JSON object"),
        ([""], "no items"),
    ],
)
def test_malformed_file_is_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[str], words: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(EvalFileError, match=words):
        load_items(path)
    assert main([str(path)], out=io.StringIO()) == 2
    assert words in capsys.readouterr().err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "absent.jsonl")], out=io.StringIO()) == 2
    assert "cannot read" in capsys.readouterr().err


# -- outcomes ---------------------------------------------------------------------------------------


def _outcome_row(id: str, label: str, response: str, split: str = "dev") -> dict[str, object]:
    return {
        "id": id,
        "split": split,
        "source": "hand-made",
        "real": True,
        "title": id,
        "response": response,
        "label": label,
        "note": "",
    }


def test_outcome_report_on_a_hand_made_set(tmp_path: Path) -> None:
    cctv = _write(tmp_path / "cctv.jsonl", [_row("a", True, title="CCTV cameras")])
    outcomes = _write(
        tmp_path / "outcomes.jsonl",
        [
            _outcome_row("rel", "released", "I have today decided to disclose the requested information."),
            _outcome_row("nh", "not_held", "The council does not hold this information."),
            _outcome_row("wrong", "refused", "The figures are shown in the table below."),
            _outcome_row("ncnd", "neither_confirm_nor_deny", "We neither confirm nor deny it.", split="test"),
        ],
    )
    out = io.StringIO()
    assert main(["--outcomes", str(outcomes), str(cctv)], out=out) == 0
    report = out.getvalue().split("outcome rule", 1)[1]
    lines = report.splitlines()
    assert next(line for line in lines if line.startswith("dev ")).split() == ["dev", "3", "2", "0.667"]
    assert next(line for line in lines if line.startswith("test ")).split() == ["test", "1", "1", "1.000"]
    assert next(line for line in lines if line.startswith("total ")).split() == ["total", "4", "3", "0.750"]
    refused_row = next(line for line in lines if line.startswith("refused "))
    assert refused_row.split() == ["refused", "1", ".", ".", ".", ".", ".", ".", "."]  # predicted released
    assert "  wrong  label=refused predicted=released" in report
    assert "  rel  label=" not in report


def test_shipped_outcome_set_is_well_formed() -> None:
    rows = [json.loads(line) for line in DEFAULT_OUTCOME_FILE.read_text(encoding="utf-8").splitlines()]
    load_outcome_items(DEFAULT_OUTCOME_FILE)
    assert len(rows) >= 80
    for row in rows:
        assert row["real"] is True and row["source"] and row["note"] and row["response"].strip(), row["id"]
        expected = "dev" if hashlib.sha256(row["id"].encode()).hexdigest()[-1] < "c" else "test"
        assert row["split"] == expected, row["id"]


def test_unknown_outcome_label_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cctv = _write(tmp_path / "cctv.jsonl", [_row("a", True)])
    bad = _write(tmp_path / "outcomes.jsonl", [_outcome_row("x", "granted", "Yes.")])
    assert main(["--outcomes", str(bad), str(cctv)], out=io.StringIO()) == 2
    assert "'label'" in capsys.readouterr().err
