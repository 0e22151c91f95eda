"""Alaveteli sites (WhatDoTheyKnow and the FOI sites built on the same software).

A source names one or more Atom feeds (``/feed/search/cctv``, ``/feed/body/<url_name>``); each entry
is one request event and links to its request. A request has a JSON version
(``/request/<url_title>.json``: id, state, public body, events) and a page whose ``div.correspondence``
blocks hold the messages: the first outgoing one is the request, incoming ones are the authority's
replies. A feed shows only its latest 25 events (``FEED_WINDOW``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit
from xml.etree.ElementTree import Element, ParseError

from bs4 import BeautifulSoup, Tag
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from crawler.normalise import parse_exemptions, parse_iso_datetime, uk_date
from crawler.pagetext import parse_page, parse_soup, text_lines

FEED_WINDOW = 25
_ATOM = "{http://www.w3.org/2005/Atom}"

# Alaveteli's request states (described_state) and the outcome each stands for. The others are no
# decision: still waiting, misdirected or withdrawn.
STATE_OUTCOMES: dict[str, str | None] = {
    "successful": "released",
    "partially_successful": "partially_released",
    "rejected": "refused",
    "not_held": "not_held",
    "waiting_response": None,
    "waiting_clarification": None,
    "gone_postal": None,
    "internal_review": None,
    "error_message": None,
    "requires_admin": None,
    "attention_requested": None,
    "vexatious": "refused",  # refused as vexatious (FOIA s14)
    "not_foi": None,
    "user_withdrawn": "withdrawn",
}

_LIST_VIEWS = ("all", "recent", "successful", "unsuccessful", "awaiting")
_FEED_PATH = re.compile(r"^/feed/(body|user|request|list|search)/(.+)$")
_SLUG = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
_REQUEST_LINK = re.compile(r"/request/(?![0-9]+(?:[/#?.]|$))([a-z0-9_]+)(?=$|[/#?.])")
_EVENT_LINK = re.compile(r"/request_event/([0-9]+)(?=$|[/#?])")
_EVENT_ID = re.compile(r"InfoRequestEvent/([0-9]+)$")


class AlaveteliOptions(BaseModel):
    """``options:`` of an Alaveteli source. Feed paths are relative to the source url (the site root)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    feeds: Annotated[list[str], Field(min_length=1, max_length=20)]
    # Download PDF/DOCX attachments and extract their text (bounded in size and pages).
    fetch_attachments: StrictBool = False

    @field_validator("feeds")
    @classmethod
    def _feed_paths(cls, value: list[str]) -> list[str]:
        paths = [_check_feed_path(path) for path in value]
        if len(set(paths)) != len(paths):
            raise ValueError("a feed is listed twice")
        return paths


def _check_feed_path(path: str) -> str:
    path = path.strip()
    match = _FEED_PATH.match(path)
    if not match:
        raise ValueError(
            f"feed {path!r} must be a path such as /feed/search/<query> or /feed/body/<url_name>"
            " (also /feed/user/, /feed/request/, /feed/list/)"
        )
    kind, rest = match.groups()
    if any(c in path for c in "?#\\") or "//" in path or "/../" in f"{path}/" or not path.isprintable():
        raise ValueError(f"feed {path!r} may not contain '?', '#', '\\', '//', '..' or control characters")
    if kind == "list" and rest not in _LIST_VIEWS:
        raise ValueError(f"feed {path!r}: /feed/list/ takes one of {', '.join(_LIST_VIEWS)}")
    if kind in ("body", "user", "request") and not _SLUG.match(rest):
        raise ValueError(f"feed {path!r}: /feed/{kind}/ takes one url name (letters, digits, '_', '-')")
    if kind == "search" and len(rest) > 500:
        raise ValueError(f"feed {path[:40]!r}...: the search is longer than 500 characters")
    return path


def body_feed_names(feeds: list[str]) -> set[str]:
    """url_names of the bodies whose own feeds are listed (``/feed/body/<url_name>``)."""
    return {path.split("/", 3)[3] for path in feeds if path.startswith("/feed/body/")}


