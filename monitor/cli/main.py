"""The ``foiwatch`` command. Thin: it parses arguments and calls functions the tests also call."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from crawler.yamlconf import ConfigError
from monitor.app import App, open_app
from monitor.classify import build_classifiers
from monitor.cli.export import write_csv, write_jsonl
from monitor.config import load_config
from monitor.notify.messages import shown_date
from storage.db import Database, DatabaseUnavailable, resolve_database_url, upgrade
from storage.responses import get_response, list_versions

if TYPE_CHECKING:
    from monitor.service.crawls import CheckReport

CONFIG_ERROR_EXIT = 2
# Scripts read these tables too: never truncate cells when output is not a terminal. What is printed
# is data (scraped titles, stored errors), never Rich markup or :emoji: codes: "[/b]" must not crash.
console = Console(width=None if sys.stdout.isatty() else 240, markup=False, emoji=False)


# C0 and C1 control characters but tab and newline: scraped text must not steer the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def cell(value: object) -> Text:
    """A table cell showing ``value`` as stored (None as empty), whatever brackets it holds; control
    characters (an escape sequence in a scraped title) are shown as ``?``, never sent to the terminal."""
    return Text(_CONTROL.sub("?", "" if value is None else str(value)))


def add_row(table: Table, *values: object) -> None:
    """Add one row to ``table``, each value a verbatim cell."""
    table.add_row(*(cell(value) for value in values))


class ConfigValueRefused(click.ClickException):
    """An option value refused like a configuration error: exit status ``CONFIG_ERROR_EXIT``."""

    exit_code = CONFIG_ERROR_EXIT


class Context:
    def __init__(self, config: Path | None, db: str | None, data_dir: Path | None) -> None:
        self.config_dir, self.db, self.data_dir = config, db, data_dir
        self._app: App | None = None

    def app(self) -> App:
        if self._app is None:
            self._app = open_app(self.config_dir, self.db, self.data_dir)
        return self._app


class FoiwatchGroup(click.Group):
    """Turns configuration and database errors into a clear message and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"configuration error: {exc}", err=True)
            ctx.exit(CONFIG_ERROR_EXIT)
        except DatabaseUnavailable as exc:
            # Like a bad configuration, the setup must be fixed before anything can run.
            click.echo(f"database error: {exc}", err=True)
            ctx.exit(CONFIG_ERROR_EXIT)


