"""GOV.UK FOI releases: the search API lists them, the content API gives each release's text.

Search API (``/api/search.json``, alphagov/search-api): parameters are validated strictly (an unknown
one is HTTP 422); ``start`` (0-based) and ``count`` (at most 1500) paginate; ``total`` says how many
match; ``fields`` (comma-separated) chooses what each result carries; ``filter_<field>`` filters,
repeated for "any of". Each result has ``link`` (a path, now and then without its leading slash),
``title``, ``description``, ``public_timestamp`` and ``organisations`` (expanded to objects with a
``title``).

Content API (``/api/content<path>``, alphagov/content-store): ``content_id``, ``title``,
``description``, ``first_published_at``, ``public_updated_at``, ``links.organisations`` and
``links.primary_publishing_organisation``, ``details.body`` (HTML) and the files: objects in
``details.attachments`` (``title``, ``url``, ``content_type``) or, on items published before
2020, HTML snippets in ``details.documents``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode, urljoin, urlsplit
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from crawler.normalise import parse_uk_date, uk_date
from crawler.pagetext import clean_content, descendants, get_text, parse_page, text_lines

SEARCH_PATH = "/api/search.json"
CONTENT_PREFIX = "/api/content"
DOCUMENT_TYPE = "foi_release"
SEARCH_FIELDS = ("content_id", "title", "link", "description", "public_timestamp", "organisations")
MAX_PAGE_SIZE = 1500
# Content items that stand for a page that moved or went: not a release to store.
_NOT_A_RELEASE = {"redirect", "gone", "vanish"}
_LONDON = ZoneInfo("Europe/London")


class GovukOptions(BaseModel):
    """``options:`` of a ``govuk`` source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Words to search for (the API's ``q``); empty lists every FOI release, newest first.
    query: str = ""
    page_size: Annotated[int, Field(gt=0, le=MAX_PAGE_SIZE)] = 50
    # Organisation slugs (``home-office``); a release of any of them is listed.
    organisations: list[Annotated[str, Field(min_length=1)]] = []
    # Download PDF/DOCX attachments and extract their text (bounded in size and pages).
    fetch_attachments: bool = False


class GovukFormatError(ValueError):
    """An answer that is not what the API sends: the API changed, or something else answered."""


@dataclass(frozen=True)
class SearchResult:
    link: str
    title: str
    content_id: str | None
    description: str
    published: date | None
    organisation: str | None


@dataclass(frozen=True)
class SearchPage:
    results: list[SearchResult]
    total: int
    start: int

    def next_start(self) -> int | None:
        """Offset of the next page, or None when this page is the last."""
        following = self.start + len(self.results)
        return following if self.results and following < self.total else None


@dataclass(frozen=True)
class Release:
    content_id: str | None
    title: str
    description: str
    body_text: str
    published: date | None
    organisation: str | None
    attachments: list[tuple[str, str]]  # (url, name)


# -- addresses ------------------------------------------------------------------------------
def site_root(source_url: str) -> str:
    """'https://www.gov.uk' for any address on the source's host."""
    parts = urlsplit(source_url)
    return f"{parts.scheme}://{parts.netloc}"


def search_url(source_url: str, options: GovukOptions, start: int) -> str:
    """The search API page of FOI releases starting at ``start``, newest first."""
    params: list[tuple[str, str | int]] = [("filter_content_store_document_type", DOCUMENT_TYPE)]
    params += [("filter_organisations", slug) for slug in options.organisations]
    if options.query.strip():
        params.append(("q", options.query.strip()))
    params += [
        ("count", options.page_size),
        ("start", start),
        ("order", "-public_timestamp"),
        ("fields", ",".join(SEARCH_FIELDS)),
    ]
    return f"{site_root(source_url)}{SEARCH_PATH}?{urlencode(params, safe=',')}"


def release_url(source_url: str, link: str) -> str:
    """The release's page on the source's host."""
    return urljoin(site_root(source_url) + "/", link)


def content_url(source_url: str, link: str) -> str:
    return f"{site_root(source_url)}{CONTENT_PREFIX}{urlsplit(link).path}"


def _normalise_link(link: str) -> str:
    """The search index stores some links without their leading slash."""
    return link if link.startswith(("/", "http://", "https://")) else "/" + link


# -- search API -----------------------------------------------------------------------------
def _load_json(body: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GovukFormatError(f"{what} is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise GovukFormatError(f"{what} is JSON but not an object")
    return data


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _parse_timestamp(value: object) -> date | None:
    """Date of an ISO 8601 timestamp, on the UK calendar (a release at 00:30 BST is that day's)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return parse_uk_date(value)
    return uk_date(moment)


def _parse_search_organisation(result: dict[str, Any]) -> str | None:
    for organisation in result.get("organisations") or []:
        if isinstance(organisation, dict) and _text(organisation.get("title")):
            return _text(organisation["title"])
    return None


def _parse_search_result(result: object) -> SearchResult | None:
    if not isinstance(result, dict):
        raise GovukFormatError("a search result is not an object")
    link = _text(result.get("link"))
    if not link:
        return None
    content_id = _text(result.get("content_id")) or None
    return SearchResult(
        link=_normalise_link(link),
        title=_text(result.get("title")),
        content_id=content_id,
        description=_text(result.get("description")),
        published=_parse_timestamp(result.get("public_timestamp")),
        organisation=_parse_search_organisation(result),
    )


def parse_search_page(body: bytes) -> SearchPage:
    """One page of search API results; ``GovukFormatError`` if it is not one."""
    data = _load_json(body, "the search API answer")
    results, total = data.get("results"), data.get("total")
    if not isinstance(results, list) or not isinstance(total, int) or isinstance(total, bool):
        raise GovukFormatError("the search API answer has no 'results' list and 'total' count")
    start = data.get("start") if isinstance(data.get("start"), int) else 0
    parsed = [_parse_search_result(result) for result in results]
    return SearchPage([r for r in parsed if r is not None], total, int(start or 0))


# -- content API ----------------------------------------------------------------------------
def _parse_organisation(item: dict[str, Any]) -> str | None:
    """The publishing organisation's name, else the first organisation the release is tagged to."""
    links = _object(item.get("links"))
    for key in ("primary_publishing_organisation", "organisations"):
        for organisation in links.get(key) or []:
            if isinstance(organisation, dict) and _text(organisation.get("title")):
                return _text(organisation["title"])
    return None


def _parse_published(item: dict[str, Any]) -> date | None:
    details = _object(item.get("details"))
    for value in (
        item.get("first_published_at"),
        details.get("first_public_at"),
        item.get("public_updated_at"),
    ):
        found = _parse_timestamp(value)
        if found:
            return found
    return None


def html_text(html: str) -> str:
    """Readable lines of a Govspeak HTML fragment."""
    if not html.strip():
        return ""
    return "\n".join(text_lines(clean_content(parse_page(html))))


def _parse_body(details: dict[str, Any]) -> str:
    body = details.get("body")
    if isinstance(body, list):  # multi-part bodies: [{"content_type": "text/html", "content": ...}]
        body = next((part.get("content") for part in body if isinstance(part, dict)), "")
    return html_text(body) if isinstance(body, str) else ""


def _parse_attachment_objects(details: dict[str, Any], page_url: str) -> list[tuple[str, str]]:
    found = []
    for attachment in details.get("attachments") or []:
        if isinstance(attachment, dict) and _text(attachment.get("url")):
            name = _text(attachment.get("title")) or _text(attachment.get("filename"))
            found.append((urljoin(page_url, _text(attachment["url"])), name))
    return found


def _parse_document_snippets(details: dict[str, Any], page_url: str) -> list[tuple[str, str]]:
    """Links in the HTML snippets of ``details.documents``; the thumbnail link has no text."""
    found = []
    for snippet in details.get("documents") or []:
        if not isinstance(snippet, str):
            continue
        for anchor in descendants(parse_page(snippet), "a"):
            href, name = anchor.get("href"), get_text(anchor, " ", strip=True)
            if href is not None and name and anchor.get("aria-hidden") != "true":
                found.append((urljoin(page_url, href.strip()), name))
    return found


def _parse_attachments(details: dict[str, Any], page_url: str) -> list[tuple[str, str]]:
    found = _parse_attachment_objects(details, page_url) or _parse_document_snippets(details, page_url)
    unique: dict[str, str] = {}
    for url, name in found:
        unique.setdefault(url, name)
    return list(unique.items())


def parse_release(body: bytes, page_url: str) -> Release:
    """A release from its content API item; ``GovukFormatError`` if the item is not a release."""
    item = _load_json(body, "the content API answer")
    schema = _text(item.get("schema_name"))
    if schema in _NOT_A_RELEASE:
        raise GovukFormatError(f"the content item is a {schema!r}, not a release")
    details = item.get("details")
    if not isinstance(details, dict) or not _text(item.get("title")):
        raise GovukFormatError("the content API answer has no title or details")
    return Release(
        content_id=_text(item.get("content_id")) or None,
        title=_text(item.get("title")),
        description=_text(item.get("description")),
        body_text=_parse_body(details),
        published=_parse_published(item),
        organisation=_parse_organisation(item),
        attachments=_parse_attachments(details, page_url),
    )
