"""Plain records exchanged with the other layers (no SQLAlchemy state attached)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date


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
    request: str = ""
    response: str = ""
    outcome: str | None = None
    exemptions: tuple[str, ...] = ()
    attachments: tuple[AttachmentRecord, ...] = field(default_factory=tuple)
    # the URL is this response's own page: it identifies the response (see store_response)
    own_page: bool = True

    def content_hash(self) -> str:
        """Hash of what a reader would call the content; the URL alone moving is not a new version."""
        payload = {
            "authority": self.authority,
            "title": self.title,
            "reference": self.reference,
            "published": self.published.isoformat() if self.published else None,
            "request": self.request,
            "response": self.response,
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