@click.group(cls=FoiwatchGroup)
@click.option(
    "--config",
    "config_dir",
    type=click.Path(path_type=Path),
    envvar="FOIWATCH_CONFIG",
    help="Configuration folder (sources.yaml, topics.yaml, subscribers.yaml, settings.yaml).",
)
@click.option(
    "--db", envvar="FOIWATCH_DATABASE_URL", help="SQLAlchemy database URL (default: SQLite in the data dir)."
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    envvar="FOIWATCH_DATA_DIR",
    help="Where the SQLite database, HTTP cache and crawl logs live (default: ./data).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
@click.pass_context
def main(
    ctx: click.Context, config_dir: Path | None, db: str | None, data_dir: Path | None, verbose: bool
) -> None:
    """foiwatch: watch UK FOI disclosure logs and tell subscribers about new CCTV responses."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("apscheduler.executors", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    ctx.obj = Context(config_dir, db, data_dir)


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops a manual crawl as Ctrl-C does: the crawl subprocess is stopped with it."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt("SIGTERM")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@main.command()
@click.option(
    "--source", "source_ids", multiple=True, help="Source id (repeatable); default: every enabled source."
)
@click.option(
    "--full",
    "mode",
    flag_value="full",
    help="Follow every listing page and revalidate every response (finds edits).",
)
@click.option(
    "--incremental", "mode", flag_value="incremental", help="Read only what is new; stop at known responses."
)
@click.pass_obj
def crawl(obj: Context, source_ids: tuple[str, ...], mode: str | None) -> None:
    """Crawl now, store, diff and notify; exit status 1 if any source failed.

    Without --full or --incremental a source gets a full crawl when its last one is older than
    crawler.full_crawl_every_hours (24 by default), else an incremental one: edits to known
    responses are found within that time. SIGTERM or Ctrl-C stops the crawl in progress, records
    it as interrupted, and exits (status 130).
    """
    from monitor.classify import build_classifiers
    from monitor.notify.deliver import deliver_pending
    from monitor.service.crawls import CrawlSummary, crawl_source, next_full_crawl

    app = obj.app()
    sources = [app.config.source(i) for i in source_ids] or [s for s in app.config.sources if s.enabled]
    classifiers = build_classifiers(app.config.topics)
    summaries: list[CrawlSummary] = []
    try:
        with _sigterm_interrupts():
            for source in sources:
                summaries.append(
                    crawl_source(app.database, app.config, source, app.data_dir, mode, classifiers)
                )
            report = deliver_pending(app.database, app.config.notifications)
    except KeyboardInterrupt:
        _print_crawl_table(summaries)
        click.echo("interrupted: the crawl in progress was stopped and recorded as interrupted", err=True)
        sys.exit(130)
    _print_crawl_table(summaries)
    for s in summaries:
        if s.mode == "incremental":
            due = next_full_crawl(app.database, app.config, s.source_id)
            when = f"{due:%Y-%m-%d %H:%M} UTC" if due else "on its next crawl"
            console.print(
                cell(
                    f"{s.source_id}: incremental crawl (new responses only); edits are found by the next "
                    f"full crawl, {when}, or now with --full"
                )
            )
    console.print(f"notifications: {report.sent} sent, {report.failed} to retry, {report.dead} dead")
    if any(s.failed for s in summaries):
        sys.exit(1)


def _print_crawl_table(summaries: list[Any]) -> None:
    table = Table(
        "source", "mode", "status", "pages", "items", "new", "changed", "withdrawn", "errors", "problem"
    )
    for s in summaries:
        add_row(
            table,
            s.source_id,
            s.mode,
            s.status,
            s.pages,
            s.items,
            s.new,
            s.changed,
            s.withdrawn,
            s.errors,
            s.error,
        )
    console.print(table)


@main.command()
@click.pass_obj
def run(obj: Context) -> None:
    """Run the service: crawl every enabled source on its schedule until stopped (SIGTERM)."""
    from monitor.service.scheduler import serve

    sys.exit(serve(obj.config_dir, obj.db, obj.data_dir))


@main.group()
def sources() -> None:
    """Configured sources."""


@sources.command("list")
@click.pass_obj
def sources_list(obj: Context) -> None:
    """List sources: platform, schedule, last run, when edits are found, and health."""
    from monitor.service.crawls import next_full_crawl
    from storage.models import SourceHealth
    from storage.problems import problems_of_run, summarise
    from storage.runs import recent_runs

    app = obj.app()
    every = app.config.crawler.full_crawl_every_hours
    table = Table(
        "id", "platform", "authority", "schedule", "enabled", "last run", "edits found", "health", "url"
    )
    with app.database.session() as session:
        for source in app.config.sources:
            last = recent_runs(session, source.id, limit=1)
            when = "never"
            if last:
                run = last[0]
                when = f"{run.started_at:%Y-%m-%d %H:%M} {run.mode} {run.status}"
                problems = summarise(problems_of_run(session, run.id))
                if run.error_summary or problems:
                    when += f": {run.error_summary or problems}"
            due = next_full_crawl(app.database, app.config, source.id)
            edits = (
                f"within {every:g} h (next full crawl {due:%Y-%m-%d %H:%M})"
                if every > 0 and due
                else ("next crawl (full)" if every > 0 else "every crawl (always full)")
            )
            health = session.get(SourceHealth, source.id)
            address = source.url
            if last and last[0].start_address and last[0].start_address != source.url:
                address += f" (log read at {last[0].start_address})"  # found from a landing page
            add_row(
                table,
                source.id,
                source.platform,
                source.authority,
                source.schedule or app.config.service.default_schedule,
                "yes" if source.enabled else "no",
                when,
                edits,
                f"{health.status}: {health.last_problem}" if health and health.status != "healthy" else "ok",
                address,
            )
    console.print(table)


@sources.command("discover")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--output", type=click.File("w", encoding="utf-8"), default="-", help="YAML file (default: stdout)."
)
def sources_discover(csv_file: Path, output: TextIO) -> None:
    """Candidate sources (YAML) from WhatDoTheyKnow's all-authorities.csv "Disclosure log" column."""
    from monitor.sources.discover import discover, read_authorities, render_yaml

    try:
        rows = read_authorities(csv_file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    found = discover(rows)
    output.write(render_yaml(found))
    click.echo(
        f"{len(found.candidates)} candidate sources, {len(found.unplaced)} URLs not placed, "
        f"{found.rows_without_log} authorities without a disclosure log",
        err=True,
    )


@sources.command("check")
@click.argument("source_ids", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Check every enabled source, one line each.")
@click.pass_obj
def sources_check(obj: Context, source_ids: tuple[str, ...], every: bool) -> None:
    """Fetch sources once (first listing page) without storing, and report what was found.

    Named sources get the detailed view: every link seen on the listing page, which were taken as
    responses, attachments or next pages, and which were rejected and why. ``--all`` (or no names)
    prints one line per enabled source: address, status, responses listed, fields filled, what to fix.
    """
    from monitor.service.crawls import check_source

    config = load_config(obj.config_dir)
    if source_ids and every:
        raise click.UsageError("name sources or pass --all, not both")
    chosen = [config.source(i) for i in source_ids] or [s for s in config.sources if s.enabled]
    failed = False
    for source in chosen:
        report = check_source(config, source)
        failed |= report.status != "succeeded"
        if source_ids:
            for line in check_details(report):
                click.echo(line)
        else:
            click.echo(check_line(report))
    if failed:
        sys.exit(1)


def check_line(report: CheckReport) -> str:
    """One source in one line: id, address, status, responses listed, fields filled, what to fix."""
    percent = report.filled_percent
    filled = "-" if percent is None else f"{percent}%"
    return (
        f"{report.source_id}  {report.address}  {report.status}  listed {report.listed}"
        f"  filled {filled}  fix: {report.what_to_fix}"
    )


def check_details(report: CheckReport) -> list[str]:
    """The detailed check of one source, links included, as lines of text."""
    filled = ", ".join(f"{k} {v}/{report.items}" for k, v in sorted(report.fields_filled.items()))
    lines = [
        check_line(report),
        f"  listed {report.listed}, read {report.items}, invalid {report.invalid}, errors {report.errors}"
        + (f"; fields: {filled}" if filled else ""),
    ]
    if report.problem:
        lines.append(f"  problem: {report.problem}")
    links = report.links
    if links:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(links.get("kinds", {}).items()) if n)
        lines.append(
            f"  links seen {links.get('seen', 0)}; accepted: {kinds or 'none'};"
            f" rejected {links.get('rejected_total', 0)}"
        )
        lines += [f"    + {a['kind']}: {a['url']}  {a['text']!r}" for a in links.get("accepted", [])]
        lines += [f"    - {r['reason']}: {r['url']}  {r['text']!r}" for r in links.get("rejected", [])]
        hidden = int(links.get("rejected_total", 0)) - len(links.get("rejected", []))
        if hidden > 0:
            lines.append(f"    ({hidden} more rejected links not shown)")
    else:
        lines.append("  links: not recorded for this platform")
    lines += [f"  sample: {ref or '-'}: {title[:80]}" for ref, title in report.samples[:3]]
    return lines


@main.group()
def subscribers() -> None:
    """Subscribers: from subscribers.yaml, or managed here."""


@subscribers.command("list")
@click.pass_obj
def subscribers_list(obj: Context) -> None:
    """Subscribers with their channels (secrets hidden), topics, filters and cadence."""
    from monitor.notify.deliver import redact_url
    from storage.models import Subscriber

    app = obj.app()
    table = Table("name", "from", "urls", "topics", "filters", "cadence", "state")
    with app.database.session() as session:
        from sqlalchemy import select

        for s in session.scalars(select(Subscriber).order_by(Subscriber.name)):
            filters = "; ".join(
                f"{label}: {', '.join(values)}"
                for label, values in (
                    ("authorities", s.authorities),
                    ("sources", s.sources),
                    ("terms", s.terms),
                )
                if values
            )
            state = (
                "removed"
                if not s.active
                else (f"muted until {s.muted_until:%Y-%m-%d %H:%M}" if s.muted_until else "active")
            )
            add_row(
                table,
                s.name,
                s.origin,
                "\n".join(redact_url(u) for u in s.urls),
                ", ".join(s.topics),
                filters,
                s.cadence + (" +updates" if s.updates else "") + (" admin" if s.admin else ""),
                state,
            )
    console.print(table)


@subscribers.command("add")
@click.argument("name")
@click.option("--url", "urls", multiple=True, required=True, help="apprise URL (repeatable).")
@click.option("--topic", "topics", multiple=True, help="Topic to follow (repeatable; default cctv).")
@click.option("--authority", "authorities", multiple=True, help="Only this authority (repeatable).")
@click.option("--source", "sources_", multiple=True, help="Only this source id (repeatable).")
@click.option("--term", "terms", multiple=True, help="Only responses mentioning this (repeatable).")
@click.option("--cadence", type=click.Choice(["immediate", "daily", "weekly"]), default="immediate")
@click.option("--updates", is_flag=True, help="Also tell when a followed response changes.")
@click.option("--admin", is_flag=True, help="Also tell when a source breaks.")
@click.pass_obj
def subscribers_add(
    obj: Context,
    name: str,
    urls: tuple[str, ...],
    topics: tuple[str, ...],
    authorities: tuple[str, ...],
    sources_: tuple[str, ...],
    terms: tuple[str, ...],
    cadence: str,
    updates: bool,
    admin: bool,
) -> None:
    """Add a subscriber (kept in the database; subscribers.yaml is not changed).

    Each --url is checked by apprise first: one it cannot use is refused with exit status 2 and
    nothing is stored (the message shows the URL's scheme, never its secrets).
    """
    from crawler.yamlconf import ConfigValueError
    from monitor.config import SubscriberConfig
    from monitor.notify.apprise_urls import check_apprise_url
    from storage.outbox import SubscriberError, SubscriberRow, add_subscriber

    for url in urls:
        try:
            check_apprise_url(url)
        except ConfigValueError as exc:
            raise ConfigValueRefused(f"invalid --url: {exc}; fix: {exc.fix}") from exc
    app = obj.app()
    try:
        checked = SubscriberConfig(name=name, urls=list(urls), topics=list(topics) or ["cctv"])
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    unknown = [t for t in checked.topics if t not in app.config.topics]
    known_sources = {s.id for s in app.config.sources}
    if unknown or any(s not in known_sources for s in sources_):
        raise click.ClickException(
            f"unknown topic or source: {', '.join(unknown + [s for s in sources_ if s not in known_sources])}"
        )
    row = SubscriberRow(
        name,
        urls,
        tuple(checked.topics),
        authorities,
        True,
        admin,
        sources_,
        terms,
        cadence,
        updates,
        origin="cli",
    )
    with app.database.session() as session:
        try:
            add_subscriber(session, row)
        except SubscriberError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"added subscriber {name}")


@subscribers.command("remove")
@click.argument("name")
@click.pass_obj
def subscribers_remove(obj: Context, name: str) -> None:
    """Stop notifying a subscriber; undelivered messages are closed, history is kept."""
    from monitor.config import subscriber_location
    from storage.outbox import SubscriberError, remove_subscriber

    app = obj.app()
    if any(s.name == name for s in app.config.subscribers):
        # Every command syncs subscribers.yaml again, so removing its subscriber here would not last.
        raise click.ClickException(
            f"subscriber {name!r} is defined in {subscriber_location(app.config.directory, name)}; "
            "remove it there or set `enabled: false`"
        )
    with app.database.session() as session:
        try:
            closed = remove_subscriber(session, name)
        except SubscriberError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"removed subscriber {name} ({closed} undelivered messages closed)")


