"""The item every spider yields: one normalised FOI response."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class ResponseItem:
    source_id: str
    authority: str
    url: str
    title: str
    reference: str | None = None
    published: date | None = None
    request: str = ""
    response: str = ""
    outcome: str | None = None
    exemptions: list[str] = field(default_factory=list)
    attachments: list[dict[str, str]] = field(default_factory=list)
