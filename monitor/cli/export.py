"""``foiwatch export``: stored responses (latest version of each) as JSON Lines or CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

import click

from monitor.cli.common import Context, resolved
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


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        value = "; ".join(v["url"] if isinstance(v, dict) else str(v) for v in value)
    text = str(value)
    # Scraped text must not become a spreadsheet formula when the CSV is opened.
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(versions: Iterable[ResponseVersion], output: TextIO) -> None:
    writer = csv.DictWriter(output, fieldnames=FIELDS)
    writer.writeheader()
    for version in versions:
        writer.writerow({key: _cell(value) for key, value in export_record(version).items()})


@click.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--topic", help="Only responses matching this topic.")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-", help="File (default: stdout).")
@click.pass_obj
def export(obj: Context, fmt: str, topic: str | None, output: TextIO) -> None:
    """Export one record per response (latest version) as JSON Lines or CSV."""
    app = obj.app(reads=True)
    with app.database.session() as session:
        versions = list_versions(session, topic=resolved("topic", topic, app.config.topics, "--topic"))
        (write_jsonl if fmt == "jsonl" else write_csv)(versions, output)