def site_root(url: str) -> str:
    """The site root a source url or feed url belongs to, ending in '/': 'https://host/' or 'https://host/x/'."""
    parts = urlsplit(url)
    path = parts.path
    if "/feed/" in path:
        path = path[: path.index("/feed/")]
    return urlunsplit((parts.scheme, parts.netloc.lower(), path.rstrip("/") + "/", "", ""))


def feed_url(source_url: str, path: str) -> str:
    return site_root(source_url) + quote(path.lstrip("/"), safe="/:@()+,;=!*'~%")


def request_url(root: str, url_title: str) -> str:
    return f"{root}request/{url_title}"


def request_reference(page_url: str, request_id: int) -> str:
    """'whatdotheyknow.com/request/589132': the site's own id of the request, stable when renamed."""
    host = (urlsplit(page_url).hostname or "").removeprefix("www.")
    return f"{host}/request/{request_id}"


# -- feeds ----------------------------------------------------------------------------------------
class FeedError(ValueError):
    """A feed that is not a readable, safe Atom document."""


@dataclass(frozen=True)
class FeedEntry:
    """One feed entry: a request event and where its request is (``request_url`` or ``event_url``)."""

    event_id: str | None
    title: str
    published: date | None
    request_url: str | None = None
    event_url: str | None = None

    @property
    def target(self) -> str | None:
        return self.request_url or self.event_url


def _parse_xml(body: bytes) -> Element:
    if re.match(rb"\s*(?:<!doctype\s+html|<html)", body[:512], re.IGNORECASE):
        raise FeedError("an HTML page, not a feed")
    try:
        # Atom needs no DTD: refusing any DTD stops entity expansion and external entities alike.
        return fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise FeedError(f"refused: the document declares a DTD or entities ({type(exc).__name__})") from exc
    except ParseError as exc:
        raise FeedError(f"not XML ({exc})") from exc


def parse_feed(body: bytes, url: str) -> list[FeedEntry]:
    """Entries of an Alaveteli Atom feed, links mapped onto the feed's own site."""
    root = _parse_xml(body)
    if root.tag != f"{_ATOM}feed":
        raise FeedError(f"not an Atom feed: the root element is <{root.tag.rsplit('}', 1)[-1]}>")
    site = site_root(url)
    return [_parse_entry(entry, site) for entry in root.iter(f"{_ATOM}entry")]


def _parse_entry(entry: Element, site: str) -> FeedEntry:
    event = _EVENT_ID.search((entry.findtext(f"{_ATOM}id") or "").strip())
    published = parse_iso_datetime(entry.findtext(f"{_ATOM}published") or entry.findtext(f"{_ATOM}updated"))
    title = BeautifulSoup(entry.findtext(f"{_ATOM}title") or "", "html.parser").get_text(" ", strip=True)
    request, event_url = _parse_entry_link(entry, site)
    return FeedEntry(event.group(1) if event else None, title, published, request, event_url)


def _parse_entry_link(entry: Element, site: str) -> tuple[str | None, str | None]:
    """(request url, event url): the alternate link, else a request link in the entry's content.

    Only the path of a link counts: a feed names requests on its own site, never elsewhere.
    """
    links = [
        link.get("href", "")
        for link in entry.iter(f"{_ATOM}link")
        if link.get("rel", "alternate") == "alternate"
    ]
    content = entry.findtext(f"{_ATOM}content") or ""
    paths = [urlsplit(href).path for href in [*links, *re.findall(r"""href=["']([^"']+)["']""", content)]]
    requests = [m.group(1) for m in map(_REQUEST_LINK.search, paths) if m]
    if requests:
        return request_url(site, requests[0]), None
    events = [m.group(1) for m in map(_EVENT_LINK.search, paths) if m]
    return None, (f"{site}request_event/{events[0]}" if events else None)


def feed_targets(entries: list[FeedEntry]) -> list[str]:
    """Distinct request (or event) URLs named by the entries, in feed order."""
    return list(dict.fromkeys(entry.target for entry in entries if entry.target))


# -- request JSON ---------------------------------------------------------------------------------
class RequestDataError(ValueError):
    """A ``.json`` that is not an Alaveteli request."""


