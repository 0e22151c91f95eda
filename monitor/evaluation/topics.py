"""Precision and recall of a topic classifier on a labelled evaluation set (``eval/cctv.jsonl``), then
the accuracy of the response-outcome rule on ``eval/outcomes.jsonl`` (``monitor.evaluation.outcomes``)
and the precision and recall of the exemptions parser on ``eval/exemptions.jsonl``
(``monitor.evaluation.exemptions``).

A report, not a test: it always exits 0 unless the set or the configuration cannot be read (exit 2).
The set is split by a fixed rule into ``dev`` (which tuning may look at) and ``test`` (which it must
not); see ``eval/README.md``. Run
``python -m monitor.evaluation.topics [--split dev|test|all] [--outcomes OUTCOME_FILE] [FILE]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from crawler.normalise import classify_outcome
from crawler.yamlconf import ConfigError
from monitor.classify import Verdict, build_classifiers
from monitor.config import load_config
from monitor.evaluation.exemptions import (
    DEFAULT_EXEMPTION_FILE,
    load_exemption_items,
    read_all,
    write_exemption_report,
)
from monitor.evaluation.outcomes import (
    DEFAULT_OUTCOME_FILE,
    EvalFileError,
    load_outcome_items,
    predict,
    read_items,
    write_outcome_report,
)

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "eval" / "cctv.jsonl"
TOPIC = "cctv"
SPLITS = ("dev", "test")
MALFORMED_EXIT = 2
_TEXT_FIELDS = ("id", "source", "title", "request", "response", "category", "note")


class Classifier(Protocol):
    def classify(self, title: str = "", request: str = "", response: str = "") -> Verdict: ...


@dataclass(frozen=True)
class EvalItem:
    id: str
    split: str
    label: bool
    title: str
    request: str
    response: str
    category: str
    real: bool = True


@dataclass(frozen=True)
class Outcome:
    item: EvalItem
    verdict: Verdict

    @property
    def correct(self) -> bool:
        return self.verdict.matched == self.item.label


@dataclass(frozen=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float | None:
        """Share of items the classifier flagged that are CCTV-related; None when it flagged none."""
        flagged = self.tp + self.fp
        return self.tp / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        """Share of CCTV-related items the classifier flagged; None when there are none."""
        relevant = self.tp + self.fn
        return self.tp / relevant if relevant else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None
        return 2 * p * r / (p + r)


def _parse_item(data: Any, where: str) -> EvalItem:
    if not isinstance(data, dict):
        raise EvalFileError(f"{where}: expected a JSON object")
    for name in _TEXT_FIELDS:
        if not isinstance(data.get(name), str):
            raise EvalFileError(f"{where}: field {name!r} is missing or not a string")
    if not data["id"].strip():
        raise EvalFileError(f"{where}: field 'id' is empty")
    if not isinstance(data.get("label"), bool):
        raise EvalFileError(f"{where}: field 'label' must be true or false")
    if data.get("split") not in SPLITS:
        raise EvalFileError(f"{where}: field 'split' must be one of {', '.join(SPLITS)}")
    real = data.get("real", True)
    if not isinstance(real, bool):
        raise EvalFileError(f"{where}: field 'real' must be true or false")
    return EvalItem(
        id=data["id"],
        split=data["split"],
        label=data["label"],
        title=data["title"],
        request=data["request"],
        response=data["response"],
        category=data["category"],
        real=real,
    )


def load_items(path: Path) -> list[EvalItem]:
    """Read and check the evaluation file: one JSON object a line, unique ids, required fields."""
    return read_items(path, _parse_item)


def classify_items(items: Iterable[EvalItem], classifier: Classifier) -> list[Outcome]:
    """Each item's verdict, from its title, request and response as the monitor would see them."""
    return [Outcome(item, classifier.classify(item.title, item.request, item.response)) for item in items]


def count(outcomes: Iterable[Outcome]) -> Counts:
    tp = fp = fn = tn = 0
    for outcome in outcomes:
        predicted, actual = outcome.verdict.matched, outcome.item.label
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
        tn += not predicted and not actual
    return Counts(tp=tp, fp=fp, fn=fn, tn=tn)


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _row(name: str, counts: Counts) -> str:
    total = counts.tp + counts.fp + counts.fn + counts.tn
    positives = counts.tp + counts.fn
    return (
        f"{name:<10} {total:>5} {positives:>4} {total - positives:>4}  {counts.tp:>4} {counts.fp:>4} "
        f"{counts.fn:>4} {counts.tn:>4}  {_ratio(counts.precision):>9} {_ratio(counts.recall):>6} "
        f"{_ratio(counts.f1):>6}"
    )


