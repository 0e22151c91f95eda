"""Options shared by platforms."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class NoOptions(BaseModel):
    """A platform with nothing to configure beyond id, authority and url."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ListDetailOptions(BaseModel):
    """Options every "listing → response page" platform accepts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Download PDF/DOCX attachments and extract their text (bounded in size and pages).
    fetch_attachments: bool = False
