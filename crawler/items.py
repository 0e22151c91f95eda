"""The item every spider yields: one normalised FOI response."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from storage.archive import FetchedCopy


@dataclass
class ResponseItem:
    source_id: str
    authority: str
    url: str
    title: str
    reference: str | None = None
    published: date | None = None
    # where ``published`` came from: page, listing or url-month (storage.records.DATE_SOURCES)
    date_source: str | None = None
    request: str = ""
    response: str = ""
    # the response as read before the site's repeated ending was dropped (None: nothing dropped)
    read_response: str | None = None
    outcome: str | None = None
    exemptions: list[str] = field(default_factory=list)
    # each: url, name; when fetched also content_type, size, text (extracted) or error
    attachments: list[dict[str, Any]] = field(default_factory=list)
    # A stable identity when the response prints no reference (a feed entry's guid, a row's hash);
    # without either, the canonical URL is the key.
    key: str | None = None
    # The URL is this response's own page, so it identifies the response whatever reference the
    # page prints. False where many responses share one address (rows of a data file, feed
    # entries without a link of their own).
    own_page: bool = True
    # The response this item was read from, as received, when the evidence archive is on
    # (set by ``crawler.archive.PageCapture``; an attachment's download is under its
    # ``crawler.archive.ARCHIVED_FETCH`` key).
    page: FetchedCopy | None = None
