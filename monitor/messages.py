"""Notification text: what a subscriber reads about one response."""

from __future__ import annotations

from monitor.classify import Verdict
from storage.models import ResponseVersion

OUTCOME_LABELS = {
    "released": "released in full",
    "partially_released": "partially released",
    "refused": "refused",
    "not_held": "information not held",
    "neither_confirm_nor_deny": "neither confirmed nor denied",
}


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def render_message(version: ResponseVersion, verdict: Verdict, event: str) -> tuple[str, str]:
    """Plain-text title and body naming authority, title, reference, date, why it matched, link.

    Plain text on purpose: apprise sends it as text, so scraped markup is never interpreted.
    """
    label = "New" if event == "new" else "Updated"
    title = _one_line(
        f"[foiwatch] {label} {verdict.topic.upper()} FOI response: {version.authority}: {version.title}", 200
    )
    published = version.published.strftime("%-d %B %Y") if version.published else "date not given"
    lines = [
        f"{version.authority}: {_one_line(version.title)}",
        f"Reference: {version.response.reference or 'none given'}",
        f"Published: {published}",
        f"Outcome: {OUTCOME_LABELS.get(version.outcome or '', 'not stated')}",
    ]
    if version.exemptions:
        lines.append(f"Exemptions cited: {', '.join(version.exemptions)}")
    lines.append(
        f"Why it matched {verdict.topic} (score {verdict.score:.2f}): {', '.join(verdict.terms[:6])}"
    )
    lines.extend(f"  “{_one_line(snippet, 220)}”" for snippet in verdict.snippets)
    lines.append(f"Link: {version.url}")
    return title, "\n".join(lines)
