"""What an operator needs from ``foiwatch sources check``: the fields read, and one phrase of what to fix.

``check_source`` (``monitor.service.crawls``) crawls a source's first listing page into a throw-away
database; the crawl leaves what it made of every link on the listing in ``links/<source>.json``
(``crawler.spiders.base.write_link_log``). The judgements here are pure functions of that report.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from crawler.pipelines import HEALTH_FIELDS

# Below this share of the expected fields read, the source's fields need a look.
THIN_FIELDS_PERCENT = 60


def read_link_log(path: Path) -> dict[str, Any]:
    """The crawl's link decisions, or an empty record when the platform keeps none."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def filled_percent(fields_filled: dict[str, int], items: int) -> int | None:
    """Share of the health fields (reference, date, request, outcome) read across the items."""
    if items == 0:
        return None
    filled = sum(min(fields_filled.get(name, 0), items) for name in HEALTH_FIELDS)
    return round(100 * filled / (items * len(HEALTH_FIELDS)))


def _thinnest(fields_filled: dict[str, int]) -> str:
    return min(HEALTH_FIELDS, key=lambda name: fields_filled.get(name, 0))


def rejection_reasons(links: dict[str, Any]) -> Counter[str]:
    """How many kept rejections gave each reason, the redirect targets' addresses left out."""
    reasons: Counter[str] = Counter()
    for rejected in links.get("rejected", []):
        reasons[str(rejected.get("reason", "")).split(": redirects to")[0]] += 1
    return reasons


def what_to_fix(
    status: str,
    listed: int,
    items: int,
    invalid: int,
    errors: int,
    fields_filled: dict[str, int],
    problem: str | None,
    links: dict[str, Any],
) -> str:
    """One phrase: the first thing an operator should change for this source, or "nothing"."""
    if problem and "could not be fetched" in problem:
        return "start page unreachable: check the url"
    if listed == 0:
        in_content = sum(n for reason, n in rejection_reasons(links).items() if "link_pattern" in reason)
        if in_content:
            return f"link_pattern matches none of {in_content} links in the page content"
        if problem and "no disclosure log found" in problem:
            return "no disclosure log found from the start page: give the log's own address as url"
        return "no response links found: check the start url (and link_pattern, where the source has one)"
    if items == 0:
        return "responses listed but none read: check the response page layout"
    if invalid:
        return f"{invalid} listed pages not read as responses: see problems"
    if errors:
        return f"{errors} pages could not be fetched: see problems"
    percent = filled_percent(fields_filled, items) or 0
    if percent < THIN_FIELDS_PERCENT:
        return f"fields thin ({percent}%): least read is {_thinnest(fields_filled)}"
    if status != "succeeded":
        return problem or status
    return "nothing"