@subscribers.command("mute")
@click.argument("name")
@click.option("--for", "duration", default="7d", show_default=True, help="How long: 12h, 7d, 2w.")
@click.option("--off", is_flag=True, help="Unmute now.")
@click.pass_obj
def subscribers_mute(obj: Context, name: str, duration: str, off: bool) -> None:
    """Queue nothing for a subscriber for a while (responses published meanwhile are not sent)."""
    import re
    from datetime import timedelta

    from storage.clock import utcnow
    from storage.outbox import SubscriberError, mute_subscriber

    match = re.fullmatch(r"(\d+)\s*([hdw])", duration.strip().lower())
    if not off and not match:
        raise click.BadParameter("use a number and h, d or w, e.g. 12h, 7d, 2w", param_hint="--for")
    until = None
    if not off and match:
        hours = int(match.group(1)) * {"h": 1, "d": 24, "w": 168}[match.group(2)]
        until = utcnow() + timedelta(hours=hours)
    app = obj.app()
    with app.database.session() as session:
        try:
            mute_subscriber(session, name, until)
        except SubscriberError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"unmuted {name}" if until is None else f"muted {name} until {until:%Y-%m-%d %H:%M} UTC")


@main.group()
def responses() -> None:
    """Stored FOI responses."""


@responses.command("list")
@click.option("--topic", help="Only responses matching this topic, e.g. cctv.")
@click.option("--source", "source_id", help="Only this source.")
@click.option("--limit", default=50, show_default=True)
@click.pass_obj
def responses_list(obj: Context, topic: str | None, source_id: str | None, limit: int) -> None:
    """List the latest version of stored responses, newest first."""
    app = obj.app()
    table = Table("id", "published", "authority", "reference", "title", "outcome", "topics")
    with app.database.session() as session:
        for version in list_versions(session, topic=topic, source_id=source_id, limit=limit):
            topics = ", ".join(sorted({m.topic for m in version.topic_matches if m.matched}))
            add_row(
                table,
                version.response_id,
                version.published,
                version.authority,
                version.response.reference,
                version.title,
                version.outcome,
                topics,
            )
    console.print(table)


