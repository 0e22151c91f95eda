"""What changed between two versions of one response: fields as was/now, texts as changed lines.

Pure functions over anything shaped like a stored version (``storage.models.ResponseVersion``), so
the same account serves ``foiwatch responses diff`` and, later, "updated" alerts and web pages.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

# Lines of context kept around each changed line of a text, and changed lines shown at the most.
CONTEXT_LINES = 1
MAX_TEXT_LINES = 200


class _Attachment(Protocol):
    @property
    def url(self) -> str: ...
    @property
    def name(self) -> str | None: ...


class VersionLike(Protocol):
    title: str
    url: str
    published: date | None
    date_source: str | None
    request_text: str
    response_text: str
    outcome: str | None
    exemptions: list[str]

    @property
    def attachments(self) -> Sequence[_Attachment]: ...


@dataclass(frozen=True)
class FieldChange:
    name: str
    was: str
    now: str


@dataclass(frozen=True)
class TextChange:
    """A text's changed lines as a unified diff: '-' was, '+' now, ' ' context, '@@' a new place."""

    name: str
    lines: list[str]
    cut: int = 0  # changed lines left out beyond MAX_TEXT_LINES


@dataclass(frozen=True)
class VersionDiff:
    fields: list[FieldChange] = field(default_factory=list)
    texts: list[TextChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.fields and not self.texts


def _shown(value: object) -> str:
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _text_change(name: str, was: str, now: str) -> TextChange | None:
    if was == now:
        return None
    diff = difflib.unified_diff(was.splitlines(), now.splitlines(), lineterm="", n=CONTEXT_LINES)
    # The two header lines ("--- ", "+++ ") name no files here; hunks start at "@@".
    lines = [line if not line.startswith("@@") else "@@" for line in list(diff)[2:]]
    if not lines:  # only trailing whitespace or line endings differ
        lines = ["(whitespace only)"]
    cut = max(0, len(lines) - MAX_TEXT_LINES)
    return TextChange(name, lines[:MAX_TEXT_LINES], cut)


def diff_versions(old: VersionLike, new: VersionLike) -> VersionDiff:
    """The fields and texts that differ from ``old`` to ``new``."""
    fields = []
    for name, was, now in (
        ("title", old.title, new.title),
        ("url", old.url, new.url),
        ("published", old.published, new.published),
        ("date source", old.date_source, new.date_source),
        ("outcome", old.outcome, new.outcome),
        ("exemptions", list(old.exemptions or []), list(new.exemptions or [])),
    ):
        if was != now:
            fields.append(FieldChange(name, _shown(was), _shown(now)))
    before = {a.url: a.name or a.url for a in old.attachments}
    after = {a.url: a.name or a.url for a in new.attachments}
    added = [after[url] for url in after if url not in before]
    removed = [before[url] for url in before if url not in after]
    if added or removed:
        fields.append(FieldChange("attachments", _shown(removed), _shown(added)))
    texts = [
        change
        for change in (
            _text_change("request", old.request_text or "", new.request_text or ""),
            _text_change("response", old.response_text or "", new.response_text or ""),
        )
        if change is not None
    ]
    return VersionDiff(fields, texts)


def versions_to_compare(response_id: int, count: int, numbers: Sequence[int] = ()) -> tuple[int, int]:
    """The two version numbers (from 1) to compare: ``numbers`` checked, or the last two.

    Raises ``ValueError`` saying why when there is nothing to compare or a number is out of range.
    """
    if len(numbers) not in (0, 2):
        raise ValueError("give two version numbers, or none for the last two")
    if count < 2 and not numbers:
        raise ValueError(f"response {response_id} has one version: nothing to compare")
    first, second = numbers or (count - 1, count)
    for number in (first, second):
        if not 1 <= number <= count:
            raise ValueError(f"response {response_id} has versions 1 to {count}, not {number}")
    return first, second


def render_diff(diff: VersionDiff) -> str:
    """Plain text for people: one line a field (was -> now), then each text's changed lines."""
    if diff.empty:
        return "no difference in what a reader sees (the change was in attachments' text or derived dates)"
    out = [
        f"attachments: removed {c.was!r}, added {c.now!r}"
        if c.name == "attachments"
        else f"{c.name}: was {c.was!r}, now {c.now!r}"
        for c in diff.fields
    ]
    for text in diff.texts:
        out.append(f"{text.name} (- was, + now):")
        out.extend(f"  {line}" for line in text.lines)
        if text.cut:
            out.append(f"  ... {text.cut} more changed lines")
    return "\n".join(out)