def _mistake_line(outcome: Outcome) -> str:
    item, verdict = outcome.item, outcome.verdict
    kind = "FN" if item.label else "FP"
    terms = ", ".join(verdict.terms) or "-"
    return (
        f"  {kind} {item.id}  label={str(item.label).lower()} score={verdict.score:.3f} "
        f"[{item.category}] terms: {terms}\n      {item.title}"
    )


def write_report(outcomes: Sequence[Outcome], splits: Sequence[str], out: TextIO, heading: str) -> None:
    """Counts and ratios per split (and in total when both are shown), then every misclassified item."""
    print(heading, file=out)
    print(f"{'split':<10} {'items':>5} {'pos':>4} {'neg':>4}  {'TP':>4} {'FP':>4} {'FN':>4} {'TN':>4}  "
          f"{'precision':>9} {'recall':>6} {'F1':>6}", file=out)  # fmt: skip
    for split in splits:
        print(_row(split, count(o for o in outcomes if o.item.split == split)), file=out)
    if len(splits) > 1:
        print(_row("total", count(outcomes)), file=out)
    real = [o for o in outcomes if o.item.real]
    if len(real) != len(outcomes):
        print(_row("real only", count(real)) + "  (published texts; excludes constructed fixtures)", file=out)
    for split in splits:
        mistakes = [o for o in outcomes if o.item.split == split and not o.correct]
        note = " - held out: judge the classifier on these, never tune on them" if split == "test" else ""
        print(f"\nMisclassified in {split} ({len(mistakes)}){note}:", file=out)
        for outcome in sorted(mistakes, key=lambda o: (o.item.label, o.item.category, o.item.id)):
            print(_mistake_line(outcome), file=out)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m monitor.evaluation.topics",
        description="Precision and recall of the CCTV topic classifier.",
    )
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="all", help="which part of the set")
    parser.add_argument("--config", type=Path, default=None, help="configuration folder (default: shipped)")
    parser.add_argument(
        "--outcomes", type=Path, default=DEFAULT_OUTCOME_FILE, help="outcome evaluation set (JSON lines)"
    )
    parser.add_argument(
        "--exemptions",
        type=Path,
        default=DEFAULT_EXEMPTION_FILE,
        help="exemption evaluation set (JSON lines)",
    )
    parser.add_argument(
        "file", nargs="?", type=Path, default=DEFAULT_FILE, help="evaluation set (JSON lines)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Print the report; 0 always, 2 when the set or the configuration cannot be read."""
    args = _parse_args(argv)
    out = out or sys.stdout
    try:
        items = load_items(args.file)
        outcome_items = load_outcome_items(args.outcomes)
        exemption_items = load_exemption_items(args.exemptions)
        config = load_config(args.config)
    except (EvalFileError, ConfigError) as exc:
        print(f"evaluate: {exc}", file=sys.stderr)
        return MALFORMED_EXIT
    if TOPIC not in config.topics:
        print(f"evaluate: {config.directory}/topics.yaml has no topic {TOPIC!r}", file=sys.stderr)
        return MALFORMED_EXIT
    classifier = build_classifiers({TOPIC: config.topics[TOPIC]})[TOPIC]
    splits = SPLITS if args.split == "all" else (args.split,)
    chosen = [item for item in items if item.split in splits]
    heading = (
        f"{TOPIC} classifier {classifier.version} (threshold {classifier.topic.threshold}) "
        f"on {args.file} [{args.split}]"
    )
    write_report(classify_items(chosen, classifier), splits, out, heading)
    chosen_outcomes = [item for item in outcome_items if item.split in splits]
    print(file=out)
    write_outcome_report(
        predict(chosen_outcomes, classify_outcome),
        splits,
        out,
        f"outcome rule (crawler.normalise.classify_outcome) on {args.outcomes} [{args.split}]",
    )
    print(file=out)
    write_exemption_report(
        read_all([item for item in exemption_items if item.split in splits]),
        splits,
        out,
        f"exemptions parser (crawler.exemptions.read_exemptions) on {args.exemptions} [{args.split}]",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