@responses.command("show")
@click.argument("response_id", type=int)
@click.pass_obj
def responses_show(obj: Context, response_id: int) -> None:
    """Show one response with every stored version."""
    app = obj.app()
    with app.database.session() as session:
        response = get_response(session, response_id)
        if response is None:
            raise click.ClickException(f"no response with id {response_id}")
        current = response.versions[-1]
        click.echo(f"{current.authority}: {current.title}")
        click.echo(f"reference: {response.reference or '-'}   published: {shown_date(current)}")
        click.echo(f"outcome: {current.outcome or '-'}   exemptions: {', '.join(current.exemptions) or '-'}")
        click.echo(f"url: {current.url}")
        click.echo(
            f"first seen: {response.first_seen:%Y-%m-%d %H:%M} UTC   versions: {len(response.versions)}"
            + (f"   withdrawn: {response.withdrawn_at:%Y-%m-%d}" if response.withdrawn_at else "")
        )
        for match in current.topic_matches:
            verdict = "matches" if match.matched else "does not match"
            click.echo(
                f"topic {match.topic}: {verdict} (score {match.score:.2f}; {', '.join(match.terms[:8])})"
            )
        for attachment in current.attachments:
            click.echo(f"attachment: {attachment.name or '-'} {attachment.url}")
        click.echo("\nREQUEST\n" + (current.request_text or "(not found on the page)"))
        click.echo("\nRESPONSE\n" + current.response_text)