@dataclass(frozen=True)
class RequestData:
    id: int
    url_title: str
    title: str
    described_state: str
    display_status: str
    created: date | None
    body_name: str
    body_url_name: str
    response_dates: tuple[date, ...]
    awaiting_reply: bool


def parse_request_json(body: bytes | str) -> RequestData:
    """The fields foiwatch uses of ``/request/<url_title>.json`` (``InfoRequest#json_for_api``)."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise RequestDataError(f"not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise RequestDataError("not a request: the JSON is not an object")
    public_body = data.get("public_body")
    body_data = public_body if isinstance(public_body, dict) else {}
    events = data.get("info_request_events")
    return RequestData(
        id=_required(data, "id", int),
        url_title=_required(data, "url_title", str),
        title=" ".join(_required(data, "title", str).split()),
        described_state=_required(data, "described_state", str),
        display_status=str(data.get("display_status") or ""),
        created=parse_iso_datetime(str(data.get("created_at") or "")),
        body_name=" ".join(str(body_data.get("name") or "").split()),
        body_url_name=str(body_data.get("url_name") or ""),
        response_dates=_parse_response_dates(events),
        # Only a JSON that lists events can say there is no reply; without them the page decides.
        awaiting_reply=isinstance(events, list) and not any(_is_reply(event) for event in events),
    )


def _required(data: dict[str, Any], key: str, kind: type) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) or value in ("", 0):
        raise RequestDataError(f"not a request: {key!r} is missing or not a {kind.__name__}")
    return value


def _is_reply(event: object) -> bool:
    return isinstance(event, dict) and event.get("event_type") == "response"


def _parse_response_dates(events: object) -> tuple[date, ...]:
    replies = events if isinstance(events, list) else []
    found = [parse_iso_datetime(str(event.get("created_at") or "")) for event in replies if _is_reply(event)]
    return tuple(sorted(d for d in found if d))


def state_outcome(state: str) -> str | None:
    """The outcome a request state stands for; None for states that are no decision, or unknown ones."""
    return STATE_OUTCOMES.get(state)


# -- request pages --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Message:
    """One ``div.correspondence`` block: ``incoming`` (the authority's) or ``outgoing`` (the requester's)."""

    direction: str
    sent: datetime | None
    author: str
    text: str
    attachments: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RequestPage:
    url: str
    title: str
    authority: str
    status: str | None
    messages: tuple[Message, ...]

    @property
    def replies(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.direction == "incoming")


def parse_request_page(html: str | bytes, url: str) -> RequestPage:
    """Read a request page. Bytes are best: the page's own ``<meta charset>`` then decides."""
    soup = parse_soup(html)
    return RequestPage(
        url=url,
        title=_parse_page_title(soup),
        authority=_parse_page_authority(soup),
        status=_parse_status(soup),
        messages=tuple(_parse_message(block, url) for block in _correspondence(soup)),
    )


def _parse_page_title(soup: BeautifulSoup) -> str:
    header = soup.find(class_=re.compile(r"^request-header$"))
    heading = header.find("h1") if isinstance(header, Tag) else None
    return " ".join(heading.get_text(" ", strip=True).split()) if heading else ""


def _parse_page_authority(soup: BeautifulSoup) -> str:
    subtitle = soup.find(class_=re.compile(r"request-header__subtitle"))
    body = subtitle.find("a", href=re.compile(r"/body/")) if isinstance(subtitle, Tag) else None
    return " ".join(body.get_text(" ", strip=True).split()) if body else ""


def _parse_status(soup: BeautifulSoup) -> str | None:
    """The calculated status the page shows ('not_held', 'waiting_response_overdue', ...)."""
    status = soup.find(id="request_status")
    for name in status.get_attribute_list("class") if isinstance(status, Tag) else []:
        if name.startswith("request-status-message--"):
            return str(name.removeprefix("request-status-message--"))
    return None


def _correspondence(soup: BeautifulSoup) -> list[Tag]:
    return [
        block
        for block in soup.find_all("div", class_="correspondence")
        if {"incoming", "outgoing"} & set(block.get_attribute_list("class"))
        and block.find(class_="correspondence_text")
    ]


