"""Accuracy of the response-outcome rule (``crawler.normalise.classify_outcome``) on ``eval/outcomes.jsonl``.

Part of the ``python -m monitor.evaluation.topics`` report: accuracy per split and in total, a confusion table
(label by predicted outcome) and every misclassified item. See ``eval/README.md`` for the set.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO, TypeVar

from crawler.normalise import OUTCOMES

DEFAULT_OUTCOME_FILE = Path(__file__).resolve().parents[2] / "eval" / "outcomes.jsonl"
SPLITS = ("dev", "test")
_TEXT_FIELDS = ("id", "source", "title", "response", "note")
_SHORT = {
    "released": "rel",
    "partially_released": "part",
    "refused": "ref",
    "not_held": "nh",
    "neither_confirm_nor_deny": "ncnd",
    "withdrawn": "wd",
    "other": "oth",
}
_NONE = "none"
_CORNER = "label \\ predicted"

OutcomeRule = Callable[[str], str | None]


class EvalFileError(Exception):
    """An evaluation file cannot be used; ``str()`` names the file, the line and the problem."""


@dataclass(frozen=True)
class OutcomeItem:
    id: str
    split: str
    label: str
    title: str
    response: str


@dataclass(frozen=True)
class Prediction:
    item: OutcomeItem
    predicted: str | None

    @property
    def correct(self) -> bool:
        return self.predicted == self.item.label


def _parse_item(data: Any, where: str) -> OutcomeItem:
    if not isinstance(data, dict):
        raise EvalFileError(f"{where}: expected a JSON object")
    for name in _TEXT_FIELDS:
        if not isinstance(data.get(name), str):
            raise EvalFileError(f"{where}: field {name!r} is missing or not a string")
    if data.get("label") not in OUTCOMES:
        raise EvalFileError(f"{where}: field 'label' must be one of {', '.join(OUTCOMES)}")
    if data.get("split") not in SPLITS:
        raise EvalFileError(f"{where}: field 'split' must be one of {', '.join(SPLITS)}")
    return OutcomeItem(data["id"], data["split"], data["label"], data["title"], data["response"])


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


Item = TypeVar("Item", bound=_Identified)


def read_items(path: Path, parse: Callable[[Any, str], Item]) -> list[Item]:
    """Items of a JSON Lines evaluation file, each checked by ``parse(data, "file:line")``; ids unique."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"{path}: cannot read the file ({exc})") from exc
    items: list[Item] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{where}: not valid JSON ({exc.msg})") from exc
        item = parse(data, where)
        if item.id in seen:
            raise EvalFileError(f"{where}: id {item.id!r} already used on line {seen[item.id]}")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise EvalFileError(f"{path}: no items")
    return items


def load_outcome_items(path: Path) -> list[OutcomeItem]:
    """Read and check the outcome set: one JSON object a line, unique ids, a known label."""
    return read_items(path, _parse_item)


def predict(items: Sequence[OutcomeItem], rule: OutcomeRule) -> list[Prediction]:
    """Each item's predicted outcome from its response text, as the crawler would decide it."""
    return [Prediction(item, rule(item.response)) for item in items]


def _accuracy_row(name: str, predictions: Sequence[Prediction]) -> str:
    right = sum(p.correct for p in predictions)
    accuracy = f"{right / len(predictions):.3f}" if predictions else "n/a"
    return f"{name:<10} {len(predictions):>5} {right:>7} {accuracy:>8}"


def _confusion(predictions: Sequence[Prediction], out: TextIO) -> None:
    cells = Counter((p.item.label, p.predicted or _NONE) for p in predictions)
    columns = [*OUTCOMES, _NONE]
    print(f"{_CORNER:<26}" + "".join(f"{_SHORT.get(c, c):>6}" for c in columns), file=out)
    for label in OUTCOMES:
        counts = [cells[(label, c)] for c in columns]
        if any(counts):
            print(f"{label:<26}" + "".join(f"{n or '.':>6}" for n in counts), file=out)


def write_outcome_report(
    predictions: Sequence[Prediction], splits: Sequence[str], out: TextIO, heading: str
) -> None:
    """Accuracy per split (and in total when both are shown), the confusions, then every mistake."""
    print(heading, file=out)
    print(f"{'split':<10} {'items':>5} {'correct':>7} {'accuracy':>8}", file=out)
    for split in splits:
        print(_accuracy_row(split, [p for p in predictions if p.item.split == split]), file=out)
    if len(splits) > 1:
        print(_accuracy_row("total", predictions), file=out)
    print("\nConfusions (rows: label; columns: predicted):", file=out)
    _confusion(predictions, out)
    for split in splits:
        mistakes = [p for p in predictions if p.item.split == split and not p.correct]
        note = " - held out: judge the rule on these, never tune on them" if split == "test" else ""
        print(f"\nOutcome errors in {split} ({len(mistakes)}){note}:", file=out)
        for p in sorted(mistakes, key=lambda p: (p.item.label, p.item.id)):
            line = f"  {p.item.id}  label={p.item.label} predicted={p.predicted or _NONE}"
            print(f"{line}\n      {p.item.title}", file=out)