@responses.command("diff")
@click.argument("response_id", type=int)
@click.argument("versions", type=int, nargs=-1)
@click.pass_obj
def responses_diff(obj: Context, response_id: int, versions: tuple[int, ...]) -> None:
    """What changed between two versions of a response (numbered from 1; default: the last two)."""
    from monitor.changes.versions import diff_versions, render_diff

    if len(versions) not in (0, 2):
        raise click.UsageError("give two version numbers, or none for the last two")
    app = obj.app()
    with app.database.session() as session:
        response = get_response(session, response_id)
        if response is None:
            raise click.ClickException(f"no response with id {response_id}")
        count = len(response.versions)
        if count < 2 and not versions:
            raise click.ClickException(f"response {response_id} has one version: nothing to compare")
        first, second = versions or (count - 1, count)
        for number in (first, second):
            if not 1 <= number <= count:
                raise click.ClickException(f"response {response_id} has versions 1 to {count}, not {number}")
        old, new = response.versions[first - 1], response.versions[second - 1]
        click.echo(
            f"{new.authority}: {new.title}\nversion {first} (seen {old.first_seen:%Y-%m-%d %H:%M} UTC) -> "
            f"version {second} (seen {new.first_seen:%Y-%m-%d %H:%M} UTC)"
        )
        click.echo(render_diff(diff_versions(old, new)))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--topic", help="Only responses matching this topic.")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-", help="File (default: stdout).")
