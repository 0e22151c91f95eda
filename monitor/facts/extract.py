"""Facts read from a CCTV response: vendors, camera counts and types, money, contract dates, outcome.

Pure functions of the response's text, no database: ``extract_facts`` gives a ``Facts`` that
``to_dict`` turns into JSON for storage and export and ``from_dict`` reads back.

Vendors are every vendor the title, request or response names, even in "we do not use Pyronix":
someone following a vendor wants those answers too. Counts, types, money and dates come from the
answers only (questions repeated in the response are skipped), and a camera type the answer denies
("we do not use live facial recognition") is not listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawler.normalise import classify_outcome, parse_exemptions
from monitor.facts.counts import CameraCount, find_camera_counts
from monitor.facts.money import ContractPeriod, MoneyAmount, find_contract_periods, find_money
from monitor.facts.terms import CAMERA_TYPES, VENDORS, canonical_vendor, find_camera_types, find_vendors
from monitor.facts.text import answer_passages

__all__ = [
    "CAMERA_TYPES",
    "EXTRACTOR_VERSION",
    "VENDORS",
    "CameraCount",
    "ContractPeriod",
    "Facts",
    "MoneyAmount",
    "canonical_vendor",
    "extract_facts",
]

# Bump when extraction changes, so stored facts can be told apart and read again.
EXTRACTOR_VERSION = "facts-1"


@dataclass(frozen=True)
class Facts:
    vendors: list[str] = field(default_factory=list)
    camera_counts: list[CameraCount] = field(default_factory=list)
    camera_types: list[str] = field(default_factory=list)
    money: list[MoneyAmount] = field(default_factory=list)
    contract_dates: list[ContractPeriod] = field(default_factory=list)
    outcome: str | None = None
    exemptions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings, money in pence, plus the extractor's version."""
        return {
            "version": EXTRACTOR_VERSION,
            "vendors": list(self.vendors),
            "camera_counts": [count.to_dict() for count in self.camera_counts],
            "camera_types": list(self.camera_types),
            "money": [amount.to_dict() for amount in self.money],
            "contract_dates": [period.to_dict() for period in self.contract_dates],
            "outcome": self.outcome,
            "exemptions": list(self.exemptions),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Facts:
        """Read back what ``to_dict`` wrote; missing keys are empty."""
        return cls(
            vendors=list(data.get("vendors", [])),
            camera_counts=[CameraCount.from_dict(c) for c in data.get("camera_counts", [])],
            camera_types=list(data.get("camera_types", [])),
            money=[MoneyAmount.from_dict(m) for m in data.get("money", [])],
            contract_dates=[ContractPeriod.from_dict(p) for p in data.get("contract_dates", [])],
            outcome=data.get("outcome"),
            exemptions=list(data.get("exemptions", [])),
        )

    def summary(self) -> list[str]:
        """One short line per kind of fact found, for messages: 'Cameras: 26,500 Axon BWV cameras'."""
        lines = []
        if self.vendors:
            lines.append("Vendors: " + ", ".join(self.vendors))
        if self.camera_counts:
            counts = (f"{'about ' if c.approximate else ''}{c.number:,} {c.what}" for c in self.camera_counts)
            lines.append("Cameras: " + "; ".join(counts))
        if self.camera_types:
            lines.append("Camera types: " + ", ".join(self.camera_types))
        for amount in self.money:
            per = f" per {amount.per}" if amount.per else ""
            lines.append(f"Money: £{amount.pounds:,.2f}{per}" + (f" ({amount.what})" if amount.what else ""))
        for period in self.contract_dates:
            start = period.start.isoformat() if period.start else "?"
            end = period.end.isoformat() if period.end else "?"
            lines.append(f"Contract: {period.what}, {start} to {end}")
        return lines


def extract_facts(
    title: str,
    request: str,
    response: str,
    *,
    outcome: str | None = None,
    exemptions: list[str] | None = None,
) -> Facts:
    """Facts of one response. ``outcome`` and ``exemptions``, when the crawler already read them (some
    platforms take them from a label), are kept; otherwise they are read from ``response`` as the
    crawler does."""
    passages = answer_passages(request, response)
    return Facts(
        vendors=find_vendors("\n".join((title, request, response))),
        camera_counts=find_camera_counts(passages),
        camera_types=find_camera_types(passages),
        money=find_money(passages),
        contract_dates=find_contract_periods(passages),
        outcome=classify_outcome(response) if outcome is None else outcome,
        exemptions=parse_exemptions(response) if exemptions is None else list(exemptions),
    )
