"""Plain records exchanged with the other layers (no SQLAlchemy state attached)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

# Where a response's date came from, best first. A date printed on the page (or given in the
# publisher's own feed or API) beats the date beside the link on the listing; the month in the
# address is stored as the first of that month; the day foiwatch first saw the response is the last
# resort. The last two are derived, not read: see ``ResponseRecord.content_hash``.
DATE_SOURCES = ("page", "listing", "url-month", "first-seen")
DERIVED_DATE_SOURCES = frozenset({"url-month", "first-seen"})


@dataclass(frozen=True)
class AttachmentRecord:
    url: str
    name: str = ""
    content_type: str | None = None
    size: int | None = None
    text: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class ResponseRecord:
    """One normalised FOI response as a crawler produced it."""

    source_id: str
    key: str
    authority: str
    title: str
    url: str
    reference: str | None = None
    published: date | None = None
    # one of DATE_SOURCES, or None when there is no date (storage then dates it "first-seen")
    date_source: str | None = None
    request: str = ""
    response: str = ""
    outcome: str | None = None
    exemptions: tuple[str, ...] = ()
    attachments: tuple[AttachmentRecord, ...] = field(default_factory=tuple)
    # the URL is this response's own page: it identifies the response (see store_response)
    own_page: bool = True
    # The response as read, where the site's repeated ending was dropped from ``response``; not
    # stored, only hashed (see ``content_hash``).
    read_response: str | None = None

    def content_hash(self) -> str:
        """Hash of what a reader would call the content; the URL alone moving is not a new version.

        A printed date is content; where a date came from is not. A date derived from the address
        or from the day of first sighting is not content either: counting it would make a page
        moved to another month's folder a new version, and would turn every stored undated response
        into a "change" the first time its derived date was filled in.

        The response counts as read: the site's repeated ending that a crawl learns to drop only
        after its first pages is not content, so a page read before and after is one version.
        """
        printed = self.published if self.date_source not in DERIVED_DATE_SOURCES else None
        payload = {
            "authority": self.authority,
            "title": self.title,
            "reference": self.reference,
            "published": printed.isoformat() if printed else None,
            "request": self.request,
            "response": self.response if self.read_response is None else self.read_response,
            "outcome": self.outcome,
            "exemptions": list(self.exemptions),
            # An attachment's text is content too: a letter replaced at the same URL is a change.
            "attachments": sorted(
                (a.url, hashlib.sha256(a.text.encode()).hexdigest() if a.text else "")
                for a in self.attachments
            ),
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()


@dataclass(frozen=True)
class SnapshotEntry:
    """What one response looked like at one moment: enough to diff."""

    response_id: int
    version_id: int
    content_hash: str


@dataclass(frozen=True)
class TopicVerdict:
    """One classifier's verdict on a version, as stored in ``topic_matches``."""

    topic: str
    classifier_version: str
    matched: bool
    score: float
    terms: tuple[str, ...] = ()
    snippets: tuple[str, ...] = ()
