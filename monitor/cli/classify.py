"""``foiwatch classify``, ``reclassify`` and ``facts``: topics and facts of responses."""

from __future__ import annotations

import json
import sys
from typing import TextIO

import click
from rich.table import Table

from monitor.classify import build_classifiers, classify_record
from monitor.cli.common import Context, add_row, console, id_column
from monitor.config import load_config
from storage.responses import list_versions


@click.command()
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
@click.pass_obj
def classify(obj: Context, file: TextIO) -> None:
    """Classify JSON Lines (title, request, response) from FILE or stdin; one JSON line out per line in."""
    config = load_config(obj.config_dir)
    classifiers = build_classifiers(config.topics)
    failures = 0
    for number, line in enumerate(file, start=1):
        if not line.strip():
            continue
        try:
            out = classify_record(classifiers, json.loads(line))
        except ValueError as exc:
            failures += 1
            click.echo(json.dumps({"line": number, "error": str(exc)}))
            continue
        click.echo(json.dumps(out, ensure_ascii=False))
    if failures:
        sys.exit(1)


@click.command()
@click.option("--vendor", help="Only responses naming this camera vendor (any alias, e.g. hikvision).")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per response instead of a table.")
@click.pass_obj
def facts(obj: Context, vendor: str | None, limit: int, as_json: bool) -> None:
    """Facts read from CCTV responses: vendors, camera counts and types, money, contract dates."""
    from monitor.facts.extract import Facts
    from monitor.facts.store import versions_with_facts

    app = obj.app(reads=True)
    table = Table(id_column("id"), "published", "authority", "title", "facts")
    with app.database.session() as session:
        ids = versions_with_facts(session, vendor)
        for version in list_versions(session, version_ids=ids, limit=limit):
            if version.facts is None:
                continue
            if as_json:
                record = {
                    "id": version.response_id,
                    "authority": version.authority,
                    "title": version.title,
                    "url": version.url,
                    "facts": version.facts.facts,
                }
                click.echo(json.dumps(record, ensure_ascii=False))
                continue
            lines = Facts.from_dict(version.facts.facts).summary()
            add_row(
                table,
                version.response_id,
                version.published,
                version.authority,
                version.title,
                "\n".join(lines),
            )
    if not as_json:
        console.print(table)


@click.command()
@click.pass_obj
def reclassify(obj: Context) -> None:
    """Re-score every stored response with the current topics (after editing topics.yaml). No alerts."""
    from monitor.changes.detect import reclassify as rescore

    app = obj.app(reads=True)
    with app.database.session() as session:
        counts = rescore(session, build_classifiers(app.config.topics))
    for topic, count in counts.items():
        click.echo(f"{topic}: {count} responses match")