@click.pass_obj
def export(obj: Context, fmt: str, topic: str | None, output: TextIO) -> None:
    """Export one record per response (latest version) as JSON Lines or CSV."""
    app = obj.app()
    with app.database.session() as session:
        versions = list_versions(session, topic=topic)
        (write_jsonl if fmt == "jsonl" else write_csv)(versions, output)


@main.command()
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
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("each line must be a JSON object")
            fields = {k: str(record.get(k) or "") for k in ("title", "request", "response")}
        except ValueError as exc:
            failures += 1
            click.echo(json.dumps({"line": number, "error": str(exc)}))
            continue
        verdicts = {name: c.classify(**fields) for name, c in classifiers.items()}
        cctv = verdicts.get("cctv")
        out: dict[str, Any] = {
            "cctv": bool(cctv and cctv.matched),
            "score": cctv.score if cctv else 0.0,
            "terms": cctv.terms if cctv else [],
            "snippets": cctv.snippets if cctv else [],
            "why": cctv.reason if cctv else "",
            "topics": {
                n: {"matched": v.matched, "score": v.score, "terms": v.terms, "why": v.reason}
                for n, v in verdicts.items()
            },
        }
        click.echo(json.dumps(out, ensure_ascii=False))
    if failures:
        sys.exit(1)


@main.command()
@click.option("--vendor", help="Only responses naming this camera vendor (any alias, e.g. hikvision).")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per response instead of a table.")
@click.pass_obj
def facts(obj: Context, vendor: str | None, limit: int, as_json: bool) -> None:
    """Facts read from CCTV responses: vendors, camera counts and types, money, contract dates."""
    from sqlalchemy import select

    from monitor.facts.extract import Facts
    from monitor.facts.store import versions_with_vendor
    from storage.models import ResponseFacts

    app = obj.app()
    table = Table("id", "published", "authority", "title", "facts")
    with app.database.session() as session:
        if vendor:
            ids = versions_with_vendor(session, vendor)
        else:
            ids = list(session.scalars(select(ResponseFacts.version_id)))
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


@main.command()
@click.pass_obj
def reclassify(obj: Context) -> None:
    """Re-score every stored response with the current topics (after editing topics.yaml). No alerts."""
    from monitor.changes.detect import reclassify as rescore

    app = obj.app()
    with app.database.session() as session:
        counts = rescore(session, build_classifiers(app.config.topics))
    for topic, count in counts.items():
        click.echo(f"{topic}: {count} responses match")


