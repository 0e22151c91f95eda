"""Precision and recall of the exemptions parser (``crawler.exemptions.read_exemptions``) on
``eval/exemptions.jsonl``.

Part of the ``python -m monitor.evaluation.topics`` report. Each item lists, by a person's reading, the
exemptions the response *cites* and those it only *quotes* (statute or ICO guidance reproduced as
explanation). Figures count (item, exemption) pairs: cited precision and recall are the headline;
the quoted row shows how many quoted-only sections the parser kept apart. See ``eval/README.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from crawler.exemptions import Exemptions, read_exemptions
from monitor.evaluation.outcomes import SPLITS, EvalFileError, read_items

DEFAULT_EXEMPTION_FILE = Path(__file__).resolve().parents[2] / "eval" / "exemptions.jsonl"
_TEXT_FIELDS = ("id", "source", "title", "response", "note")

ExemptionReader = Callable[[str], Exemptions]


@dataclass(frozen=True)
class ExemptionItem:
    id: str
    split: str
    response: str
    cited: tuple[str, ...]
    quoted: tuple[str, ...]


@dataclass(frozen=True)
class ExemptionResult:
    item: ExemptionItem
    found: Exemptions

    @property
    def correct(self) -> bool:
        return set(self.found.cited) == set(self.item.cited)


def _strings(data: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = data.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EvalFileError(f"{where}: field {name!r} must be a list of strings")
    return tuple(value)


def _parse_item(data: Any, where: str) -> ExemptionItem:
    if not isinstance(data, dict):
        raise EvalFileError(f"{where}: expected a JSON object")
    for name in _TEXT_FIELDS:
        if not isinstance(data.get(name), str):
            raise EvalFileError(f"{where}: field {name!r} is missing or not a string")
    if data.get("split") not in SPLITS:
        raise EvalFileError(f"{where}: field 'split' must be one of {', '.join(SPLITS)}")
    return ExemptionItem(
        data["id"],
        data["split"],
        data["response"],
        _strings(data, "cited", where),
        _strings(data, "quoted", where),
    )


def load_exemption_items(path: Path) -> list[ExemptionItem]:
    """Read and check the exemption set: one JSON object a line, unique ids, lists of exemptions."""
    return read_items(path, _parse_item)


def read_all(
    items: Sequence[ExemptionItem], reader: ExemptionReader = read_exemptions
) -> list[ExemptionResult]:
    """Each item's exemptions as the crawler reads them from its response text."""
    return [ExemptionResult(item, reader(item.response)) for item in items]


def _ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.3f}" if denominator else "n/a"


def _row(name: str, results: Sequence[ExemptionResult], field: str) -> str:
    found = sum(len(getattr(r.found, field)) for r in results)
    labelled = sum(len(getattr(r.item, field)) for r in results)
    right = sum(len(set(getattr(r.found, field)) & set(getattr(r.item, field))) for r in results)
    return (
        f"{name:<12} {len(results):>5} {labelled:>7} {found:>5} {right:>5} "
        f"{_ratio(right, found):>9} {_ratio(right, labelled):>6}"
    )


def write_exemption_report(
    results: Sequence[ExemptionResult], splits: Sequence[str], out: TextIO, heading: str
) -> None:
    """Cited precision and recall per split (and in total), the quoted row, then every item the parser
    got wrong with what it missed and what it added."""
    print(heading, file=out)
    print(
        f"{'split':<12} {'items':>5} {'labelled':>7} {'found':>5} {'right':>5} "
        f"{'precision':>9} {'recall':>6}",
        file=out,
    )
    for split in splits:
        print(_row(f"cited {split}", [r for r in results if r.item.split == split], "cited"), file=out)
    if len(splits) > 1:
        print(_row("cited total", results, "cited"), file=out)
    print(_row("quoted", results, "quoted"), file=out)
    leaked = sum(len(set(r.item.quoted) & set(r.found.cited)) for r in results)
    print(f"quoted-only sections reported as cited: {leaked}", file=out)
    for split in splits:
        mistakes = [r for r in results if r.item.split == split and not r.correct]
        print(f"\nExemption errors in {split} ({len(mistakes)}):", file=out)
        for r in mistakes:
            missed = sorted(set(r.item.cited) - set(r.found.cited))
            added = sorted(set(r.found.cited) - set(r.item.cited))
            print(f"  {r.item.id}  missed={missed} added={added}", file=out)
