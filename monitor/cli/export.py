"""``foiwatch export``: stored responses (latest version of each) as JSON Lines or CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TextIO

import click

from monitor.cli.common import Context, resolved
from monitor.facts.extract import Facts, MoneyAmount
from storage.models import ResponseVersion
from storage.responses import list_versions

FIELDS = [
    "id",
    "source",
    "authority",
    "reference",
    "title",
    "url",
    "published",
    "date_source",
    "request",
    "response",
    "outcome",
    "exemptions",
    "topics",
    "facts",
    "attachments",
    "first_seen",
    "last_seen",
    "withdrawn",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_record(version: ResponseVersion) -> dict[str, Any]:
    response = version.response
    return {
        "id": response.id,
        "source": response.source_id,
        "authority": version.authority,
        "reference": response.reference,
        "title": version.title,
        "url": version.url,
        "published": version.published.isoformat() if version.published else None,
        "date_source": version.date_source,
        "request": version.request_text,
        "response": version.response_text,
        "outcome": version.outcome,
        "exemptions": list(version.exemptions),
        "topics": sorted({m.topic for m in version.topic_matches if m.matched}),
        "facts": version.facts.facts if version.facts is not None else None,
        "attachments": [{"url": a.url, "name": a.name} for a in version.attachments],
        "first_seen": response.first_seen.isoformat(),
        "last_seen": response.last_seen.isoformat(),
        "withdrawn": response.withdrawn_at.isoformat() if response.withdrawn_at else None,
    }


def write_jsonl(versions: Iterable[ResponseVersion], output: TextIO) -> None:
    for version in versions:
        output.write(json.dumps(export_record(version), ensure_ascii=False) + "\n")


# CSV columns: facts get columns of their own (text, and a number to sort by) instead of JSON.
CSV_FIELDS = [
    *FIELDS[: FIELDS.index("facts")],
    "vendors",
    "camera_count",
    "camera_counts",
    "camera_types",
    "money_pounds",
    "money",
    "contract_start",
    "contract_end",
    "contracts",
    *FIELDS[FIELDS.index("facts") + 1 :],
]
_TIMES = ("first_seen", "last_seen", "withdrawn")
# Excel shows at most this many characters in a cell; a longer text would spill into the next row.
EXCEL_CELL_LIMIT = 32767


def fact_columns(facts: Facts | None) -> dict[str, object]:
    """A response's facts as CSV columns: lists as "; "-joined text, the largest camera count and
    sum of money as numbers (to sort and filter by), the contracts' earliest start and latest end."""
    if facts is None:
        return dict.fromkeys(CSV_FIELDS[CSV_FIELDS.index("vendors") : CSV_FIELDS.index("contracts") + 1])
    starts = [p.start for p in facts.contract_dates if p.start]
    ends = [p.end for p in facts.contract_dates if p.end]
    return {
        "vendors": facts.vendors,
        "camera_count": max((c.number for c in facts.camera_counts), default=None),
        "camera_counts": [
            f"{'about ' if c.approximate else ''}{c.number} {c.what}" for c in facts.camera_counts
        ],
        "camera_types": facts.camera_types,
        "money_pounds": f"{max(m.pounds for m in facts.money):.2f}" if facts.money else None,
        "money": [_money(m) for m in facts.money],
        "contract_start": min(starts).isoformat() if starts else None,
        "contract_end": max(ends).isoformat() if ends else None,
        "contracts": [
            f"{p.what}: {p.start.isoformat() if p.start else '?'} to {p.end.isoformat() if p.end else '?'}"
            for p in facts.contract_dates
        ],
    }


def _money(amount: MoneyAmount) -> str:
    unit = "£" if amount.currency == "GBP" else f"{amount.currency} "
    per = f" per {amount.per}" if amount.per else ""
    return f"{unit}{amount.pounds:.2f}{per}" + (f" ({amount.what})" if amount.what else "")


def csv_record(version: ResponseVersion, excel: bool = False) -> dict[str, str]:
    """One CSV row. For ``excel``, times are ``2026-01-31 07:00:00`` (UTC), which spreadsheets read
    as date and time, and texts are cut to what a cell holds."""
    record = export_record(version)
    facts = Facts.from_dict(record.pop("facts")) if record["facts"] is not None else None
    record.update(fact_columns(facts))
    if excel:
        for key in _TIMES:
            if record[key]:
                record[key] = datetime.fromisoformat(record[key]).strftime("%Y-%m-%d %H:%M:%S")
    row = {key: _cell(record[key]) for key in CSV_FIELDS}
    if excel:
        row = {key: _fit_cell(value) for key, value in row.items()}
    return row


def _fit_cell(text: str) -> str:
    if len(text) <= EXCEL_CELL_LIMIT:
        return text
    cut = "… [cut: see the JSON Lines export for the whole text]"
    return text[: EXCEL_CELL_LIMIT - len(cut)] + cut


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(v["url"] if isinstance(v, dict) else str(v) for v in value)
    text = str(value)
    # Scraped text must not become a spreadsheet formula when the CSV is opened.
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(versions: Iterable[ResponseVersion], output: TextIO, excel: bool = False) -> None:
    """CSV with a header row; ``excel`` starts with a UTF-8 byte order mark, so Excel reads the
    file as UTF-8 (names with accents, '£'), and writes times it reads as times."""
    if excel:
        output.write("\ufeff")
    writer = csv.DictWriter(output, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for version in versions:
        writer.writerow(csv_record(version, excel))


@click.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--excel", is_flag=True, help="CSV for spreadsheets: UTF-8 with a BOM, times Excel reads.")
@click.option("--topic", help="Only responses matching this topic.")
@click.option(
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File (default: stdout).",
)
@click.pass_obj
def export(obj: Context, fmt: str, excel: bool, topic: str | None, output: TextIO) -> None:
    """Export one record per response (latest version) as JSON Lines or CSV.

    CSV gives facts columns of their own (vendors, camera counts, money, contract dates); --excel
    makes a file Excel opens cleanly.
    """
    if excel and fmt != "csv":
        raise click.UsageError("--excel goes with --format csv")
    app = obj.app(reads=True)
    with app.database.session() as session:
        versions = list_versions(session, topic=resolved("topic", topic, app.config.topics, "--topic"))
        if fmt == "csv":
            write_csv(versions, output, excel)
        else:
            write_jsonl(versions, output)
