"""Facts of CCTV responses, extracted once per version and kept for messages, queries and export."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from monitor.classify import Verdict
from monitor.facts.extract import EXTRACTOR_VERSION, Facts, canonical_vendor, extract_facts
from storage.clock import utcnow
from storage.models import ResponseFacts, ResponseVersion

FACT_TOPIC = "cctv"


def facts_for(version: ResponseVersion, verdicts: Mapping[str, Verdict]) -> Facts | None:
    """Facts for a version the CCTV topic matched (other responses have none worth keeping)."""
    verdict = verdicts.get(FACT_TOPIC)
    if verdict is None or not verdict.matched:
        return None
    letters = "\n".join(a.text for a in version.attachments if a.text)
    response = f"{version.response_text}\n{letters}" if letters else version.response_text
    return extract_facts(
        version.title,
        version.request_text,
        response,
        outcome=version.outcome,
        exemptions=list(version.exemptions),
    )


def store_facts(session: Session, version: ResponseVersion, facts: Facts) -> None:
    # ``version.facts`` is loaded with the version by ``preload_versions``: no query of its own. It is a
    # read-only relationship, so a row written here is set on it by hand for the next assessment.
    row = version.facts or ResponseFacts(version_id=version.id)
    row.facts, row.extractor_version, row.created_at = facts.to_dict(), EXTRACTOR_VERSION, utcnow()
    row.vendor_index = "|" + "|".join(v.lower() for v in facts.vendors) + "|"
    session.add(row)  # written at the session's next flush
    set_committed_value(version, "facts", row)


def versions_with_vendor(session: Session, vendor: str) -> list[int]:
    """Ids of versions whose facts name ``vendor`` (any alias: 'hilook' finds Hikvision)."""
    name = (canonical_vendor(vendor) or vendor).lower()
    return list(
        session.scalars(
            select(ResponseFacts.version_id).where(ResponseFacts.vendor_index.contains(f"|{name}|"))
        )
    )


def versions_with_facts(session: Session, vendor: str | None = None) -> list[int]:
    """Ids of versions with facts; with ``vendor``, only those naming it (see ``versions_with_vendor``)."""
    if vendor:
        return versions_with_vendor(session, vendor)
    return list(session.scalars(select(ResponseFacts.version_id)))