@main.command()
@click.pass_obj
def demo(obj: Context) -> None:
    """Crawl a bundled sample log on 127.0.0.1 twice and print the notifications a subscriber gets."""
    from monitor.demo.run import run_demo

    sys.exit(run_demo(obj.data_dir))


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("reindex")
@click.pass_obj
def db_reindex(obj: Context) -> None:
    """Rebuild the search index from the stored responses (after a restore, or if search misses)."""
    from storage.search import rebuild_index

    app = obj.app()
    with app.database.session() as session:
        count = rebuild_index(session)
    click.echo(f"search index rebuilt: {count} responses indexed")


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Context) -> None:
    """Apply pending migrations (foiwatch also does this on start)."""
    database = Database(resolve_database_url(obj.db, obj.data_dir), migrate=False)
    upgrade(database.engine)
    click.echo("database is up to date")


@main.group()
def notifications() -> None:
    """The notification outbox."""


@notifications.command("list")
@click.option("--failed", is_flag=True, help="Only failed and dead notifications.")
@click.option("--limit", default=50, show_default=True)
@click.pass_obj
def notifications_list(obj: Context, failed: bool, limit: int) -> None:
    """List notifications with their status, attempts and last error (secrets redacted)."""
    from storage.outbox import DEAD, FAILED, list_notifications

    app = obj.app()
    table = Table("id", "created", "subscriber", "event", "status", "attempts", "title", "last error")
    with app.database.session() as session:
        rows = list_notifications(session, statuses={FAILED, DEAD} if failed else None, limit=limit)
        for row in rows:
            add_row(
                table,
                row.id,
                f"{row.created_at:%Y-%m-%d %H:%M}",
                row.subscriber_id,
                row.event,
                row.status,
                row.attempts,
                row.title,
                row.last_error,
            )
    console.print(table)


@notifications.command("deliver")
@click.pass_obj
def notifications_deliver(obj: Context) -> None:
    """Send every due notification now (the service does this every minute)."""
    from monitor.notify.deliver import deliver_pending

    app = obj.app()
    report = deliver_pending(app.database, app.config.notifications)
    click.echo(f"{report.sent} sent, {report.failed} to retry, {report.dead} dead")


@notifications.command("retry")
@click.argument("notification_ids", nargs=-1, type=int)
@click.pass_obj
def notifications_retry(obj: Context, notification_ids: tuple[int, ...]) -> None:
    """Requeue dead notifications (or the given ids) and try to deliver them now."""
    from monitor.notify.deliver import deliver_pending
    from storage.outbox import requeue_dead

    app = obj.app()
    with app.database.session() as session:
        count = requeue_dead(session, notification_ids)
    report = deliver_pending(app.database, app.config.notifications)
    click.echo(f"requeued {count}; {report.sent} sent, {report.failed} to retry, {report.dead} dead")


@main.group()
def notify() -> None:
    """Check notification channels."""


@notify.command("test")
@click.argument("subscriber")
@click.pass_obj
def notify_test(obj: Context, subscriber: str) -> None:
    """Send a test message to SUBSCRIBER's URLs now and report the result (nothing is queued)."""
    from monitor.notify.deliver import redact_url, send
    from storage.outbox import SubscriberError, find_subscriber

    app = obj.app()
    # The database holds both kinds: subscribers.yaml's (synced by open_app) and `subscribers add`'s.
    with app.database.session() as session:
        try:
            chosen = find_subscriber(session, subscriber)
        except SubscriberError as exc:
            raise click.ClickException(f"{exc} (see `foiwatch subscribers list`)") from exc
        urls, apprise_config, tags = list(chosen.urls), chosen.apprise_config, list(chosen.tags)
    ok, error = send(
        urls,
        "[foiwatch] test message",
        "This is a test from foiwatch. If you can read it, notifications reach you.",
        app.config.notifications.timeout_seconds,
        apprise_config=apprise_config,
        tags=tags,
    )
    targets = ", ".join([redact_url(url) for url in urls] + ([apprise_config] if apprise_config else []))
    if not ok:
        raise click.ClickException(f"test message to {targets} failed: {error}")
    click.echo(f"test message delivered to {targets}")


# Commands kept in their own modules register here (they import Context from this one).
from monitor.cli.archive import archive  # noqa: E402
from monitor.cli.serve import serve  # noqa: E402

main.add_command(serve)
main.add_command(archive)

if __name__ == "__main__":
    main()
