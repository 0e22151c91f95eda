"""The Jinja2 environment of the web pages and feeds: autoescaped, strict, and its filters.

Scraped text reaches templates only as data and is escaped by Jinja2's autoescape (HTML and
Atom alike). Links to the outside world are made only from http(s) addresses (``link``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from monitor.notify.messages import OUTCOME_LABELS

LONDON = ZoneInfo("Europe/London")
# Characters XML 1.0 forbids; scraped text (PDF extractions especially) can hold them.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def day(value: date | datetime | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return f"{value.day} {value:%B %Y}"


def moment(value: datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone(LONDON).strftime("%-d %B %Y, %H:%M")


def outcome(value: str | None) -> str:
    return OUTCOME_LABELS.get(value or "", value or "-")


def money(value: Mapping[str, Any]) -> str:
    pounds = int(value.get("amount_pence") or 0) / 100
    shown = f"£{pounds:,.0f}" if pounds == int(pounds) else f"£{pounds:,.2f}"
    per = f" a {value['per']}" if value.get("per") else ""
    about = "about " if value.get("approximate") else ""
    what = f" ({value['what']})" if value.get("what") else ""
    return f"{about}{shown}{per}{what}"


def is_web(url: str | None) -> bool:
    return bool(url) and str(url).lower().startswith(("http://", "https://"))


def link(url: str | None, label: str | None = None) -> Markup:
    """An outside link, only for http(s) addresses: anything else is shown as text, never a link."""
    text = label or url or ""
    if not is_web(url):
        return Markup("{}").format(text)
    return Markup('<a href="{}" rel="noopener noreferrer nofollow">{}</a>').format(url, text)


def with_page(params: Mapping[str, str], page: int) -> str:
    return urlencode({**{k: v for k, v in params.items() if v and k != "page"}, "page": page})


def side_by_side(sides: tuple[list[str], list[str]]) -> Iterable[tuple[dict[str, str], dict[str, str]]]:
    """Rows for a two-column diff: equal lines on both sides, changes paired, gaps left blank."""
    import difflib

    old, new = sides
    blank = {"text": "", "kind": ""}
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            for line in old[i1:i2]:
                yield {"text": line, "kind": ""}, {"text": line, "kind": ""}
            continue
        left = [{"text": line, "kind": "del"} for line in old[i1:i2]]
        right = [{"text": line, "kind": "add"} for line in new[j1:j2]]
        for index in range(max(len(left), len(right))):
            yield (
                (left[index] if index < len(left) else blank),
                (right[index] if index < len(right) else blank),
            )


def xml_text(value: object) -> str:
    return XML_FORBIDDEN.sub("", str(value))


def atom_time(value: datetime | None) -> str:
    value = value or datetime.now(UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_day(value: date) -> str:
    return f"{value.isoformat()}T00:00:00Z"


def entry_summary(item: Any) -> str:
    """An entry's text: where it stands, what it says about cameras, why it matched."""
    lines = [
        f"{item.authority} · published {day(item.published) if item.published else 'no date'}"
        f" · {item.reference or 'no reference'} · {outcome(item.outcome)}"
    ]
    if item.withdrawn:
        lines.append(f"Withdrawn from the disclosure log ({day(item.withdrawn_at)}).")
    if item.snippet:
        lines.append(item.snippet.text)
    facts = item.facts or {}
    if facts.get("vendors"):
        lines.append("Vendors: " + ", ".join(facts["vendors"]))
    for count in (facts.get("camera_counts") or [])[:3]:
        lines.append(
            f"{'about ' if count.get('approximate') else ''}{count['number']:,} {count.get('what', '')}"
        )
    for amount in (facts.get("money") or [])[:3]:
        lines.append(money(amount))
    for topic, snippets in (item.why or {}).items():
        for snippet in snippets[:2]:
            lines.append(f"Why {topic}: {snippet}")
    return "\n".join(lines)


def build_environment(url_path_for: Callable[..., str]) -> Environment:
    env = Environment(
        loader=PackageLoader("monitor.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def url(route: str, /, **params: Any) -> str:
        quoted = {k: quote(str(v), safe="") if k in ("name",) else v for k, v in params.items()}
        return url_path_for(route, **quoted)

    env.globals["url"] = url
    env.filters.update(
        day=day,
        moment=moment,
        outcome=outcome,
        money=money,
        link=link,
        is_web=is_web,
        with_page=with_page,
        side_by_side=side_by_side,
        xml_text=xml_text,
        atom_time=atom_time,
        atom_day=atom_day,
        entry_summary=entry_summary,
    )
    return env
