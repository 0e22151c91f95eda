"""Reading a search from a URL's query string: the same parameters for pages, API and feeds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time

from starlette.datastructures import QueryParams

from monitor.query.search import DEFAULT_PER_PAGE, Filters, QueryError, parse_day

FILTER_KEYS = ("q", "topic", "authority", "source", "outcome", "exemption", "vendor", "from", "to", "since")


@dataclass(frozen=True)
class SearchRequest:
    filters: Filters
    sort: str
    page: int
    per_page: int

    def params(self) -> dict[str, str]:
        """The query-string parameters that ask for this search again (pages carried by the pager)."""
        f = self.filters
        values = {
            "q": f.q,
            "topic": f.topic or "",
            "authority": f.authority or "",
            "source": f.source or "",
            "outcome": f.outcome or "",
            "exemption": f.exemption or "",
            "vendor": f.vendor or "",
            "from": f.published_from.isoformat() if f.published_from else "",
            "to": f.published_to.isoformat() if f.published_to else "",
            "since": f.since.isoformat() if f.since else "",
            "sort": self.sort if self.sort != "relevance" else "",
        }
        return {k: v for k, v in values.items() if v}


MAX_PAGE = 100_000
# Characters no one types in a search, which some databases refuse outright (NUL on PostgreSQL).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _number(params: QueryParams, key: str, default: int) -> int:
    value = params.get(key, "").strip()
    if not value:
        return default
    if not value.isdigit() or len(value) > 6 or int(value) > MAX_PAGE:
        raise QueryError(f"{key} must be a whole number up to {MAX_PAGE:,}, not {value[:20]!r}")
    return int(value)


def _since(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime.combine(parse_day(value, "since"), time.min, tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def search_request(params: QueryParams, default_sort: str = "relevance", **fixed: str) -> SearchRequest:
    """The search a query string asks for; ``fixed`` values (a feed's topic) override it.

    Raises ``QueryError`` with a message for the person who wrote the URL.
    """
    values = {
        key: CONTROL.sub("", fixed.get(key) or params.get(key) or "").strip()[:500] for key in FILTER_KEYS
    }
    filters = Filters(
        q=values["q"][:500],
        topic=values["topic"] or None,
        authority=values["authority"] or None,
        source=values["source"] or None,
        outcome=values["outcome"] or None,
        exemption=values["exemption"] or None,
        vendor=values["vendor"] or None,
        published_from=parse_day(values["from"], "from") if values["from"] else None,
        published_to=parse_day(values["to"], "to") if values["to"] else None,
        since=_since(values["since"]) if values["since"] else None,
    )
    sort = params.get("sort") or default_sort
    return SearchRequest(
        filters, sort, _number(params, "page", 1), _number(params, "per_page", DEFAULT_PER_PAGE)
    )
