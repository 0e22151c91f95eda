"""Facts of CCTV responses, extracted once per version and kept for messages, queries and export.

Until the extractor lands this stores nothing; the hooks are where the diff and messages call it.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from monitor.classify import Verdict
from storage.models import ResponseVersion


def extract_and_store_facts(
    session: Session, version: ResponseVersion, verdicts: Mapping[str, Verdict]
) -> None:
    return None


def fact_lines(session: Session, version_id: int) -> list[str]:
    return []