def _parse_message(block: Tag, page_url: str) -> Message:
    text_block = block.find(class_="correspondence_text")
    assert isinstance(text_block, Tag)
    attachments = _parse_attachments(text_block, page_url)
    for extra in text_block.find_all(class_=re.compile(r"^attachments$")):
        extra.decompose()
    for toggle in text_block.find_all("a", href=re.compile(r"unfold=1")):
        toggle.decompose()
    author = block.find(class_="correspondence__header__author")
    time = block.find("time")
    return Message(
        direction="incoming" if "incoming" in block.get_attribute_list("class") else "outgoing",
        sent=_parse_sent(time.get("datetime") if isinstance(time, Tag) else None),
        author=" ".join(author.get_text(" ", strip=True).split()).rstrip(",") if author else "",
        # the message's own markup, re-read by lxml (the tree the page readers read lines from)
        text="\n".join(text_lines(parse_page(str(text_block)))),
        attachments=attachments,
    )


def _parse_sent(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).strip()) if value else None
    except ValueError:
        return None


def _parse_attachments(text_block: Tag, page_url: str) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for item in text_block.find_all(class_="attachment"):
        link = item.find("a", href=re.compile(r"/attach/(?!html/)"))
        name = item.find(class_="attachment__name")
        if isinstance(link, Tag):
            url = _without_cookie_passthrough(urljoin(page_url, str(link["href"])))
            found.setdefault(url, name.get_text(" ", strip=True) if name else url.rsplit("/", 1)[-1])
    return tuple(found.items())


def _without_cookie_passthrough(url: str) -> str:
    """Alaveteli adds '?cookie_passthrough=1' to download links; the file's address is without it."""
    return re.sub(r"[?&]cookie_passthrough=[^&#]*$", "", url)


def page_request_url(html: str | bytes, page_url: str, root: str) -> str | None:
    """The request a page shows (an event link's target): its address, og:url or JSON alternate link."""
    soup = parse_soup(html)
    og = soup.find("meta", attrs={"property": "og:url"})
    candidates = [str(og.get("content") or "")] if isinstance(og, Tag) else []
    candidates += [str(link.get("href") or "") for link in soup.find_all("link", type="application/json")]
    for candidate in [page_url, *candidates]:
        match = _REQUEST_LINK.search(urlsplit(candidate).path)
        if match:
            return request_url(root, match.group(1))
    return None


# -- one response ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class AlaveteliResponse:
    """What foiwatch keeps of one request: the fields of its ``ResponseItem``."""

    title: str
    reference: str
    authority: str
    body_url_name: str
    published: date | None
    request: str
    response: str
    outcome: str | None
    exemptions: list[str]
    attachments: list[tuple[str, str]]


def read_request(data: RequestData, page: RequestPage) -> AlaveteliResponse:
    """Combine a request's JSON and page into one response."""
    response = _parse_response(page)
    return AlaveteliResponse(
        title=data.title,
        reference=request_reference(page.url, data.id),
        authority=data.body_name or page.authority,
        body_url_name=data.body_url_name,
        published=_parse_published(data, page),
        request=_parse_request(page),
        response=response,
        outcome=state_outcome(data.described_state),
        exemptions=parse_exemptions(response),
        attachments=[a for message in page.replies for a in message.attachments],
    )


def _parse_request(page: RequestPage) -> str:
    first = next((m for m in page.messages if m.direction == "outgoing"), None)
    return first.text if first else ""


def _parse_response(page: RequestPage) -> str:
    """Every reply, oldest first, each headed by its date and sender."""
    parts = []
    for message in page.replies:
        day = uk_date(message.sent) if message.sent else None
        when = f"{day.day} {day:%B %Y}" if day else "Undated"
        parts.append(
            f"{when}, {message.author}:\n{message.text}" if message.author else f"{when}:\n{message.text}"
        )
    return "\n\n".join(parts)


def _parse_published(data: RequestData, page: RequestPage) -> date | None:
    """Date of the latest reply (as the page shows it, else as the JSON lists it), else of the request."""
    shown = [uk_date(m.sent) for m in page.replies if m.sent]
    if shown:
        return max(shown)
    if data.response_dates:
        return data.response_dates[-1]
    return data.created
