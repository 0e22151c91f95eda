"""Field-by-field accuracy of the HTML page readers on real pages (``eval/fields/``).

Each labelled page is read the way a crawl reads it: the platform's spider is built for the page's
configured source and its ``read_page`` gets the saved bytes; the date is chosen by the spider's rule
(page, then the address's month). Every field a label states is compared with what was read, and the
report prints, per platform and split, how many pages each field was right on, then every mismatch.
``python -m monitor.evaluation.fields [--split dev|test|all] [FOLDER]``; see ``eval/fields/README.md``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from scrapy.http import HtmlResponse

from crawler.config import PLATFORMS
from crawler.platforms.listing import ListedLink
from crawler.platforms.page import ParsedPage, SiteEndings
from crawler.spiders.base import _best_date

DEFAULT_FIELD_DIR = Path(__file__).resolve().parents[2] / "eval" / "fields"
SPLITS = ("dev", "test")
FIELDS = ("reference", "title", "date", "request", "response", "outcome", "exemptions", "attachments")
_TEXT_CHECK_KEYS = {"starts", "ends", "excludes"}
# A text "starts with" a snippet when one of its first lines holds it: a label line such as
# "Our ref: ..." or "Below is your request and our response." may come first.
_START_LINES = 3


class FieldEvalError(Exception):
    """A label or page cannot be used; ``str()`` names the file and the problem."""


@dataclass(frozen=True)
class FieldLabel:
    """One hand-labelled page: where it is, which source reads it, and the fields it states."""

    id: str
    platform: str
    source: str
    url: str
    split: str
    page: Path
    expected: dict[str, Any]


@dataclass(frozen=True)
class Mismatch:
    field: str
    problem: str


@dataclass
class PageResult:
    label: FieldLabel
    judged: list[str] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)

    def wrong(self, name: str) -> bool:
        return any(m.field == name for m in self.mismatches)


def load_labels(folder: Path) -> list[FieldLabel]:
    """Every ``labels/*.json`` in the folder, in name order; a broken one is a FieldEvalError."""
    labels = []
    for path in sorted((folder / "labels").glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            label = FieldLabel(
                id=data["id"],
                platform=data["platform"],
                source=data["source"],
                url=data["url"],
                split=data["split"],
                page=folder / data["page"],
                expected={
                    k: v
                    for k, v in data.items()
                    if k in (*FIELDS, "published", "date_source", "quotes_request")
                },
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise FieldEvalError(f"{path}: {exc!r}") from exc
        if label.split not in SPLITS or label.platform not in PLATFORMS or not label.page.is_file():
            raise FieldEvalError(f"{path}: bad split, platform or page file")
        labels.append(label)
    return labels


def read_labelled_page(label: FieldLabel) -> tuple[ParsedPage, tuple[Any, str | None]]:
    """The page as the platform's spider reads it, and the (date, date source) the spider would store."""
    module, _, name = PLATFORMS[label.platform].spider.rpartition(".")
    spider = getattr(importlib.import_module(module), name)(source=label.source)
    response = HtmlResponse(url=label.url, body=label.page.read_bytes())
    page: ParsedPage = spider.read_page(response)
    return page, _best_date(page, ListedLink(label.url, "", None), label.url)


def _lines(text: str) -> list[str]:
    return [re.sub(r"\s+", " ", line).strip() for line in text.splitlines() if line.strip()]


def _short(text: str, size: int = 90) -> str:
    flat = " / ".join(_lines(text))
    return repr(flat if len(flat) <= size else flat[: size - 3] + "...")


def check_text(name: str, expected: Any, got: str, other: str | None) -> list[str]:
    """Problems of a request or response text against its label (``""``: must be empty)."""
    lines = _lines(got)
    if expected == "":
        return [f"expected empty, got {_short(got)}"] if lines else []
    if not isinstance(expected, dict) or not set(expected) <= _TEXT_CHECK_KEYS:
        raise FieldEvalError(f"{name}: a text label is '' or an object with {sorted(_TEXT_CHECK_KEYS)}")
    if not lines:
        return ["expected text, got none"]
    problems = []
    flat = " ".join(lines)
    if not any(expected["starts"] in line for line in lines[:_START_LINES]):
        problems.append(f"should start with {expected['starts']!r}; starts {_short(got)}")
    if not flat.endswith(expected["ends"]):
        problems.append(f"should end with {expected['ends']!r}; ends {_short(flat[-90:])}")
    for snippet in [*expected.get("excludes", []), *([other] if other else [])]:
        if snippet in flat:
            problems.append(f"must not contain {snippet!r}")
    return problems


def compare(label: FieldLabel, page: ParsedPage, dated: tuple[Any, str | None]) -> PageResult:
    """Every field the label states, compared with the reading."""
    want, result = label.expected, PageResult(label)

    def judge(name: str, problems: list[str]) -> None:
        result.judged.append(name)
        result.mismatches.extend(Mismatch(name, problem) for problem in problems)

    def same(name: str, expected: Any, got: Any) -> None:
        judge(name, [] if expected == got else [f"expected {expected!r}, got {got!r}"])

    if "reference" in want:
        same("reference", want["reference"], page.reference)
    if "title" in want:
        same("title", want["title"], re.sub(r"\s+", " ", page.title).strip())
    if "published" in want:
        published, source = dated
        same(
            "date",
            (want["published"], want.get("date_source")),
            (published and published.isoformat(), source),
        )
    # A request never holds the answer; an answer holds the request only where the label says it
    # quotes it ("Specifically you asked: ...", a question-and-answer letter).
    answer_end = want["response"].get("ends") if isinstance(want.get("response"), dict) else None
    asked_start = want["request"].get("starts") if isinstance(want.get("request"), dict) else None
    if "request" in want:
        judge("request", check_text("request", want["request"], page.request, answer_end))
    if "response" in want:
        quoted = want.get("quotes_request", False)
        judge(
            "response",
            check_text("response", want["response"], page.response, None if quoted else asked_start),
        )
    if "outcome" in want:
        same("outcome", want["outcome"], page.outcome)
    if "exemptions" in want:
        same("exemptions", sorted(want["exemptions"]), sorted(page.exemptions))
    if "attachments" in want:
        same("attachments", list(want["attachments"]), [name for _, name in page.attachments])
    return result


def evaluate(labels: Sequence[FieldLabel]) -> list[PageResult]:
    """Every page read and compared; each source's pages pass one ``SiteEndings``, as in a crawl."""
    results: list[PageResult] = []
    endings: defaultdict[str, SiteEndings] = defaultdict(SiteEndings)
    for label in labels:
        page, dated = read_labelled_page(label)
        results.append(compare(label, endings[label.source].trim(page), dated))
    return results


def _cell(results: Sequence[PageResult], name: str) -> str:
    judged = [r for r in results if name in r.judged]
    if not judged:
        return "-"
    right = sum(not r.wrong(name) for r in judged)
    return f"{right}/{len(judged)}"


def _overall(results: Sequence[PageResult]) -> str:
    judged = sum(len(r.judged) for r in results)
    right = sum(len(r.judged) - len({m.field for m in r.mismatches}) for r in results)
    return f"{right / judged:.3f}" if judged else "-"


def write_field_report(results: Sequence[PageResult], splits: Sequence[str], out: TextIO) -> None:
    """Per platform and split: right/judged for each field and overall accuracy; then the mismatches."""
    print("== Page fields: readers on real pages (eval/fields) ==", file=out)
    header = f"{'platform':<18} {'split':<5} {'pages':>5} " + " ".join(f"{n:>11}" for n in FIELDS)
    print(header + f" {'accuracy':>9}", file=out)
    platforms = sorted({r.label.platform for r in results})
    for platform in platforms:
        for split in [*splits, "total"] if len(splits) > 1 else splits:
            chosen = [
                r for r in results if r.label.platform == platform and split in (r.label.split, "total")
            ]
            if not chosen:
                continue
            cells = " ".join(f"{_cell(chosen, n):>11}" for n in FIELDS)
            print(f"{platform:<18} {split:<5} {len(chosen):>5} {cells} {_overall(chosen):>9}", file=out)
    print(
        f"{'all':<18} {'total':<5} {len(results):>5} {'':>{12 * len(FIELDS) - 1}} {_overall(results):>9}",
        file=out,
    )
    wrong = [r for r in results if r.mismatches]
    print(f"\nMismatches ({sum(len(r.mismatches) for r in wrong)}):", file=out)
    for result in sorted(wrong, key=lambda r: (r.label.platform, r.label.split, r.label.id)):
        for mismatch in result.mismatches:
            label = result.label
            print(
                f"  [{label.split}] {label.platform} {label.id}: {mismatch.field}: {mismatch.problem}",
                file=out,
            )


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(
        prog="python -m monitor.evaluation.fields", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="all")
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FIELD_DIR)
    args = parser.parse_args(argv)
    splits = SPLITS if args.split == "all" else (args.split,)
    try:
        labels = [label for label in load_labels(args.folder) if label.split in splits]
        results = evaluate(labels)
    except FieldEvalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_field_report(results, splits, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
