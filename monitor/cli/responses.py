"""``foiwatch responses``: list, show and diff stored FOI responses."""

from __future__ import annotations

from datetime import date

import click
from rich.table import Table

from monitor.changes.versions import render_diff
from monitor.cli.common import Context, add_row, console, id_column, resolved
from monitor.lookup import parse_day
from monitor.notify.messages import shown_date
from monitor.query.responses import compare_versions
from monitor.query.search import MAX_PER_PAGE, Filters, QueryError, search_responses
from storage.responses import get_response, known_authorities
from storage.runs import known_source_ids


@click.group()
def responses() -> None:
    """Stored FOI responses."""


@responses.command("list")
@click.option(
    "--query", "-q", "query", help='Words to find, as on the web search: cctv "body worn" -parking.'
)
@click.option("--topic", help="Only responses matching this topic, e.g. cctv.")
@click.option("--source", "source_id", help="Only this source (its id).")
@click.option("--authority", help="Only this authority (its name as `responses list` shows it).")
@click.option("--since", help="Only responses published on or after this day: 2026-01-31 or 31/01/2026.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, MAX_PER_PAGE))
@click.pass_obj
def responses_list(
    obj: Context,
    query: str | None,
    topic: str | None,
    source_id: str | None,
    authority: str | None,
    since: str | None,
    limit: int,
) -> None:
    """List stored responses: newest published first, or best match first with --query.

    The same search as the web pages (monitor.query). An unknown topic, source or authority is an
    error that names the closest known ones.
    """
    app = obj.app(reads=True)
    table = Table(id_column("id"), "published", "authority", "reference", "title", "outcome", "topics")
    with app.database.session() as session:
        # Each filter checked first: an unknown name is an error, never an empty table.
        filters = Filters(
            q=query or "",
            topic=resolved("topic", topic, app.config.topics, "--topic"),
            source=resolved("source", source_id, known_source_ids(session), "--source"),
            authority=resolved("authority", authority, known_authorities(session), "--authority"),
            published_from=_day(since, "--since"),
        )
        try:
            page = search_responses(session, filters, per_page=limit, sort="relevance" if query else "newest")
        except QueryError as exc:
            raise click.BadParameter(str(exc), param_hint="--query") from exc
    for item in page.items:
        add_row(
            table,
            item.id,
            item.published,
            item.authority,
            item.reference,
            item.title,
            item.outcome,
            ", ".join(item.topics),
        )
    console.print(table)
    if page.total > len(page.items):
        click.echo(f"{len(page.items)} of {page.total} shown (--limit to see more)", err=True)


def _day(text: str | None, option: str) -> date | None:
    try:
        return parse_day(text) if text else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from exc


@responses.command("show")
@click.argument("response_id", type=int)
@click.pass_obj
def responses_show(obj: Context, response_id: int) -> None:
    """Show one response with every stored version."""
    app = obj.app(reads=True)
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
    if len(versions) not in (0, 2):
        raise click.UsageError("give two version numbers, or none for the last two")
    app = obj.app(reads=True)
    with app.database.session() as session:
        try:
            compared = compare_versions(session, response_id, *(versions or (None, None)))
        except QueryError as exc:
            raise click.ClickException(str(exc)) from exc
    old, new = compared.old, compared.new
    click.echo(f"{compared.authority}: {new.title}")
    click.echo(
        f"version {old.number} (seen {old.first_seen:%Y-%m-%d %H:%M} UTC) -> "
        f"version {new.number} (seen {new.first_seen:%Y-%m-%d %H:%M} UTC)"
    )
    click.echo(render_diff(compared.diff))
